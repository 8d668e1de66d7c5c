// Market: one realm's items (GET /market-data/{realm}: search, sort by any column, a page at a time) with
// min buyout, market value, quantity and sales per day with its likely range; an item's prices over the
// last 48 hours and 60 days (GET /items/{item}/history, the hand-drawn chart), its sales estimate with its
// caveats, and the stored snapshot rows behind them (GET /market-data/{realm}/raw).
import { h, button, busy, replace } from "../dom.js";
import { api, qs } from "../api.js";
import { money, int, num, ago, dateTime, plural, qualityClass, itemClassName } from "../format.js";
import { errorNotice, loading, pageHeader, empty, notice } from "../ui.js";
import { realmChoices, pickRealm, realmSelect, realmQuery } from "../realms.js";
import { setParams } from "../router.js";
import { lineChart } from "../chart.js";

const PAGE = 50;
// column → its sort key; the first click sorts the way a player most often wants (most sold, cheapest…)
const COLUMNS = [
  { key: "name", label: "Item", first: "name" },
  { key: "min_buyout", label: "Min buyout", first: "min_buyout", num: true },
  { key: "market_value", label: "Market value", first: "-market_value", num: true },
  { key: "sold_per_day", label: "Sold / day", first: "-sold_per_day", num: true },
  { key: "quantity", label: "Quantity", first: "-quantity", num: true, cls: "col-quantity" },
];

