/**
 * Charts of `bench scaling`: an SVG file with total and per-CPU throughput against CPUs (one
 * line per kernel profile, the published points as hollow markers of the same colour), and a
 * small bar chart for the terminal. Both draw from the same points the table prints.
 */
import { type PublishedPoint, publishedPoints } from "./scaling-published.js";

/** What a chart needs of one simulated point. */
export interface ChartPoint {
  kernel: string;
  cpus: number;
  total_mhits: number;
  per_cpu_mhits: number;
}

const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2"];

const PANEL = { width: 440, height: 300, left: 60, top: 50, gap: 90 };
const SVG_WIDTH = PANEL.left + 2 * PANEL.width + PANEL.gap + 30;
const SVG_HEIGHT = PANEL.top + PANEL.height + 110;

interface Series {
  kernel: string;
  colour: string;
  points: ChartPoint[];
  published: readonly PublishedPoint[];
}

function seriesOf(points: readonly ChartPoint[], probe: string): Series[] {
  const kernels = [...new Set(points.map((p) => p.kernel))];
  return kernels.map((kernel, i) => ({
    kernel,
    colour: COLOURS[i % COLOURS.length],
    points: points.filter((p) => p.kernel === kernel).sort((a, b) => a.cpus - b.cpus),
    published: publishedPoints(probe, kernel),
  }));
}

/** The 1-2-5 ticks of a log axis that cover [lo, hi], from the tick at or below lo to the one at or above hi. */
function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let d = Math.floor(Math.log10(lo)); d <= Math.ceil(Math.log10(hi)); d++) {
    for (const m of [1, 2, 5]) ticks.push(Number((m * 10 ** d).toPrecision(1)));
  }
  let first = 0;
  while (first + 1 < ticks.length && ticks[first + 1] <= lo) first++;
  const last = ticks.findIndex((t) => t >= hi);
  return ticks.slice(first, last < 0 ? ticks.length : last + 1);
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c] ?? c);
}

/** One panel: axes, grid, a line per series and its published markers. */
function panel(
  x0: number,
  title: string,
  series: readonly Series[],
  value: (p: { cpus: number; total: number }) => number,
  cpuRange: [number, number],
): string[] {
  const { width, height, top } = PANEL;
  const [lo, hi] = cpuRange;
  const span = Math.max(Math.log2(hi) - Math.log2(lo), 1);
  const x = (cpus: number) => x0 + ((Math.log2(cpus) - Math.log2(lo)) / span) * width;
  // Both axes are logarithmic: throughputs from 0.02 to 150 M/s share one panel.
  const values: number[] = [];
  for (const s of series) {
    for (const p of s.points) values.push(value({ cpus: p.cpus, total: p.total_mhits }));
    for (const p of s.published) if (p.cpus >= lo && p.cpus <= hi) values.push(value(p));
  }
  const positive = values.filter((v) => v > 0);
  const ticks = logTicks(Math.min(...positive, 1), Math.max(...positive, 1));
  const yLo = Math.log10(ticks[0]);
  const ySpan = Math.max(Math.log10(ticks[ticks.length - 1]) - yLo, 1e-9);
  const y = (v: number) => top + height - ((Math.log10(Math.max(v, ticks[0])) - yLo) / ySpan) * height;
  const out: string[] = [
    `<text x="${x0 + width / 2}" y="${top - 18}" text-anchor="middle" font-weight="bold">${escapeXml(title)}</text>`,
    `<rect x="${x0}" y="${top}" width="${width}" height="${height}" fill="none" stroke="#999"/>`,
  ];
  for (const t of ticks) {
    const ty = y(t).toFixed(1);
    out.push(
      `<line x1="${x0}" y1="${ty}" x2="${x0 + width}" y2="${ty}" stroke="#eee"/>`,
      `<text x="${x0 - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${t}</text>`,
    );
  }
  let lastLabel = -Infinity;
  for (let c = 1; c <= hi; c *= 2) {
    if (c < lo) continue;
    out.push(`<text x="${x(c).toFixed(1)}" y="${top + height + 18}" text-anchor="middle">${c}</text>`);
    lastLabel = x(c);
  }
  // The largest count when it is not a power of two, unless it would overlap the last label.
  if (x(hi) - lastLabel > 30)
    out.push(`<text x="${x(hi).toFixed(1)}" y="${top + height + 18}" text-anchor="middle">${hi}</text>`);
  out.push(`<text x="${x0 + width / 2}" y="${top + height + 38}" text-anchor="middle">CPUs</text>`);
  for (const s of series) {
    const path = s.points.map(
      (p) => `${x(p.cpus).toFixed(1)},${y(value({ cpus: p.cpus, total: p.total_mhits })).toFixed(1)}`,
    );
    if (path.length > 1)
      out.push(`<polyline points="${path.join(" ")}" fill="none" stroke="${s.colour}" stroke-width="2"/>`);
    for (const p of s.points) {
      const v = value({ cpus: p.cpus, total: p.total_mhits });
      out.push(`<circle cx="${x(p.cpus).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3" fill="${s.colour}"/>`);
    }
    for (const p of s.published) {
      if (p.cpus < lo || p.cpus > hi) continue;
      const cx = x(p.cpus);
      const cy = y(value(p));
      out.push(
        `<path d="M${cx.toFixed(1)},${(cy - 6).toFixed(1)} l6,6 l-6,6 l-6,-6 z" fill="white" stroke="${s.colour}" stroke-width="1.5"/>`,
      );
    }
  }
  return out;
}

