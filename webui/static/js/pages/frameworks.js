// The frameworks list and a framework's own page.
import { h, link, external, section, dl, table, notice } from "../dom.js";
import { res, date, ago, shortID, num } from "../format.js";
import { getJSON } from "../api.js";
import { frameworkRoute, agentRoute, taskTable, resourceTable, loadNotice } from "./common.js";
import { activeTasks } from "../live.js";
import { explainTable } from "./explain.js";

export const title = "Frameworks";

function roles(f) {
  return (f.roles && f.roles.length ? f.roles : [f.role || "*"]).join(", ");
}

function columns(ctx, completed) {
  const cols = [
    { title: "ID", cell: (f) => link(frameworkRoute(f.id), shortID(f.id, ctx.state.id), { title: f.id, class: "mono" }) },
    { title: "Host", cell: (f) => f.hostname },
    { title: "User", cell: (f) => f.user },
    { title: "Name", cell: (f) => f.name },
    { title: "Roles", cell: roles },
  ];
  if (!completed) {
    cols.push(
      { title: "Active tasks", class: "num", cell: (f) => String(f.tasks ? f.tasks.length : activeTasks(f)) },
      { title: "CPUs", class: "num", cell: (f) => res(f.used_resources, "cpus") },
      { title: "GPUs", class: "num", cell: (f) => res(f.used_resources, "gpus") },
      { title: "Mem", class: "num", cell: (f) => res(f.used_resources, "mem") },
      { title: "Disk", class: "num", cell: (f) => res(f.used_resources, "disk") },
      { title: "State", cell: (f) => f.active ? h("span", { class: "ok" }, "active") : h("span", { class: "bad" }, f.connected ? "inactive" : "disconnected") },
    );
  }
  cols.push(
    { title: "Registered", cell: (f) => h("span", { title: date(f.registered_time) }, ago(f.registered_time, ctx.now)) },
    completed
      ? { title: "Unregistered", cell: (f) => h("span", { title: date(f.unregistered_time) }, ago(f.unregistered_time, ctx.now)) }
      : { title: "Re-registered", cell: (f) => f.reregistered_time ? h("span", { title: date(f.reregistered_time) }, ago(f.reregistered_time, ctx.now)) : "" },
  );
  return cols;
}

// render lists the registered frameworks from the stream's summaries;
// completed ones are only counted (their tasks make them large).
export function render(ctx) {
  const fws = [...ctx.live.frameworks.values()].sort((a, b) => a.id.localeCompare(b.id));
  const done = ctx.overview.completed_frameworks || 0;
  return h("div", {},
    section(`Registered frameworks (${fws.length})`,
      table(columns(ctx, false), fws, "No frameworks are registered.", { id: "frameworks" })),
    section(`Completed frameworks (${done})`,
      h("p", { class: "muted" }, done ? ["Listed with their tasks in ", external("master/frameworks", "master/frameworks"), "."] : "No completed frameworks.")));
}

export function renderOne(ctx) {
  const id = ctx.params.id;
  const f = ctx.idx.frameworks.get(id);
  if (!f) return notice("warn", "No framework ", h("code", {}, id), " is known to this master. ", link("/frameworks", "All frameworks"));
  ctx.setTitle("Framework " + f.name);
  const tasks = ctx.idx.tasks.filter((t) => t.framework_id === id);
  const explain = ctx.load("explain:" + id, () => getJSON("allocator/explain?framework_id=" + encodeURIComponent(id)));
  return h("div", {},
    h("h1", {}, "Framework ", h("span", { class: "mono" }, f.name), f.completed ? h("span", { class: "badge" }, "completed") : null),
    h("div", { class: "row" },
      section("Information", dl([
        ["ID", h("span", { class: "mono" }, f.id)],
        ["Name", f.name],
        ["User", f.user],
        ["Roles", roles(f)],
        ["Principal", f.principal],
        ["Hostname", f.hostname],
        ["PID", f.pid ? h("span", { class: "mono" }, f.pid) : null],
        // Only web addresses become links: a framework names its own URL.
        ["Web UI", /^https?:\/\//i.test(f.webui_url || "") ? external(f.webui_url, f.webui_url) : f.webui_url],
        ["State", f.completed ? "completed" : (f.active ? "active" : (f.connected ? "inactive" : "disconnected"))],
        ["Failover timeout", num(f.failover_timeout) + " s"],
        ["Checkpoint", f.checkpoint ? "yes" : "no"],
        ["Capabilities", (f.capabilities || []).join(", ")],
        ["Registered", date(f.registered_time)],
        ["Re-registered", date(f.reregistered_time)],
        ["Unregistered", date(f.unregistered_time)],
      ])),
      section("Resources", resourceTable([["Allocated", f.used_resources], ["Offered", f.offered_resources], ["Total", f.resources]]))),
    section("Why no offer?", h("p", {}, link(frameworkRoute(id) + "/explain", "On its own page"), h("span", { class: "muted" }, " · from the allocator's /allocator/explain")), explainTable(ctx, explain)),
    section(`Active tasks (${tasks.filter((t) => t.list === "active").length})`,
      taskTable(ctx, tasks.filter((t) => t.list === "active"), "No active tasks.", { framework: false })),
    tasks.some((t) => t.list === "unreachable") ? section("Unreachable tasks",
      taskTable(ctx, tasks.filter((t) => t.list === "unreachable"), "", { framework: false, when: "updated" })) : null,
    section(`Outstanding offers (${(f.offers || []).length})`, table([
      { title: "ID", cell: (o) => h("span", { class: "mono" }, o.id) },
      { title: "Agent", cell: (o) => link(agentRoute(o.slave_id), hostOf(ctx, o.slave_id)) },
      { title: "Role", cell: (o) => (o.allocation_info || {}).role || "" },
      { title: "CPUs", class: "num", cell: (o) => res(o.resources, "cpus") },
      { title: "Mem", class: "num", cell: (o) => res(o.resources, "mem") },
      { title: "Disk", class: "num", cell: (o) => res(o.resources, "disk") },
    ], f.offers || [], "No outstanding offers.")),
    section(`Executors (${(f.executors || []).length})`, table([
      { title: "ID", cell: (e) => h("span", { class: "mono" }, e.executor_id) },
      { title: "Name", cell: (e) => e.name },
      { title: "Agent", cell: (e) => link(agentRoute(e.slave_id), hostOf(ctx, e.slave_id)) },
      { title: "CPUs", class: "num", cell: (e) => res(e.resources, "cpus") },
      { title: "Mem", class: "num", cell: (e) => res(e.resources, "mem") },
    ], f.executors || [], "No custom executors (command tasks run under the agent's command executor).")),
    section(`Completed tasks (${tasks.filter((t) => t.list === "completed").length})`,
      taskTable(ctx, tasks.filter((t) => t.list === "completed"), "No completed tasks.", { framework: false, when: "updated", limit: 100 })));
}

function hostOf(ctx, agentID) {
  const a = ctx.idx.agents.get(agentID);
  return a ? ctx.idx.agentLabel.get(agentID) : shortID(agentID, ctx.state.id);
}
