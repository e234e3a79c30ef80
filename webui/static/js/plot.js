// Small plots of metrics over time: the master's last hour
// (master/allocation-history, a sample every 15 s) followed by what the
// browser reads from /metrics/snapshot while the page is open; at most an
// hour of samples of the few names plotted.

const SVG = "http://www.w3.org/2000/svg";

// History keeps (time, value) samples per metric name for windowMs.
export class History {
  constructor(names, windowMs = 3600 * 1000) {
    this.names = names;
    this.windowMs = windowMs;
    this.series = new Map(names.map((n) => [n, []]));
  }

  // add records the plotted names of one snapshot taken at time t (ms).
  add(t, snapshot) {
    for (const n of this.names) {
      const v = snapshot[n];
      if (typeof v !== "number") continue;
      const s = this.series.get(n);
      s.push([t, v]);
      while (s.length && s[0][0] < t - this.windowMs) s.shift();
    }
  }

  // seed adds samples taken before the page was opened: [time ms,
  // snapshot] pairs, oldest first. Only those older than every sample
  // already kept are added, so seeding late does not reorder anything.
  seed(samples) {
    for (const n of this.names) {
      const s = this.series.get(n);
      const before = s.length ? s[0][0] : Infinity;
      const older = [];
      for (const [t, snapshot] of samples) {
        const v = snapshot[n];
        if (typeof v === "number" && t < before) older.push([t, v]);
      }
      s.unshift(...older);
      const newest = s.length ? s[s.length - 1][0] : 0;
      while (s.length && s[0][0] < newest - this.windowMs) s.shift();
    }
  }

  get(name) {
    return this.series.get(name) || [];
  }
}

// sparkline draws samples as an inline SVG line over [min(0, lo), max(hi,
// top)] with the last value as text beside it.
export function sparkline(samples, { width = 220, height = 36, top = 0, label = "", format = String } = {}) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "spark");
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("role", "img");
  if (samples.length) svg.dataset.from = String(samples[0][0]); // ms: when the line starts
  const last = samples.length ? samples[samples.length - 1][1] : null;
  const title = document.createElementNS(SVG, "title");
  title.textContent = `${label}: ${last === null ? "no samples yet" : format(last)} (${samples.length} samples)`;
  svg.appendChild(title);
  const base = document.createElementNS(SVG, "line");
  base.setAttribute("x1", 0);
  base.setAttribute("x2", width);
  base.setAttribute("y1", height - 1);
  base.setAttribute("y2", height - 1);
  base.setAttribute("class", "axis");
  svg.appendChild(base);
  if (samples.length === 0) return svg;
  const t0 = samples[0][0], t1 = samples[samples.length - 1][0];
  let lo = 0, hi = top;
  for (const [, v] of samples) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (hi === lo) hi = lo + 1;
  const x = (t) => (t1 === t0 ? width : ((t - t0) / (t1 - t0)) * (width - 2) + 1);
  const y = (v) => height - 2 - ((v - lo) / (hi - lo)) * (height - 4);
  const pts = samples.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`);
  if (samples.length === 1) pts.unshift(`0,${y(samples[0][1]).toFixed(1)}`);
  const area = document.createElementNS(SVG, "polygon");
  area.setAttribute("points", `${pts[0].split(",")[0]},${height - 1} ${pts.join(" ")} ${pts[pts.length - 1].split(",")[0]},${height - 1}`);
  area.setAttribute("class", "area");
  svg.appendChild(area);
  const line = document.createElementNS(SVG, "polyline");
  line.setAttribute("points", pts.join(" "));
  line.setAttribute("class", "line");
  svg.appendChild(line);
  return svg;
}
