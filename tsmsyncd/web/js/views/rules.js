// Rules: the criteria groups are made from. Edit one with live validation (POST /rules/check while
// typing; an error points at its character), enable or disable, reorder, start from a template.
import { h, button, busy, replace } from "../dom.js";
import { api } from "../api.js";
import { field, notice, errorNotice, loading, pageHeader, empty, confirmDialog, toast, setFieldError, clearFieldErrors } from "../ui.js";
import { setParams } from "../router.js";

const METRICS = "min_buyout, market_value, market_value_14d, quantity, auctions, sold_per_day, region_market, discount, " +
  "vendor_sell, quality, item_class, item_subclass, name";

/** The text with the character at `position` marked, and a caret line under it. */
export function pointAt(text, position) {
  const at = Math.max(0, Math.min(position, text.length));
  const lineStart = text.lastIndexOf("\n", at - 1) + 1;
  const lineEnd = text.indexOf("\n", at) === -1 ? text.length : text.indexOf("\n", at);
  // a window around the position, so the mark is in view however long the line is
  const from = Math.max(lineStart, at - 40), to = Math.min(lineEnd, at + 30);
  const line = `${from > lineStart ? "…" : ""}${text.slice(from, to)}${to < lineEnd ? "…" : ""}`;
  const col = at - from + (from > lineStart ? 1 : 0);
  return h("pre", { class: "pointer", "aria-label": `error at character ${at + 1}` },
    line.slice(0, col), h("mark", line.slice(col, col + 1) || " "), line.slice(col + 1), "\n",
    " ".repeat(col), h("span", { class: "caret" }, "^"), ` character ${at + 1}`);
}

/** The form field an error names. main says "where" (for {where}) or "rule.criteria.where"; the contract
 * said "criteria.where"; a save may say "doc.…". */
export function fieldName(field) {
  if (!field) return null;
  const bare = field.replace(/^(rule|doc)\./, "");
  return bare === "where" ? "criteria.where" : bare;
}

function jsonArea(value, rows = 6) {
  return h("textarea", { class: "code", rows, spellcheck: "false", value: JSON.stringify(value ?? {}, null, 2) });
}

