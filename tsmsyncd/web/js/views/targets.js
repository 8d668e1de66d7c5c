// Targets: each TSM profile tsmsyncd found, its mode (merge, import strings only, off), its realm (inferred
// from the characters, or chosen), whether tsmsyncd may take over an existing root group, and what an
// apply would change now. The mode control and the apply/undo buttons are shared with Setup and Groups.
import { h, button, busy, replace } from "../dom.js";
import { api } from "../api.js";
import { flavorName } from "../format.js";
import { badge, notice, pageHeader, segmented, errorNotice, loading, reportSummary, toast, confirmDialog, empty } from "../ui.js";
import { realmSearch } from "../realmsearch.js";

export const MODE_OPTIONS = [["merge", "Merge"], ["string", "Import string"], ["off", "Off"]];

export const MODE_HELP = [
  ["Merge", "tsmsyncd writes its groups into this profile's TradeSkillMaster.lua by itself, under one root " +
    "group (“TSM Sync”). Your own groups, items and operations are never touched. A backup is made first, " +
    "every time."],
  ["Import string", "Nothing is written. You copy an import string from the Groups page and paste it into " +
    "TSM's importer yourself."],
  ["Off", "tsmsyncd leaves this profile alone."],
];

export function modeHelp() {
  return h("dl", { class: "mode-help" }, MODE_HELP.flatMap(([term, text]) => [h("dt", term), h("dd", text)]),
    h("dt", "While the game runs"), h("dd", "Nothing is ever written while World of Warcraft runs: changes wait " +
      "as “pending” and are applied a few seconds after you close the game (WoW rewrites the file when it exits)."));
}

/** The mode control of one target: PATCH /targets/{id} {mode}; the store updates from the answer. */
const MODE_HINTS = {
  merge: "Merging on: applied by itself whenever the game is closed.",
  string: "Import strings only: nothing is written.",
  off: "Off: left alone.",
};

export function modeControl(target, ctx, onchanged) {
  // the hint follows the mode, so a redraw (the store changed) keeps saying what was chosen
  const status = h("span", { class: "mode-status muted small", "aria-live": "polite" }, MODE_HINTS[target.mode] || "");
  const control = segmented(`mode-${target.id}`, MODE_OPTIONS, target.mode, async (mode) => {
    status.textContent = "Saving…";
    try {
      const changed = await api.patch(`/targets/${encodeURIComponent(target.id)}`, { mode });
      ctx.store.patchTarget(target.id, changed);
      status.textContent = MODE_HINTS[mode] || "Saved.";
      if (onchanged) onchanged(changed);
    } catch (error) {
      status.textContent = error.message;
      status.classList.add("error-text");
    }
  }, { label: `Mode for ${target.account} ${target.profile}` });
  control.dataset.targetId = target.id;
  return h("div", { class: "mode-control" }, control, status);
}

/** For an undo or a restore: while a profile stays in merge mode, tsmsyncd merges its groups into the
 * put-back file again at once. A checkbox (on by default) switches such profiles to import strings first. */
export function stopMergingBox(targets) {
  const merging = targets.filter((t) => t && t.mode === "merge");
  if (!merging.length) return { node: null, apply: async () => {} };
  const box = h("input", { type: "checkbox", checked: true, id: "stop-merging" });
  const names = merging.map((t) => `${t.account} · ${t.profile}`).join(", ");
  return {
    node: h("div", { class: "notice warn" },
      h("p", `Merging is on for ${names}: tsmsyncd would merge its groups into the file again right away.`),
      h("label", { class: "check", for: "stop-merging" }, box, " Stop merging there (switch to Import string), so the file stays as restored")),
    async apply(ctx) {
      if (!box.checked) return;
      for (const t of merging) {
        ctx.store.patchTarget(t.id, await api.patch(`/targets/${encodeURIComponent(t.id)}`, { mode: "string" }));
      }
    },
  };
}

/** "Apply now" and "Undo last apply", each showing the daemon's refusal (game running, no realm…). */
export function applyButtons(target, ctx) {
  const out = h("div", { class: "apply-result", "aria-live": "polite" });
  const id = encodeURIComponent(target.id);
  const apply = button("Apply now", () => busy(apply, async () => {
    replace(out);
    try {
      await api.post(`/targets/${id}/apply`);
      replace(out, notice("info", "Applying… the result appears here and on the Overview."));
    } catch (error) {
      replace(out, errorNotice(error, "apply"));
    }
  }), { class: "primary", dataset: { action: "apply", targetId: target.id } });
  const undo = button("Undo last apply", () => busy(undo, async () => {
    replace(out);
    const live = ctx.store.target(target.id) || target;
    const stop = stopMergingBox([live]);
    const ok = await confirmDialog({
      title: "Undo the last apply?",
      body: [h("p", `tsmsyncd puts back ${target.account} · ${target.profile}'s TradeSkillMaster.lua as it was ` +
        "just before the last apply (from the backup it made then)."),
      h("p", "The file as it is now is backed up first, so this can be undone too, from Backups."), stop.node],
      confirm: "Undo last apply",
    });
    if (!ok) return;
    try {
      await stop.apply(ctx);
      const answer = await api.post(`/targets/${id}/undo`);
      replace(out, notice("ok", `Restored the backup ${answer.restored}. `,
        answer.backup_before_restore ? `The file as it was is kept as backup ${answer.backup_before_restore}.` : ""));
      ctx.store.reload();
    } catch (error) {
      replace(out, errorNotice(error, "undo"));
    }
  }), { dataset: { action: "undo", targetId: target.id } });
  ctx.on("apply.applied", (event) => {
    if (event.data.target !== target.id) return;
    const unchanged = event.data.status && event.data.status !== "applied";
    replace(out, unchanged ? notice("ok", "Already up to date: nothing to change.") :
      notice("ok", `Applied. Backup before it: ${event.data.backup || "—"}.`));
  });
  ctx.on("apply.failed", (event) => {
    if (event.data.target === target.id) replace(out, notice("error", `Apply failed: ${event.data.error}`));
  });
  return h("div", { class: "apply-buttons" }, h("div", { class: "button-row" }, apply, undo), out);
}

