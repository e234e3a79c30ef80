// The agents list, an agent's own page (with what the agent itself
// reports: executors, sandboxes, usage) and sandbox browsing.
import { h, link, external, section, dl, table, notice } from "../dom.js";
import { res, date, ago, shortID, num, bytes } from "../format.js";
import { getAgentJSON, agentBase, NotAvailable } from "../api.js";
import { Tail } from "../tail.js";
import { activeTasks } from "../live.js";
import { agentRoute, frameworkRoute, browseRoute, executorRoute, taskRoute, taskTable, resourceTable, loadNotice, badge } from "./common.js";

export const title = "Agents";

function used(a, k) {
  return `${res(a.used_resources, k)} / ${res(a.resources, k)}`;
}

// PAGE is how many agents the list shows at a time: at 10,000 agents a
// table of all of them would take the browser seconds to redraw on every
// change.
const PAGE = 100;

// byID is the agents sorted by ID, kept until an agent comes or goes.
let byID = { members: -1, map: null, list: [] };
function sorted(live) {
  const m = live.agents || new Map();
  if (byID.map !== m || byID.members !== live.agentsMembers) {
    byID = { map: m, members: live.agentsMembers, list: [...m.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)) };
  }
  return byID.list;
}

// render lists the agents from the stream's summaries, a page at a time,
// filtered by ID or host as one types.
export function render(ctx) {
  const ui = ctx.ui;
  ui.filter = ui.filter || "";
  ui.page = ui.page || 0;
  const agents = ctx.live.agents || new Map();
  const ids = sorted(ctx.live);
  const q = ui.filter.trim().toLowerCase();
  const matching = q ? ids.filter((id) => {
    return id.toLowerCase().includes(q) || String(ctx.idx.agentLabel.get(id) || "").toLowerCase().includes(q);
  }) : ids;
  const pages = Math.max(1, Math.ceil(matching.length / PAGE));
  const page = Math.min(ui.page, pages - 1);
  const rows = matching.slice(page * PAGE, (page + 1) * PAGE).map((id) => agents.get(id));
  const controls = h("div", { class: "controls" },
    h("input", {
      id: "agent-filter", type: "search", placeholder: "Filter by ID or host…", value: ui.filter,
      oninput: (e) => { ui.filter = e.target.value; ui.page = 0; ctx.refresh(); },
    }),
    h("span", { class: "muted" }, q ? `${matching.length} of ${ids.length} agents match` : `${ids.length} agents`),
    pages > 1 ? h("span", { class: "pager" },
      h("button", { id: "agents-prev", disabled: page === 0, onclick: () => { ui.page = page - 1; ctx.refresh(); } }, "‹ Previous"),
      ` page ${page + 1} of ${pages} `,
      h("button", { id: "agents-next", disabled: page >= pages - 1, onclick: () => { ui.page = page + 1; ctx.refresh(); } }, "Next ›")) : null);
  return section(`Agents (${ids.length})`, controls, table([
    { title: "ID", cell: (a) => link(agentRoute(a.id), shortID(a.id, ctx.state.id), { title: a.id, class: "mono" }) },
    { title: "Host", cell: (a) => ctx.idx.agentLabel.get(a.id) },
    { title: "CPUs", class: "num", help: "allocated / total", cell: (a) => used(a, "cpus") },
    { title: "GPUs", class: "num", help: "allocated / total", cell: (a) => used(a, "gpus") },
    { title: "Mem", class: "num", help: "allocated / total", cell: (a) => used(a, "mem") },
    { title: "Disk", class: "num", help: "allocated / total", cell: (a) => used(a, "disk") },
    { title: "Tasks", class: "num", help: "staging, starting, running or killing", cell: (a) => String(activeTasks(a)) },
    { title: "State", cell: (a) => a.active ? h("span", { class: "ok" }, "active") : h("span", { class: "bad" }, "inactive") },
    { title: "Registered", cell: (a) => h("span", { title: date(a.registered_time) }, ago(a.registered_time, ctx.now)) },
    { title: "Version", cell: (a) => a.version },
  ], rows, ids.length ? "No agent matches." : "No agents are registered.", { id: "agents" }));
}

