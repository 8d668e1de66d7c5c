// First-run setup, four steps on one page: Blizzard credentials (checked live: POST /auth/token) →
// region and realms (search Blizzard's realm index) → the installs found and their targets → merging on
// per target, with what merge, import string and off mean. Each step says when it is done.
import { h, button, busy, replace } from "../dom.js";
import { api, missingRoute } from "../api.js";
import { dateTime, flavorName, plural } from "../format.js";
import { field, notice, errorNotice, loading, pageHeader, setFieldError, clearFieldErrors, empty } from "../ui.js";
import { modeControl, modeHelp } from "./targets.js";
import { realmSearch } from "../realmsearch.js";
import { href } from "../router.js";

export const REGIONS = [["us", "Americas (US)"], ["eu", "Europe (EU)"], ["kr", "Korea (KR)"], ["tw", "Taiwan (TW)"]];

function regionSelect(value) {
  return h("select", {}, REGIONS.map(([key, label]) => h("option", { value: key, selected: key === value }, label)));
}

/** Client id + secret + region, checked against Blizzard before they are saved. Shared with Settings. */
export function credentialsForm(settings, { onsaved, message = null } = {}) {
  const id = h("input", { type: "text", autocomplete: "off", spellcheck: "false", value: (settings && settings.client_id) || "" });
  const secret = h("input", { type: "password", autocomplete: "off", spellcheck: "false",
    placeholder: settings && settings.client_secret ? "(saved: type a new one to change it)" : "" });
  const region = regionSelect((settings && settings.region) || "us");
  const out = h("div", { "aria-live": "polite" }, message);
  const save = button("Check and save", null, { class: "primary" });
  const form = h("form", { class: "form credentials", novalidate: true },
    h("div", { class: "form-grid" },
      field({ label: "Client ID", input: id, name: "client_id" }),
      field({ label: "Client secret", input: secret, name: "client_secret", help: "Stored only on this computer; never shown again." }),
      field({ label: "Region", input: region, name: "region", help: "Where your characters play." })),
    h("div", { class: "button-row" }, save), out);
  save.type = "submit";
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(save, async () => {
      clearFieldErrors(form);
      replace(out);
      if (!id.value.trim()) return setFieldError(form, "client_id", "Enter the client ID of your Blizzard API client.");
      if (!secret.value.trim()) return setFieldError(form, "client_secret", "Enter the client secret (it is not shown after saving).");
      replace(out, loading("Asking Blizzard…"));
      try {
        const answer = await api.post("/auth/token", { client_id: id.value.trim(), client_secret: secret.value.trim(), region: region.value });
        secret.value = "";
        secret.placeholder = "(saved: type a new one to change it)";
        const ok = notice("ok", h("strong", "Blizzard accepted these credentials. "),
          `They are saved for ${String(answer.region || region.value).toUpperCase()}`,
          answer.expires_at ? ` (this token lasts until ${dateTime(answer.expires_at)}; tsmsyncd renews it by itself).` : ".");
        replace(out, ok);
        if (onsaved) onsaved(answer, ok);
      } catch (error) {
        replace(out);
        if (error.field && setFieldError(form, error.field, error.message)) return;
        if (error.code === "blizzard_credentials") setFieldError(form, "client_secret", error.message);
        else replace(out, errorNotice(error, "credential checks"));
      }
    });
  });
  return form;
}

function step(number, title, done, ...children) {
  return h("section", { class: `card step ${done ? "done" : ""}`, dataset: { step: number } },
    h("h2", h("span", { class: "step-number", "aria-hidden": "true" }, done ? "✓" : String(number)), title,
      done ? h("span", { class: "sr-only" }, " (done)") : null),
    ...children);
}

function credentialsStep(ctx, settings, done, rerender, message) {
  return step(1, "Blizzard API credentials", done,
    h("p", "tsmsyncd reads auction data from Blizzard's official API with your own API client. Create one (free) at ",
      h("code", "develop.battle.net"), " → API Access → Create Client, then paste its ID and secret here. " +
      "They are checked with Blizzard right away."),
    credentialsForm(settings, { onsaved: rerender, message }));
}

