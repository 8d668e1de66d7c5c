// Search Blizzard's realm index by name (any locale, accents ignored): GET /realms/{region}?flavor=&q=.
// The daemon fetches the index from Blizzard the first time a region is asked for.
import { h, button, replace } from "./dom.js";
import { api, qs } from "./api.js";
import { errorNotice, loading } from "./ui.js";

/** A search box and its results; onpick(realm) gets {connected_realm_id, realm_id, name, ...}. */
export function realmSearch({ region, flavor = "retail", onpick, pickLabel = "Choose", signal }) {
  const input = h("input", { type: "search", placeholder: "Realm name, e.g. Kil'jaeden", autocomplete: "off",
    "aria-label": "Search realms", class: "realm-query" });
  const results = h("div", { class: "realm-results", "aria-live": "polite" });
  let timer = null, seq = 0;
  const search = async () => {
    const mine = ++seq;
    const q = input.value.trim();
    replace(results, loading("Searching realms…"));
    try {
      const answer = await api.get(`/realms/${encodeURIComponent(region())}${qs({ flavor: flavor(), q })}`, { signal });
      if (mine !== seq) return;
      // main answers connected_realms (each with its realms); the contract said realms
      const realms = answer.connected_realms || answer.realms || [];
      if (!realms.length) {
        replace(results, h("p", { class: "muted" }, q ? `No realm matches “${q}”.` : "No realms known for this region."));
        return;
      }
      replace(results, h("ul", { class: "realm-list" }, realms.slice(0, 12).map((realm) =>
        h("li", h("span", h("strong", realm.name), h("span", { class: "muted small" },
          ` · connected realm ${realm.connected_realm_id}${realm.timezone ? ` · ${realm.timezone}` : ""}`)),
        button(pickLabel, () => onpick(realm), { class: "small", dataset: { realmId: realm.connected_realm_id } })))),
        realms.length > 12 ? h("p", { class: "muted small" }, `${realms.length - 12} more: type more of the name.`) : null);
    } catch (error) {
      if (error.name === "AbortError" || mine !== seq) return;
      replace(results, errorNotice(error, "the realm index"));
    }
  };
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(search, 250);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      clearTimeout(timer);
      search();
    }
  });
  return { node: h("div", { class: "realm-search" }, input, results), search, input };
}