export function renderOne(ctx) {
  const id = ctx.params.id;
  const a = ctx.idx.agents.get(id);
  if (!a) return notice("warn", "No agent ", h("code", {}, id), " is registered with this master. ", link("/agents", "All agents"));
  ctx.setTitle("Agent " + a.hostname);
  const base = agentBase(a);
  const own = ctx.load("agent-state:" + id, () => getAgentJSON(a, "state"));
  // The tasks are what the agent itself reports (its executors' tasks).
  const tasks = [];
  if (own.status === "ok") {
    for (const e of executors(own.value.json)) {
      for (const t of [...(e.queued_tasks || []), ...(e.tasks || [])]) tasks.push({ ...t, framework_id: t.framework_id || e.framework.id, list: "active" });
      for (const t of e.completed_tasks || []) tasks.push({ ...t, framework_id: t.framework_id || e.framework.id, list: "completed" });
    }
  }
  const usage = ctx.load("agent-usage:" + id, () => getAgentJSON(a, "monitor/statistics"));
  const reserved = Object.entries(a.reserved_resources || {}).map(([role, r]) => ["Reserved for " + role, r]);
  return h("div", {},
    h("h1", {}, "Agent ", h("span", { class: "mono" }, ctx.idx.agentLabel.get(a.id))),
    h("div", { class: "row" },
      section("Information", dl([
        ["ID", h("span", { class: "mono" }, a.id)],
        ["PID", h("span", { class: "mono" }, a.pid)],
        ["State", a.active ? "active" : "inactive"],
        ["Version", a.version],
        ["Registered", date(a.registered_time)],
        ["Re-registered", date(a.reregistered_time)],
        ["Attributes", Object.entries(a.attributes || {}).map(([k, v]) => `${k}:${v}`).join("; ")],
        ["Ports", (a.resources || {}).ports],
        ["Capabilities", (a.capabilities || []).join(", ")],
        ["Endpoints", base ? [external(base.base + "state", "state"), " ", external(base.base + "flags", "flags")] : null],
      ])),
      section("Resources", resourceTable([
        ["Total", a.resources], ["Allocated", a.used_resources], ["Offered", a.offered_resources],
        ["Unreserved", a.unreserved_resources], ...reserved]))),
    section("Usage", usageView(usage)),
    section("Executors on this agent", executorsView(ctx, a, own)),
    section(`Active tasks (${tasks.filter((t) => t.list === "active").length})`,
      taskTable(ctx, tasks.filter((t) => t.list === "active"), "No active tasks on this agent.", { agent: false })),
    section(`Completed tasks (${tasks.filter((t) => t.list === "completed").length})`,
      taskTable(ctx, tasks.filter((t) => t.list === "completed"), "No completed tasks on this agent.", { agent: false, when: "updated", limit: 100 })));
}

// executorsView lists the executors the agent itself reports, with their
// sandboxes.
function executorsView(ctx, a, entry) {
  const wait = loadNotice(entry, "the agent's state");
  if (wait) return wait;
  const rows = executors(entry.value.json);
  return table([
    { title: "ID", cell: (e) => link(executorRoute(a.id, e.framework.id, e.id), e.id, { class: "mono" }) },
    { title: "Name", cell: (e) => e.name },
    { title: "Framework", cell: (e) => link(frameworkRoute(e.framework.id), e.framework.name, { title: e.framework.id }) },
    { title: "Tasks", class: "num", cell: (e) => String((e.tasks || []).length) },
    { title: "CPUs", class: "num", cell: (e) => res(e.resources, "cpus") },
    { title: "Mem", class: "num", cell: (e) => res(e.resources, "mem") },
    { title: "State", cell: (e) => e.done ? "terminated" : "running" },
    { title: "Sandbox", cell: (e) => link(browseRoute(a.id, e.framework.id, e.id), "Sandbox", { title: e.directory }) },
  ], rows, "The agent runs no executors.");
}