const realmNames = new Map(); // connected realm id → name, of the realms picked in this page

function realmsStep(ctx, settings, rerender) {
  const followed = new Set((settings && settings.realms) || []);
  const region = (settings && settings.region) || "us";
  const flavor = h("select", { "aria-label": "Game flavor" },
    [["retail", "Retail"], ["classic", "Classic"], ["classic-era", "Classic Era"]].map(([key, label]) =>
      h("option", { value: key, selected: settings && settings.flavor === key }, label)));
  const chosen = h("ul", { class: "chips" });
  const out = h("div", { "aria-live": "polite" });
  const drawChosen = () => replace(chosen, followed.size ? [...followed].map((id) => h("li", { class: "chip" },
    realmNames.has(id) ? `${realmNames.get(id)} · connected realm ${id}` : `connected realm ${id}`)) :
    h("li", { class: "muted" }, "None added by hand (the realms of your targets are followed anyway)."));
  drawChosen();
  const search = realmSearch({ region: () => region, flavor: () => flavor.value, signal: ctx.signal, pickLabel: "Follow",
    onpick: async (realm) => {
      realmNames.set(realm.connected_realm_id, realm.name);
      followed.add(realm.connected_realm_id);
      try {
        const saved = await api.patch("/settings", { realms: [...followed] });
        replace(out, notice("ok", `Following ${realm.name} (connected realm ${realm.connected_realm_id}).`));
        if (saved && saved.realms) {
          followed.clear();
          saved.realms.forEach((r) => followed.add(r));
        }
        drawChosen();
      } catch (error) {
        followed.delete(realm.connected_realm_id);
        replace(out, errorNotice(error, "settings"));
      }
    } });
  const targets = ctx.store.targets || [];
  const inferred = [...new Map(targets.filter((t) => t.realm).map((t) => [t.realm.connected_realm_id, t.realm])).values()];
  return step(2, "Region and realms", inferred.length > 0 || followed.size > 0,
    h("p", `Region: ${region.toUpperCase()}. The realms your characters play on are found from your TSM files:`),
    inferred.length ? h("ul", { class: "chips" }, inferred.map((r) => h("li", { class: "chip ok" }, `${r.name} · connected realm ${r.connected_realm_id}`))) :
      h("p", { class: "muted" }, "None found yet: add your realm below."),
    h("p", "To follow other realms too, search for them:"),
    h("div", { class: "inline-fields" }, h("label", { class: "inline" }, "Flavor ", flavor), search.node),
    h("p", { class: "small" }, "Added by hand:"), chosen, out);
}

function installsStep(ctx, installs) {
  if (!installs) return step(3, "World of Warcraft installs", false, loading("Looking for installs…"));
  if (installs.error) return step(3, "World of Warcraft installs", false, errorNotice(installs.error, "install discovery"));
  const found = installs.installs || [];
  const note = installs.source_note || (installs.replaced_by ? `Only the folders named by ${installs.replaced_by} are used.` : null);
  return step(3, "World of Warcraft installs", found.length > 0,
    note ? h("p", { class: "muted" }, note) : null,
    found.length ? h("ul", { class: "installs" }, found.map((inst) => h("li",
      h("p", h("strong", inst.root || inst.path), h("span", { class: "muted small" },
        ` · found by ${inst.origin || inst.source || (inst.sources || []).join(", ")}`)),
      h("ul", (inst.flavors || []).map((fl) => h("li", h("strong", `${flavorName(fl.flavor)}`), ` (${fl.name || fl.folder}): `,
        (fl.accounts || []).map(accountText).join("; ") || "no accounts")))))) :
      empty("No install found.", "Add your World of Warcraft folder under Settings → Install folders."),
    (installs.rejected || []).length ? h("details", h("summary", `${plural(installs.rejected.length, "folder")} looked at and skipped`),
      h("ul", installs.rejected.map((r) => h("li", h("code", r.path || r.root || r.folder || "?"), ` — ${r.reason || r.why || ""}`)))) : null);
}

