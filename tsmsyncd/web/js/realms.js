// Which realms the page can show data for: the connected realms of the targets (each with its region
// and flavor), remembered between visits. A realm is named "us/retail/4" in URLs.
import { h } from "./dom.js";
import { flavorName } from "./format.js";

const KEY = "tsmsyncd.realm";
const FLAVOR_ORDER = ["retail", "classic", "classic-era"]; // retail first, and realms with merging on first

export function realmKey(region, flavor, id) {
  return `${region}/${flavor}/${id}`;
}

export function parseRealmKey(key) {
  const [region, flavor, id] = String(key || "").split("/");
  const number = Number(id);
  return region && flavor && Number.isInteger(number) ? { region, flavor, id: number } : null;
}

/** [{key, region, flavor, id, name, targets: [...]}] from the targets, in a stable order. */
export function realmChoices(targets) {
  const byKey = new Map();
  for (const target of targets || []) {
    const realm = target.realm;
    if (!realm || !realm.connected_realm_id) continue;
    const key = realmKey(realm.region, target.flavor, realm.connected_realm_id);
    if (!byKey.has(key)) {
      byKey.set(key, { key, region: realm.region, flavor: target.flavor, id: realm.connected_realm_id,
        name: realm.name || `realm ${realm.connected_realm_id}`, targets: [] });
    }
    byKey.get(key).targets.push(target);
  }
  const order = (c) => [FLAVOR_ORDER.indexOf(c.flavor), c.targets.some((t) => t.mode === "merge") ? 0 : 1];
  return [...byKey.values()].sort((a, b) => {
    const [fa, ma] = order(a), [fb, mb] = order(b);
    return fa - fb || ma - mb || a.name.localeCompare(b.name);
  });
}

export function realmLabel(choice) {
  return `${choice.name} · ${choice.region.toUpperCase()} ${flavorName(choice.flavor)}`;
}

/** The realm to show: the one asked for, else the last one shown, else the first. */
export function pickRealm(choices, asked) {
  const wanted = asked || localStorage.getItem(KEY);
  return choices.find((c) => c.key === wanted) || choices[0] || null;
}

export function rememberRealm(key) {
  localStorage.setItem(KEY, key);
}

/** A labelled <select> of the realms; calls onchange(choice). */
export function realmSelect(choices, current, onchange) {
  const select = h("select", { id: "realm-select", onchange: () => {
    const choice = choices.find((c) => c.key === select.value);
    rememberRealm(choice.key);
    onchange(choice);
  } }, choices.map((c) => h("option", { value: c.key, selected: current && c.key === current.key }, realmLabel(c))));
  return h("div", { class: "realm-picker" }, h("label", { for: "realm-select" }, "Realm"), select);
}

/** The query parameters every realm route takes besides the id. */
export function realmQuery(choice) {
  return { region: choice.region, flavor: choice.flavor };
}
