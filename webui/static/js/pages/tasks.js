// Every task the master knows, a page at a time from /tasks (newest
// first), filtered in the browser; and one task's own page.
import { h, link, external, section, dl, table, notice } from "../dom.js";
import { date, ago, state as stateName, shortID } from "../format.js";
import { updated, roleOf, TASK_STATES } from "../model.js";
import { taskColumns, frameworkRoute, agentRoute, traceURL, browseRoute, resourceTable, badge, loadNotice } from "./common.js";
import { getJSON } from "../api.js";
import { overlay } from "../live.js";

export const title = "Tasks";

const PAGE = 100;

export function render(ctx) {
  const ui = ctx.ui;
  ui.filter = ui.filter || "";
  ui.state = ui.state || "";
  ui.page = ui.page || 0;
  const q = ui.filter.trim().toLowerCase();
  const entry = ctx.load("tasks:" + ui.page, () => getJSON(`tasks?limit=${PAGE}&offset=${ui.page * PAGE}&order=desc`));
  const wait = loadNotice(entry, "the tasks");
  const all = entry.value ? overlay(entry.value.json.tasks || [], ctx.live.recent) : [];
  const shown = all.filter((t) => {
    const s = t.state;
    if (ui.state && s !== ui.state) return false;
    if (!q) return true;
    const fw = ctx.idx.frameworks.get(t.framework_id);
    const agent = ctx.idx.agents.get(t.slave_id);
    return [t.id, t.name, t.framework_id, fw && fw.name, t.slave_id, agent && agent.hostname, s, roleOf(t, fw)]
      .some((x) => x && String(x).toLowerCase().includes(q));
  });
  const known = Object.values(ctx.overview.tasks || {}).reduce((a, b) => a + b, 0);
  const pages = Math.max(1, Math.ceil(known / PAGE), ui.page + (all.length === PAGE ? 2 : 1));
  const rows = shown;
  const controls = h("div", { class: "controls" },
    h("input", {
      id: "task-filter", type: "search", placeholder: "Filter by ID, name, framework, host, state…", value: ui.filter,
      oninput: (e) => { ui.filter = e.target.value; ui.page = 0; ctx.refresh(); },
    }),
    h("select", { id: "task-state", onchange: (e) => { ui.state = e.target.value; ui.page = 0; ctx.refresh(); } },
      h("option", { value: "" }, "All states"),
      TASK_STATES.map((s) => h("option", { value: s, selected: ui.state === s }, stateName(s)))),
    h("span", { class: "muted" }, `${shown.length} of the ${all.length} tasks of this page`),
    pages > 1 ? h("span", { class: "pager" },
      h("button", { disabled: ui.page === 0, onclick: () => { ui.page--; ctx.refresh(); } }, "‹ Newer"),
      ` page ${ui.page + 1} of ${pages} `,
      h("button", { disabled: all.length < PAGE, onclick: () => { ui.page++; ctx.refresh(); } }, "Older ›")) : null);
  return section("Tasks", controls, wait,
    table(taskColumns(ctx, { when: "updated" }), rows, all.length ? "No task matches." : "The master knows no tasks.", { class: "grid tasks", id: "tasks" }));
}

export function renderOne(ctx) {
  const { fid, tid } = ctx.params;
  const entry = ctx.load("task", () => getJSON(`tasks?framework_id=${encodeURIComponent(fid)}&task_id=${encodeURIComponent(tid)}&limit=1`));
  const wait = loadNotice(entry, "the task");
  if (wait) return wait;
  const t = (entry.value.json.tasks || [])[0];
  if (!t) return notice("warn", "The master does not know task ", h("code", {}, tid), " of framework ", h("code", {}, fid), " (it may have been dropped from the completed tasks). ", link("/tasks", "All tasks"));
  ctx.setTitle("Task " + t.id);
  const fw = ctx.idx.frameworks.get(fid);
  const agent = ctx.idx.agents.get(t.slave_id);
  return h("div", {},
    h("h1", {}, "Task ", h("span", { class: "mono" }, t.id), " ", badge(t.state)),
    h("div", { class: "row" },
      section("Information", dl([
        ["ID", h("span", { class: "mono" }, t.id)],
        ["Name", t.name],
        ["Framework", link(frameworkRoute(fid), fw ? fw.name + " (" + shortID(fid, ctx.state.id) + ")" : fid)],
        ["Agent", t.slave_id ? link(agentRoute(t.slave_id), agent ? ctx.idx.agentLabel.get(t.slave_id) : t.slave_id) : null],
        ["Executor", t.executor_id],
        ["Role", roleOf(t, fw)],
        ["Sandbox", t.slave_id ? link(browseRoute(t.slave_id, fid, t.executor_id || t.id), "Browse") : null],
        ["Message flow", external(traceURL(t.id), "Sequence diagram of this task's messages")],
      ])),
      section("Resources", resourceTable([["Task", t.resources]]))),
    section("Status updates", table([
      { title: "State", cell: (s) => badge(s.state) },
      { title: "Time", cell: (s) => date(s.timestamp) },
      { title: "", cell: (s) => h("span", { class: "muted" }, ago(s.timestamp, ctx.now)) },
      { title: "Healthy", cell: (s) => typeof s.healthy === "boolean" ? String(s.healthy) : "" },
    ], [...(t.statuses || [])].reverse(), "No status update yet.")));
}
