// Groups: the GroupSet tsmsyncd made for one realm, as a tree with counts; why each item matched (the
// rules' preview); what changed since the last version; the import string in both formats; and apply /
// undo for the targets on that realm.
import { h, button, busy, replace } from "../dom.js";
import { api, qs, missingRoute } from "../api.js";
import { ago, groupPath, int, moneyText, num, plural } from "../format.js";
import { notice, errorNotice, loading, pageHeader, empty, segmented, copyButton, section, badge } from "../ui.js";
import { realmChoices, pickRealm, realmSelect, realmQuery, rememberRealm } from "../realms.js";
import { setParams, href } from "../router.js";
import { applyButtons } from "./targets.js";

const key = (path) => (path || []).join("`");

/** The groups as nested nodes: {name, path, items, children, total}. */
export function buildTree(groups) {
  const root = { name: "", path: [], items: [], children: new Map(), total: 0 };
  for (const group of groups || []) {
    let node = root;
    for (const [i, name] of group.path.entries()) {
      if (!node.children.has(name)) {
        node.children.set(name, { name, path: group.path.slice(0, i + 1), items: [], children: new Map(), total: 0 });
      }
      node = node.children.get(name);
    }
    node.items = group.items || [];
    node.operations = group.operations || {};
  }
  const count = (node) => {
    node.total = node.items.length + [...node.children.values()].reduce((n, c) => n + count(c), 0);
    return node.total;
  };
  count(root);
  return root;
}

function treeView(root, rootName, selected, onselect) {
  const item = (node, depth) => {
    const isSelected = key(node.path) === selected;
    const label = h("button", { type: "button", class: `tree-node ${isSelected ? "selected" : ""}`,
      "aria-current": isSelected ? "true" : null, dataset: { path: key(node.path) }, onclick: () => onselect(key(node.path)) },
    h("span", { class: "tree-name" }, node.name || rootName),
    h("span", { class: "count", title: `${plural(node.items.length, "item")} here, ${int(node.total)} with its subgroups` },
      int(node.total)));
    const kids = [...node.children.values()];
    return h("li", label, kids.length ? h("ul", kids.map((c) => item(c, depth + 1))) : null);
  };
  return h("ul", { class: "tree", "aria-label": "Groups" }, item(root, 0));
}

function findNode(root, path) {
  let node = root;
  for (const name of path ? path.split("`") : []) {
    node = node.children.get(name);
    if (!node) return null;
  }
  return node;
}

const METRIC_LABELS = {
  min_buyout: "min buyout", market_value: "market value", market_value_14d: "14-day value", sold_per_day: "sold/day",
  region_market: "region market", vendor_sell: "vendor price", item_class: "class", item_subclass: "subclass",
};
const MONEY = new Set(["min_buyout", "market_value", "market_value_14d", "region_market", "vendor_sell"]);

/** The metrics that made an item match, as a line ("sold_per_day 24 · min_buyout 21g 56s 76c"). main
 * sends them as an object; the contract said a sentence: either is shown. */
export function whyText(why) {
  if (!why || typeof why !== "object") return why || "";
  return Object.entries(why).map(([name, value]) => {
    const label = METRIC_LABELS[name] || name.replaceAll("_", " ");
    if (MONEY.has(name) && Number.isFinite(value)) return `${label} ${moneyText(value)}`;
    if (name === "discount" && Number.isFinite(value)) return `${label} ${Math.round(value * 100)}%`;
    return `${label} ${typeof value === "number" ? num(value, 2) : value}`;
  }).join(" · ");
}

function detail(node, rootName, whyByGroup, rules, realm) {
  if (!node) return empty("Choose a group.");
  const why = whyByGroup.get(key(node.path));
  const rule = rules.get(key(node.path));
  const ruleName = (why && why.rule) || (node.path.length ? node.path[0] : null);
  const reasons = new Map((why ? why.items : []).map((i) => [i.item, i]));
  const ops = Object.entries(node.operations || {}).map(([module, names]) => `${module}: ${[].concat(names).join(", ")}`);
  return h("div", { class: "group-detail" },
    h("h3", groupPath([rootName, ...node.path])),
    ruleName ? h("p", { class: "muted" }, "Made by the rule ", h("a", { href: href("rules", { rule: ruleName }) }, ruleName),
      rule && rule.where ? [": ", h("code", rule.where)] : null,
      rule && Number.isFinite(rule.matched) ? ` · ${int(rule.matched)} matched now` : null) : null,
    ops.length ? h("p", { class: "muted small" }, `TSM operations: ${ops.join(" · ")}`) : null,
    node.items.length ? h("div", { class: "table-scroll" }, h("table", { class: "table items" },
      h("thead", h("tr", h("th", "Item"), h("th", "Why it is here"))),
      h("tbody", node.items.map((item) => {
        const r = reasons.get(item);
        // the name opens the item's prices on the Market page
        return h("tr", h("td", h("a", { class: "item-name", href: href("market", { realm, item }), title: "Prices and sales" },
          (r && r.name) || item), " ", h("code", { class: "muted" }, item)),
          h("td", r ? whyText(r.why) : h("span", { class: "muted" }, "kept from the last version (an item leaves after two misses)")));
      })))) : h("p", { class: "muted" }, node.children.size ? "No items directly here; see the subgroups." : "No items matched this group's rule right now."));
}

