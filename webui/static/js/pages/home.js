// The home page: who the master is, counts of agents and tasks, the
// cluster's resources, allocation over time and the task tables.
import { h, link, section, dl, table, notice } from "../dom.js";
import { date, ago, percent } from "../format.js";
import { TASK_STATES } from "../model.js";
import { sub } from "../format.js";
import { getJSON } from "../api.js";
import { sparkline } from "../plot.js";
import { taskTable, resourceTable, loadNotice, taskRoute, badge } from "./common.js";
import { activeTasks, overlay } from "../live.js";

export const title = "Overview";

// TERMINAL are the states of finished tasks.
const TERMINAL = new Set(["TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST", "TASK_ERROR", "TASK_DROPPED",
  "TASK_GONE", "TASK_GONE_BY_OPERATOR", "TASK_UNKNOWN"]);

// RECENT is how many of the newest tasks the home page reads (/tasks).
const RECENT = 100;

export function render(ctx) {
  const st = ctx.overview;
  const r = st.resources || {};
  const idle = sub(sub(r.total || {}, r.used || {}), r.offered || {});
  const t = { total: r.total || {}, used: r.used || {}, offered: r.offered || {}, idle };
  const counts = { ...(st.tasks || {}) };
  const page = ctx.load("home-tasks", () => getJSON(`tasks?limit=${RECENT}&order=desc`));
  const listed = page.value ? overlay(page.value.json.tasks || [], ctx.live.recent).map((x) => ({
    ...x, list: x.state === "TASK_UNREACHABLE" ? "unreachable" : TERMINAL.has(x.state) ? "completed" : "active",
  })) : [];
  const active = listed.filter((x) => x.list === "active");
  const unreachable = listed.filter((x) => x.list === "unreachable");
  const completed = listed.filter((x) => x.list === "completed");
  const wait = loadNotice(page, "the latest tasks");

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

  const plots = section("Allocation over the last hour",
    allocationPlots(ctx),
    h("p", { class: "muted small" }, link("/metrics", "More plots"), " · the last hour"));

  const changes = section("Latest changes",
    table([
      { title: "Task", cell: (c) => link(taskRoute(c.framework_id, c.id), c.id, { class: "mono" }) },
      { title: "State", cell: (c) => badge(c.state) },
      { title: "When", cell: (c) => c.timestamp ? h("span", { title: date(c.timestamp) }, ago(c.timestamp, ctx.now)) : "" },
    ], ctx.live.recent.slice(0, 10), "None since this page opened.", { class: "grid changes", id: "changes" }));

  return h("div", { class: "layout" },
    h("aside", { class: "side" }, master, agentCounts, taskCounts, changes),
    h("div", { class: "body" },
      h("div", { class: "row" }, resources, plots),
      wait,
      section(`Active tasks (${activeTasks(counts)})`, taskTable(ctx, active, "No active tasks among the latest.", { list: "active" }), more(active, activeTasks(counts))),
      unreachable.length ? section(`Unreachable tasks (${counts.TASK_UNREACHABLE || 0})`, taskTable(ctx, unreachable, "", { list: "unreachable", when: "updated" })) : null,
      section(`Completed tasks`, taskTable(ctx, completed, "No completed tasks among the latest.", { list: "completed", when: "updated" }))));
}

// more says when the table shows only some of the tasks (the home page
// lists the newest hundred of every state).
function more(shown, all) {
  if (all <= shown.length) return null;
  return h("p", { class: "muted" }, `${shown.length} of ${all} among the ${RECENT} newest tasks; `, link("/tasks", "all tasks"), ".");
}

// allocationPlots shows the share of CPUs, memory and disk allocated over
// the last hour.
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

