// The home page: who the master is, counts of agents and tasks, the
// cluster's resources, allocation over time and the task tables.
import { h, link, section, dl, table, notice } from "../dom.js";
import { date, ago, percent } from "../format.js";
import { totals, countStates, TASK_STATES } from "../model.js";
import { sparkline } from "../plot.js";
import { taskTable, resourceTable } from "./common.js";

export const title = "Overview";

export function render(ctx) {
  const st = ctx.state;
  const t = totals(st.slaves || []);
  const counts = countStates(ctx.idx.tasks);
  const active = ctx.idx.tasks.filter((x) => x.list === "active");
  const unreachable = ctx.idx.tasks.filter((x) => x.list === "unreachable");
  const completed = ctx.idx.tasks.filter((x) => x.list === "completed");

  const master = section("Master",
    dl([
      ["Cluster", st.cluster ? st.cluster : h("span", { class: "muted", title: "Set with the master's --cluster flag" }, "(unnamed)")],
      ["ID", h("span", { class: "mono", id: "master-id" }, st.id)],
      ["Leader", st.leader ? h("span", { class: "mono" }, st.leader) : h("span", { class: "bad" }, "no leader elected")],
      ["PID", h("span", { class: "mono" }, st.pid)],
      ["Hostname", st.hostname],
      ["Version", st.version],
      ["Built", [st.build_date, st.build_user && "by " + st.build_user, st.git_sha && "from " + st.git_sha].filter(Boolean).join(" ")],
      ["Started", h("span", { title: date(st.start_time) }, date(st.start_time) + " (" + ago(st.start_time, ctx.now) + ")")],
      ["Elected", st.elected_time ? h("span", {}, date(st.elected_time)) : null],
    ]));

  const agentCounts = section("Agents",
    table([{ title: "", cell: (r) => r[0] }, { title: "", class: "num", cell: (r) => r[1] }],
      [["Activated", link("/agents", String(st.activated_slaves ?? 0))], ["Deactivated", String(st.deactivated_slaves ?? 0)], ["Unreachable", String(st.unreachable_slaves ?? 0)]],
      "", { class: "grid counts", id: "agent-counts" }));

  const taskCounts = section("Tasks",
    table([{ title: "", cell: (r) => r[0] }, { title: "", class: "num", cell: (r) => r[1] }],
      TASK_STATES.map((s) => [s.replace(/^TASK_/, "").toLowerCase().replace(/^./, (c) => c.toUpperCase()), String(counts[s] || 0)]),
      "", { class: "grid counts", id: "task-counts" }));

  const resources = section("Resources",
    resourceTable([["Total", t.total], ["Allocated", t.used], ["Offered", t.offered], ["Idle", t.idle]], { id: "resources" }));

  const plots = section("Allocation",
    allocationPlots(ctx),
    h("p", { class: "muted small" }, link("/metrics", "More plots"), " · kept in this browser while the page is open"));

  return h("div", { class: "layout" },
    h("aside", { class: "side" }, master, agentCounts, taskCounts),
    h("div", { class: "body" },
      h("div", { class: "row" }, resources, plots),
      section(`Active tasks (${active.length})`, taskTable(ctx, active, "No active tasks.", { list: "active", limit: 100 })),
      unreachable.length ? section(`Unreachable tasks (${unreachable.length})`, taskTable(ctx, unreachable, "", { list: "unreachable", limit: 100, when: "updated" })) : null,
      section(`Completed tasks (${completed.length})`, taskTable(ctx, completed, "No completed tasks.", { list: "completed", limit: 50, when: "updated" }))));
}

// allocationPlots shows the share of CPUs and memory allocated over the
// time this page has been polling.
export function allocationPlots(ctx) {
  if (!ctx.metrics) {
    return ctx.metricsError ? notice("info", "Metrics are not available: " + ctx.metricsError.message) : h("p", { class: "muted" }, "Waiting for metrics…");
  }
  const rows = [
    ["CPUs allocated", "master/cpus_percent"],
    ["Mem allocated", "master/mem_percent"],
    ["Disk allocated", "master/disk_percent"],
  ];
  return h("div", { class: "plots" }, rows.map(([label, name]) => {
    const s = ctx.history.get(name);
    const last = s.length ? s[s.length - 1][1] : ctx.metrics[name];
    return h("div", { class: "plot" },
      h("div", { class: "plot-label" }, label, h("span", { class: "plot-value" }, percent(last))),
      sparkline(s, { top: 1, label, format: percent }));
  }));
}