function editor(ctx, rule, { isNew, onsaved, ondeleted, message = null }) {
  const doc = rule.doc || rule;
  const criteria = doc.criteria || {};
  const name = h("input", { type: "text", value: doc.name || "", readOnly: !isNew });
  const where = h("textarea", { class: "code where", rows: 4, spellcheck: "false", value: criteria.where || "" });
  const sort = h("input", { type: "text", value: criteria.sort || "", placeholder: "-sold_per_day" });
  const limit = h("input", { type: "number", min: 1, step: 1, value: criteria.limit ?? "" });
  const realms = h("input", { type: "text", value: (criteria.realms || []).join(", "), placeholder: "all realms" });
  const enabled = h("input", { type: "checkbox", checked: rule.enabled !== false });
  const subgroups = jsonArea(doc.subgroups || [], 6);
  const operations = jsonArea(doc.operations || {}, 3);
  const settings = jsonArea(doc.operation_settings || {}, 6);
  const check = h("div", { class: "check-result", "aria-live": "polite" });
  const out = h("div", { "aria-live": "polite" }, message);
  const form = h("form", { class: "form rule-editor", novalidate: true });

  const readJson = (area, label) => {
    try {
      return JSON.parse(area.value || "null");
    } catch (error) {
      throw Object.assign(new Error(`${label} is not valid JSON: ${error.message}`), { field: label });
    }
  };
  const build = () => {
    const built = { name: name.value.trim(), criteria: { where: where.value } };
    if (sort.value.trim()) built.criteria.sort = sort.value.trim();
    if (limit.value !== "") built.criteria.limit = Number(limit.value);
    const ids = realms.value.split(/[\s,]+/).filter(Boolean).map(Number);
    if (ids.length) built.criteria.realms = ids;
    built.subgroups = readJson(subgroups, "subgroups");
    built.operations = readJson(operations, "operations");
    built.operation_settings = readJson(settings, "operation_settings");
    return built;
  };
  const showErrors = (errors) => {
    clearFieldErrors(form);
    if (!errors.length) {
      replace(check, h("p", { class: "valid" }, "✓ Valid"));
      return;
    }
    const nodes = [];
    for (const error of errors) {
      const name = fieldName(error.field);
      if (name === "criteria.where" && typeof error.position === "number") {
        const at = error.position;
        const show = button("Show it in the text", () => {
          where.focus();
          where.setSelectionRange(at, Math.min(at + 1, where.value.length));
        }, { class: "small" });
        nodes.push(h("div", { class: "where-error", dataset: { position: at } },
          h("p", { class: "error-text" }, error.message), pointAt(where.value, at), show));
      } else nodes.push(h("p", { class: "error-text" }, error.field ? h("code", error.field) : null, error.field ? ": " : "", error.message));
      const box = form.querySelector(`.field[data-field="${CSS.escape(name || "")}"]`);
      if (box) box.classList.add("invalid");
    }
    replace(check, ...nodes);
  };
  // The rule the form describes, or null once the form has shown why it describes none.
  const buildOrShow = () => {
    try {
      return build();
    } catch (error) {
      showErrors([{ field: error.field, message: error.message }]);
      return null;
    }
  };
  let timer = null, seq = 0;
  const validate = async () => {
    const mine = ++seq;
    const built = buildOrShow();
    if (!built) return;
    try {
      const answer = await api.post("/rules/check", built, { signal: ctx.signal });
      if (mine === seq) showErrors(answer.valid ? [] : answer.errors || []);
    } catch (error) {
      if (error.name !== "AbortError" && mine === seq) replace(check, errorNotice(error, "rule checks"));
    }
  };
  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(validate, 300);
  };
  for (const input of [where, sort, limit, realms, subgroups, operations, settings, name]) input.addEventListener("input", later);

  const save = button(isNew ? "Create rule" : "Save rule", null, { class: "primary" });
  save.type = "submit";
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(save, async () => {
      replace(out);
      const built = buildOrShow();
      if (!built) return;
      try {
        const saved = isNew ? await api.post("/rules", built) : await api.put(`/rules/${encodeURIComponent(doc.name)}`,
          { doc: built, enabled: enabled.checked });
        if (isNew && !enabled.checked) await api.put(`/rules/${encodeURIComponent(built.name)}`, { enabled: false });
        onsaved((saved && saved.name) || built.name,
          notice("ok", "Saved. The groups are made again at the next refresh (or press Refresh now)."));
      } catch (error) {
        if (!error.field || !setFieldError(form, fieldName(error.field), error.message)) replace(out, errorNotice(error, "rules"));
        validate();
      }
    });
  });
  const remove = isNew ? null : button("Delete rule", async () => {
    const ok = await confirmDialog({ title: `Delete the rule “${doc.name}”?`, danger: true, confirm: "Delete",
      body: h("p", "Its groups disappear from TSM at the next apply. A template can bring it back.") });
    if (!ok) return;
    try {
      await api.del(`/rules/${encodeURIComponent(doc.name)}`);
      toast(`Deleted ${doc.name}`);
      ondeleted();
    } catch (error) {
      replace(out, errorNotice(error));
    }
  }, { class: "danger ghost" });

  form.append(
    h("div", { class: "form-grid" },
      field({ label: "Name", input: name, name: "name", help: isNew ? "Also the group's name in TSM." : "The group's name in TSM." }),
      h("label", { class: "check" }, enabled, " Enabled")),
    field({ label: "Where (which items)", input: where, name: "criteria.where", wide: true,
      help: `Like a TSM price: money as 1g50s, percentages as 30%, and/or/not, in [...]. Metrics: ${METRICS}.` }),
    check,
    h("div", { class: "form-grid three" },
      field({ label: "Sort by", input: sort, name: "criteria.sort", help: "A metric; − first for highest first." }),
      field({ label: "At most", input: limit, name: "criteria.limit", help: "Items in this group." }),
      field({ label: "Only on realms", input: realms, name: "criteria.realms", help: "Connected realm ids; empty = all." })),
    h("details", { class: "advanced" }, h("summary", "Subgroups and TSM operations (JSON)"),
      field({ label: "Subgroups", input: subgroups, name: "subgroups", wide: true }),
      field({ label: "Operations per TSM module", input: operations, name: "operations", wide: true, help: '{"Shopping": "Flip Buy"}' }),
      field({ label: "Operation settings", input: settings, name: "operation_settings", wide: true,
        help: "TSM's own field names; missing ones take TSM's defaults." })),
    h("div", { class: "button-row" }, save, remove), out);
  validate();
  return form;
}

