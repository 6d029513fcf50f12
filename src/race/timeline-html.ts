/**
 * The same timeline as trace-events.ts, as one self-contained HTML page (no scripts, no
 * network): an SVG with a row per CPU and a row per task that held locks, one column per step
 * (steps, not nanoseconds, so short races are not lost next to long sleeps), a tooltip on
 * every step, arrows for lock hand-offs, ticks where a task was interleaved, and the violation
 * in red at the end. Made for showing a race to a class.
 */

import { type LockEvent, lockHandoffs, lockHolds, type Timeline } from "./timeline.js";

/** Steps drawn at most (the last ones: they lead to the violation). */
const MAX_STEPS = 4000;
const COL = 7;
const ROW = 26;
const LEFT = 150;
const TOP = 40;

function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A stable colour per task name. */
function colour(name: string): string {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
  return `hsl(${h % 360} 60% 62%)`;
}

export function timelineHtml(
  tl: Timeline,
  meta: { title: string; cpus: number; violation: string | null },
): string {
  const first = Math.max(0, tl.steps.length - MAX_STEPS);
  const steps = tl.steps.slice(first);
  const lockTasks = [...new Map(tl.locks.map((e) => [e.task, e.name])).entries()];
  const rowOfTask = new Map(lockTasks.map(([id], i) => [id, meta.cpus + i]));
  const rows = meta.cpus + lockTasks.length;
  const x = (step: number) => LEFT + (step - first) * COL;
  const y = (row: number) => TOP + row * ROW;
  const svg: string[] = [];
  for (let c = 0; c < meta.cpus; c++) svg.push(`<text x="8" y="${y(c) + 17}">cpu${c}</text>`);
  lockTasks.forEach(([, name], i) => {
    svg.push(`<text x="8" y="${y(meta.cpus + i) + 17}" class="dim">locks: ${esc(name)}</text>`);
  });
  steps.forEach((s, k) => {
    const i = first + k;
    const tip = `step ${i} cpu${s.cpu} t=${Math.round(s.start)}ns ${s.name}: ${s.label || "-"}`;
    svg.push(
      `<rect x="${x(i)}" y="${y(s.cpu) + 3}" width="${COL - 1}" height="${ROW - 6}" fill="${colour(s.name)}"><title>${esc(tip)}</title></rect>`,
    );
    const next = steps[k + 1];
    if (next !== undefined && next.cpu !== s.cpu)
      svg.push(`<path d="M${x(i) + COL - 1} ${y(s.cpu) + 1}l-3 -1v3z" class="tick"/>`);
  });
  for (const h of lockHolds(tl.locks)) {
    if (h.to.step < first) continue;
    const from = Math.max(h.from.step, first);
    const row = rowOfTask.get(h.to.task)!;
    svg.push(
      `<rect x="${x(from)}" y="${y(row) + 8}" width="${Math.max(COL, (h.to.step - from + 1) * COL)}" height="10" class="hold"><title>${esc(h.to.lock)}</title></rect>`,
    );
  }
  svg.push(...handoffArrows(tl.locks, first, x, y));
  const end = x(first + steps.length);
  if (meta.violation !== null) {
    svg.push(`<line x1="${end}" y1="${TOP - 6}" x2="${end}" y2="${y(rows)}" class="bad"/>`);
  }
  const width = end + 40;
  const height = y(rows) + 20;
  const shown = first > 0 ? `the last ${steps.length} of ${tl.steps.length} steps` : `${steps.length} steps`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(meta.title)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:16px;color:#222}
.wrap{overflow-x:auto;border:1px solid #ccc}
text{font:12px monospace}.dim{fill:#666}
.hold{fill:#7a9cc6;opacity:.7}.tick{fill:#222}
.bad{stroke:#c00;stroke-width:2}.arrow{stroke:#333;fill:none;marker-end:url(#head)}
.violation{color:#c00;font-weight:bold}
</style></head><body>
<h1>${esc(meta.title)}</h1>
${meta.violation === null ? "<p>No violation.</p>" : `<p class="violation">${esc(meta.violation)}</p>`}
<p>${shown}, one column per step; hover a step for its task and label. Bars below the CPUs are lock holds; arrows are lock hand-offs; a tick marks a step after which another CPU ran.</p>
<div class="wrap"><svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
<defs><marker id="head" markerWidth="8" markerHeight="8" refX="6" refY="3" orient="auto"><path d="M0 0L6 3L0 6z"/></marker></defs>
${svg.join("\n")}
</svg></div></body></html>
`;
}

/** An arrow from each release to the acquisition by another task that it handed the lock to. */
function handoffArrows(
  locks: readonly LockEvent[],
  first: number,
  x: (step: number) => number,
  y: (row: number) => number,
): string[] {
  return lockHandoffs(locks)
    .filter((h) => h.from.step >= first)
    .map(({ from, to }) => {
      const x1 = x(from.step) + COL / 2;
      const x2 = x(to.step) + COL / 2;
      const d = `M${x1} ${y(from.cpu) + ROW / 2}L${x2} ${y(to.cpu) + ROW / 2}`;
      return `<path d="${d}" class="arrow"><title>${esc(to.lock)} hand-off</title></path>`;
    });
}
