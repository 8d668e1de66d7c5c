// What several views show at once: the daemon's status and its targets. Kept fresh from the events
// (a target.state patches one target at once; anything bigger refetches, coalesced), so every view
// that subscribes redraws live, without a reload.
import { api } from "./api.js";

const listeners = new Set();
let pending = null;

export const store = {
  status: null,
  targets: null,
  error: null,

  subscribe(handler) {
    listeners.add(handler);
    return () => listeners.delete(handler);
  },

  changed(what) {
    for (const handler of listeners) {
      try {
        handler(what);
      } catch (error) {
        console.error("store listener failed", error);
      }
    }
  },

  async loadStatus() {
    this.status = await api.get("/status");
    this.changed("status");
    return this.status;
  },

  async loadTargets() {
    this.targets = await api.get("/targets");
    this.changed("targets");
    return this.targets;
  },

  async load() {
    await Promise.all([this.loadStatus(), this.loadTargets()]);
  },

  /** Refetch soon; several events in a burst cost one fetch. */
  reload(delay = 150) {
    if (pending) return;
    pending = setTimeout(async () => {
      pending = null;
      try {
        await this.load();
      } catch {
        // the events socket or the next call reports it
      }
    }, delay);
  },

  patchTarget(id, fields) {
    if (!this.targets) return;
    const target = this.targets.find((t) => t.id === id);
    if (!target) return this.reload();
    Object.assign(target, fields);
    this.changed("targets");
  },

  target(id) {
    return (this.targets || []).find((t) => t.id === id) || null;
  },

  /** Wire the store to the events: called once by app.js. */
  follow(events) {
    events.on("status", (event) => {
      const { missed, ...status } = event.data || {};
      this.status = { ...(this.status || {}), ...status };
      this.changed("status");
      if (missed) this.reload(0);
    });
    events.on("target.state", (event) => {
      const data = event.data || {};
      this.patchTarget(data.id, { state: data.state, reason: data.reason ?? null });
      this.reload(400); // the full target (pending plan, last apply) follows
    });
    for (const type of ["apply.applied", "apply.failed", "refresh.started", "refresh.finished", "refresh.failed",
      "groups.generated", "settings.changed", "backup.restored", "job.failed"]) {
      events.on(type, () => this.reload());
    }
    events.on("connection", (event) => {
      if (event.up) this.reload(0);
    });
  },
};
