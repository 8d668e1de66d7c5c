// Shared pieces of the page: state badges, notices, fields with their error, the confirmation dialog,
// toasts, copy buttons, and the summary of a merge report. Built from nodes (dom.js), never HTML text.
import { h, button, newId, clear } from "./dom.js";
import { ApiError, missingRoute } from "./api.js";
import { groupPath } from "./format.js";

export const STATES = {
  idle: "Idle", refreshing: "Refreshing", planned: "Planned", pending: "Pending", applying: "Applying",
  applied: "Applied", error: "Error", paused: "Paused",
};

export function badge(state, extra = "") {
  return h("span", { class: `badge state-${state || "idle"} ${extra}`, dataset: { state: state || "" } },
    STATES[state] || state || "—");
}

export function notice(kind, ...children) {
  const role = kind === "error" ? "alert" : "status";
  return h("div", { class: `notice ${kind}`, role }, ...children);
}

/** An error as the player should read it: the daemon's own message, as is. */
export function errorNotice(error, what = "") {
  if (missingRoute(error)) {
    return notice("warn", h("strong", "Not available in this tsmsyncd yet. "),
      what ? `This daemon does not serve ${what}; update tsmsyncd to use this page.` : "Update tsmsyncd.");
  }
  const message = error instanceof ApiError || error instanceof Error ? error.message : String(error);
  const title = error && error.code === "game_running" ? "World of Warcraft is running. " : "";
  return notice("error", title ? h("strong", title) : null, message);
}

export function loading(text = "Loading…") {
  return h("div", { class: "loading", role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), text);
}

export function empty(title, ...text) {
  return h("div", { class: "empty" }, h("p", { class: "empty-title" }, title), ...text.map((t) => h("p", t)));
}

export function section(title, ...children) {
  return h("section", { class: "card" }, title ? h("h2", title) : null, ...children);
}

export function pageHeader(title, subtitle, ...actions) {
  return h("header", { class: "page-header" },
    h("div", h("h1", title), subtitle ? h("p", { class: "subtitle" }, subtitle) : null),
    actions.length ? h("div", { class: "actions" }, ...actions) : null);
}

/** A labelled input with a help line and a slot for its error (aria-describedby points at both). */
export function field({ label, input, help, name, wide }) {
  const id = input.id || newId("in");
  input.id = id;
  if (name) input.dataset.field = name;
  const helpId = `${id}-help`, errId = `${id}-err`;
  input.setAttribute("aria-describedby", `${helpId} ${errId}`);
  return h("div", { class: `field ${wide ? "wide" : ""}`, dataset: { field: name || "" } },
    h("label", { for: id }, label),
    input,
    help ? h("p", { class: "help", id: helpId }, help) : h("span", { id: helpId, hidden: true }),
    h("p", { class: "field-error", id: errId, role: "alert", hidden: true }));
}

export function setFieldError(root, name, message) {
  const box = root.querySelector(`.field[data-field="${CSS.escape(name)}"]`);
  if (!box) return false;
  for (let up = box.closest("details:not([open])"); up; up = up.parentElement.closest("details:not([open])")) {
    up.open = true; // an error in a folded section ("Advanced", "More conditions") must be seen
  }
  const slot = box.querySelector(".field-error");
  slot.textContent = message;
  slot.hidden = false;
  box.classList.add("invalid");
  const input = box.querySelector("input, select, textarea");
  if (input) {
    input.setAttribute("aria-invalid", "true");
    input.focus();
  }
  return true;
}

export function clearFieldErrors(root) {
  for (const box of root.querySelectorAll(".field.invalid")) {
    box.classList.remove("invalid");
    const slot = box.querySelector(".field-error");
    slot.hidden = true;
    slot.textContent = "";
    const input = box.querySelector("[aria-invalid]");
    if (input) input.removeAttribute("aria-invalid");
  }
}

