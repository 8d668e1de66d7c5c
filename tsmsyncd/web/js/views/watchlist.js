// Watchlist: the items the player wants to buy, each looked for on the realms chosen, one row per (item,
// realm) that goes from "Checking…" to available, not available or an error as the daemon's watch.update
// events arrive (no reload); the add form, edit and remove, "Check now", and the alerts. Items on the
// region's commodity market have one market for every realm: their rows fold into one.
import { h, button, busy, replace } from "../dom.js";
import { api, qs } from "../api.js";
import { ago, int, money, plural, qualityClass, dateTime } from "../format.js";
import { errorNotice, loading, pageHeader, empty, confirmDialog, toast } from "../ui.js";
import { watch, STATUS_TEXT, STATUS_MARK } from "../watch.js";
import { watchForm } from "./watchform.js";

const TIME_LEFT = { SHORT: "< 30 min", MEDIUM: "30 min–2 h", LONG: "2–12 h", VERY_LONG: "12–48 h" };
const FILTERS = [["all", "All"], ["available", "Available"], ["none", "Not available"], ["error", "Errors"]];

/** The realms the player follows (retail: the watchlist looks on retail auction houses), with names. */
async function followedRealms(ctx) {
  const names = new Map();
  const ids = [];
  for (const t of ctx.store.targets || []) {
    if (t.flavor !== "retail" || !t.realm || !t.realm.connected_realm_id) continue;
    names.set(t.realm.connected_realm_id, t.realm.name);
    ids.push(t.realm.connected_realm_id);
  }
  let settings = { region: "us", realms: [] };
  try {
    settings = await api.get("/settings", { signal: ctx.signal });
  } catch (error) {
    if (error.name === "AbortError") throw error;
  }
  let index = null;
  try {
    const answer = await api.get(`/realms/${encodeURIComponent(settings.region || "us")}${qs({ flavor: "retail" })}`, { signal: ctx.signal });
    index = new Map((answer.connected_realms || answer.realms || []).map((r) => [r.connected_realm_id, r.name]));
  } catch (error) {
    if (error.name === "AbortError") throw error; // no index (no credentials yet): ids stand for names
  }
  for (const id of settings.realms || []) {
    if (index && !index.has(id)) continue; // not a retail realm
    ids.push(id);
  }
  const name = (id) => names.get(id) || (index && index.get(id)) || `Realm ${id}`;
  const followed = [...new Set(ids)].map((id) => ({ id, name: name(id) })).sort((a, b) => a.name.localeCompare(b.name));
  return { followed, name, region: String(settings.region || "us").toUpperCase() };
}

/** The cheapest listings that meet the specs, each as "price × quantity" (the time left on hover). */
function listingChips(row) {
  const listings = (row && row.listings) || [];
  if (!listings.length) return null;
  return h("ul", { class: "listings", "aria-label": "Cheapest listings" }, listings.slice(0, 3).map((l) =>
    h("li", { title: TIME_LEFT[l.time_left] ? `Time left: ${TIME_LEFT[l.time_left]}` : null }, money(l.unit_price), ` × ${int(l.quantity)}`)));
}

export function statusMark(status) {
  return h("span", { class: `watch-status status-${status}` },
    h("span", { class: "mark", "aria-hidden": "true" }, STATUS_MARK[status] || ""), STATUS_TEXT[status] || status);
}

function rowNode(key, realmLabel, status, row, sub) {
  const why = row && row.reason ? row.reason : status === "unchecked" ? "Press Check to look now." : "";
  const short = status === "available" && row && !row.covered;
  return h("tr", { class: `watch-row status-${status}`, dataset: { realm: key, status } },
    h("td", { class: "watch-realm" }, h("span", { class: "realm-name" }, realmLabel), sub ? h("div", { class: "muted small" }, sub) : null),
    h("td", { class: "watch-status-cell" }, statusMark(status),
      short ? h("div", { class: "muted small" }, "fewer than you want") : null),
    h("td", { class: "num watch-cheapest" }, row && row.cheapest !== null && row.cheapest !== undefined ?
      money(row.cheapest) : h("span", { class: "muted" }, "—")),
    h("td", { class: "watch-why" }, why ? h("span", why) : null, status === "available" ? listingChips(row) : null));
}

