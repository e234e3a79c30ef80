// The agents list, an agent's own page (with what the agent itself
// reports: executors, sandboxes, usage) and sandbox browsing.
import { h, link, external, section, dl, table, notice } from "../dom.js";
import { res, date, ago, shortID, num, bytes } from "../format.js";
import { getAgentJSON, agentBase } from "../api.js";
import { agentRoute, frameworkRoute, browseRoute, taskTable, resourceTable, loadNotice } from "./common.js";

export const title = "Agents";

function used(a, k) {
  return `${res(a.used_resources, k)} / ${res(a.resources, k)}`;
}

export function render(ctx) {
  const agents = ctx.state.slaves || [];
  return section(`Agents (${agents.length})`, table([
    { title: "ID", cell: (a) => link(agentRoute(a.id), shortID(a.id, ctx.state.id), { title: a.id, class: "mono" }) },
    { title: "Host", cell: (a) => ctx.idx.agentLabel.get(a.id) },
    { title: "CPUs", class: "num", help: "allocated / total", cell: (a) => used(a, "cpus") },
    { title: "GPUs", class: "num", help: "allocated / total", cell: (a) => used(a, "gpus") },
    { title: "Mem", class: "num", help: "allocated / total", cell: (a) => used(a, "mem") },
    { title: "Disk", class: "num", help: "allocated / total", cell: (a) => used(a, "disk") },
    { title: "Tasks", class: "num", cell: (a) => String(ctx.idx.tasks.filter((t) => t.list === "active" && t.slave_id === a.id).length) },
    { title: "State", cell: (a) => a.active ? h("span", { class: "ok" }, "active") : h("span", { class: "bad" }, "inactive") },
    { title: "Registered", cell: (a) => h("span", { title: date(a.registered_time) }, ago(a.registered_time, ctx.now)) },
    { title: "Version", cell: (a) => a.version },
  ], agents, "No agents are registered.", { id: "agents" }));
}

export function renderOne(ctx) {
  const id = ctx.params.id;
  const a = ctx.idx.agents.get(id);
  if (!a) return notice("warn", "No agent ", h("code", {}, id), " is registered with this master. ", link("/agents", "All agents"));
  ctx.setTitle("Agent " + a.hostname);
  const tasks = ctx.idx.tasks.filter((t) => t.slave_id === id);
  const base = agentBase(a);
  const own = ctx.load("agent-state:" + id, () => getAgentJSON(a, "state"));
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
  const rows = [];
  for (const f of entry.value.json.frameworks || []) {
    for (const e of f.executors || []) rows.push({ ...e, framework: f, done: false });
    for (const e of f.completed_executors || []) rows.push({ ...e, framework: f, done: true });
  }
  return table([
    { title: "ID", cell: (e) => h("span", { class: "mono" }, e.id) },
    { title: "Name", cell: (e) => e.name },
    { title: "Framework", cell: (e) => link(frameworkRoute(e.framework.id), e.framework.name, { title: e.framework.id }) },
    { title: "Tasks", class: "num", cell: (e) => String((e.tasks || []).length) },
    { title: "CPUs", class: "num", cell: (e) => res(e.resources, "cpus") },
    { title: "Mem", class: "num", cell: (e) => res(e.resources, "mem") },
    { title: "State", cell: (e) => e.done ? "terminated" : "running" },
    { title: "Sandbox", cell: (e) => link(browseRoute(a.id, e.framework.id, e.id), "Sandbox", { title: e.directory }) },
  ], rows, "The agent runs no executors.");
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
  let dir = "";
  for (const f of own.value.json.frameworks || []) {
    if (f.id !== fid) continue;
    for (const e of [...(f.executors || []), ...(f.completed_executors || [])]) {
      if (e.id === eid) dir = e.directory;
    }
  }
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

