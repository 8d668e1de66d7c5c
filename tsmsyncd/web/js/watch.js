// The watchlist as the page knows it: the tracked items (GET /watchlist, then every `watch.rows` event),
// the newest row of each (item, realm) from the `watch.update` events, and the alerts that arrived while
// the page was open. Followed from the page's start, so the Watchlist page shows what is known at once,
// even when it was opened after the checks ran.
import { api } from "./api.js";

const listeners = new Set();

export const STATUS_TEXT = {
  checking: "Checking…",
  available: "Available",
  none: "Not available",
  error: "Error",
  unchecked: "Not checked yet",
};

// drawn as glyphs every system font has (✓ ✗ !), in coloured marks, not as emoji a system may lack
export const STATUS_MARK = { available: "✓", none: "✗", error: "!", checking: "", unchecked: "–" };

export const watch = {
  items: null, // [entry] as GET /watchlist gives them (with name and quality when known)
  rows: new Map(), // "id:realm" → the newest watch.update row
  alerts: [], // watch.alert data, newest first (this page load only; History keeps them all)
  error: null,

  subscribe(handler) {
    listeners.add(handler);
    return () => listeners.delete(handler);
  },

  changed(what, data) {
    for (const handler of listeners) {
      try {
        handler(what, data);
      } catch (error) {
        console.error("watchlist listener failed", error);
      }
    }
  },

  async load() {
    try {
      const answer = await api.get("/watchlist");
      this.setItems(answer.items || []);
      this.error = null;
    } catch (error) {
      this.error = error;
      this.changed("items");
      throw error;
    }
  },

  setItems(items) {
    this.items = items;
    const ids = new Set(items.map((i) => i.id));
    for (const key of [...this.rows.keys()]) {
      const [id, realm] = key.split(":").map(Number);
      const item = items.find((i) => i.id === id);
      if (!ids.has(id) || (item && !item.realms.includes(realm))) this.rows.delete(key);
    }
    this.changed("items");
  },

  row(id, realm) {
    return this.rows.get(`${id}:${realm}`) || null;
  },

  /** The status shown for (item, realm): a row's own, or "unchecked" before any check. */
  status(id, realm) {
    const row = this.row(id, realm);
    return row ? row.status : "unchecked";
  },

  /** Items none of whose rows this page has seen: they are checked when the Watchlist page opens. */
  unchecked() {
    return (this.items || []).filter((i) => i.realms.every((r) => !this.rows.has(`${i.id}:${r}`)));
  },

  /** Wire to the events: called once by app.js. */
  follow(events) {
    events.on("watch.rows", (event) => this.setItems((event.data && event.data.items) || []));
    events.on("watch.update", (event) => {
      const row = event.data || {};
      if (typeof row.id !== "number") return;
      const key = `${row.id}:${row.realm}`;
      const before = this.rows.get(key);
      // a check in progress still answers from the market the last one found (commodity rows stay folded)
      if (row.status === "checking" && before && before.market) row.market = before.market;
      this.rows.set(key, row);
      this.changed("row", row);
    });
    events.on("watch.alert", (event) => {
      this.alerts.unshift({ ...event.data, at: event.at });
      this.alerts.length = Math.min(this.alerts.length, 50);
      this.changed("alert", event.data);
    });
    events.on("resync", () => {
      if (this.items !== null) this.load().catch(() => {});
    });
  },
};
