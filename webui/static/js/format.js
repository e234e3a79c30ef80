// Formatting of Mesos' values for people: resources, times and states.

// The scalar resources shown in tables, in Mesos' UI order.
export const SCALARS = ["cpus", "gpus", "mem", "disk"];

// num rounds to at most two decimals without trailing zeros.
export function num(x) {
  if (typeof x !== "number" || !isFinite(x)) return "0";
  // Small figures (latencies in ms) keep two significant digits.
  if (x !== 0 && Math.abs(x) < 0.01) return String(Number(x.toPrecision(2)));
  return String(Math.round(x * 100) / 100);
}

// mb renders a Mesos megabyte figure (mem, disk) as B/KB/MB/GB/TB.
export function mb(x) {
  if (typeof x !== "number" || !isFinite(x)) x = 0;
  const units = ["MB", "GB", "TB", "PB"];
  let i = 0;
  while (Math.abs(x) >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return num(x) + " " + units[i];
}

// bytes renders a byte count.
export function bytes(x) {
  return mb((x || 0) / (1024 * 1024));
}

// res renders one scalar of a resources object ({"cpus": 1, "mem": 128}).
export function res(r, name) {
  const v = (r && typeof r[name] === "number") ? r[name] : 0;
  return name === "mem" || name === "disk" ? mb(v) : num(v);
}

// add and sub combine resource objects' scalars.
export function add(a, b) {
  const out = { ...a };
  for (const k of SCALARS) out[k] = (out[k] || 0) + ((b && b[k]) || 0);
  return out;
}

export function sub(a, b) {
  const out = { ...a };
  for (const k of SCALARS) out[k] = Math.max(0, (out[k] || 0) - ((b && b[k]) || 0));
  return out;
}

// date renders Unix seconds (as Mesos sends them) as local date and time;
// 0 or missing is "".
export function date(secs) {
  if (!secs) return "";
  const d = new Date(secs * 1000);
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

// ago renders the time since Unix seconds secs ("5 s ago", "3 min ago").
export function ago(secs, nowMs) {
  if (!secs) return "";
  const s = Math.max(0, Math.round((nowMs ?? Date.now()) / 1000 - secs));
  if (s < 60) return s + " s ago";
  if (s < 3600) return Math.floor(s / 60) + " min ago";
  if (s < 86400) return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min ago";
  return Math.floor(s / 86400) + " d ago";
}

// state drops the TASK_ prefix ("TASK_RUNNING" is "RUNNING").
export function state(s) {
  return (s || "").replace(/^TASK_/, "");
}

// shortID keeps the part of a Mesos ID after the master's ID prefix, which
// every agent and framework ID of one cluster shares.
export function shortID(id, masterID) {
  if (id && masterID && id.startsWith(masterID + "-")) return id.slice(masterID.length + 1);
  return id || "";
}

// percent renders a share in [0, 1].
export function percent(x) {
  if (typeof x !== "number" || !isFinite(x)) return "0%";
  return num(x * 100) + "%";
}
