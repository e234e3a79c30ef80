// Pieces several pages share: task tables, resource tables, state badges.
import { h, link, external, table, notice } from "../dom.js";
import { SCALARS, res, state as stateName, date, ago, shortID } from "../format.js";
import { started, updated, roleOf } from "../model.js";
import { NotAvailable, Unreadable } from "../api.js";

const enc = encodeURIComponent;

export function frameworkRoute(id) {
  return "/frameworks/" + enc(id);
}

export function agentRoute(id) {
  return "/agents/" + enc(id);
}

export function taskRoute(fid, tid) {
  return "/frameworks/" + enc(fid) + "/tasks/" + enc(tid);
}

export function executorRoute(agentID, fid, eid) {
  return "/agents/" + enc(agentID) + "/frameworks/" + enc(fid) + "/executors/" + enc(eid);
}

export function browseRoute(agentID, fid, eid) {
  return executorRoute(agentID, fid, eid) + "/browse";
}

// traceURL is the master's page that draws a task's message flow.
export function traceURL(taskID) {
  return "trace/ui?task=" + enc(taskID);
}

export function badge(s) {
  const name = stateName(s);
  return h("span", { class: "badge state-" + name.toLowerCase() }, name || "?");
}

function health(t) {
  const s = t.statuses || [];
  for (let i = s.length - 1; i >= 0; i--) {
    if (typeof s[i].healthy === "boolean") {
      return h("span", { class: s[i].healthy ? "ok" : "bad" }, s[i].healthy ? "healthy" : "unhealthy");
    }
  }
  return h("span", { class: "muted" }, "-");
}

function agentHost(ctx, id) {
  const a = ctx.idx.agents.get(id);
  return link(agentRoute(id), a ? ctx.idx.agentLabel.get(id) : shortID(id, ctx.state.id), { title: id });
}

// taskColumns are the columns of Mesos' task tables; opts.framework false
// leaves out the framework column (on a framework's own page).
export function taskColumns(ctx, opts = {}) {
  const cols = [];
  if (opts.framework !== false) {
    cols.push({ title: "Framework", cell: (t) => link(frameworkRoute(t.framework_id), shortID(t.framework_id, ctx.state.id), { title: t.framework_id }) });
  }
  cols.push(
    { title: "Task ID", cell: (t) => link(taskRoute(t.framework_id, t.id), t.id, { class: "mono" }) },
    { title: "Name", cell: (t) => t.name },
    { title: "Role", cell: (t) => roleOf(t, ctx.idx.frameworks.get(t.framework_id)) },
    { title: "State", cell: (t) => badge(t.list === "unreachable" ? "TASK_UNREACHABLE" : t.state) },
    { title: "Health", cell: health },
    { title: opts.when === "updated" ? "Updated" : "Started", cell: (t) => {
      const ts = opts.when === "updated" ? updated(t) : started(t);
      return h("span", { title: date(ts) }, ago(ts, ctx.now));
    } },
  );
  if (opts.agent !== false) cols.push({ title: "Host", cell: (t) => agentHost(ctx, t.slave_id) });
  cols.push(
    { title: "Sandbox", cell: (t) => t.slave_id ? link(browseRoute(t.slave_id, t.framework_id, t.executor_id || t.id), "Sandbox") : "" },
    { title: "Flow", help: "The task's messages as a sequence diagram (the master's /trace/ui)", cell: (t) => external(traceURL(t.id), "Flow") },
  );
  return cols;
}

// taskTable renders tasks newest first, at most limit of them.
export function taskTable(ctx, tasks, empty, opts = {}) {
  const limit = opts.limit || 0;
  const sorted = [...tasks].sort((a, b) => updated(b) - updated(a));
  const shown = limit ? sorted.slice(0, limit) : sorted;
  return [
    table(taskColumns(ctx, opts), shown, empty, { class: "grid tasks", "data-list": opts.list || null }),
    limit && sorted.length > limit ? h("p", { class: "muted" }, `The ${limit} most recent of ${sorted.length}; `, link("/tasks", "all tasks"), ".") : null,
  ];
}

// resourceTable renders rows [label, resources] over CPUs, GPUs, Mem, Disk.
export function resourceTable(rows, attrs) {
  const names = { cpus: "CPUs", gpus: "GPUs", mem: "Mem", disk: "Disk" };
  return table(
    [{ title: "", cell: (r) => h("strong", {}, r[0]) }, ...SCALARS.map((k) => ({ title: names[k], class: "num", cell: (r) => res(r[1], k) }))],
    rows, "No resources.", { class: "grid resources", ...attrs });
}

// loadNotice renders a per-page load in progress or failed: an endpoint
// that this cluster does not serve yet gets an explanation, not an error.
export function loadNotice(entry, what, missing) {
  if (!entry || entry.status === "pending") return h("p", { class: "muted" }, `Loading ${what}…`);
  if (entry.status === "error") {
    if (entry.error instanceof NotAvailable) {
      return notice("info", h("strong", {}, "Not available yet. "), missing || `This cluster does not serve ${what} yet.`, " ", h("code", {}, entry.error.url), " answered 404.");
    }
    if (entry.error instanceof Unreadable) {
      return notice("warn", h("strong", {}, "Not available. "), entry.error.message.replace(/^./, (c) => c.toUpperCase()), ".");
    }
    return notice("error", `Could not load ${what}: ${entry.error.message}`);
  }
  return null;
}
