// Backups: per TSM file, every backup tsmsyncd kept; restore one (saying what happens and how to undo
// it), pin it so it is never pruned, give it a note, back up now, and preview what pruning would remove.
import { h, button, busy, replace } from "../dom.js";
import { api, qs } from "../api.js";
import { ago, bytes, dateTime, fileLabel, plural } from "../format.js";
import { notice, errorNotice, loading, pageHeader, empty, confirmDialog, toast } from "../ui.js";
import { setParams } from "../router.js";
import { stopMergingBox } from "./targets.js";

const REASONS = { "before-merge": "Before a merge", scheduled: "Scheduled", manual: "By hand", "before-restore": "Before a restore" };

function restoreDialog(file, backup, stop) {
  return confirmDialog({
    title: "Restore this backup?",
    confirm: "Restore",
    danger: true,
    body: [
      h("p", "Your TradeSkillMaster.lua will be replaced by the backup from ", h("strong", dateTime(backup.created)),
        ` (${REASONS[backup.reason] || backup.reason}).`),
      h("p", { class: "muted small path" }, file),
      h("p", "First, tsmsyncd backs up the file as it is now. To undo, restore that backup: it is the newest one in this list, " +
        "marked “Before a restore”."),
      h("p", "This is refused while World of Warcraft runs (the game would overwrite it when you log out)."),
      stop.node,
    ],
  });
}

function backupRow(file, backup, ctx, reload, out) {
  const note = h("input", { type: "text", value: backup.note || "", placeholder: "Add a note", "aria-label": `Note for the backup of ${dateTime(backup.created)}`,
    class: "note-input" });
  const saveNote = async () => {
    if ((backup.note || "") === note.value) return;
    try {
      await api.post(`/backups/${encodeURIComponent(backup.id)}/pin`, { file, pinned: !!backup.pinned, note: note.value });
      backup.note = note.value;
      toast("Note saved");
    } catch (error) {
      toast(error.message, "error");
    }
  };
  note.addEventListener("change", saveNote);
  const pin = button(backup.pinned ? "Unpin" : "Pin", () => busy(pin, async () => {
    try {
      await api.post(`/backups/${encodeURIComponent(backup.id)}/pin`, { file, pinned: !backup.pinned });
      reload();
    } catch (error) {
      toast(error.message, "error");
    }
  }), { class: "small", title: "A pinned backup is never pruned", dataset: { action: "pin" } });
  const restore = button("Restore…", async () => {
    const stop = stopMergingBox((ctx.store.targets || []).filter((t) => t.file === file));
    if (!(await restoreDialog(file, backup, stop))) return;
    await busy(restore, async () => {
      try {
        await stop.apply(ctx);
        const answer = await api.post(`/backups/${encodeURIComponent(backup.id)}/restore`, { file });
        reload(notice("ok", h("strong", "Restored. "), `The file is now the backup from ${dateTime(backup.created)}. `,
          answer.backup_before_restore ? ["The file as it was is kept as backup ", h("code", answer.backup_before_restore), ": restore it to undo."] : ""));
      } catch (error) {
        replace(out, errorNotice(error, "restores"));
      }
    });
  }, { class: "small", dataset: { action: "restore" } });
  return h("tr", { dataset: { backup: backup.id } },
    h("td", { class: "when" }, h("span", { title: backup.id }, dateTime(backup.created)), h("div", { class: "muted small" }, ago(backup.created))),
    h("td", REASONS[backup.reason] || backup.reason),
    h("td", { class: "num" }, bytes(backup.size), backup.compressed ? h("span", { class: "muted small" }, " zstd") : ""),
    h("td", backup.pinned ? h("span", { class: "chip ok" }, "Pinned") : ""),
    h("td", note),
    h("td", h("div", { class: "row-actions" }, restore, pin)));
}

