// The UI's shell: hash routes to pages, the master's event stream
// (/master/stream: an overview, framework and agent summaries, task
// changes) kept in a store, the master's last hour of allocation
// (master/allocation-history) read once and /metrics/snapshot polled for
// the plots, and
// re-rendering when any of them changes. Pages are functions of that
// store and of what they load themselves (see pages/): paged /tasks and
// /master/offers, one framework or agent on the detail pages.
import { h, append, notice, link } from "./dom.js";
import { getJSON, NotAvailable, Unreadable } from "./api.js";
import { index, agentLabels } from "./model.js";
import { History } from "./plot.js";
import { ago, mb } from "./format.js";
import * as home from "./pages/home.js";
import * as frameworks from "./pages/frameworks.js";
import * as agents from "./pages/agents.js";
import * as tasks from "./pages/tasks.js";
import * as offers from "./pages/offers.js";
import * as roles from "./pages/roles.js";
import * as metrics from "./pages/metrics.js";
import * as explain from "./pages/explain.js";
import { Live } from "./live.js";

// Routes, most specific first; ":name" captures one path segment. needs:
// "framework" and "agent" pages read that one framework or agent
// (/master/frameworks?framework_id=, /master/slaves?slave_id=), "agents"
// pages the agents' summaries from the stream. No page reads
// /master/state.
const ROUTES = [
  ["/", home.render, home.title, "/"],
  ["/frameworks", frameworks.render, frameworks.title, "/frameworks"],
  ["/frameworks/:fid/tasks/:tid", tasks.renderOne, "Task", "/tasks"],
  ["/frameworks/:id/explain", explain.render, explain.title, "/frameworks"],
  ["/frameworks/:id", frameworks.renderOne, "Framework", "/frameworks", "framework"],
  ["/agents", agents.render, agents.title, "/agents", "agents"],
  ["/agents/:id/frameworks/:fid/executors/:eid/browse", agents.renderBrowse, "Sandbox", "/agents", "agent"],
  ["/agents/:id/frameworks/:fid/executors/:eid", agents.renderExecutor, "Executor", "/agents", "agent"],
  ["/agents/:id", agents.renderOne, "Agent", "/agents", "agent"],
  ["/tasks", tasks.render, tasks.title, "/tasks"],
  ["/offers", offers.render, offers.title, "/offers"],
  ["/roles", roles.render, roles.title, "/roles"],
  ["/metrics", metrics.render, metrics.title, "/metrics"],
].map(([pattern, render, title, nav, needs]) => ({ parts: pattern.split("/").filter(Boolean), render, title, nav, needs: needs || "" }));

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

// METRICS_EVERY is how often /metrics/snapshot is read for the plots;
// DETAIL_EVERY bounds how often a page re-reads what its needs name.
const METRICS_EVERY = 5000;
const DETAIL_EVERY = { framework: 5000, agent: 2000 };

const store = {
  live: new Live(),
  metrics: null, metricsError: null, historyError: null,
  history: new History(metrics.PLOTTED.map((p) => p[0])),
  bytes: [], // [time ms, bytes] of each answer and event, for the cost shown in the footer
};

let tick = 0;
const loads = new Map();
const uiState = new Map();
let current = "";