// executors lists what an agent's /state holds of its executors, running
// and completed, with their frameworks.
function executors(agentState) {
  const rows = [];
  for (const f of [...(agentState.frameworks || []), ...(agentState.completed_frameworks || [])]) {
    for (const e of f.executors || []) rows.push({ ...e, framework: f, done: false });
    for (const e of f.completed_executors || []) rows.push({ ...e, framework: f, done: true });
  }
  return rows;
}

// renderExecutor is one executor as its agent reports it: where it runs,
// its sandbox and its tasks.
export function renderExecutor(ctx) {
  const { id, fid, eid } = ctx.params;
  const a = ctx.idx.agents.get(id);
  if (!a) return notice("warn", "No agent ", h("code", {}, id), " is registered with this master.");
  ctx.setTitle("Executor " + eid);
  const own = ctx.load("agent-state:" + id, () => getAgentJSON(a, "state"));
  const head = h("h1", {}, "Executor ", h("span", { class: "mono" }, eid), " on ", link(agentRoute(id), ctx.idx.agentLabel.get(id)));
  const wait = loadNotice(own, "the agent's state");
  if (wait) return h("div", {}, head, wait);
  const e = executors(own.value.json).filter((x) => x.framework.id === fid && x.id === eid).sort((x, y) => x.done - y.done)[0];
  if (!e) return h("div", {}, head, notice("warn", "The agent no longer knows executor ", h("code", {}, eid), " of framework ", h("code", {}, fid), "."));
  const tasks = [
    ...(e.queued_tasks || []).map((t) => ({ ...t, list: "queued" })),
    ...(e.tasks || []).map((t) => ({ ...t, list: "active" })),
    ...(e.completed_tasks || []).map((t) => ({ ...t, list: "completed" })),
  ];
  return h("div", {}, head,
    h("div", { class: "row" },
      section("Information", dl([
        ["ID", h("span", { class: "mono" }, e.id)],
        ["Name", e.name],
        ["Framework", link(frameworkRoute(fid), e.framework.name, { title: fid })],
        ["Source", e.source],
        ["Role", e.role],
        ["Container", h("span", { class: "mono" }, e.container || "")],
        ["State", e.done ? "terminated" : "running"],
        ["Sandbox", link(browseRoute(id, fid, eid), e.directory, { class: "mono" })],
      ])),
      section("Resources", resourceTable([["Executor", e.resources]]))),
    section(`Tasks (${tasks.length})`, table([
      { title: "Task ID", cell: (t) => link(taskRoute(t.framework_id || fid, t.id), t.id, { class: "mono" }) },
      { title: "Name", cell: (t) => t.name },
      { title: "State", cell: (t) => t.list === "queued" ? badge("QUEUED") : badge(t.state) },
      { title: "Updated", cell: (t) => {
        const s = t.statuses || [];
        const ts = s.length ? s[s.length - 1].timestamp : 0;
        return h("span", { title: date(ts) }, ago(ts, ctx.now));
      } },
      { title: "CPUs", class: "num", cell: (t) => res(t.resources, "cpus") },
      { title: "Mem", class: "num", cell: (t) => res(t.resources, "mem") },
    ], tasks, "The executor has no tasks.", { id: "executor-tasks" })));
}

// usageView shows /monitor/statistics: what each executor's container uses.
function usageView(entry) {
  const wait = loadNotice(entry, "resource usage",
    "This agent does not report resource usage yet (Mesos' /monitor/statistics).");
  if (wait) return wait;
  const rows = Array.isArray(entry.value.json) ? entry.value.json : [];
  return table([
    { title: "Executor", cell: (u) => h("span", { class: "mono" }, u.executor_id) },
    { title: "Framework", cell: (u) => h("span", { class: "mono" }, u.framework_id) },
    { title: "CPU time", class: "num", cell: (u) => num(((u.statistics || {}).cpus_user_time_secs || 0) + ((u.statistics || {}).cpus_system_time_secs || 0)) + " s" },
    { title: "CPU limit", class: "num", cell: (u) => num((u.statistics || {}).cpus_limit) },
    { title: "Mem RSS", class: "num", cell: (u) => bytes((u.statistics || {}).mem_rss_bytes) },
    { title: "Mem limit", class: "num", cell: (u) => bytes((u.statistics || {}).mem_limit_bytes) },
  ], rows, "No executor is running.");
}

