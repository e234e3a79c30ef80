// The UI's shell: hash routes to pages, one poll loop over the master's
// /master/state and /metrics/snapshot, and re-rendering when either
// changes. Pages are functions of the latest state (see pages/).
import { h, append, notice, link } from "./dom.js";
import { getJSON, NotAvailable, Unreadable } from "./api.js";
import { index } from "./model.js";
import { History } from "./plot.js";
import { ago, mb } from "./format.js";
import * as home from "./pages/home.js";
import * as frameworks from "./pages/frameworks.js";
import * as agents from "./pages/agents.js";
import * as tasks from "./pages/tasks.js";
import * as offers from "./pages/offers.js";
import * as roles from "./pages/roles.js";
import * as metrics from "./pages/metrics.js";

// Routes, most specific first; ":name" captures one path segment.
const ROUTES = [
  ["/", home.render, home.title, "/"],
  ["/frameworks", frameworks.render, frameworks.title, "/frameworks"],
  ["/frameworks/:fid/tasks/:tid", tasks.renderOne, "Task", "/tasks"],
  ["/frameworks/:id", frameworks.renderOne, "Framework", "/frameworks"],
  ["/agents", agents.render, agents.title, "/agents"],
  ["/agents/:id/frameworks/:fid/executors/:eid/browse", agents.renderBrowse, "Sandbox", "/agents"],
  ["/agents/:id/frameworks/:fid/executors/:eid", agents.renderExecutor, "Executor", "/agents"],
  ["/agents/:id", agents.renderOne, "Agent", "/agents"],
  ["/tasks", tasks.render, tasks.title, "/tasks"],
  ["/offers", offers.render, offers.title, "/offers"],
  ["/roles", roles.render, roles.title, "/roles"],
  ["/metrics", metrics.render, metrics.title, "/metrics"],
].map(([pattern, render, title, nav]) => ({ parts: pattern.split("/").filter(Boolean), render, title, nav }));