function ruleList(answer, current, { onselect, onchanged }) {
  const rules = answer.rules || [];
  const move = (rule, by) => async () => {
    try {
      await api.put(`/rules/${encodeURIComponent(rule.name)}`, { position: rule.position + by });
      onchanged();
    } catch (error) {
      toast(error.message, "error");
    }
  };
  return h("div", { class: "rule-list" },
    h("ul", { class: "list" }, rules.map((rule, i) => {
      const toggle = h("input", { type: "checkbox", checked: rule.enabled, "aria-label": `Enable ${rule.name}`,
        onchange: async () => {
          try {
            await api.put(`/rules/${encodeURIComponent(rule.name)}`, { enabled: toggle.checked });
            toast(`${rule.name} ${toggle.checked ? "enabled" : "disabled"}`);
            onchanged();
          } catch (error) {
            toggle.checked = !toggle.checked;
            toast(error.message, "error");
          }
        } });
      return h("li", { class: `rule-item ${rule.name === current ? "selected" : ""} ${rule.enabled ? "" : "disabled"}`, dataset: { rule: rule.name } },
        toggle,
        h("button", { type: "button", class: "link rule-name", onclick: () => onselect(rule.name), "aria-current": rule.name === current ? "true" : null }, rule.name),
        h("span", { class: "reorder" },
          button("↑", move(rule, -1), { class: "icon", label: `Move ${rule.name} up`, disabled: i === 0 }),
          button("↓", move(rule, 1), { class: "icon", label: `Move ${rule.name} down`, disabled: i === rules.length - 1 })));
    })),
    (answer.broken || []).length ? h("div", { class: "broken" }, h("h3", "Rules that could not be read"),
      answer.broken.map((b) => notice("error", h("strong", `${b.name}: `), b.error))) : null);
}

export default {
  title: "Rules",
  mount(root, ctx) {
    const list = h("div", { class: "card" }, loading());
    const edit = h("div", { class: "card" });
    const newButton = button("New rule", () => { current = null; drawEditor({ name: "", criteria: { where: "" } }, true); });
    root.append(pageHeader("Rules", "Which items go into which group. Earlier rules win when an item matches several.", newButton),
      h("div", { class: "split rules" }, list, edit));
    let answer = null, current = ctx.params.rule || null;
    const drawEditor = (rule, isNew = false, message = null) => {
      replace(edit, h("h2", isNew ? "New rule" : rule.name),
        editor(ctx, rule, { isNew, message, onsaved: (name, saved) => { current = name; load(saved); },
          ondeleted: () => { current = null; load(); } }));
    };
    const drawList = () => {
      replace(list, h("h2", "Your rules"), ruleList(answer, current, {
        onselect: (name) => { current = name; setParams({ rule: name }); drawList(); drawEditor(answer.rules.find((r) => r.name === name)); },
        onchanged: load }),
      (answer.templates || []).length ? h("div", { class: "templates" }, h("h3", "Start from a template"),
        h("ul", { class: "list" }, answer.templates.map((t) => h("li", h("span", t.name),
          button("Use", () => { current = null; drawList(); drawEditor({ ...t, name: answer.rules.some((r) => r.name === t.name) ? `${t.name} 2` : t.name }, true); },
            { class: "small", label: `Use the template ${t.name}` }))))) : null);
    };
    const load = async (message = null) => {
      try {
        answer = await api.get("/rules", { signal: ctx.signal });
      } catch (error) {
        if (error.name !== "AbortError") replace(list, errorNotice(error, "rules"));
        return;
      }
      drawList();
      const rule = answer.rules.find((r) => r.name === current) || answer.rules[0];
      if (rule) {
        current = rule.name;
        drawList();
        drawEditor(rule, false, message);
      } else replace(edit, empty("No rules.", "Start from a template, or make a new rule."));
    };
    load();
  },
};
