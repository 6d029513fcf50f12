/**
 * A counterexample as per-CPU columns: one row per step that matters — the steps on either side
 * of every CPU switch, and the last few before the violation — with the stretches in between
 * folded to "... N steps". A `>` marks the step a preemption (or a chosen successor) started.
 */
import type { Departure } from "./schedule.js";
import type { TimelineStep } from "./timeline.js";

export interface ColumnsOptions {
  cpus: number;
  /** Width of one CPU's column. */
  width?: number;
  /** Rows shown at most (the last ones: they lead to the violation). */
  maxRows?: number;
}

/** The steps worth a row: both sides of each switch, every departure, and the last four. */
function rowsThatMatter(steps: readonly TimelineStep[], departures: ReadonlySet<number>): number[] {
  const keep = new Set<number>();
  for (let i = 0; i < steps.length; i++) {
    if (departures.has(i) || (i > 0 && steps[i].cpu !== steps[i - 1].cpu)) {
      keep.add(i - 1);
      keep.add(i);
    }
  }
  for (let i = Math.max(0, steps.length - 4); i < steps.length; i++) keep.add(i);
  keep.delete(-1);
  return [...keep].sort((a, b) => a - b);
}

function cell(text: string, width: number): string {
  return text.length < width ? text.padEnd(width) : `${text.slice(0, width - 2)}… `;
}

/** Render `steps` (a whole run, in order) as columns; `departures` are the plan's. */
export function renderColumns(
  steps: readonly TimelineStep[],
  departures: readonly Departure[],
  opts: ColumnsOptions,
): string[] {
  const width = opts.width ?? 36;
  const maxRows = opts.maxRows ?? 60;
  const marked = new Set(departures.map((d) => d.step));
  const stepWidth = Math.max(4, String(steps.length).length);
  const line = (step: string, cpu: number, text: string) => {
    const cells: string[] = [];
    for (let c = 0; c < opts.cpus; c++) cells.push(cell(c === cpu ? text : "", width));
    return `  ${step.padStart(stepWidth)} ${cells.join("|")}`.trimEnd();
  };
  const out: string[] = [];
  let prev = -1;
  for (const i of rowsThatMatter(steps, marked)) {
    const gap = i - prev - 1;
    if (gap > 0) out.push(line("", steps[i - 1].cpu, `  ... ${gap} step${gap === 1 ? "" : "s"}`));
    const s = steps[i];
    out.push(line(String(i), s.cpu, `${marked.has(i) ? ">" : " "}${s.name}: ${s.label || "-"}`));
    prev = i;
  }
  const header = [`  ${"step".padStart(stepWidth)} ${cellHeader(opts.cpus, width)}`.trimEnd()];
  if (out.length <= maxRows) return [...header, ...out];
  const omitted = out.length - maxRows;
  return [
    ...header,
    `  (${omitted} earlier rows left out: --trace-out FILE.json has every step)`,
    ...out.slice(-maxRows),
  ];
}

function cellHeader(cpus: number, width: number): string {
  const cells: string[] = [];
  for (let c = 0; c < cpus; c++) cells.push(cell(` cpu${c}`, width));
  return cells.join("|");
}
