// Market: find an item by name or id, see its prices (min buyout, market value, 14-day value) over the
// last 48 hours and 60 days, its quantity, and the sales estimate with its caveats.
import { h, button, replace } from "../dom.js";
import { api, qs } from "../api.js";
import { money, int, num, ago } from "../format.js";
import { errorNotice, loading, pageHeader, empty, notice } from "../ui.js";
import { realmChoices, pickRealm, realmSelect, realmQuery } from "../realms.js";
import { setParams } from "../router.js";
import { lineChart } from "../chart.js";

const SORTS = [["-sold_per_day", "Most sold"], ["-market_value", "Highest value"], ["min_buyout", "Cheapest"], ["-quantity", "Most listed"]];

function hourLabel(t, long) {
  return long ? t.toLocaleString(undefined, { weekday: "short", hour: "2-digit", minute: "2-digit" }) :
    t.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

function dayLabel(t) {
  return t.toLocaleDateString(undefined, { month: "short", day: "numeric" });
}

function salesBox(sales) {
  if (!sales) return notice("info", "No sales estimate yet: it needs two snapshots in a row.");
  return h("div", { class: "sales" },
    h("p", h("strong", `${num(sales.per_day, 1)} sold per day`),
      sales.range ? h("span", { class: "muted" }, ` (likely ${num(sales.range[0], 1)}–${num(sales.range[1], 1)})`) : null,
      h("span", { class: "muted" }, ` · ${int(sales.sold)} over ${num(sales.window_hours, 1)} h`),
      sales.confidence ? h("span", { class: `chip conf-${sales.confidence}` }, `${sales.confidence} confidence`) : null),
    h("p", { class: "muted small" }, "An estimate: auctions that vanished between snapshots count as sold."),
    (sales.caveats || []).length ? h("ul", { class: "caveats" }, sales.caveats.map((c) => h("li", c))) : null);
}

function stats(m, value14) {
  return h("dl", { class: "market-stats" },
    h("div", h("dt", "Min buyout"), h("dd", money(m && m.min_buyout))),
    h("div", h("dt", "Market value"), h("dd", money(m && m.market_value))),
    h("div", h("dt", "14-day value"), h("dd", money(value14 ?? (m && m.market_value_14d)))),
    h("div", h("dt", "Quantity"), h("dd", m ? `${int(m.quantity)} in ${int(m.auctions)} auctions` : "—")));
}

async function itemDetail(box, choice, item, ctx) {
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
  replace(box,
    h("div", { class: "item-head" }, h("h2", { class: `quality-${m ? m.quality : ""}` }, hist.name || item),
      h("p", { class: "muted" }, h("code", item), m && m.item_class ? ` · ${m.item_class}` : "", m && m.source ? ` · ${m.source}` : "")),
    stats(m, value14),
    h("h3", "Sales"), salesBox(m && m.sales),
    lineChart({ title: "Last 48 hours (hourly)", rows: hourly, xLabel: hourLabel,
      lines: [{ key: "min_buyout", label: "Min buyout", cls: "s-buyout" }, { key: "market_value", label: "Market value", cls: "s-value" }],
      constant: Number.isFinite(value14) ? { value: value14, label: "14-day value", cls: "s-14d" } : null,
      bars: { key: "quantity", label: "Quantity" } }),
    lineChart({ title: "Last 60 days (daily)", rows: daily, xLabel: dayLabel,
      lines: [{ key: "min_buyout", label: "Min buyout", cls: "s-buyout" }, { key: "market_value", label: "Market value", cls: "s-value" }],
      constant: Number.isFinite(value14) ? { value: value14, label: "14-day value", cls: "s-14d" } : null,
      bars: { key: "quantity", label: "Quantity" } }));
}

function table(items, onpick) {
  return h("table", { class: "table market-table" },
    h("thead", h("tr", h("th", "Item"), h("th", { class: "num" }, "Min buyout"), h("th", { class: "num" }, "Market value"),
      h("th", { class: "num" }, "Quantity"), h("th", { class: "num" }, "Sold / day"))),
    h("tbody", items.map((it) => h("tr", { dataset: { item: it.item } },
      h("td", h("button", { type: "button", class: `link quality-${it.quality}`, onclick: () => onpick(it.item) }, it.name || it.item)),
      h("td", { class: "num" }, money(it.min_buyout)), h("td", { class: "num" }, money(it.market_value)),
      h("td", { class: "num" }, int(it.quantity)), h("td", { class: "num" }, it.sales ? num(it.sales.per_day, 1) : "—")))));
}

export default {
  title: "Market",
  mount(root, ctx) {
    const head = h("div");
    const query = h("input", { type: "search", placeholder: "Item name or id (e.g. Peacebloom or 2447)", "aria-label": "Find an item", value: ctx.params.q || "" });
    const sort = h("select", { "aria-label": "Sort" }, SORTS.map(([k, l]) => h("option", { value: k }, l)));
    const listBox = h("div", { class: "card market-list" });
    const detailBox = h("div", { class: "card market-detail" }, empty("Choose an item.", "Search by name or id, or pick one from the list."));
    root.append(head, h("div", { class: "toolbar" }, query, sort), h("div", { class: "split market" }, listBox, detailBox));
    let choice = null, timer = null, item = ctx.params.item || null;
    const pick = (it) => {
      item = it;
      setParams({ realm: choice.key, item: it });
      for (const row of listBox.querySelectorAll("tr.selected")) row.classList.remove("selected");
      const row = listBox.querySelector(`tr[data-item="${CSS.escape(it)}"]`);
      if (row) row.classList.add("selected");
      itemDetail(detailBox, choice, it, ctx);
    };
    const loadList = async () => {
      if (!choice) return;
      replace(listBox, loading("Loading market data…"));
      try {
        const answer = await api.get(`/market-data/${choice.id}${qs({ ...realmQuery(choice), q: query.value.trim(), sort: sort.value, limit: 50 })}`,
          { signal: ctx.signal });
        replace(listBox, h("h2", "Items"),
          h("p", { class: "muted small" }, `${int(answer.total)} items on ${answer.realm || choice.name}`,
            answer.status && answer.status.snapshot_time ? [" · snapshot ", ago(answer.status.snapshot_time)] : ""),
          answer.items.length ? table(answer.items, pick) : empty(query.value ? `Nothing matches “${query.value}”.` : "No market data yet.",
            "Market data arrives with the first refresh."));
        if (item) pick(item);
      } catch (error) {
        if (error.name !== "AbortError") replace(listBox, errorNotice(error, "market data"));
      }
    };
    query.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(loadList, 300); });
    query.addEventListener("keydown", (event) => {
      if (event.key !== "Enter") return;
      clearTimeout(timer);
      const text = query.value.trim();
      if (/^(i:)?\d+$/.test(text)) pick(text.startsWith("i:") ? text : `i:${text}`); // an id: straight to the item
      else loadList();
    });
    sort.addEventListener("change", loadList);
    const draw = () => {
      const choices = realmChoices(ctx.store.targets);
      choice = pickRealm(choices, choice ? choice.key : ctx.params.realm);
      replace(head, pageHeader("Market", "Prices, quantities and sales on your realm.",
        choices.length ? realmSelect(choices, choice, (c) => { choice = c; setParams({ realm: c.key }); loadList(); }) : null));
      if (!choice) replace(listBox, empty("No realm yet.", "Finish Setup first."));
      else loadList();
    };
    draw();
    ctx.on("refresh.finished", () => loadList());
    return () => clearTimeout(timer);
  },
};