function realmEditor(target, ctx) {
  const box = h("div", { class: "realm-editor" });
  const current = target.realm;
  const set = async (realm) => {
    try {
      const changed = await api.patch(`/targets/${encodeURIComponent(target.id)}`, { realm });
      ctx.store.patchTarget(target.id, changed);
      toast(realm === null ? "The realm will be inferred from your characters again." : "Realm saved.");
    } catch (error) {
      toast(error.message, "error");
    }
  };
  const search = realmSearch({ region: () => (current && current.region) || (ctx.store.settings || {}).region || "us",
    flavor: () => target.flavor, onpick: (realm) => set(realm.connected_realm_id), pickLabel: "Use this realm",
    signal: ctx.signal });
  box.append(
    h("p", current ? [h("strong", current.name), ` (connected realm ${current.connected_realm_id}) · `,
      current.inferred ? `inferred: ${current.reason || ""}` : "chosen by you"] :
      h("span", { class: "warn-text" }, target.realm_reason || "No realm yet.")),
    h("details", h("summary", "Change realm"), search.node,
      current && !current.inferred ? button("Infer from my characters again", () => set(null), { class: "small" }) : null));
  return box;
}

function planBox(target, ctx) {
  const out = h("div", { class: "plan-out" });
  const btn = button("Preview changes", () => busy(btn, async () => {
    replace(out, loading("Planning (a dry run; nothing is written)…"));
    try {
      const plan = await api.get(`/targets/${encodeURIComponent(target.id)}/plan`, { signal: ctx.signal });
      replace(out, plan.status === "unchanged" ? notice("ok", "Up to date: an apply would change nothing.") :
        [notice("info", `An apply now would write groups version ${plan.groupset_version}:`), reportSummary(plan.report)]);
    } catch (error) {
      if (error.name !== "AbortError") replace(out, errorNotice(error, "plans"));
    }
  }), { dataset: { action: "plan" } });
  return h("div", { class: "plan" }, btn, out);
}

function adoptToggle(target, ctx) {
  const box = h("input", { type: "checkbox", checked: target.adopt_root, onchange: async () => {
    try {
      ctx.store.patchTarget(target.id, await api.patch(`/targets/${encodeURIComponent(target.id)}`, { adopt_root: box.checked }));
    } catch (error) {
      box.checked = !box.checked;
      toast(error.message, "error");
    }
  } });
  return h("label", { class: "check" }, box, " Let tsmsyncd take over an existing “TSM Sync” group of mine ",
    h("span", { class: "muted small" }, "(only if you made one yourself; what it replaces is listed in the report)"));
}

function targetPanel(target, ctx) {
  return h("article", { class: "card target-panel", dataset: { targetId: target.id } },
    h("header", { class: "target-head" },
      h("div", h("h3", `${target.account} · ${target.profile}`),
        h("p", { class: "muted small" }, `${flavorName(target.flavor)} · ${(target.characters || []).join(", ")}`),
        h("p", { class: "muted small path", title: target.file }, target.file)),
      badge(target.state)),
    h("p", { class: "reason info", hidden: !target.reason }, target.reason || ""),
    h("div", { class: "panel-grid" },
      h("div", h("h4", "Mode"), modeControl(target, ctx)),
      h("div", h("h4", "Realm"), realmEditor(target, ctx))),
    adoptToggle(target, ctx),
    h("div", { class: "panel-grid" }, h("div", h("h4", "Apply"), applyButtons(target, ctx)),
      h("div", h("h4", "Dry run"), planBox(target, ctx))));
}

/** State and reason change often (events): update them in place, keeping open searches and results. */
function updateState(body, target) {
  const panel = body.querySelector(`.target-panel[data-target-id="${CSS.escape(target.id)}"]`);
  if (!panel) return;
  panel.querySelector(".target-head .badge").replaceWith(badge(target.state));
  const reason = panel.querySelector(".reason");
  reason.textContent = target.reason || "";
  reason.hidden = !target.reason;
}

export default {
  title: "Targets",
  mount(root, ctx) {
    const body = h("div", loading());
    root.append(pageHeader("Targets", "Each TSM profile tsmsyncd found, and what it may do with it."),
      h("details", { class: "card explain" }, h("summary", "What merge, import string and off mean"), modeHelp()), body);
    let shown = "";
    const draw = () => {
      const targets = ctx.store.targets;
      if (!targets) return;
      // redraw only when what the panels show changed (a redraw would close open searches)
      const key = JSON.stringify(targets.map((t) => [t.id, t.mode, t.realm, t.adopt_root]));
      if (key === shown) {
        for (const t of targets) updateState(body, t);
        return;
      }
      shown = key;
      replace(body, targets.length ? targets.map((t) => targetPanel(t, ctx)) :
        empty("No targets yet.", "tsmsyncd finds TradeSkillMaster.lua files in your World of Warcraft install."));
    };
    ctx.watch(draw);
    draw();
  },
};