// renderBrowse finds an executor's sandbox in the agent's state and lists
// it through the agent's /files/browse.
export function renderBrowse(ctx) {
  const { id, fid, eid } = ctx.params;
  const a = ctx.idx.agents.get(id);
  if (!a) return notice("warn", "No agent ", h("code", {}, id), " is registered with this master.");
  ctx.setTitle("Sandbox of " + eid);
  const own = ctx.load("agent-state:" + id, () => getAgentJSON(a, "state"));
  const head = h("h1", {}, "Sandbox of ", h("span", { class: "mono" }, eid), " on ", link(agentRoute(id), ctx.idx.agentLabel.get(id)));
  const wait = loadNotice(own, "the agent's state");
  if (wait) return h("div", {}, head, wait);
  const found = executors(own.value.json).filter((x) => x.framework.id === fid && x.id === eid).sort((x, y) => x.done - y.done)[0];
  const dir = found ? found.directory : "";
  if (!dir) {
    return h("div", {}, head, notice("warn", "The agent no longer knows executor ", h("code", {}, eid), " of framework ", h("code", {}, fid), " (its sandbox may have been removed)."));
  }
  // Only paths inside the sandbox are asked for; the agent checks again.
  const asked = ctx.query.get("path") || "";
  const path = asked === dir || asked.startsWith(dir + "/") ? asked : dir;
  const listing = ctx.load("browse:" + id + ":" + path, () => getAgentJSON(a, "files/browse?path=" + encodeURIComponent(path)));
  const waitList = loadNotice(listing, "the sandbox listing",
    "This agent does not serve its sandboxes yet (/files/browse, /files/read).");
  return h("div", {}, head,
    section("Live tail", h("p", { class: "muted small" }, "New output appears as the task writes it (read from the agent every second)."),
      h("div", { class: "tails" }, ["stdout", "stderr"].map((name) => tailView(ctx, a, dir + "/" + name, name)))),
    section("Directory", dl([["Path", h("span", { class: "mono" }, path)]]),
      path !== dir ? h("p", {}, link(browseRoute(id, fid, eid) + "?path=" + encodeURIComponent(path.slice(0, path.lastIndexOf("/"))), "‹ Up")) : null,
      waitList || table([
        { title: "Name", cell: (f) => {
          const name = (f.path || "").split("/").pop();
          if ((f.mode || "").startsWith("d")) return link(browseRoute(id, fid, eid) + "?path=" + encodeURIComponent(f.path), name + "/");
          const b = agentBase(a);
          return b ? external(b.base + "files/download?path=" + encodeURIComponent(f.path), name) : name;
        } },
        { title: "Mode", cell: (f) => h("span", { class: "mono" }, f.mode || "") },
        { title: "Size", class: "num", cell: (f) => bytes(f.size) },
        { title: "Modified", cell: (f) => date(f.mtime) },
      ], Array.isArray(listing.value.json) ? listing.value.json : [], "The directory is empty.")));
}


// tailView follows one file of a sandbox while this page is shown.
function tailView(ctx, a, path, name) {
  const tails = (ctx.ui.tails = ctx.ui.tails || new Map());
  let t = tails.get(path);
  if (!t) {
    const hash = window.location.hash;
    t = new Tail((offset, length) => getAgentJSON(a, `files/read?path=${encodeURIComponent(path)}&offset=${offset}&length=${length}`)
      .then((v) => v.json), ctx.refresh, () => window.location.hash === hash);
    tails.set(path, t);
  }
  t.start(); // again after coming back to the page
  const b = agentBase(a);
  return h("div", { class: "tail-box" },
    h("div", { class: "tail-head" }, h("strong", {}, name),
      b ? [" · ", external(b.base + "files/download?path=" + encodeURIComponent(path), "download")] : null),
    t.error ? notice(t.error instanceof NotAvailable ? "info" : "warn", `Cannot read ${name}: ${t.error.message}`) : null,
    h("pre", { class: "tail", id: "tail-" + name }, t.text || (t.offset < 0 ? "…" : "(nothing yet)")));
}
