// The watchlist's form, for a new item (POST /watchlist) and for a tracked one (PATCH /watchlist/{id}):
// the item (an id, an item string, a Wowhead link, or a name looked up), how many, the most per unit in
// gold/silver/copper, the realms (of the ones the player follows), an optional list name, and the specs
// behind "More conditions". A refusal is shown at the field the daemon names.
import { h, button, busy, replace, newId } from "../dom.js";
import { api, qs, missingRoute } from "../api.js";
import { fromCopper, qualityClass, toCopper } from "../format.js";
import { field, notice, errorNotice, setFieldError, clearFieldErrors } from "../ui.js";

const QUALITIES = [[0, "Any"], [1, "Common or better"], [2, "Uncommon or better"], [3, "Rare or better"],
  [4, "Epic or better"], [5, "Legendary"]];

/** "2447", "i:2447", "I:2447::1", a Wowhead item or battle-pet link → "i:2447" / "p:39"; null for a name. */
export function itemString(text) {
  const t = String(text || "").trim();
  let m = /^(\d+)$/.exec(t);
  if (m) return `i:${m[1]}`;
  m = /^([ip]):(\d+)/i.exec(t);
  if (m) return `${m[1].toLowerCase()}:${m[2]}`;
  m = /[/?&]item=(\d+)/i.exec(t);
  if (m) return `i:${m[1]}`;
  m = /\/battle-pet\/(\d+)/i.exec(t);
  if (m) return `p:${m[1]}`;
  return null;
}

/** Items whose name matches: GET /items?q= (by name or id), else a realm's market data; null when this
 * daemon can look up no names. */
async function findItems(text, realms, signal) {
  try {
    return (await api.get(`/items${qs({ q: text, limit: 8 })}`, { signal })).items || [];
  } catch (error) {
    if (!missingRoute(error) || !realms.length) throw error;
  }
  try {
    const answer = await api.get(`/market-data/${realms[0].id}${qs({ q: text, limit: 8, flavor: "retail" })}`, { signal });
    return answer.items || [];
  } catch (error) {
    if (missingRoute(error)) return null;
    throw error;
  }
}

