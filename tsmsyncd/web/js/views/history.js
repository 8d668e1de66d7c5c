// History: what tsmsyncd did, newest first, a page at a time (GET /history?before=), filtered by target
// or kind. The first page follows new events live.
import { h, button, busy, replace } from "../dom.js";
import { api, qs } from "../api.js";
import { ago, fileLabel, flavorName, parseTime } from "../format.js";
import { watch } from "../watch.js";

function shortDate(value) {
  const when = parseTime(value);
  return when ? when.toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" }) : "—";
}
import { errorNotice, loading, pageHeader, empty } from "../ui.js";
import { setParams } from "../router.js";

const PAGE = 50;
// db/history.py Kind
const KINDS = [["refresh", "Refreshes"], ["refresh.failed", "Failed refreshes"], ["groups", "New groups"],
  ["planned", "Planned"], ["pending", "Pending"], ["applied", "Applied"], ["apply.failed", "Failed applies"],
  ["undone", "Undone"], ["backup", "Backups"], ["job.failed", "Failed jobs"], ["job.missed", "Missed jobs"],
  ["daemon", "Daemon"], ["watch.alert", "Watch alerts"]];

export default {
  title: "History",
  mount(root, ctx) {
    const target = h("select", { "aria-label": "Target" }, h("option", { value: "" }, "All targets"),
      (ctx.store.targets || []).map((t) => h("option", { value: t.id, selected: t.id === ctx.params.target }, `${t.account} · ${t.profile}`)));
    const kind = h("select", { "aria-label": "Kind" }, h("option", { value: "" }, "Everything"),
      KINDS.map(([k, label]) => h("option", { value: k, selected: k === ctx.params.kind }, label)));
    const rows = h("tbody");
    const body = h("div", { class: "card" }, loading());
    const more = button("Show older", () => busy(more, () => load(next)), { class: "small" });
    root.append(pageHeader("History", "Everything tsmsyncd did, newest first."),
      h("div", { class: "toolbar" }, target, kind), body);
    let next = null, timer = null;
    const targets = ctx.store.targets || [];
    const names = new Map(targets.map((t) => [t.id, `${t.account} · ${t.profile}`]));
    // the daemon names files by their full path: say whose file it is instead
    const files = [...new Map(targets.map((t) => [t.file, `${fileLabel(t.file)}'s TradeSkillMaster.lua`])).entries()]
      .sort((a, b) => b[0].length - a[0].length);
    // …and realms by their names: "us/12" → "Silver Hand", "us/classic-era/12" → "Silver Hand (Classic Era)"
    const realms = new Map();
    for (const t of targets) {
      if (!t.realm) continue;
      const key = `${t.realm.region}/${t.flavor === "retail" ? "" : `${t.flavor}/`}${t.realm.connected_realm_id}`;
      realms.set(key, t.flavor === "retail" ? t.realm.name : `${t.realm.name} (${flavorName(t.flavor)})`);
    }
    const retail = new Map(targets.filter((t) => t.realm && t.flavor === "retail").map((t) => [String(t.realm.connected_realm_id), t.realm.name]));
    const items = new Map((watch.items || []).filter((i) => i.name).map((i) => [i.item, i.name])); // watch alerts name items by id
    const named = (text) => text
      .replace(/\b([a-z]{2})\/(?:(classic-era|classic)\/)?(\d+)\b/g, (whole) => realms.get(whole) || whole)
      .replace(/\bon realm (\d+)\b/g, (whole, id) => (retail.has(id) ? `on ${retail.get(id)}` : whole))
      .replace(/\b[ip]:\d+\b/g, (whole) => items.get(whole) || whole);
    const shorten = (text) => named(files.reduce((acc, [path, label]) => acc.split(path).join(label), String(text || "")));
    const row = (e) => h("tr", { dataset: { id: e.id, kind: e.kind } },
      h("td", { class: "when" }, shortDate(e.at), h("div", { class: "muted small" }, ago(e.at))),
      h("td", { class: "kind" }, h("span", { class: `chip kind-${String(e.kind).replace(".", "-")}` }, e.kind)),
      h("td", { class: "target" }, e.target_id ? names.get(e.target_id) || e.target_id : h("span", { class: "muted" }, "—")),
      h("td", { class: "what", title: e.message }, shorten(e.message)));
    const load = async (before = null) => {
      try {
        const answer = await api.get(`/history${qs({ limit: PAGE, before, target: target.value, kind: kind.value })}`, { signal: ctx.signal });
        if (before === null) replace(rows);
        rows.append(...(answer.entries || []).map(row));
        next = answer.next_before;
        replace(body, rows.children.length ? h("div", { class: "table-wrap" }, h("table", { class: "table history" },
          h("thead", h("tr", h("th", "When"), h("th", "Kind"), h("th", "Target"), h("th", "What happened"))), rows)) :
          empty("Nothing yet.", "Refreshes, applies and restores appear here."), next ? h("div", { class: "button-row" }, more) : null);
      } catch (error) {
        if (error.name !== "AbortError") replace(body, errorNotice(error, "history"));
      }
    };
    const reset = () => {
      setParams({ target: target.value, kind: kind.value });
      load();
    };
    target.addEventListener("change", reset);
    kind.addEventListener("change", reset);
    ctx.on("*", (event) => {
      if (event.type === "status" || event.type === "progress" || event.type.startsWith("watch.")) return;
      if (rows.children.length > PAGE) return; // reading older pages: do not move them
      clearTimeout(timer);
      timer = setTimeout(() => load(), 500);
    });
    load();
    return () => clearTimeout(timer);
  },
};
