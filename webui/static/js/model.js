// Views of /master/state that several pages share: every task with its
// framework and agent, counts by state, and the cluster's resource totals.
import { SCALARS, add, sub } from "./format.js";

// index builds lookups once per state: agents and frameworks by ID and
// every task tagged with where it is listed ("active", "unreachable",
// "completed").
export function index(state) {
  const agents = new Map();
  for (const a of state.slaves || []) agents.set(a.id, a);
  const frameworks = new Map();
  const tasks = [];
  const fws = [...(state.frameworks || []).map((f) => ({ f, done: false })),
    ...(state.completed_frameworks || []).map((f) => ({ f, done: true }))];
  for (const { f, done } of fws) {
    if (!frameworks.has(f.id)) frameworks.set(f.id, { ...f, completed: done });
    for (const t of f.tasks || []) tasks.push({ ...t, list: "active" });
    for (const t of f.unreachable_tasks || []) tasks.push({ ...t, list: "unreachable" });
    for (const t of f.completed_tasks || []) tasks.push({ ...t, list: "completed" });
  }
  for (const t of state.orphan_tasks || []) tasks.push({ ...t, list: "active" });
  return { agents, frameworks, tasks, agentLabel: agentLabels(state.slaves || []) };
}

// agentLabels names each agent by host:port, adding its process name
// (slave(2)) where agents share an address, as in mesos-local.
export function agentLabels(agents) {
  const seen = new Map();
  for (const a of agents) {
    const addr = a.hostname + ":" + a.port;
    seen.set(addr, (seen.get(addr) || 0) + 1);
  }
  const out = new Map();
  for (const a of agents) {
    const addr = a.hostname + ":" + a.port;
    out.set(a.id, seen.get(addr) > 1 ? addr + " " + String(a.pid || "").split("@")[0] : addr);
  }
  return out;
}

// started is when a task first reported (its first status), in Unix secs.
export function started(task) {
  const s = task.statuses || [];
  return s.length ? s[0].timestamp : 0;
}

// updated is the time of a task's last status.
export function updated(task) {
  const s = task.statuses || [];
  return s.length ? s[s.length - 1].timestamp : 0;
}

// TASK_STATES are the states counted on the home page, in Mesos' order.
export const TASK_STATES = ["TASK_STAGING", "TASK_STARTING", "TASK_RUNNING", "TASK_UNREACHABLE",
  "TASK_KILLING", "TASK_FINISHED", "TASK_KILLED", "TASK_FAILED", "TASK_LOST"];

export function countStates(tasks) {
  const out = Object.fromEntries(TASK_STATES.map((s) => [s, 0]));
  for (const t of tasks) {
    const s = t.list === "unreachable" ? "TASK_UNREACHABLE" : t.state;
    out[s] = (out[s] || 0) + 1;
  }
  return out;
}

// totals sums the agents' resources: total, allocated (used), offered and
// idle (neither), as Mesos' home page shows them.
export function totals(agents) {
  let total = {}, used = {}, offered = {};
  for (const a of agents) {
    total = add(total, a.resources);
    used = add(used, a.used_resources);
    offered = add(offered, a.offered_resources);
  }
  const zero = Object.fromEntries(SCALARS.map((k) => [k, 0]));
  total = add(zero, total);
  return { total, used: add(zero, used), offered: add(zero, offered), idle: sub(sub(total, used), offered) };
}

// offers lists every outstanding offer with its framework.
export function offers(state) {
  const out = [];
  for (const f of state.frameworks || []) {
    for (const o of f.offers || []) out.push({ ...o, framework: f });
  }
  return out;
}

// roleOf is a task's role (tasks of multi-role frameworks carry their own).
export function roleOf(task, fw) {
  if (task.role) return task.role;
  if (fw) return fw.role || (fw.roles || []).join(", ");
  return "";
}