/** Radio buttons that look like a segmented control (arrow keys move between them, as radios do). */
export function segmented(name, options, value, onchange, { label } = {}) {
  const group = h("div", { class: "segmented", role: "radiogroup", "aria-label": label || name });
  for (const [key, text] of options) {
    const id = newId(name);
    const input = h("input", { type: "radio", name: `${name}-${id}`, id, value: key, checked: key === value,
      onchange: () => onchange(key) });
    input.dataset.value = key;
    group.append(h("span", { class: "seg" }, input, h("label", { for: id }, text)));
  }
  // the radios share one name per group so arrows move inside it
  const groupName = newId(name);
  for (const input of group.querySelectorAll("input")) input.name = groupName;
  return group;
}

/** A modal <dialog>: focus stays inside, Escape cancels. Resolves true when confirmed. */
export function confirmDialog({ title, body, confirm = "OK", cancel = "Cancel", danger = false }) {
  return new Promise((resolve) => {
    const dialog = h("dialog", { class: "dialog", "aria-labelledby": "dialog-title" });
    const done = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    const ok = button(confirm, () => done(true), { class: danger ? "danger" : "primary" });
    dialog.append(
      h("h2", { id: "dialog-title" }, title),
      h("div", { class: "dialog-body" }, ...(Array.isArray(body) ? body : [body])),
      h("div", { class: "dialog-actions" }, button(cancel, () => done(false)), ok));
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      done(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    ok.focus();
  });
}

/** A message in the corner for a few seconds (a click dismisses it). Returns its node. */
export function toast(message, kind = "ok", { seconds = 5 } = {}) {
  const region = document.getElementById("toasts");
  if (!region) return null;
  const node = h("div", { class: `toast ${kind}`, role: kind === "error" ? "alert" : "status", title: "Click to dismiss",
    onclick: () => node.remove() }, message);
  region.append(node);
  node.hideAfter = (after) => {
    clearTimeout(node.leaving);
    clearTimeout(node.gone);
    node.classList.remove("leaving");
    node.leaving = setTimeout(() => node.classList.add("leaving"), after * 1000);
    node.gone = setTimeout(() => node.remove(), after * 1000 + 600);
  };
  node.hideAfter(seconds);
  return node;
}

export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Clipboard API refused (no permission): select a temporary textarea and copy the old way
    const area = h("textarea", { class: "offscreen", readOnly: true }, text);
    document.body.append(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    return ok;
  }
}

export function copyButton(getText, label = "Copy") {
  const btn = button(label, async () => {
    const ok = await copyText(typeof getText === "function" ? getText() : getText);
    btn.textContent = ok ? "Copied ✓" : "Copy failed: select and press Ctrl+C";
    setTimeout(() => { btn.textContent = label; }, 2000);
  }, { class: "primary" });
  return btn;
}

/** What a merge did or would do, in a few lines: counts first, the lists behind a disclosure. */
export function reportSummary(report) {
  if (!report) return null;
  const box = h("div", { class: "report" });
  for (const profile of report.profiles || []) {
    const counts = [
      ["groups added", profile.groups_added], ["groups removed", profile.groups_removed],
      ["items added", profile.items_added], ["items moved", profile.items_moved],
      ["items removed", profile.items_removed], ["items skipped", profile.items_skipped],
    ].filter(([, list]) => list && list.length);
    const line = counts.length ? counts.map(([label, list]) => `${list.length} ${label}`).join(" · ") : "no changes";
    const details = h("details", { class: "report-details" },
      h("summary", `Profile ${profile.profile}: ${line}`),
      ...counts.map(([label, list]) => h("div", { class: "report-list" }, h("strong", `${label}: `),
        list.slice(0, 40).map((x) => (Array.isArray(x) ? `${x[0]} (kept in your group ${groupPath(x[1])})` :
          groupPath(x))).join(", "), list.length > 40 ? ` … and ${list.length - 40} more` : "")));
    box.append(details);
  }
  const created = report.operations_created || [], updated = report.operations_updated || [];
  if (created.length || updated.length) {
    box.append(h("p", { class: "muted small" },
      `TSM operations (${report.operations_scope || "profile"}): ${created.length} created, ${updated.length} updated`));
  }
  return box;
}

export function replaceWith(node, next) {
  clear(node);
  if (next) node.append(next);
}
