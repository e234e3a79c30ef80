// Every task the master knows, filtered and paged in the browser, and one
// task's own page.
import { h, link, external, section, dl, table, notice } from "../dom.js";
import { date, ago, state as stateName, shortID } from "../format.js";
import { updated, roleOf, TASK_STATES } from "../model.js";
import { taskColumns, frameworkRoute, agentRoute, traceURL, browseRoute, resourceTable, badge } from "./common.js";

export const title = "Tasks";

const PAGE = 100;

export function render(ctx) {
  const ui = ctx.ui;
  ui.filter = ui.filter || "";
  ui.state = ui.state || "";
  ui.page = ui.page || 0;
  const q = ui.filter.trim().toLowerCase();
  const all = [...ctx.idx.tasks].sort((a, b) => updated(b) - updated(a));
  const shown = all.filter((t) => {
    const s = t.list === "unreachable" ? "TASK_UNREACHABLE" : t.state;
    if (ui.state && s !== ui.state) return false;
    if (!q) return true;
    const fw = ctx.idx.frameworks.get(t.framework_id);
    const agent = ctx.idx.agents.get(t.slave_id);
    return [t.id, t.name, t.framework_id, fw && fw.name, t.slave_id, agent && agent.hostname, s, roleOf(t, fw)]
      .some((x) => x && String(x).toLowerCase().includes(q));
  });
  const pages = Math.max(1, Math.ceil(shown.length / PAGE));
  ui.page = Math.min(ui.page, pages - 1);
  const rows = shown.slice(ui.page * PAGE, (ui.page + 1) * PAGE);
  const controls = h("div", { class: "controls" },
    h("input", {
      id: "task-filter", type: "search", placeholder: "Filter by ID, name, framework, host, state…", value: ui.filter,
      oninput: (e) => { ui.filter = e.target.value; ui.page = 0; ctx.refresh(); },
    }),
    h("select", { id: "task-state", onchange: (e) => { ui.state = e.target.value; ui.page = 0; ctx.refresh(); } },
      h("option", { value: "" }, "All states"),
      TASK_STATES.map((s) => h("option", { value: s, selected: ui.state === s }, stateName(s)))),
    h("span", { class: "muted" }, `${shown.length} of ${all.length} tasks`),
    pages > 1 ? h("span", { class: "pager" },
      h("button", { disabled: ui.page === 0, onclick: () => { ui.page--; ctx.refresh(); } }, "‹ Newer"),
      ` page ${ui.page + 1} of ${pages} `,
      h("button", { disabled: ui.page >= pages - 1, onclick: () => { ui.page++; ctx.refresh(); } }, "Older ›")) : null);
  return section("Tasks", controls,
    table(taskColumns(ctx, { when: "updated" }), rows, all.length ? "No task matches." : "The master knows no tasks.", { class: "grid tasks", id: "tasks" }));
}

export function renderOne(ctx) {
  const { fid, tid } = ctx.params;
  const t = ctx.idx.tasks.find((x) => x.framework_id === fid && x.id === tid);
  if (!t) return notice("warn", "The master does not know task ", h("code", {}, tid), " of framework ", h("code", {}, fid), " (it may have been dropped from the completed tasks). ", link("/tasks", "All tasks"));
  ctx.setTitle("Task " + t.id);
  const fw = ctx.idx.frameworks.get(fid);
  const agent = ctx.idx.agents.get(t.slave_id);
  return h("div", {},
    h("h1", {}, "Task ", h("span", { class: "mono" }, t.id), " ", badge(t.list === "unreachable" ? "TASK_UNREACHABLE" : t.state)),
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
