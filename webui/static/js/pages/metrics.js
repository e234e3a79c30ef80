// Plots of the master's metrics over the last hour: the master's own
// samples (master/allocation-history) and then /metrics/snapshot, polled
// while this page is open.
import { h, section, table, notice } from "../dom.js";
import { num, percent } from "../format.js";
import { sparkline } from "../plot.js";

export const title = "Metrics";

// PLOTTED are the metric names kept over time, with how to show them.
export const PLOTTED = [
  ["master/cpus_percent", "CPUs allocated", percent, 1],
  ["master/mem_percent", "Mem allocated", percent, 1],
  ["master/disk_percent", "Disk allocated", percent, 1],
  ["master/gpus_percent", "GPUs allocated", percent, 1],
  ["master/tasks_running", "Tasks running", num, 0],
  ["master/tasks_staging", "Tasks staging", num, 0],
  ["master/outstanding_offers", "Outstanding offers", num, 0],
  ["master/frameworks_active", "Active frameworks", num, 0],
  ["master/slaves_active", "Active agents", num, 0],
  ["allocator/mesos/allocation_runs", "Allocation runs", num, 0],
  ["allocator/mesos/allocation_run_ms", "Allocation run (ms)", num, 0],
];

export function render(ctx) {
  if (!ctx.metrics) {
    return section("Metrics", ctx.metricsError ? notice("error", "Could not load /metrics/snapshot: " + ctx.metricsError.message) : h("p", { class: "muted" }, "Waiting for metrics…"));
  }
  const span = ctx.history.get("master/cpus_percent");
  const minutes = span.length > 1 ? Math.round((span[span.length - 1][0] - span[0][0]) / 60000) : 0;
  return h("div", {},
    section("Over time", ctx.historyError ? notice("info", "The master's last hour could not be read: " + ctx.historyError.message) : null, h("p", { class: "muted small" }, `${span.length} samples over ${minutes} min, the master's last hour, then read by this browser every 5 s (allocator figures only since this page was opened).`),
      h("div", { class: "plots wide" }, PLOTTED.map(([name, label, fmt, top]) => {
        const s = ctx.history.get(name);
        return h("div", { class: "plot" },
          h("div", { class: "plot-label" }, label, h("span", { class: "plot-value" }, name in ctx.metrics ? fmt(ctx.metrics[name]) : "n/a")),
          sparkline(s, { width: 300, height: 48, top, label, format: fmt }));
      }))),
    section("Snapshot", table([
      { title: "Name", cell: ([k]) => h("span", { class: "mono" }, k) },
      { title: "Value", class: "num", cell: ([, v]) => num(v) },
    ], Object.entries(ctx.metrics).sort(([a], [b]) => a.localeCompare(b)), "No metrics.", { class: "grid metrics" })));
}