/** An error's field as one of the form's: "realms[2]" → "realms", "specs.bonus_ids[0]" → "specs.bonus_ids". */
function showAt(form, error) {
  if (!error.field) return false;
  const plain = error.field.replace(/\[\d+\]$/, "");
  return [error.field, plain, plain.split(/[.[]/)[0]].some((name) => setFieldError(form, name, error.message));
}

function moneyField(copper) {
  const [g, s, c] = copper ? fromCopper(copper) : ["", "", ""];
  const part = (name, value, label, max) => h("span", { class: `coin-input ${name}` },
    h("input", { type: "number", min: 0, max, step: 1, value, inputmode: "numeric", "aria-label": label, class: name,
      placeholder: "0" }),
    h("span", { class: `coin ${name}`, "aria-hidden": "true" }, label[0]));
  const gold = part("gold", g, "gold", null), silver = part("silver", s, "silver", 99), cop = part("copper", c, "copper", 99);
  const errId = newId("price-err");
  const node = h("fieldset", { class: "field money-field", dataset: { field: "max_price" }, "aria-describedby": errId },
    h("legend", "Most you pay, per unit"), h("div", { class: "coin-inputs" }, gold, silver, cop),
    h("p", { class: "help" }, "Alerts come when a listing is at or under this."),
    h("p", { class: "field-error", id: errId, role: "alert", hidden: true }));
  const inputs = [gold, silver, cop].map((p) => p.querySelector("input"));
  const value = () => toCopper(...inputs.map((input) => input.value));
  const clear = () => inputs.forEach((input) => { input.value = ""; });
  return { node, value, clear };
}

function realmsField(realms, chosen) {
  const boxes = realms.map((realm) => {
    const input = h("input", { type: "checkbox", value: realm.id, checked: chosen.has(realm.id) });
    return { realm, input, node: h("label", { class: "check realm-check" }, input, h("span", realm.name)) };
  });
  const node = h("fieldset", { class: "field realms-field", dataset: { field: "realms" } },
    h("legend", "Realms to look on"),
    boxes.length ? h("div", { class: "realm-checks" }, boxes.map((b) => b.node)) :
      h("p", { class: "muted" }, "No realms followed yet: finish Setup, or follow realms in Settings."),
    h("p", { class: "field-error", role: "alert", hidden: true }));
  return { node, value: () => boxes.filter((b) => b.input.checked).map((b) => b.realm.id) };
}

function specsFields(specs) {
  const quality = h("select", QUALITIES.map(([k, l]) => h("option", { value: k, selected: k === (specs.min_quality || 0) }, l)));
  const ilvl = h("input", { type: "number", min: 0, max: 2000, step: 1, value: specs.min_ilvl || "", placeholder: "0" });
  const level = h("input", { type: "number", min: 0, max: 25, step: 1, value: specs.min_level || "", placeholder: "0" });
  const bonus = h("input", { type: "text", value: (specs.bonus_ids || []).join(", "), inputmode: "numeric", spellcheck: "false" });
  const node = h("details", { class: "advanced watch-specs", open: !!(specs.min_quality || specs.min_ilvl || specs.min_level || (specs.bonus_ids || []).length) },
    h("summary", "More conditions"),
    h("div", { class: "form-grid" },
      field({ label: "Quality", input: quality, name: "specs.min_quality", help: "For a battle pet, the pet's quality." }),
      field({ label: "Lowest item level", input: ilvl, name: "specs.min_ilvl" }),
      field({ label: "Lowest pet level", input: level, name: "specs.min_level", help: "Battle pets only." }),
      field({ label: "Bonus ids", input: bonus, name: "specs.bonus_ids", help: "All must be on the listing; comma-separated." })));
  const whole = (input) => (input.value === "" ? 0 : Number(input.value));
  const value = () => ({ min_quality: Number(quality.value), min_ilvl: whole(ilvl), min_level: whole(level),
    bonus_ids: bonus.value.split(/[\s,]+/).filter(Boolean).map((x) => (/^\d+$/.test(x) ? Number(x) : x)) });
  return { node, value };
}

/**
 * entry: the tracked item to edit, or null for a new one; realms: [{id, name}] to choose from; lists: the
 * list names in use; onsaved(entry, created) after the daemon stored it.
 */
export function watchForm({ entry = null, realms, lists = [], onsaved, oncancel, signal }) {
  const editing = !!entry;
  const known = new Map(realms.map((r) => [r.id, r]));
  const choices = [...realms, ...(entry ? entry.realms.filter((id) => !known.has(id)).map((id) => ({ id, name: `Realm ${id}` })) : [])];
  const item = h("input", { type: "text", value: entry ? entry.item : "", readOnly: editing, autocomplete: "off", spellcheck: "false",
    placeholder: "2447, i:2447 or Peacebloom", class: "watch-item-input" });
  const suggestions = h("div", { class: "suggestions", "aria-live": "polite" });
  const amount = h("input", { type: "number", min: 1, step: 1, value: entry ? entry.amount : 1, inputmode: "numeric" });
  const price = moneyField(entry ? entry.max_price : null);
  const realmBox = realmsField(choices, new Set(entry ? entry.realms : realms.map((r) => r.id)));
  const listId = newId("lists");
  const list = h("input", { type: "text", value: entry ? entry.list : "", list: listId, placeholder: "e.g. Raid mats", maxlength: 60 });
  const specs = specsFields((entry && entry.specs) || {});
  const out = h("div", { "aria-live": "polite" });
  const save = button(editing ? "Save" : "Track item", null, { class: "primary" });
  save.type = "submit";
  const form = h("form", { class: "form watch-form", novalidate: true, dataset: { editing: editing ? "true" : "false" } },
    editing ? null : h("div", { class: "field-with-suggestions" },
      field({ label: "Item", input: item, name: "item", help: "An item id, an item string, a Wowhead link, or a name." }), suggestions),
    h("div", { class: "form-row" },
      field({ label: "How many", input: amount, name: "amount", help: "In all, across listings." }),
      price.node),
    realmBox.node,
    field({ label: "List (optional)", input: list, name: "list", help: "Names a group of items, e.g. what one raid night needs." }),
    h("datalist", { id: listId }, lists.filter(Boolean).map((name) => h("option", { value: name }))),
    specs.node,
    h("div", { class: "button-row" }, save, oncancel ? button("Cancel", oncancel) : null),
    out);

  const pickName = (found) => {
    item.value = found.item;
    replace(suggestions, h("p", { class: "muted small" }, "Item: ", h("span", { class: qualityClass(found.quality) }, found.name || found.item)));
  };
  /** The item string to send, or null after showing why there is none (or a list to choose from). */
  const resolveItem = async () => {
    const text = item.value.trim();
    if (!text) return text; // the daemon says it is required, at its field
    const direct = itemString(text);
    if (direct) return direct;
    let found;
    try {
      found = await findItems(text, realms, signal);
    } catch (error) {
      setFieldError(form, "item", error.message);
      return null;
    }
    if (found === null) {
      setFieldError(form, "item", "Type the item's id (e.g. 2447) or item string (i:2447): this tsmsyncd cannot look names up.");
      return null;
    }
    const exact = found.filter((f) => String(f.name || "").toLowerCase() === text.toLowerCase());
    if (exact.length === 1) {
      pickName(exact[0]);
      return exact[0].item;
    }
    if (!found.length) {
      setFieldError(form, "item", `No item named “${text}” is known here: type its id instead (e.g. 2447).`);
      return null;
    }
    replace(suggestions, h("p", { class: "small" }, "Which one?"), h("ul", { class: "suggestion-list" }, found.map((f) =>
      h("li", button(h("span", { class: qualityClass(f.quality) }, f.name || f.item), () => pickName(f), { class: "link" }),
        h("span", { class: "muted small" }, ` ${f.item}`)))));
    return null;
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(save, async () => {
      clearFieldErrors(form);
      replace(out);
      const body = { amount: amount.value === "" ? null : Number(amount.value), max_price: price.value(),
        realms: realmBox.value(), list: list.value.trim(), specs: specs.value() };
      if (!editing) {
        const chosen = await resolveItem();
        if (chosen === null) return;
        body.item = chosen;
      }
      if (body.amount === null) delete body.amount;
      try {
        const stored = editing ? await api.patch(`/watchlist/${entry.id}`, body) : await api.post("/watchlist", body);
        if (!editing) { // ready for the next item; the realms and the list stay, as items often share them
          item.value = "";
          amount.value = 1;
          price.clear();
          replace(suggestions);
        }
        onsaved(stored, !editing);
      } catch (error) {
        if (error.name === "AbortError") return;
        if (!showAt(form, error)) replace(out, errorNotice(error, "the watchlist"));
      }
    });
  });
  return { node: form, focus: () => (editing ? amount : item).focus(), say: (kind, text) => replace(out, notice(kind, text)) };
}