async function fileView(box, file, ctx, message = null, refreshList = () => {}) {
  if (!message) replace(box, loading("Loading backups…"));
  const out = h("div", { "aria-live": "polite" }, message);
  const prune = h("div");
  const reload = (next = null) => {
    refreshList();
    return fileView(box, file, ctx, next, refreshList);
  };
  let answer;
  try {
    answer = await api.get(`/backups${qs({ file })}`, { signal: ctx.signal });
  } catch (error) {
    if (error.name !== "AbortError") replace(box, errorNotice(error, "backups"));
    return;
  }
  const noteInput = h("input", { type: "text", placeholder: "Note (optional)", "aria-label": "Note for the new backup" });
  const create = button("Back up now", () => busy(create, async () => {
    try {
      await api.post("/backups", { file, note: noteInput.value || undefined });
      noteInput.value = "";
      reload(notice("ok", "Backup made."));
    } catch (error) {
      replace(out, errorNotice(error));
    }
  }), { class: "primary" });
  const preview = button("Preview pruning", () => busy(preview, async () => {
    try {
      const plan = await api.get(`/backups/prune${qs({ file })}`, { signal: ctx.signal });
      const gone = plan.would_remove || [];
      const go = button(`Prune ${plural(gone.length, "backup")}`, async () => {
        try {
          const done = await api.post("/backups/prune", { file });
          toast(`Removed ${plural((done.removed || []).length, "backup")}`);
          reload();
        } catch (error) {
          replace(prune, errorNotice(error));
        }
      }, { class: "danger small" });
      replace(prune, gone.length ? notice("info", h("p", `Pruning would remove ${plural(gone.length, "backup")} (kept: the last 20, ` +
        "the newest of each day for 30 days, every pinned one, and always the last one):"),
      h("ul", gone.map((b) => h("li", `${dateTime(b.created)} · ${REASONS[b.reason] || b.reason}`))), go) :
        notice("ok", "Pruning would remove nothing."));
    } catch (error) {
      replace(prune, errorNotice(error));
    }
  }));
  const list = answer.backups || [];
  replace(box,
    h("h2", fileLabel(file)), h("p", { class: "muted small path" }, file),
    h("div", { class: "toolbar" }, noteInput, create, preview),
    out, prune,
    list.length ? h("div", { class: "table-wrap" }, h("table", { class: "table backups-table" },
      h("thead", h("tr", h("th", "When"), h("th", "Why"), h("th", { class: "num" }, "Size"), h("th", ""), h("th", "Note"), h("th", ""))),
      h("tbody", list.map((b) => backupRow(file, b, ctx, reload, out))))) : empty("No backups of this file yet."));
}

export default {
  title: "Backups",
  mount(root, ctx) {
    const files = h("div", { class: "card file-list" }, loading());
    const detail = h("div", { class: "card" }, empty("Choose a file."));
    root.append(pageHeader("Backups", "tsmsyncd keeps a copy of your file before every change it makes."), h("div", { class: "split backups" }, files, detail));
    let current = ctx.params.file || null;
    const load = async (withDetail = true) => {
      let answer;
      try {
        answer = await api.get("/backups", { signal: ctx.signal });
      } catch (error) {
        if (error.name !== "AbortError") replace(files, errorNotice(error, "backups"));
        return;
      }
      const list = answer.files || [];
      if (!current && list.length) current = list[0].file;
      const targets = ctx.store.targets || [];
      replace(files, h("h2", "Files"), list.length ? h("ul", { class: "list files" }, list.map((f) => {
        const names = (f.targets || []).map((id) => targets.find((t) => t.id === id)).filter(Boolean).map((t) => `${t.account} · ${t.profile}`);
        return h("li", h("button", { type: "button", class: `file-button ${f.file === current ? "selected" : ""}`, "aria-current": f.file === current ? "true" : null,
          dataset: { file: f.file }, onclick: () => { current = f.file; setParams({ file: current }); load(); } },
        h("strong", fileLabel(f.file)), h("span", { class: "muted small" }, names.join(", ") || "no target"),
        h("span", { class: "muted small" }, `${plural(f.count, "backup")} · newest `, ago(f.newest))));
      })) : empty("No backups yet.", "The first one is made before the first merge."));
      if (current && withDetail) fileView(detail, current, ctx, null, () => load(false));
    };
    load();
    ctx.on("backup.created", () => load());
  },
};