// load runs fetch for the page being shown, again after a change on the
// stream (at most every minMs), and keeps its last answer while the next
// is under way; an endpoint that answered 404 is asked again only after a
// minute.
function load(key, fetcher, minMs = 2000) {
  let e = loads.get(key);
  const stale = e && !e.inflight && e.tick < tick && Date.now() - e.at >= minMs &&
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

let stateIdx = { value: null, idx: null };

// detailURL is what a route's needs read from the master, if anything.
function detailURL(needs, params) {
  const enc = encodeURIComponent;
  switch (needs) {
    case "framework": return "master/frameworks?framework_id=" + enc(params.id);
    case "agent": return "master/slaves?slave_id=" + enc(params.id);
  }
  return null;
}

// liveIndex is the index (see model.js) of what the stream holds: the
// frameworks' and agents' summaries, no tasks.
function liveIndex(live) {
  const agents = live.agents || new Map();
  return { frameworks: live.frameworks, agents, tasks: [], agentLabel: agentLabels([...agents.values()]) };
}

function render() {
  const view = document.getElementById("view");
  const m = match(window.location.hash);
  if (m.key !== current) {
    current = m.key;
    loads.clear();
    window.scrollTo(0, 0);
  }
  connect(m.route && m.route.needs === "agents");
  for (const a of document.querySelectorAll("nav a")) {
    if (m.route && a.getAttribute("href") === "#" + m.route.nav) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  renderStatus();
  const live = store.live;
  let title = m.route ? m.route.title : "Not found";
  let node;
  if (!m.route) {
    node = notice("warn", "There is no page ", h("code", {}, window.location.hash), ". ", link("/", "Overview"));
  } else if (!live.overview) {
    node = live.error
      ? notice("error", "Cannot read the master's event stream: " + live.error + ". Retrying.")
      : h("p", { class: "muted" }, "Loading…");
  } else {
    if (!uiState.has(m.key)) uiState.set(m.key, {});
    const ctx = {
      live, overview: live.overview, metrics: store.metrics, metricsError: store.metricsError, historyError: store.historyError,
      history: store.history, params: m.params, query: m.query, ui: uiState.get(m.key), now: Date.now(),
      load, refresh: scheduleRender, setTitle: (t) => { title = t; },
    };
    // Pages fed by the stream share the task tables of the state pages:
    // they get the summaries as their index and the master's id.
    ctx.state = { id: live.overview.id };
    ctx.idx = liveIndex(live);
    const detail = detailURL(m.route.needs, m.params);
    let wait = null;
    if (detail) {
      const st = load("detail:" + detail, () => getJSON(detail), DETAIL_EVERY[m.route.needs]);
      if (st.value && stateIdx.value !== st.value) stateIdx = { value: st.value, idx: index(st.value.json) };
      if (st.value) {
        ctx.state = { ...st.value.json, id: live.overview.id };
        ctx.idx = stateIdx.idx;
      } else {
        wait = st.error
          ? notice("error", "Cannot read " + detail + ": " + st.error.message + ". Retrying.")
          : h("p", { class: "muted" }, "Loading…");
      }
    }
    if (wait) {
      node = wait;
    } else {
      node = m.route.render(ctx);
    }
  }
  document.title = `${title} · gomesos`;
  // Keep the focus and caret of an input across the re-render.
  const active = document.activeElement;
  const focusID = active && active.id && view.contains(active) ? active.id : null;
  const caret = focusID && typeof active.selectionStart === "number" ? [active.selectionStart, active.selectionEnd] : null;
  // Keep where a live tail is scrolled to.
  const tails = [...view.querySelectorAll("pre.tail")].map((p) => [p.id, p.scrollTop, p.scrollHeight - p.clientHeight - p.scrollTop < 4]);
  view.replaceChildren();
  append(view, [leaderNotice(), node]);
  for (const [id, top, atEnd] of tails) {
    const p = id && document.getElementById(id);
    if (p) p.scrollTop = atEnd ? p.scrollHeight : top;
  }
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
  const ov = store.live.overview;
  if (!ov || !ov.leader || ov.leader === ov.pid) return null;
  return notice("warn", "This master is not the leader; its view may be stale. The leader is ", ov.leader, ".");
}

function renderStatus() {
  const el = document.getElementById("status");
  const live = store.live;
  el.replaceChildren();
  if (live.error && !live.connected) {
    append(el, [h("span", { class: "dot bad" }), " master unreachable"]);
    el.title = live.error;
  } else if (live.overview) {
    append(el, [h("span", { class: "dot ok" }), " live, changed ", ago(live.changedAt / 1000)]);
    el.title = "Changes arrive on /master/stream as they happen (at most once a second)";
  }
  const cost = document.getElementById("cost");
  const now = Date.now();
  store.bytes = store.bytes.filter(([t]) => t > now - 60000);
  const total = store.bytes.reduce((s, [, b]) => s + b, 0);
  cost.textContent = `This page reads about ${mb(total / (1024 * 1024))} a minute from the master.`;
  if (live.overview) {
    document.getElementById("cluster").textContent = live.overview.cluster || live.overview.hostname || "";
  }
}

// connect keeps one event stream open, with the agents' summaries only
// while an agents page is shown (they are large at 10,000 agents).
let source = null;
let sourceAgents = false;
function connect(agents) {
  if (source && sourceAgents === agents) return;
  if (source) source.close();
  sourceAgents = agents;
  source = new EventSource("master/stream" + (agents ? "?slaves=true" : ""));
  const on = (name, f) => source.addEventListener(name, (e) => {
    store.bytes.push([Date.now(), e.data ? e.data.length : 0]);
    f(e.data ? JSON.parse(e.data) : null);
    tick++;
    scheduleRender();
  });
  on("snapshot", (d) => store.live.snapshot(d, agents));
  on("delta", (d) => store.live.delta(d));
  on("dropped", (d) => store.live.fail(d.message));
  on("unavailable", (d) => store.live.fail(d.message));
  source.onopen = () => { store.live.connected = true; };
  source.onerror = () => {
    store.live.connected = false;
    store.live.error = store.live.error || "the connection to /master/stream was lost; reconnecting";
    scheduleRender();
  };
}

// historySnapshot is one sample of master/allocation-history under the
// metric names the plots show.
function historySnapshot(s) {
  const share = (name) => (s.total && s.total[name] > 0 ? (s.used[name] || 0) / s.total[name] : 0);
  const tasks = s.tasks || {};
  return {
    "master/cpus_percent": share("cpus"),
    "master/mem_percent": share("mem"),
    "master/disk_percent": share("disk"),
    "master/gpus_percent": share("gpus"),
    "master/tasks_running": tasks.TASK_RUNNING || 0,
    "master/tasks_staging": tasks.TASK_STAGING || 0,
    "master/outstanding_offers": s.outstanding_offers || 0,
    "master/frameworks_active": s.active_frameworks || 0,
    "master/slaves_active": s.activated_slaves || 0,
  };
}

// loadHistory starts the plots from the master's last hour. A master that
// does not keep one (404) leaves them to the browser's own samples.
async function loadHistory() {
  try {
    const r = await getJSON("master/allocation-history");
    store.history.seed((r.json.samples || []).map((s) => [s.time * 1000, historySnapshot(s)]));
    store.bytes.push([Date.now(), r.bytes]);
    scheduleRender();
  } catch (err) {
    store.historyError = err instanceof NotAvailable ? null : err;
    scheduleRender();
  }
}

let metricsTimer = null;
async function pollMetrics() {
  clearTimeout(metricsTimer);
  metricsTimer = null;
  if (document.hidden) return; // resumed by visibilitychange
  try {
    const mt = await getJSON("metrics/snapshot");
    const now = Date.now();
    store.metrics = mt.json;
    store.metricsError = null;
    store.history.add(now, store.metrics);
    store.bytes.push([now, mt.bytes]);
  } catch (err) {
    store.metricsError = err;
  }
  scheduleRender();
  if (!metricsTimer) metricsTimer = setTimeout(pollMetrics, METRICS_EVERY);
}

window.addEventListener("hashchange", render);
document.addEventListener("visibilitychange", () => {
  if (!document.hidden && !metricsTimer) pollMetrics();
});
// Relative times ("5 s ago") move on between events.
setInterval(renderStatus, 1000);
render();
loadHistory();
pollMetrics();