// match finds the route of a hash ("#/agents/ID?path=/x").
function match(hash) {
  let path = hash.replace(/^#/, "") || "/";
  let query = "";
  const q = path.indexOf("?");
  if (q >= 0) {
    query = path.slice(q + 1);
    path = path.slice(0, q);
  }
  // Mesos' UI called agents slaves; its old links keep working.
  path = path.replace(/^\/slaves(\/|$)/, "/agents$1");
  const segs = path.split("/").filter(Boolean);
  for (const r of ROUTES) {
    if (r.parts.length !== segs.length) continue;
    const params = {};
    let ok = true;
    r.parts.forEach((p, i) => {
      if (p.startsWith(":")) {
        try {
          params[p.slice(1)] = decodeURIComponent(segs[i]);
        } catch {
          ok = false;
        }
      } else if (p !== segs[i]) ok = false;
    });
    if (ok) return { route: r, params, query: new URLSearchParams(query), key: path };
  }
  return { route: null, params: {}, query: new URLSearchParams(query), key: path };
}

// The poll interval grows with the cluster, as Mesos' does, but starts at
// 3 s: full-state polling is what a server-sent stream will replace.
function pollInterval(agentCount) {
  if (agentCount < 500) return 3000;
  if (agentCount < 1000) return 10000;
  if (agentCount < 5000) return 30000;
  return 60000;
}

const store = {
  state: null, stateError: null, stateAt: 0,
  metrics: null, metricsError: null,
  history: new History(metrics.PLOTTED.map((p) => p[0])),
  bytes: [], // [time ms, bytes] of each poll, for the cost shown in the footer
};

let tick = 0;
const loads = new Map();
const uiState = new Map();
let current = "";

// load runs fetch once per poll for the page being shown and keeps its last
// answer while the next is under way; an endpoint that answered 404 is
// asked again only after a minute.
function load(key, fetcher) {
  let e = loads.get(key);
  const stale = e && !e.inflight && e.tick < tick &&
    !((e.error instanceof NotAvailable || e.error instanceof Unreadable) && Date.now() - e.at < 60000);
  if (!e || stale) {
    e = { status: e ? e.status : "pending", value: e && e.value, error: e && e.error, tick, at: Date.now(), inflight: true };
    loads.set(key, e);
    const entry = e;
    fetcher().then((v) => {
      entry.status = "ok";
      entry.value = v;
      entry.error = null;
      if (v && v.bytes) store.bytes.push([Date.now(), v.bytes]);
    }, (err) => {
      entry.status = "error";
      entry.error = err;
    }).finally(() => {
      entry.inflight = false;
      entry.at = Date.now();
      if (loads.get(key) === entry) scheduleRender();
    });
  }
  return e;
}

let renderQueued = false;
function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

function render() {
  const view = document.getElementById("view");
  const m = match(window.location.hash);
  if (m.key !== current) {
    current = m.key;
    loads.clear();
    window.scrollTo(0, 0);
  }
  for (const a of document.querySelectorAll("nav a")) {
    if (m.route && a.getAttribute("href") === "#" + m.route.nav) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  renderStatus();
  let title = m.route ? m.route.title : "Not found";
  let node;
  if (!m.route) {
    node = notice("warn", "There is no page ", h("code", {}, window.location.hash), ". ", link("/", "Overview"));
  } else if (!store.state) {
    node = store.stateError
      ? notice("error", "Cannot read the master's state: " + store.stateError.message + ". Retrying.")
      : h("p", { class: "muted" }, "Loading…");
  } else {
    if (!uiState.has(m.key)) uiState.set(m.key, {});
    const ctx = {
      state: store.state, idx: store.idx, metrics: store.metrics, metricsError: store.metricsError,
      history: store.history, params: m.params, query: m.query, ui: uiState.get(m.key), now: Date.now(),
      load, refresh: scheduleRender, setTitle: (t) => { title = t; },
    };
    node = m.route.render(ctx);
  }
  document.title = `${title} · gomesos`;
  // Keep the focus and caret of an input across the re-render.
  const active = document.activeElement;
  const focusID = active && active.id && view.contains(active) ? active.id : null;
  const caret = focusID && typeof active.selectionStart === "number" ? [active.selectionStart, active.selectionEnd] : null;
  view.replaceChildren();
  append(view, [leaderNotice(), node]);
  if (focusID) {
    const el = document.getElementById(focusID);
    if (el) {
      el.focus();
      if (caret && el.setSelectionRange) el.setSelectionRange(caret[0], caret[1]);
    }
  }
}

// leaderNotice says so when this master is not the leader.
function leaderNotice() {
  const st = store.state;
  if (!st || !st.leader || st.leader === st.pid) return null;
  const li = st.leader_info || {};
  const href = li.hostname && li.port ? `//${li.hostname}:${li.port}/` : null;
  return notice("warn", "This master is not the leader; its view may be stale. The leader is ",
    href ? h("a", { href }, st.leader) : st.leader, ".");
}

function renderStatus() {
  const el = document.getElementById("status");
  const st = store.state;
  el.replaceChildren();
  if (store.stateError) {
    append(el, [h("span", { class: "dot bad" }), " master unreachable"]);
    el.title = store.stateError.message;
  } else if (st) {
    append(el, [h("span", { class: "dot ok" }), " updated ", ago(store.stateAt / 1000)]);
    el.title = "Polling every " + pollInterval((st.slaves || []).length) / 1000 + " s";
  }
  const cost = document.getElementById("cost");
  const now = Date.now();
  store.bytes = store.bytes.filter(([t]) => t > now - 60000);
  const total = store.bytes.reduce((s, [, b]) => s + b, 0);
  cost.textContent = `This page reads about ${mb(total / (1024 * 1024))} a minute from the master.`;
  if (st) {
    document.getElementById("cluster").textContent = st.cluster || st.hostname || "";
  }
}

let timer = null;
let polling = false;
async function poll() {
  clearTimeout(timer);
  timer = null;
  if (polling || document.hidden) return; // a hidden page is resumed by visibilitychange
  polling = true;
  tick++;
  const [st, mt] = await Promise.allSettled([getJSON("master/state"), getJSON("metrics/snapshot")]);
  const now = Date.now();
  if (st.status === "fulfilled") {
    store.state = st.value.json;
    store.idx = index(store.state);
    store.stateError = null;
    store.stateAt = now;
    store.bytes.push([now, st.value.bytes]);
  } else {
    store.stateError = st.reason;
  }
  if (mt.status === "fulfilled") {
    store.metrics = mt.value.json;
    store.metricsError = null;
    store.history.add(now, store.metrics);
    store.bytes.push([now, mt.value.bytes]);
  } else {
    store.metricsError = mt.reason;
  }
  polling = false;
  render();
  if (!timer) timer = setTimeout(poll, pollInterval(store.state ? (store.state.slaves || []).length : 0));
}

window.addEventListener("hashchange", render);
document.addEventListener("visibilitychange", () => {
  if (!document.hidden && !timer) poll();
});
// Relative times ("5 s ago") move on between polls.
setInterval(renderStatus, 1000);
poll();