/** The SVG document for one probe's points. */
export function scalingSvg(points: readonly ChartPoint[], probe: string, durationMs: number): string {
  const series = seriesOf(points, probe);
  const cpus = points.map((p) => p.cpus);
  const range: [number, number] = [Math.min(...cpus), Math.max(...cpus)];
  const total = (p: { total: number }) => p.total;
  const perCpu = (p: { cpus: number; total: number }) => p.total / p.cpus;
  const legendY = PANEL.top + PANEL.height + 70;
  const body = [
    ...panel(PANEL.left, "total M hits/s", series, total, range),
    ...panel(PANEL.left + PANEL.width + PANEL.gap, "per-CPU M hits/s", series, perCpu, range),
  ];
  series.forEach((s, i) => {
    const lx = PANEL.left + i * 150;
    body.push(
      `<line x1="${lx}" y1="${legendY}" x2="${lx + 24}" y2="${legendY}" stroke="${s.colour}" stroke-width="2"/>`,
      `<text x="${lx + 30}" y="${legendY + 4}">${escapeXml(s.kernel)}</text>`,
    );
  });
  body.push(
    `<text x="${PANEL.left}" y="${legendY + 26}" fill="#555">${escapeXml(
      `${probe}, ${durationMs} ms simulated per point; lines and dots: simulated; hollow diamonds: published (docs/calibration.md)`,
    )}</text>`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${SVG_WIDTH}" height="${SVG_HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...body,
    "</svg>",
    "",
  ].join("\n");
}

const BAR_WIDTH = 40;

/**
 * A bar per point, scaled to the profile's own largest total (the shape is what to compare),
 * with the published figure beside it when there is one.
 */
export function scalingTextChart(points: readonly ChartPoint[], probe: string): string {
  const lines: string[] = [];
  for (const s of seriesOf(points, probe)) {
    const max = Math.max(...s.points.map((p) => p.total_mhits), 1e-9);
    lines.push("", `${s.kernel}: total M hits/s (full bar ${max.toFixed(3)})`);
    for (const p of s.points) {
      const bar = "#".repeat(Math.round((p.total_mhits / max) * BAR_WIDTH));
      const published = s.published.find((q) => q.cpus === p.cpus);
      const note = published === undefined ? "" : `  (published ${published.total})`;
      lines.push(`${String(p.cpus).padStart(5)} ${bar.padEnd(BAR_WIDTH)} ${p.total_mhits.toFixed(3)}${note}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
