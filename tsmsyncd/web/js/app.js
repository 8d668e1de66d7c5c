// The page's start: log in state, the shell (top bar, navigation, progress), the events socket, the
// router and its views. Every view is one module with {title, mount(root, ctx)}; mount may return a
// function that is called when the view is left.
import { api, onAuthLost, csrfToken } from "./api.js";
import { Events } from "./events.js";
import { Router, go } from "./router.js";
import { store } from "./store.js";
import { watch } from "./watch.js";
import { h, button, busy, replace, $ } from "./dom.js";
import { moneyText, relative } from "./format.js";
import { badge, toast } from "./ui.js";
import overview from "./views/overview.js";
import setup from "./views/setup.js";
import targets from "./views/targets.js";
import groups from "./views/groups.js";
import rules from "./views/rules.js";
import market from "./views/market.js";
import watchlist from "./views/watchlist.js";
import backups from "./views/backups.js";
import history from "./views/history.js";
import settings from "./views/settings.js";

const VIEWS = { overview, setup, targets, groups, rules, market, watchlist, backups, history, settings };
const NAV = ["overview", "targets", "groups", "rules", "market", "watchlist", "backups", "history", "settings", "setup"];

const events = new Events({ onDown: () => checkReachable() });
let current = null; // {name, cleanup, controller}
let lost = false;

/** The full-page message when the daemon no longer knows this page (it restarted: a new token). */
function showAuthLost() {
  if (lost) return;
  lost = true;
  events.stop();
  if (current) leave();
  document.title = "tsmsyncd: open it again";
  document.body.replaceChildren(h("div", { class: "fullpage", id: "auth-lost", role: "alert" },
    h("div", { class: "fullpage-card" },
      h("img", { src: "/static/icon.svg", alt: "", class: "fullpage-icon" }),
      h("h1", "This page is no longer connected to tsmsyncd"),
      h("p", { class: "lead" }, "Open tsmsyncd again from the tray menu or with ", h("code", "tsmsyncd open"), "."),
      h("p", { class: "muted" }, "tsmsyncd gives each page a key when it opens it, and a new key each time it " +
        "starts. This page holds an old key (tsmsyncd was restarted), or none."))));
}

async function checkReachable() {
  try {
    await api.get("/status");
    setBanner(null);
  } catch (error) {
    if (!error.auth) setBanner("tsmsyncd is not answering: it may have stopped. Trying again…");
  }
}

function setBanner(text) {
  const banner = $("#banner");
  if (!banner) return;
  banner.hidden = !text;
  banner.textContent = text || "";
}

function leave() {
  if (!current) return;
  current.controller.abort();
  for (const off of current.offs) off();
  if (typeof current.cleanup === "function") current.cleanup();
  current = null;
}

function mount(name, view, params) {
  leave();
  const root = $("#main");
  const controller = new AbortController();
  const offs = [];
  const ctx = {
    api, events, store, params, signal: controller.signal, go,
    on(type, handler) {
      offs.push(events.on(type, handler));
    },
    watch(handler) {
      offs.push(store.subscribe(handler));
    },
  };
  current = { name, controller, offs, cleanup: null };
  replace(root);
  document.title = `${view.title} · tsmsyncd`;
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.dataset.view === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  try {
    current.cleanup = view.mount(root, ctx);
  } catch (error) {
    console.error(error);
    root.append(h("div", { class: "notice error" }, `This page failed to draw: ${error.message}`));
  }
  if (document.activeElement && document.activeElement.closest("#nav")) return; // keep keyboard place in the nav
  root.focus({ preventScroll: true });
}

function renderStatus() {
  const status = store.status;
  const box = $("#daemon-status");
  if (!box || !status) return;
  const state = status.paused ? "paused" : status.state;
  const parts = [badge(state, "big")];
  if (status.last_error && status.state === "error") parts.push(h("span", { class: "status-text error-text" }, status.last_error));
  else if (status.paused) parts.push(h("span", { class: "status-text" }, "Paused: nothing is fetched or written"));
  else if (status.next_refresh) parts.push(h("span", { class: "status-text" }, `Next refresh ${relative(status.next_refresh)}`));
  replace(box, ...parts);
  const pause = $("#pause-button");
  if (pause) {
    pause.textContent = status.paused ? "Resume" : "Pause";
    pause.setAttribute("aria-pressed", status.paused ? "true" : "false");
  }
}

function renderProgress(event) {
  const bar = $("#progress");
  const data = event.data || {};
  const label = $("#progress-label"), meter = $("#progress-meter");
  if (event.type === "refresh.started") {
    bar.hidden = false;
    label.textContent = "Refreshing market data…";
    meter.removeAttribute("value");
  } else if (event.type === "progress") {
    bar.hidden = false;
    const where = data.region ? ` ${String(data.region).toUpperCase()} ${data.flavor || ""}`.trimEnd() : "";
    const what = data.task === "apply" ? `Applying to ${targetName(data.target)}` :
      data.task === "plan" ? `Planning ${targetName(data.target)}` : `Refreshing${where}`;
    const total = Number(data.total) || 0;
    label.textContent = `${what}: ${data.step || "working"}${total ? ` (${data.done} of ${total})` : ""}`;
    if (total) {
      meter.max = total;
      meter.value = Math.min(Number(data.done) || 0, total);
    } else meter.removeAttribute("value");
    // a refresh ends with refresh.finished; an apply or a plan with its last step
    if (data.task !== "refresh" && (!total || data.done >= total)) setTimeout(() => { bar.hidden = true; }, 1500);
  } else {
    bar.hidden = true;
    if (event.type === "refresh.failed") toast(`Refresh failed: ${data.error || data.message || "see History"}`, "error");
  }
}