/** The rows of one item: one per realm, or one for all when every realm answered from the commodity market. */
function itemRows(item, names) {
  const rows = item.realms.map((realm) => watch.row(item.id, realm));
  const commodity = rows.every((r) => r && r.market === "commodities");
  const checking = rows.find((r) => r && r.status === "checking");
  const shown = checking || rows[0];
  if (item.realms.length > 1 && commodity && (checking || rows.every((r) => r.status === shown.status))) {
    return [rowNode("commodities", `All ${plural(item.realms.length, "realm")}`, shown.status, shown,
      `${names.region} commodity market: ${item.realms.map(names.name).join(", ")}`)];
  }
  return item.realms.map((realm, i) => rowNode(String(realm), names.name(realm), watch.status(item.id, realm), rows[i],
    rows[i] && rows[i].market === "commodities" ? `${names.region} commodity market` : null));
}

function itemSummary(item) {
  const statuses = item.realms.map((r) => watch.status(item.id, r));
  const count = (s) => statuses.filter((x) => x === s).length;
  if (count("checking")) return h("span", { class: "chip info" }, "Checking…");
  if (count("available")) return h("span", { class: "chip ok" }, `Available on ${count("available")} of ${item.realms.length}`);
  if (count("error") === statuses.length) return h("span", { class: "chip bad" }, "Could not check");
  if (count("none") === statuses.length) return h("span", { class: "chip" }, "Not available");
  return null;
}