function diffView(diff) {
  if (!diff) return null;
  const changed = (diff.changes || diff.groups || []).filter((g) => (g.added || []).length || (g.removed || []).length);
  return section(`Changes since version ${diff.previous ?? "—"}`,
    !changed.length ? h("p", { class: "muted" }, diff.previous ? "No item changed." : "This is the first version.") :
      h("ul", { class: "diff" }, changed.map((g) => h("li", h("strong", groupPath(g.path)), " ",
        (g.added || []).length ? h("span", { class: "added" }, `+${g.added.length}`) : null, " ",
        (g.removed || []).length ? h("span", { class: "removed" }, `−${g.removed.length}`) : null,
        h("details", h("summary", "items"), h("p", { class: "small" },
          (g.added || []).length ? `added: ${g.added.join(", ")}` : "", (g.removed || []).length ? ` removed: ${g.removed.join(", ")}` : ""))))));
}

function importString(choice, ctx) {
  const text = h("textarea", { class: "import-string", readOnly: true, rows: 4, "aria-label": "Import string", spellcheck: "false" });
  const meta = h("p", { class: "muted small" });
  const copy = copyButton(() => text.value, "Copy to clipboard");
  let format = "tsm";
  const load = async () => {
    text.value = "Loading…";
    try {
      const answer = await api.get(`/import-string/${choice.id}${qs({ format, ...realmQuery(choice) })}`, { signal: ctx.signal });
      text.value = answer.string;
      meta.textContent = `Groups version ${answer.version ?? "?"} · ${int(answer.string.length)} characters`;
    } catch (error) {
      if (error.name !== "AbortError") text.value = error.message;
    }
  };
  const pick = segmented("format", [["tsm", "TSM import string"], ["list", "Plain list"]], format, (value) => {
    format = value;
    load();
  }, { label: "Import string format" });
  load();
  return section("Import string",
    h("p", "Paste it into TSM: ", h("em", "Groups → Import/Export → Import"), ". The TSM format brings the operations too; " +
      "the plain list only the groups and items."),
    pick, text, h("div", { class: "button-row" }, copy, meta));
}

function applyCard(choice, ctx) {
  const targets = choice.targets;
  return section("Apply to your TSM files",
    h("p", { class: "muted" }, "Targets with merging on get new groups by themselves when the game is closed. Apply now does it at once; " +
      "undo puts the file back as it was before the last apply."),
    targets.map((t) => h("div", { class: "apply-target", dataset: { targetId: t.id } },
      h("div", { class: "apply-target-head" }, h("strong", `${t.account} · ${t.profile}`), " ", badge(t.state),
        t.mode !== "merge" ? h("span", { class: "chip" }, t.mode === "string" ? "import strings only" : "off") : null),
      t.reason ? h("p", { class: "muted small" }, t.reason) : null,
      applyButtons(t, ctx))));
}

export default {
  title: "Groups",
  mount(root, ctx) {
    const head = h("div");
    const body = h("div", { class: "groups" }, loading());
    root.append(head, body);
    let choice = null, selected = "";
    const draw = async () => {
      const choices = realmChoices(ctx.store.targets);
      choice = pickRealm(choices, choice ? choice.key : ctx.params.realm);
      replace(head, pageHeader("Groups", "What tsmsyncd puts into TSM, and why.",
        choices.length ? realmSelect(choices, choice, (c) => { choice = c; setParams({ realm: c.key }); draw(); }) : null));
      if (!choice) {
        replace(body, empty("No realm yet.", "Groups are made per connected realm; tsmsyncd learns yours from your targets (see Setup)."));
        return;
      }
      rememberRealm(choice.key);
      replace(body, loading("Loading groups…"));
      const q = qs(realmQuery(choice));
      let groupset;
      try {
        groupset = await api.get(`/groups/${choice.id}${q}`, { signal: ctx.signal });
      } catch (error) {
        if (error.name === "AbortError") return;
        replace(body, error.status === 404 && !missingRoute(error) ?
          empty("No groups for this realm yet.", "They are made after the first refresh with market data; try Refresh now.") :
          errorNotice(error, "groups"), applyCard(choice, ctx));
        return;
      }
      const [preview, diff] = await Promise.all([
        api.get(`/groups/${choice.id}/preview${q}`, { signal: ctx.signal }).catch(() => null),
        api.get(`/groups/${choice.id}/diff${q}`, { signal: ctx.signal }).catch(() => null)]);
      const whyByGroup = new Map(((preview && preview.groups) || []).map((g) => [key(g.path), g]));
      const rules = new Map(((preview && preview.report && preview.report.groups) || []).map((g) => [key(g.path), g]));
      const tree = buildTree(groupset.groups);
      const rootName = groupset.root || "TSM Sync";
      const meta = groupset.meta || {};
      const detailBox = h("div", { class: "card detail-card" });
      const treeBox = h("div");
      const select = (path) => {
        selected = path;
        replace(treeBox, treeView(tree, rootName, selected, select));
        replace(detailBox, detail(findNode(tree, selected), rootName, whyByGroup, rules, choice.key));
      };
      replace(body,
        h("p", { class: "muted" }, `Version ${meta.version ?? "?"} of ${meta.versions ?? "?"} · made `, ago(groupset.generated_at),
          ` · ${plural(tree.total, "item")} in ${plural((groupset.groups || []).length, "group")}`),
        h("div", { class: "split" }, h("div", { class: "card tree-card" }, h("h2", "Groups"), treeBox), detailBox),
        diffView(diff),
        h("div", { class: "split even" }, importString(choice, ctx), applyCard(choice, ctx)));
      select(findNode(tree, selected) ? selected : "");
    };
    ctx.on("groups.generated", () => draw());
    draw();
  },
};