function shell() {
  const refresh = button("Refresh now", async () => {
    await busy(refresh, async () => {
      try {
        await api.post("/refresh");
        toast("Refresh started: new market data arrives in a moment");
      } catch (error) {
        toast(error.message, "error");
      }
    });
  }, { class: "primary", title: "Fetch the newest auction data from Blizzard now" });
  const pause = button("Pause", async () => {
    const paused = !(store.status && store.status.paused);
    await busy(pause, async () => {
      try {
        store.status = await api.post("/pause", { paused });
        store.changed("status");
      } catch (error) {
        toast(error.message, "error");
      }
    });
  }, { title: "Stop fetching and writing until you resume" });
  pause.id = "pause-button";
  document.body.replaceChildren(
    h("header", { class: "topbar" },
      h("a", { class: "brand", href: "#/overview" }, h("img", { src: "/static/icon.svg", alt: "", width: 24, height: 24 }),
        h("span", "tsmsyncd")),
      h("div", { id: "daemon-status", class: "daemon-status", "aria-live": "polite" }),
      h("div", { class: "top-actions" }, pause, refresh)),
    h("div", { id: "progress", class: "progress", hidden: true, role: "status" },
      h("span", { id: "progress-label" }), h("progress", { id: "progress-meter", max: 1 })),
    h("div", { id: "banner", class: "banner", hidden: true, role: "alert" }),
    h("div", { class: "layout" },
      h("nav", { id: "nav", class: "nav", "aria-label": "Pages" },
        NAV.map((name) => h("a", { href: `#/${name}`, dataset: { view: name } }, VIEWS[name].title))),
      h("main", { id: "main", tabindex: "-1" })),
    h("div", { id: "toasts", class: "toasts", "aria-live": "polite" }));
}

function needsSetup(status) {
  const setupState = status && status.setup;
  return !!setupState && (!setupState.credentials || !setupState.merging);
}

async function start() {
  onAuthLost(showAuthLost);
  if (!csrfToken()) {
    showAuthLost();
    return;
  }
  shell();
  try {
    await store.load();
  } catch (error) {
    if (error.auth) return;
    setBanner(`tsmsyncd did not answer: ${error.message}`);
  }
  watch.load().catch(() => {}); // the names of watched items, for the alerts' toasts; the Watchlist page says why if it fails
  store.subscribe((what) => { if (what === "status") renderStatus(); });
  renderStatus();
  setInterval(renderStatus, 30000); // "next refresh in …" stays true
  store.follow(events);
  watch.follow(events);
  for (const type of ["refresh.started", "refresh.finished", "refresh.failed", "progress", "apply.applied", "apply.failed"]) {
    events.on(type, renderProgress);
  }
  events.on("connection", (event) => setBanner(event.up ? null : "Lost the connection to tsmsyncd. Reconnecting…"));
  events.on("apply.applied", (event) => toast(`Applied to ${targetName(event.data.target)}`));
  events.on("apply.failed", (event) => toast(`Apply failed for ${targetName(event.data.target)}: ${event.data.error}`, "error"));
  events.on("watch.alert", (event) => alertToast(alertMessage(event.data || {})));
  events.start();
  const router = new Router(VIEWS, {
    mount,
    fallback: () => (needsSetup(store.status) ? "setup" : "overview"),
  });
  router.show();
}

/** A watch alert in words, with the names the page knows (the daemon's message has ids). */
function alertMessage(data) {
  const item = (watch.items || []).find((i) => i.id === data.id);
  if (!item || !item.name) return data.message || `${data.item} is up for your price`;
  const target = (store.targets || []).find((t) => t.realm && t.realm.connected_realm_id === data.realm);
  const where = data.realm === 0 ? "the commodity market" : target ? target.realm.name : `realm ${data.realm}`;
  return `${item.name}: ${moneyText(data.cheapest)} on ${where} (your price ${moneyText(data.max_price)})`;
}

let alerts = null; // the toast of the alerts that came together: one box, a line each, not a pile

function alertToast(text) {
  if (alerts && alerts.isConnected) {
    alerts.append(h("div", text));
    alerts.hideAfter(8);
    return;
  }
  alerts = toast(h("div", h("strong", "Up for your price"), h("div", text)), "alert", { seconds: 8 });
}

function targetName(id) {
  const target = store.target(id);
  return target ? `${target.account} · ${target.profile}` : "a target";
}

start();