export default {
  title: "Watchlist",
  mount(root, ctx) {
    let names = { followed: [], name: (id) => `Realm ${id}`, region: "US" };
    let filter = "all", search = "";
    const editing = new Set();
    const checkAll = button("Check now", () => busy(checkAll, () => check(null)), { class: "primary",
      title: "Look for every item on its realms now (auction data is at most 30 minutes old)" });
    const counts = h("p", { class: "muted watch-counts" }); // not live: it changes with every row, the rows say it
    const list = h("div", { class: "watch-list" }, loading("Loading the watchlist…"));
    const formBox = h("section", { class: "card watch-add" }, h("h2", "Track an item"), loading());
    const alertsBox = h("section", { class: "card watch-alerts" }, h("h2", "Alerts"), loading());
    const find = h("input", { type: "search", placeholder: "Filter by name or item", "aria-label": "Filter the watchlist" });
    const show = h("select", { "aria-label": "Show" }, FILTERS.map(([k, l]) => h("option", { value: k }, l)));
    const add = button("Add an item", () => {
      formBox.scrollIntoView({ block: "start" });
      const input = formBox.querySelector(".watch-item-input");
      if (input) input.focus({ preventScroll: true });
    }, { class: "add-jump" });
    root.append(pageHeader("Watchlist", "Items you want to buy, looked for on your realms' auction houses. Rows update as they are checked.", add, checkAll),
      h("div", { class: "watch-layout" },
        h("div", { class: "watch-main" }, h("div", { class: "toolbar" }, find, show), counts, list),
        h("div", { class: "watch-side" }, formBox, alertsBox)));

    const check = async (id) => {
      try {
        await api.post("/watchlist/check", id === null ? {} : { id });
      } catch (error) {
        toast(error.message, "error");
      }
    };
    const itemName = (item) => item.name || item.item;
    const matches = (item) => {
      if (search && !`${item.name || ""} ${item.item} ${item.list}`.toLowerCase().includes(search)) return false;
      return filter === "all" || item.realms.some((r) => watch.status(item.id, r) === filter);
    };

    const remove = async (item) => {
      const ok = await confirmDialog({ title: `Stop watching ${itemName(item)}?`, confirm: "Remove", danger: true,
        body: h("p", `${itemName(item)} is no longer looked for, and its alerts stop. You can add it again any time.`) });
      if (!ok) return;
      try {
        await api.del(`/watchlist/${item.id}`);
        toast(`Stopped watching ${itemName(item)}`);
      } catch (error) {
        toast(error.message, "error");
      }
    };

    const itemBlock = (item, kept) => {
      if (kept.has(item.id)) return kept.get(item.id); // being edited: keep what was typed
      const block = h("article", { class: "watch-item", dataset: { id: item.id, item: item.item } });
      drawBlock(block, item);
      return block;
    };
    const drawBlock = (block, item) => {
      if (editing.has(item.id)) {
        const form = watchForm({ entry: item, realms: names.followed, lists: lists(), signal: ctx.signal,
          onsaved: () => { editing.delete(item.id); toast(`Saved ${itemName(item)}`); drawItem(item.id); },
          oncancel: () => { editing.delete(item.id); drawBlock(block, item); } });
        replace(block, h("header", { class: "watch-head" }, h("h3", { class: qualityClass(item.quality) }, `Edit ${itemName(item)}`)), form.node);
        form.focus();
        return;
      }
      const checkOne = button("Check", () => busy(checkOne, () => check(item.id)), { class: "small", label: `Check ${itemName(item)} now` });
      replace(block,
        h("header", { class: "watch-head" },
          h("div", { class: "watch-title" },
            h("h3", h("span", { class: qualityClass(item.quality) }, itemName(item)), " ", h("code", item.item)),
            h("p", { class: "muted small" }, `Wants ${int(item.amount)} at `, money(item.max_price), " or less each",
              item.list ? [" · ", h("span", { class: "chip" }, item.list)] : null)),
          h("div", { class: "watch-actions" }, itemSummary(item), checkOne,
            button("Edit", () => { editing.add(item.id); drawBlock(block, item); }, { class: "small", label: `Edit ${itemName(item)}` }),
            button("Remove", () => remove(item), { class: "small danger ghost", label: `Remove ${itemName(item)}` }))),
        h("div", { class: "table-wrap" }, h("table", { class: "table watch-rows" },
          h("thead", h("tr", h("th", "Realm"), h("th", "Status"), h("th", { class: "num" }, "Cheapest"), h("th", "Details"))),
          h("tbody", itemRows(item, names)))));
      block.hidden = !matches(item);
    };
    const lists = () => [...new Set((watch.items || []).map((i) => i.list).filter(Boolean))];

    const drawCounts = () => {
      const items = watch.items || [];
      const all = items.flatMap((i) => i.realms.map((r) => watch.status(i.id, r)));
      const n = (s) => all.filter((x) => x === s).length;
      const parts = [["available", "available"], ["none", "not available"], ["checking", "checking"], ["error", "errors"],
        ["unchecked", "not checked yet"]].filter(([s]) => n(s)).map(([s, label]) => `${int(n(s))} ${label}`);
      counts.textContent = items.length ? `${plural(items.length, "item")} on ${plural(all.length, "realm check")}: ${parts.join(", ")}` : "";
    };
    const drawList = () => {
      if (watch.error && watch.items === null) {
        replace(list, errorNotice(watch.error, "the watchlist"));
        return;
      }
      if (watch.items === null) return;
      drawCounts();
      if (!watch.items.length) {
        replace(list, h("div", { class: "card" }, empty("Nothing watched yet.",
          "Track an item with the form: tsmsyncd looks for it on your realms and tells you when it is up for your price.")));
        return;
      }
      const byList = new Map();
      for (const item of watch.items) {
        if (!byList.has(item.list)) byList.set(item.list, []);
        byList.get(item.list).push(item);
      }
      const named = byList.size > 1 || !byList.has("");
      const kept = new Map([...list.querySelectorAll(".watch-item")].filter((b) => editing.has(Number(b.dataset.id)))
        .map((b) => [Number(b.dataset.id), b]));
      replace(list, [...byList.entries()].map(([name, items]) => h("section", { class: "watch-group", dataset: { list: name } },
        named ? h("h2", { class: "section-title" }, name || "Not in a list") : null, items.map((item) => itemBlock(item, kept)))),
      h("p", { class: "muted small none-shown", hidden: true }, "Nothing matches the filter."));
      applyFilter();
    };
    const applyFilter = () => {
      let shown = 0;
      for (const block of list.querySelectorAll(".watch-item")) {
        const item = (watch.items || []).find((i) => i.id === Number(block.dataset.id));
        block.hidden = !item || !matches(item);
        if (!block.hidden) shown += 1;
      }
      for (const group of list.querySelectorAll(".watch-group")) group.hidden = !group.querySelector(".watch-item:not([hidden])");
      const none = list.querySelector(".none-shown");
      if (none) none.hidden = shown > 0;
    };
    const drawItem = (id) => {
      const block = list.querySelector(`.watch-item[data-id="${id}"]`);
      const item = (watch.items || []).find((i) => i.id === id);
      if (!block || !item || editing.has(id)) return;
      drawBlock(block, item);
      drawCounts();
      if (filter !== "all") applyFilter();
    };

    const alertText = (a) => {
      const item = (watch.items || []).find((i) => i.id === a.id);
      const where = a.realm === 0 ? `the ${names.region} commodity market` : names.name(a.realm);
      return [h("strong", { class: qualityClass(item && item.quality) }, item ? itemName(item) : a.item), " is up for ", money(a.cheapest),
        ` on ${where} (your price `, money(a.max_price), ")"];
    };
    const drawAlerts = async () => {
      let entries = [];
      try {
        entries = (await api.get(`/history${qs({ kind: "watch.alert", limit: 8 })}`, { signal: ctx.signal })).entries || [];
      } catch (error) {
        if (error.name !== "AbortError") replace(alertsBox, h("h2", "Alerts"), errorNotice(error, "history"));
        return;
      }
      replace(alertsBox, h("h2", "Alerts"),
        entries.length ? h("ul", { class: "alert-list" }, entries.map((e) => h("li", { class: "alert-entry" },
          h("div", e.data && e.data.cheapest ? alertText(e.data) : e.message),
          h("div", { class: "muted small", title: dateTime(e.at) }, ago(e.at))))) :
          h("p", { class: "muted" }, "None yet. An alert comes once when an item gets to your price, and again only after it went above."));
    };

    const drawForm = () => {
      const form = watchForm({ realms: names.followed, lists: lists(), signal: ctx.signal,
        onsaved: (stored, created) => {
          const known = (watch.items || []).find((i) => i.id === stored.id); // watch.rows often came first, with the name
          const name = (known && known.name) || stored.item;
          form.say("ok", created ? `Watching ${name}: checking it now.` :
            `${name} was watched already: merged (realms together, the lower price, the larger amount).`);
        } });
      replace(formBox, h("h2", "Track an item"), form.node);
    };

    const off = watch.subscribe((what, data) => {
      if (what === "items") drawList();
      else if (what === "row") drawItem(data.id);
      else if (what === "alert") drawAlerts();
    });
    find.addEventListener("input", () => { search = find.value.trim().toLowerCase(); applyFilter(); });
    show.addEventListener("change", () => { filter = show.value; applyFilter(); });

    (async () => {
      try {
        names = await followedRealms(ctx);
      } catch {
        return; // left the page
      }
      drawForm();
      try {
        await watch.load();
      } catch {
        drawList();
        return;
      }
      drawAlerts();
      // items this page load has not seen checked: look now (a fresh auction snapshot is cached, so it is quick)
      const unseen = watch.unchecked();
      if (unseen.length === watch.items.length && unseen.length) check(null);
      else for (const item of unseen.slice(0, 20)) check(item.id);
    })();
    return off;
  },
};