/** One account: its name and TSM profiles. (main nests them: profiles.profiles[].profile; the contract
said profiles[].name.) */
function accountText(acc) {
  const list = Array.isArray(acc.profiles) ? acc.profiles : (acc.profiles && acc.profiles.profiles) || [];
  const names = list.map((p) => p.profile || p.name).filter(Boolean);
  const file = acc.tsm_file !== undefined ? acc.tsm_file : acc.file;
  if (!file) return `${acc.name} (no TradeSkillMaster file yet)`;
  if (acc.profiles_error) return `${acc.name} (${acc.profiles_error})`;
  return `${acc.name}: ${names.length ? `profile ${names.join(", ")}` : "no profiles"}`;
}

function mergingStep(ctx, rerender) {
  const targets = ctx.store.targets || [];
  const merging = targets.filter((t) => t.mode === "merge").length;
  return step(4, "Turn merging on", merging > 0,
    h("p", "Choose, per TSM profile, what tsmsyncd may do:"), modeHelp(),
    targets.length ? h("div", { class: "setup-targets" }, targets.map((t) => h("div", { class: "setup-target", dataset: { targetId: t.id } },
      h("div", h("strong", `${t.account} · ${t.profile}`), h("p", { class: "muted small" },
        `${flavorName(t.flavor)} · ${t.realm ? t.realm.name : "no realm yet"} · ${(t.characters || []).join(", ")}`)),
      modeControl(t, ctx, rerender)))) : empty("No TSM profiles found yet.", "Log in to World of Warcraft once with TradeSkillMaster enabled."),
    merging ? h("div", { class: "button-row" }, h("a", { class: "button primary", href: href("overview") }, "Done: go to the Overview")) : null);
}

export default {
  title: "Setup",
  mount(root, ctx) {
    const body = h("div", { class: "setup" }, loading());
    root.append(pageHeader("Set up tsmsyncd", "Four steps. You can come back here any time."), body);
    let settings = null, installs = null, saved = null;
    const draw = () => {
      const status = ctx.store.status || {};
      const setup = status.setup || {};
      const credentials = setup.credentials ?? !!(settings && settings.client_secret);
      replace(body,
        credentialsStep(ctx, settings, credentials, afterCredentials, saved),
        realmsStep(ctx, settings, load),
        installsStep(ctx, installs),
        mergingStep(ctx, () => ctx.store.reload(0)));
    };
    // with credentials the daemon can fetch realms and prices: start a refresh at once, not in 30 minutes
    const afterCredentials = async (answer, message) => {
      saved = message;
      try {
        await api.post("/refresh");
        message.append(" Fetching market data now.");
      } catch {
        // the scheduled refresh comes anyway
      }
      await load();
    };
    const load = async () => {
      try {
        settings = await api.get("/settings", { signal: ctx.signal });
      } catch (error) {
        if (error.name === "AbortError") return;
        if (!missingRoute(error)) console.warn(error);
      }
      try {
        installs = await api.get("/installs", { signal: ctx.signal });
      } catch (error) {
        if (error.name === "AbortError") return;
        installs = { error };
      }
      await ctx.store.load().catch(() => {});
      draw();
    };
    // only the merging step follows the store live: redrawing all would lose what is being typed
    ctx.watch((what) => {
      if (what !== "targets") return;
      const old = body.querySelector('.step[data-step="4"]');
      if (!old) return;
      const focused = old.contains(document.activeElement) ? document.activeElement : null;
      const group = focused && focused.closest(".segmented");
      const next = mergingStep(ctx, () => ctx.store.reload(0));
      old.replaceWith(next);
      if (group) { // keep the keyboard where it was
        const again = next.querySelector(`.segmented[data-target-id="${CSS.escape(group.dataset.targetId)}"] input:checked`);
        if (again) again.focus();
      }
    });
    load(); // drawn once loaded: a form drawn earlier would be replaced while being typed into
  },
};
