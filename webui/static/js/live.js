// The cluster as the master's event stream (/master/stream) tells it: an
// overview (counts, resources), framework summaries, agent summaries
// (when asked for) and the latest task state changes.

// RECENT is how many task changes are kept for the pages.
export const RECENT = 200;

export class Live {
  constructor() {
    this.overview = null;
    this.frameworks = new Map();
    this.agents = null; // Map when the stream carries agents
    this.agentsMembers = 0; // grows when an agent comes or goes
    this.recent = []; // newest first
    this.changedAt = 0;
    this.connected = false;
    this.error = null;
  }

  // snapshot replaces everything (the first event of every connection).
  snapshot(d, withAgents) {
    this.overview = d.overview;
    this.frameworks = new Map((d.frameworks || []).map((f) => [f.id, f]));
    this.agents = withAgents ? new Map((d.slaves || []).map((a) => [a.id, a])) : null;
    this.agentsMembers++;
    this.changedAt = Date.now();
    this.connected = true;
    this.error = null;
  }

  // delta applies one event's changes.
  delta(d) {
    if (d.overview) this.overview = d.overview;
    apply(this.frameworks, d.frameworks);
    if (this.agents && d.slaves) {
      apply(this.agents, d.slaves);
      if ((d.slaves.added || []).length || (d.slaves.removed || []).length) this.agentsMembers++;
    }
    if (d.tasks && d.tasks.length) this.recent = [...d.tasks.slice().reverse(), ...this.recent].slice(0, RECENT);
    this.changedAt = Date.now();
    this.connected = true;
    this.error = null;
  }

  fail(message) {
    this.error = message;
  }
}

// apply folds a list delta {added, updated, removed} into a Map by id.
export function apply(map, d) {
  if (!d) return map;
  for (const x of [...(d.added || []), ...(d.updated || [])]) map.set(x.id, x);
  for (const id of d.removed || []) map.delete(id);
  return map;
}

// active counts a summary's tasks that hold resources or will.
export function activeTasks(s) {
  return (s.TASK_STAGING || 0) + (s.TASK_STARTING || 0) + (s.TASK_RUNNING || 0) + (s.TASK_KILLING || 0);
}

// overlay gives tasks read from /tasks the state of any newer change the
// stream has brought since (so a state change shows without waiting for
// the next read).
export function overlay(tasks, recent) {
  if (!recent.length) return tasks;
  const newest = new Map();
  for (const c of recent) {
    const k = c.framework_id + "\n" + c.id;
    if (!newest.has(k)) newest.set(k, c);
  }
  return tasks.map((t) => {
    const c = newest.get(t.framework_id + "\n" + t.id);
    const s = t.statuses || [];
    const at = s.length ? s[s.length - 1].timestamp : 0;
    return c && c.state !== t.state && (c.timestamp || 0) > at ? { ...t, state: c.state } : t;
  });
}
