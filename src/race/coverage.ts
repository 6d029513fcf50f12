/**
 * Interleaving coverage: which orders of a scenario's labelled steps its runs have shown.
 *
 * A labelled step is one the model named (`m.label = "..."`): a kernel function, a lock taken,
 * a user call. Two measures are kept. A run's interleaving is the sequence of its labelled
 * steps; distinct interleavings keep growing with seeds in any scenario longer than a few
 * steps. The pairs measure saturates: two labelled steps that ran back to back on different
 * CPUs (A on one CPU, then B on another) form a pair, and once new seeds stop producing new
 * pairs they have stopped exercising new orders. Numbers in labels (addresses, counters) are
 * folded away first, so `read a=3` and `read a=4` are the same step.
 *
 * Everything is a hash of the label text, so coverage from runs in different workers merges
 * into exactly what one job would have counted.
 */
import type { StepObserver, Task } from "../sim/machine.js";

/** What one run adds: its interleaving's hash and the pairs it saw first (in this observer). */
export interface RunCoverage {
  interleaving: number;
  newPairs: number[];
  /** The folded text of the labels this observer hashed for the first time, by hash. */
  newLabels: [number, string][];
}

/** A pair packs the hashes of its two labels: the first times 2^26, plus the second. */
const PAIR_SHIFT = 2 ** 26;

/** Records one run at a time; `endRun` says what the run saw that this observer had not. */
export class CoverageObserver implements StepObserver {
  private readonly labelHash = new Map<string, number>();
  private readonly seen = new Set<number>();
  private newPairs: number[] = [];
  private newLabels: [number, string][] = [];
  private h1 = 0;
  private h2 = 0;
  private lastCpu = -1;
  private lastHash = 0;

  step(cpu: number, _task: Task, label: string): void {
    if (label === "") return;
    const h = this.hashOf(label);
    this.h1 = Math.imul(this.h1 ^ h, 0x01000193) >>> 0;
    this.h2 = (Math.imul(this.h2, 31) + h) >>> 0;
    if (this.lastCpu >= 0 && this.lastCpu !== cpu) {
      const pair = this.lastHash * PAIR_SHIFT + h;
      if (!this.seen.has(pair)) {
        this.seen.add(pair);
        this.newPairs.push(pair);
      }
    }
    this.lastCpu = cpu;
    this.lastHash = h;
  }

  /** Start a run (forget the previous run's sequence, keep the pairs seen so far). */
  beginRun(): void {
    this.h1 = 0x811c9dc5;
    this.h2 = 0;
    this.lastCpu = -1;
    this.newPairs = [];
    this.newLabels = [];
  }

  endRun(): RunCoverage {
    // A 21-bit and a 32-bit hash in one safe integer: collisions are negligible at 10^7 runs.
    const interleaving = (this.h1 >>> 11) * 2 ** 32 + this.h2;
    return { interleaving, newPairs: this.newPairs, newLabels: this.newLabels };
  }

  /** A 26-bit hash of the label with its numbers folded (computed once per distinct label). */
  private hashOf(label: string): number {
    let h = this.labelHash.get(label);
    if (h === undefined) {
      const folded = label.replace(/0x[0-9a-f]+|\d+/g, "#");
      h = fnv1a(folded) & 0x3ffffff;
      this.labelHash.set(label, h);
      this.newLabels.push([h, folded]);
    }
    return h;
  }
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Coverage of a whole exploration, merged from runs in run order. */
export class Coverage {
  private readonly interleavings = new Set<number>();
  private readonly pairs = new Set<number>();
  /** Folded label text by hash, to write the pairs out (exportPairs). */
  private readonly labels = new Map<number, string>();
  runs = 0;
  /** The run that last added a pair never seen before (0 if none did). */
  lastNewPairRun = 0;

  add(run: RunCoverage): void {
    this.runs++;
    this.interleavings.add(run.interleaving);
    for (const [h, text] of run.newLabels) if (!this.labels.has(h)) this.labels.set(h, text);
    let added = false;
    for (const p of run.newPairs) {
      if (this.pairs.has(p)) continue;
      this.pairs.add(p);
      added = true;
    }
    if (added) this.lastNewPairRun = this.runs;
  }

  get distinctInterleavings(): number {
    return this.interleavings.size;
  }

  get distinctPairs(): number {
    return this.pairs.size;
  }

  /** One line for the report. */
  summary(): string {
    const last = this.lastNewPairRun;
    const saturation =
      last === 0 ? "" : last < this.runs ? `, none new after run ${last}` : ", still growing at the last run";
    return (
      `coverage: ${this.distinctInterleavings} distinct interleavings of labelled steps in ${this.runs} runs; ` +
      `${this.distinctPairs} cross-CPU step pairs${saturation}`
    );
  }

  /**
   * The pairs seen, one per line as `step<TAB>next step on another CPU`, sorted, under a header
   * that names the exploration: two files diff to the orders one exploration reached and the
   * other did not.
   */
  exportPairs(title: string): string {
    const text = (h: number) => this.labels.get(h) ?? `#${h.toString(16)}`;
    const lines = [...this.pairs].map((p) => `${text(Math.floor(p / PAIR_SHIFT))}\t${text(p % PAIR_SHIFT)}`);
    lines.sort();
    const header = [
      "# probelab race coverage: a labelled step, a tab, the next labelled step on another CPU",
      `# ${title}: ${this.runs} runs, ${this.distinctInterleavings} distinct interleavings, ${this.distinctPairs} pairs`,
    ];
    return `${[...header, ...lines].join("\n")}\n`;
  }
}