function hourLabel(t, long) {
  return long ? t.toLocaleString(undefined, { weekday: "short", hour: "2-digit", minute: "2-digit" }) :
    t.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

function dayLabel(t) {
  return t.toLocaleDateString(undefined, { month: "short", day: "numeric" });
}

/** Sales per day as a player reads them: whole numbers once they are large, one decimal below 100. */
function dayCount(value) {
  return num(value, Math.abs(value) >= 100 ? 0 : 1);
}

/** "12.5 a day" with its likely range under it, or a dash when there is no estimate yet. */
export function perDay(sales) {
  if (!sales || sales.per_day === null || sales.per_day === undefined) return h("span", { class: "muted" }, "—");
  const range = sales.range ? h("div", { class: "muted small range", title: "The likely range" },
    `${dayCount(sales.range[0])}–${dayCount(sales.range[1])}`) : null;
  return h("span", { class: `per-day conf-${sales.confidence || "unknown"}` }, dayCount(sales.per_day), range);
}

function salesBox(sales) {
  if (!sales || sales.per_day === null || sales.per_day === undefined) {
    return notice("info", "No sales estimate yet: it needs a few hourly snapshots in a row.");
  }
  const caveats = sales.caveats || [];
  return h("div", { class: "sales" },
    h("p", h("strong", `${dayCount(sales.per_day)} sold per day`),
      sales.range ? h("span", { class: "muted" }, ` (likely ${dayCount(sales.range[0])}–${dayCount(sales.range[1])})`) : null,
      Number.isFinite(sales.sold) ? h("span", { class: "muted" }, ` · ${int(sales.sold)} seen sold over ${num(sales.window_hours, 1)} h`) : null,
      sales.confidence ? h("span", { class: `chip conf-${sales.confidence}` }, `${sales.confidence} confidence`) : null),
    h("details", { class: "caveats-box" },
      h("summary", `An estimate from the snapshots, not recorded sales${caveats.length ? `: ${caveats.length} things to know` : ""}`),
      caveats.length ? h("ul", { class: "caveats" }, caveats.map((c) => h("li", c))) :
        h("p", { class: "muted small" }, "Auctions that vanished between snapshots before they ran out count as sold.")));
}

function stats(m, value14) {
  return h("dl", { class: "market-stats" },
    h("div", h("dt", "Min buyout"), h("dd", money(m && m.min_buyout))),
    h("div", h("dt", "Market value"), h("dd", money(m && m.market_value))),
    h("div", h("dt", "14-day value"), h("dd", money(value14 ?? (m && m.market_value_14d)))),
    h("div", h("dt", "Quantity"), h("dd", m ? `${int(m.quantity)} in ${int(m.auctions)} auctions` : "—")));
}

/** The stored snapshot rows of one item, newest first, older ones a page at a time. */
function rawRows(choice, item, ctx) {
  const body = h("tbody");
  const box = h("div", { class: "raw-rows" });
  const more = button("Older rows", () => busy(more, () => load(next)), { class: "small" });
  let next = null, started = false;
  const load = async (before) => {
    try {
      const answer = await api.get(`/market-data/${choice.id}/raw${qs({ ...realmQuery(choice), item, limit: 48, before })}`, { signal: ctx.signal });
      body.append(...(answer.rows || []).map((r) => h("tr",
        h("td", { class: "when" }, dateTime(r.at)), h("td", { class: "num" }, money(r.min_buyout)),
        h("td", { class: "num" }, money(r.market_value)), h("td", { class: "num" }, int(r.quantity)),
        h("td", { class: "num" }, int(r.auctions)), h("td", { class: "num" }, r.sold === null || r.sold === undefined ? "—" : int(r.sold)))));
      next = answer.next_before;
      replace(box, body.children.length ? h("div", { class: "table-wrap" }, h("table", { class: "table raw-table" },
        h("thead", h("tr", h("th", "Snapshot"), h("th", { class: "num" }, "Min buyout"), h("th", { class: "num" }, "Market value"),
          h("th", { class: "num" }, "Quantity"), h("th", { class: "num" }, "Auctions"), h("th", { class: "num" }, "Sold"))), body)) :
        h("p", { class: "muted" }, "No stored rows for this item."), next ? h("div", { class: "button-row" }, more) : null);
    } catch (error) {
      if (error.name !== "AbortError") replace(box, errorNotice(error, "snapshot rows"));
    }
  };
  const details = h("details", { class: "raw" }, h("summary", "Snapshot rows"), box);
  details.addEventListener("toggle", () => {
    if (!details.open || started) return;
    started = true;
    replace(box, loading("Loading rows…"));
    load(null);
  });
  return details;
}

async function itemDetail(box, choice, item, ctx, onclose) {
  replace(box, loading("Loading the item's history…"));
  let hist;
  try {
    hist = await api.get(`/items/${encodeURIComponent(item)}/history${qs({ realm: choice.id, ...realmQuery(choice) })}`, { signal: ctx.signal });
  } catch (error) {
    if (error.name !== "AbortError") replace(box, errorNotice(error, "item history"));
    return;
  }
  const m = hist.market;
  const hourly = (hist.hourly || []).map((r) => ({ ...r, t: new Date(r.at) }));
  const daily = (hist.daily || []).map((r) => ({ ...r, t: new Date(`${r.day}T12:00:00Z`) }));
  const value14 = hist.value_14d ?? (m && m.market_value_14d);
  const lines = [{ key: "min_buyout", label: "Min buyout", cls: "s-buyout" }, { key: "market_value", label: "Market value", cls: "s-value" }];
  const constant = Number.isFinite(value14) ? { value: value14, label: "14-day value", cls: "s-14d" } : null;
  const width = Math.min(720, box.clientWidth - 48); // the card's room, so the chart's text keeps its size
  replace(box,
    h("div", { class: "item-head" }, button("×", onclose, { class: "icon close", label: "Close the item", title: "Close" }),
      h("h2", { class: qualityClass(m && m.quality) }, hist.name || (m && m.name) || item),
      h("p", { class: "muted" }, h("code", item), m && itemClassName(m.item_class) ? ` · ${itemClassName(m.item_class)}` : "",
        m && m.source ? ` · ${m.source}` : "")),
    stats(m, value14),
    h("h3", "Sales"), salesBox(m && m.sales),
    lineChart({ title: "Last 48 hours (hourly)", rows: hourly, xLabel: hourLabel, lines, constant, width, bars: { key: "quantity", label: "Quantity" } }),
    lineChart({ title: "Last 60 days (daily)", rows: daily, xLabel: dayLabel, lines, constant, width, bars: { key: "quantity", label: "Quantity" } }),
    rawRows(choice, item, ctx));
}

function headerCell(column, sort, onsort) {
  const active = sort.replace(/^-/, "") === column.key;
  const descending = sort.startsWith("-");
  const next = active ? (descending ? column.key : `-${column.key}`) : column.first;
  return h("th", { class: [column.num ? "num" : "", column.cls], "aria-sort": active ? (descending ? "descending" : "ascending") : null },
    h("button", { type: "button", class: "sort", onclick: () => onsort(next), dataset: { sort: column.key } },
      column.label, active ? h("span", { class: "sort-mark", "aria-hidden": "true" }, descending ? " ▼" : " ▲") : null));
}

function itemRow(it, onpick) {
  return h("tr", { dataset: { item: it.item } },
    h("td", h("button", { type: "button", class: `link ${qualityClass(it.quality)}`, onclick: () => onpick(it.item) }, it.name || it.item),
      itemClassName(it.item_class) ? h("div", { class: "muted small" }, itemClassName(it.item_class)) : null),
    h("td", { class: "num" }, money(it.min_buyout)), h("td", { class: "num" }, money(it.market_value)),
    h("td", { class: "num" }, perDay(it.sales)), h("td", { class: "num col-quantity" }, int(it.quantity)));
}

export default {
  title: "Market",
  mount(root, ctx) {
    const head = h("div");
    const query = h("input", { type: "search", placeholder: "Item name or id (e.g. Peacebloom or 2447)", "aria-label": "Find an item", value: ctx.params.q || "" });
    const listBox = h("div", { class: "card market-list" });
    const detailBox = h("div", { class: "card market-detail", hidden: true });
    const split = h("div", { class: "market-split" }, listBox, detailBox); // the table alone until an item is picked
    root.append(head, h("div", { class: "toolbar" }, query), split);
    const closeDetail = () => {
      detailBox.hidden = true;
      split.classList.remove("has-detail");
      for (const row of listBox.querySelectorAll("tr.selected")) row.classList.remove("selected");
    };
    let choice = null, timer = null, item = ctx.params.item || null, sort = ctx.params.sort || "-sold_per_day";
    let rows = null, shown = 0, total = 0;
    const remember = () => setParams({ realm: choice && choice.key, q: query.value.trim(), sort, item });
    const pick = (it) => {
      item = it;
      remember();
      for (const row of listBox.querySelectorAll("tr.selected")) row.classList.remove("selected");
      const row = listBox.querySelector(`tr[data-item="${CSS.escape(it)}"]`);
      if (row) row.classList.add("selected");
      detailBox.hidden = false;
      split.classList.add("has-detail");
      itemDetail(detailBox, choice, it, ctx, () => { item = null; remember(); closeDetail(); });
      if (matchMedia("(max-width: 900px)").matches) detailBox.scrollIntoView({ block: "start" }); // stacked: above the table
    };
    const more = button("Show more", () => busy(more, () => loadPage(shown)), { class: "small" });
    let seq = 0; // the newest list asked for: an older answer that comes late is dropped
    const fetchPage = (offset) => api.get(`/market-data/${choice.id}${qs({ ...realmQuery(choice), q: query.value.trim(), sort,
      limit: PAGE, offset })}`, { signal: ctx.signal });
    const addPage = (answer, offset) => {
      total = answer.total ?? answer.items.length;
      rows.append(...answer.items.map((it) => itemRow(it, pick)));
      shown = offset + answer.items.length;
      more.hidden = shown >= total;
    };
    const loadPage = async (offset) => addPage(await fetchPage(offset), offset);
    const loadList = async () => {
      if (!choice) return;
      const mine = ++seq;
      // while typing or sorting, the old table stays (dimmed) instead of blinking to a spinner
      if (listBox.querySelector(".market-table")) listBox.classList.add("stale");
      else replace(listBox, loading("Loading market data…"));
      try {
        const answer = await fetchPage(0);
        if (mine !== seq) return;
        listBox.classList.remove("stale");
        rows = h("tbody");
        addPage(answer, 0);
        const status = answer.status || {};
        const snapshot = status.realm_snapshot || status.commodities_snapshot || status.snapshot_time;
        const onsort = (next) => { sort = next; remember(); loadList(); };
        replace(listBox, h("h2", "Items"),
          h("p", { class: "muted small" }, `${plural(total, "item")} on ${choice.name}`, snapshot ? [" · snapshot ", ago(snapshot)] : ""),
          status.message ? notice("info", status.message) : null,
          shown ? h("div", { class: "table-wrap" }, h("table", { class: "table market-table" },
            h("thead", h("tr", COLUMNS.map((c) => headerCell(c, sort, onsort)))), rows)) :
            empty(query.value ? `Nothing matches “${query.value}”.` : "No market data yet.", query.value ? "" : "Market data arrives with the first refresh."),
          h("div", { class: "button-row" }, more));
        if (item) pick(item);
      } catch (error) {
        if (error.name === "AbortError" || mine !== seq) return;
        listBox.classList.remove("stale");
        replace(listBox, errorNotice(error, "market data"));
      }
    };
    query.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => { remember(); loadList(); }, 300); });
    query.addEventListener("keydown", (event) => {
      if (event.key !== "Enter") return;
      clearTimeout(timer);
      const text = query.value.trim();
      if (/^(i:)?\d+$/.test(text)) pick(text.startsWith("i:") ? text : `i:${text}`); // an id: straight to the item
      else { remember(); loadList(); }
    });
    const draw = () => {
      const choices = realmChoices(ctx.store.targets);
      choice = pickRealm(choices, choice ? choice.key : ctx.params.realm);
      replace(head, pageHeader("Market", "Prices, quantities and sales on your realm.",
        choices.length ? realmSelect(choices, choice, (c) => {
          choice = c;
          item = null;
          remember();
          closeDetail();
          loadList();
        }) : null));
      if (!choice) replace(listBox, empty("No realm yet.", "Finish Setup first."));
      else loadList();
    };
    draw();
    ctx.on("refresh.finished", () => loadList());
    return () => clearTimeout(timer);
  },
};
