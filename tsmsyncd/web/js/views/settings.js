// Settings: every setting GET /settings shows, each with its label, help and check; PATCH sends only what
// changed, and a refusal is shown at its field. Credentials change through the live check (Setup's form).
import { h, button, busy, replace } from "../dom.js";
import { api } from "../api.js";
import { field, notice, errorNotice, loading, pageHeader, setFieldError, clearFieldErrors, section } from "../ui.js";
import { credentialsForm, REGIONS } from "./setup.js";

const FLAVOR_OPTIONS = [["retail", "Retail"], ["classic", "Classic"], ["classic-era", "Classic Era"]];

// name → how it is edited; settings the daemon adds later are edited by their JSON type
const KNOWN = {
  region: { label: "Region", kind: "select", options: REGIONS, help: "Blizzard's region of your realms." },
  flavor: { label: "Game flavor", kind: "select", options: FLAVOR_OPTIONS, help: "The client whose realm index is used by default." },
  realms: { label: "Extra realms to follow", kind: "ids", help: "Connected realm ids, comma-separated. Your targets' realms are followed anyway." },
  wow_roots: { label: "Install folders", kind: "lines", help: "World of Warcraft folders to look in besides the ones found by themselves; one per line." },
  quiet_seconds: { label: "Quiet time before applying (seconds)", kind: "number", min: 0, max: 600, step: 0.5,
    help: "How long a file must stay unchanged after the game closes before tsmsyncd writes to it." },
  watch_seconds: { label: "Game check interval (seconds)", kind: "number", min: 0.2, max: 60, step: 0.1,
    help: "How often tsmsyncd looks whether World of Warcraft is still running." },
  api_url: { label: "Blizzard API address", kind: "text", advanced: true, help: "Leave as it is unless you test against another server; {region} is replaced." },
  oauth_url: { label: "Blizzard login address", kind: "text", advanced: true, help: "Where API tokens come from." },
  update_check: { label: "Look for updates", kind: "tri", options: [["", "Automatic"], ["true", "Daily"], ["false", "Never"]],
    help: "Automatic: daily for the one-folder app, never for a pip install (pip updates it)." },
  update_channel: { label: "Update channel", kind: "select", options: [["stable", "Stable"], ["beta", "Beta (pre-releases)"]],
    help: "Which releases an update check looks for." },
  update_url: { label: "Release site", kind: "text", advanced: true, help: "Where signed releases are looked for (https only)." },
};
const SKIP = new Set(["client_id", "client_secret"]); // the credentials form owns them

function inputFor(name, value, spec) {
  // null (an unset group_source, update_check's "the default") is JSON too: as text it would come back as ""
  const kind = spec ? spec.kind : typeof value === "boolean" ? "bool" : typeof value === "number" ? "number" :
    typeof value === "object" ? "json" : "text";
  let input;
  if (kind === "select") input = h("select", spec.options.map(([k, l]) => h("option", { value: k, selected: k === value }, l)));
  else if (kind === "tri") input = h("select", spec.options.map(([k, l]) => h("option", { value: k, selected: k === (value === null || value === undefined ? "" : String(value)) }, l)));
  else if (kind === "number") input = h("input", { type: "number", value: value ?? "", min: spec && spec.min, max: spec && spec.max, step: (spec && spec.step) || "any" });
  else if (kind === "ids") input = h("input", { type: "text", value: (value || []).join(", "), inputmode: "numeric" });
  else if (kind === "lines") input = h("textarea", { rows: 3, spellcheck: "false", value: (value || []).join("\n") });
  else if (kind === "bool") input = h("input", { type: "checkbox", checked: !!value });
  else if (kind === "json") input = h("textarea", { class: "code", rows: 3, spellcheck: "false", value: JSON.stringify(value, null, 2) });
  else input = h("input", { type: "text", value: value ?? "", spellcheck: "false" });
  const read = () => {
    if (kind === "number") return input.value === "" ? null : Number(input.value);
    if (kind === "ids") return input.value.split(/[\s,]+/).filter(Boolean).map((x) => (/^\d+$/.test(x) ? Number(x) : x));
    if (kind === "lines") return input.value.split("\n").map((x) => x.trim()).filter(Boolean);
    if (kind === "bool") return input.checked;
    if (kind === "tri") return input.value === "" ? null : input.value === "true";
    if (kind === "json") return JSON.parse(input.value);
    return value === null && input.value === "" ? null : input.value; // a setting left unset stays unset
  };
  return { input, read };
}

export default {
  title: "Settings",
  mount(root, ctx) {
    const body = h("div", loading());
    root.append(pageHeader("Settings", "Stored in settings.json in tsmsyncd's data folder."), body);
    const draw = (settings, message = null) => {
      const readers = {};
      const out = h("div", { "aria-live": "polite" }, message);
      const form = h("form", { class: "form settings", novalidate: true });
      const main = h("div", { class: "form-grid" }), advanced = h("div", { class: "form-grid" });
      for (const [name, value] of Object.entries(settings)) {
        if (SKIP.has(name)) continue;
        const spec = KNOWN[name];
        const { input, read } = inputFor(name, value, spec);
        readers[name] = { read, before: JSON.stringify(value) };
        (spec && !spec.advanced ? main : advanced).append(field({ label: spec ? spec.label : name, input, name,
          help: spec ? spec.help : `Setting “${name}”.`, wide: spec && spec.kind === "lines" }));
      }
      const save = button("Save settings", null, { class: "primary" });
      save.type = "submit";
      form.append(main, h("details", { class: "advanced" }, h("summary", "Advanced"), advanced), h("div", { class: "button-row" }, save), out);
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        busy(save, async () => {
          clearFieldErrors(form);
          replace(out);
          const changes = {};
          for (const [name, { read, before }] of Object.entries(readers)) {
            let value;
            try {
              value = read();
            } catch (error) {
              setFieldError(form, name, `Not valid JSON: ${error.message}`);
              return;
            }
            if (JSON.stringify(value) !== before) changes[name] = value;
          }
          if (!Object.keys(changes).length) {
            replace(out, notice("info", "Nothing changed."));
            return;
          }
          try {
            const saved = await api.patch("/settings", changes);
            draw(saved, notice("ok", `Saved: ${Object.keys(changes).map((n) => (KNOWN[n] ? KNOWN[n].label : n)).join(", ")}.`));
          } catch (error) {
            if (error.field && setFieldError(form, error.field, error.message)) return;
            replace(out, errorNotice(error, "settings"));
          }
        });
      });
      replace(body,
        section("General", form),
        section("Blizzard API credentials",
          h("p", { class: "muted" }, settings.client_secret ? `Client ID ${settings.client_id}; the secret is saved (never shown).` :
            "No credentials saved yet."),
          credentialsForm(settings, { onsaved: () => load() })));
    };
    const load = async () => {
      try {
        draw(await api.get("/settings", { signal: ctx.signal }));
      } catch (error) {
        if (error.name !== "AbortError") replace(body, errorNotice(error, "settings"));
      }
    };
    load();
  },
};
