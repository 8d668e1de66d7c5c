// Overview: is it working? The daemon's state, the next and last refresh, and each target with its
// state, why it waits, its last apply and its errors. Redrawn from the store, which the events keep live.
import { h, replace } from "../dom.js";
import { ago, flavorName, relative, plural } from "../format.js";
import { badge, notice, pageHeader, empty, loading, reportSummary } from "../ui.js";
import { href } from "../router.js";
import { realmKey } from "../realms.js";

export const MODES = {
  merge: "Merging on",
  string: "Import strings only",
  off: "Off",
};

function stat(label, value, sub) {
  return h("div", { class: "stat" }, h("div", { class: "stat-label" }, label), h("div", { class: "stat-value" }, value),
    sub ? h("div", { class: "stat-sub" }, sub) : null);
}

function summary(status, targets) {
  const counts = {};
  for (const t of targets) counts[t.state] = (counts[t.state] || 0) + 1;
  const countText = Object.entries(counts).map(([state, n]) => `${n} ${state}`).join(" · ") || "none found";
  const last = status.last_refresh;
  const sources = last && last.regions ? last.regions.flatMap((r) => r.sources || []) : [];
  const failed = sources.filter((s) => s.error).length;
  return h("div", { class: "stats" },
    stat("Daemon", badge(status.paused ? "paused" : status.state, "big"),
      status.jobs_running ? `${plural(status.jobs_running, "job")} running` : `version ${status.version || "?"}`),
    stat("Next refresh", status.paused ? "paused" : relative(status.next_refresh),
      status.next_refresh ? new Date(status.next_refresh).toLocaleTimeString() : "not scheduled"),
    stat("Last refresh", last ? ago(last.at) : "never",
      last ? `${plural(sources.length, "source")}${failed ? `, ${failed} failed` : ""}${last.why ? ` · ${last.why}` : ""}` : "waiting for the first one"),
    stat("Targets", String(targets.length), countText));
}

function realmLine(target) {
  if (!target.realm) {
    return h("p", { class: "realm warn-text" }, "No realm: ", target.realm_reason || "could not tell which realm this profile plays on",
      " — choose one on ", h("a", { href: href("targets") }, "Targets"), ".");
  }
  const r = target.realm;
  return h("p", { class: "realm" }, h("strong", r.name || `realm ${r.connected_realm_id}`),
    ` · ${String(r.region).toUpperCase()}, connected realm ${r.connected_realm_id}`,
    r.inferred ? h("span", { class: "muted" }, ` · inferred: ${r.reason || "from your characters"}`) : h("span", { class: "muted" }, " · set by you"));
}

function lastApply(target) {
  const last = target.last_apply;
  if (!last) return h("p", { class: "muted" }, "Never applied.");
  const added = (last.report && last.report.profiles || []).reduce((n, p) => n + (p.items_added || []).length, 0);
  return h("div", { class: "last-apply" },
    h("p", `Last apply: ${last.status || "applied"} `, ago(last.at),
      last.groupset_version ? ` · groups version ${last.groupset_version}` : "",
      ` · ${plural(added, "item")} added`),
    last.backup_id ? h("p", { class: "muted small" }, "Backup before it: ", h("code", last.backup_id)) : null);
}

function reasonBox(target) {
  if (!target.reason) return null;
  const kind = target.state === "error" ? "error" : target.state === "pending" ? "warn" : "info";
  return h("p", { class: `reason ${kind}` }, target.reason);
}

export function targetCard(target) {
  const pending = target.pending;
  const realm = target.realm;
  const groupsLink = realm ? href("groups", { realm: realmKey(realm.region, target.flavor, realm.connected_realm_id) }) : null;
  return h("article", { class: `target-card state-${target.state}`, dataset: { targetId: target.id } },
    h("header", { class: "target-head" },
      h("div", h("h3", `${target.account} · ${target.profile}`),
        h("p", { class: "muted small" }, `${flavorName(target.flavor)} (${target.folder || ""}) · `,
          (target.characters || []).join(", ") || "no characters")),
      h("div", { class: "target-badges" }, h("span", { class: `chip mode-${target.mode}` }, MODES[target.mode] || target.mode),
        badge(target.state))),
    reasonBox(target),
    realmLine(target),
    pending ? h("p", { class: "pending-plan" }, `Waiting to apply groups version ${pending.groupset_version ?? "?"}`,
      pending.planned_at ? h("span", { class: "muted" }, " · planned ", ago(pending.planned_at)) : null) : null,
    pending && pending.report ? reportSummary(pending.report) : null,
    lastApply(target),
    target.present === false ? notice("warn", "This file is gone from disk; it is kept here in case it comes back.") : null,
    h("footer", { class: "target-links" },
      groupsLink ? h("a", { href: groupsLink }, "Groups and import string") : null,
      h("a", { href: href("backups", { file: target.file }) }, "Backups"),
      h("a", { href: href("history", { target: target.id }) }, "History")));
}

export default {
  title: "Overview",
  mount(root, ctx) {
    const body = h("div", { class: "overview" }, loading());
    root.append(pageHeader("Overview", "What tsmsyncd is doing with your TradeSkillMaster files."), body);
    const draw = () => {
      const { status, targets } = ctx.store;
      if (!status || !targets) return;
      const list = targets.length ? h("div", { class: "targets" }, targets.map(targetCard)) :
        empty("No TradeSkillMaster files found yet.", "Start World of Warcraft once with TradeSkillMaster enabled, or add your install folder in Settings.");
      replace(body,
        summary(status, targets),
        status.last_error ? notice("error", h("strong", "Last error: "), status.last_error) : null,
        h("h2", { class: "section-title" }, "Targets"),
        h("p", { class: "muted section-help" }, "A target is one TSM profile in one account's TradeSkillMaster.lua. " +
          "Nothing is written while World of Warcraft runs: changes wait as pending until you close the game."),
        list);
    };
    ctx.watch(draw);
    draw();
    const tick = setInterval(draw, 30000);
    return () => clearInterval(tick);
  },
};
