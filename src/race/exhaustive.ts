/**
 * Exhaustive exploration for small scenarios: every schedule with at most K preemptions, by
 * stateless depth-first search. The simulator cannot snapshot a run (tasks are generators), so
 * each schedule is a fresh replay of the scenario, steered by a chooser that follows a prefix
 * of choices and then the default rule of schedule.ts (stay on the last CPU while it can run,
 * else the lowest-numbered one). After a run the search backtracks to the deepest choice
 * point with an untried CPU that keeps the preemption count within the bound.
 *
 * Preemption bounding (iterative context bounding, as in CHESS) is the reduction: most races
 * need one or two preemptions, and the bound makes the space polynomial in the run's length.
 * Rounds go K = 0, 1, ... so the first violation found has the fewest preemptions there are.
 * Choices that are not preemptions (which CPU goes on after one blocked or finished) are all
 * explored. Partial-order reduction needs to know which steps commute, and the simulator does
 * not record what a step touches (a step is any JavaScript between two yields), so no pair is
 * assumed independent: the search is sound, not small (docs/race-lab.md says what it would take).
 *
 * The schedules found are departures from the same default rule the replayer follows, so a
 * counterexample prints and replays exactly like a shrunk one (`--schedule`).
 */
import type { Chooser, Cpu, Machine, Policy, SimViolation } from "../sim/machine.js";
import { type AnyScenario, runAnyScenario } from "./harness.js";
import type { Departure } from "./schedule.js";

/** The policy the machine is built with: any exploring one hands every step to the chooser. */
export const EXHAUSTIVE_POLICY: Policy = "random";

export interface ExhaustOptions {
  /** The scenario's own PRNG seed (the schedule is the chooser's, not the seed's). */
  seed: number;
  faults: readonly string[];
  /** Preemptions a schedule may have at most. */
  preemptions: number;
  /** Runs the search may spend before it gives up unfinished. */
  maxRuns: number;
}

export interface ExhaustFound {
  violation: SimViolation;
  plan: Departure[];
  preemptions: number;
  steps: number;
}

export interface ExhaustResult {
  /** Distinct schedules explored (each counted in the round of its preemption count). */
  schedules: number;
  /** Runs made (a round re-runs the paths of the rounds below it to reach new branches). */
  runs: number;
  /** Schedules with exactly k preemptions, for k = 0 .. the last round reached. */
  perBound: number[];
  deadlocks: number;
  /** Every schedule up to the bound was explored (false: stopped at a violation or the budget). */
  finished: boolean;
  found: ExhaustFound | null;
}

/** One choice point of a run: the CPUs it could run (default first) and the one it took. */
interface ChoicePoint {
  step: number;
  options: number[];
  /** Per option: taking it preempts the CPU that ran the last step. */
  preempts: boolean[];
  chosen: number;
}

/** Steers one run: follows `prefix` (option indices), then the default rule, noting each point. */
class PrefixChooser implements Chooser {
  readonly points: ChoicePoint[] = [];
  preemptions = 0;
  private last = -1;
  private pendingCpu = -1;
  private pendingStep = -1;

  constructor(
    private readonly prefix: readonly number[],
    private readonly maxSteps: number,
  ) {}

  pick(m: Machine, runnable: readonly Cpu[], _proposed: Cpu): Cpu {
    const step = m.steps;
    if (step !== this.pendingStep) this.last = this.pendingCpu;
    if (step >= this.maxSteps) m.stop();
    const options = choices(runnable, this.last);
    let cpu = options[0];
    if (options.length > 1) {
      const at = this.points.length;
      const chosen = at < this.prefix.length ? this.prefix[at] : 0;
      const preempts = options.map((c) => c !== this.last && options[0] === this.last);
      this.points.push({ step, options, preempts, chosen });
      if (preempts[chosen]) this.preemptions++;
      cpu = options[chosen];
    }
    this.pendingStep = step;
    this.pendingCpu = cpu;
    for (const c of runnable) if (c.id === cpu) return c;
    return runnable[0];
  }

  /** The run's non-default choices as departures (the last pick of a step is the one that ran). */
  departures(): Departure[] {
    const out: Departure[] = [];
    for (let i = 0; i < this.points.length; i++) {
      const p = this.points[i];
      const next = this.points[i + 1];
      if (next !== undefined && next.step === p.step) continue;
      if (p.chosen !== 0) out.push({ step: p.step, cpu: p.options[p.chosen] });
    }
    return out;
  }
}

/** The runnable CPU ids: the default rule's pick first, then the rest in id order. */
function choices(runnable: readonly Cpu[], last: number): number[] {
  const ids = runnable.map((c) => c.id).sort((a, b) => a - b);
  const first = ids.includes(last) ? last : ids[0];
  return [first, ...ids.filter((id) => id !== first)];
}

/**
 * The next prefix to run after a run that made `points`: the deepest point with an untried
 * option whose preemptions stay within `bound`, or null when the tree is done.
 */
function backtrack(points: readonly ChoicePoint[], bound: number): number[] | null {
  let used = 0;
  const usedBefore: number[] = [];
  for (const p of points) {
    usedBefore.push(used);
    if (p.preempts[p.chosen]) used++;
  }
  for (let i = points.length - 1; i >= 0; i--) {
    const p = points[i];
    for (let j = p.chosen + 1; j < p.options.length; j++) {
      if (usedBefore[i] + (p.preempts[j] ? 1 : 0) > bound) continue;
      return [...points.slice(0, i).map((q) => q.chosen), j];
    }
  }
  return null;
}

/** Every schedule of `s` with at most `opts.preemptions` preemptions, fewest first. */
export function exhaust(s: AnyScenario, opts: ExhaustOptions): ExhaustResult {
  const result: ExhaustResult = {
    schedules: 0,
    runs: 0,
    perBound: [],
    deadlocks: 0,
    finished: false,
    found: null,
  };
  // A schedule that keeps a spinning CPU on forever is cut off (and counted as explored).
  let maxSteps = Number.POSITIVE_INFINITY;
  for (let bound = 0; bound <= opts.preemptions; bound++) {
    result.perBound.push(0);
    let prefix: number[] | null = [];
    while (prefix !== null) {
      if (result.runs >= opts.maxRuns) return result;
      const chooser = new PrefixChooser(prefix, maxSteps);
      const r = runAnyScenario(s, {
        seed: opts.seed,
        policy: EXHAUSTIVE_POLICY,
        faults: opts.faults,
        chooser,
      });
      result.runs++;
      if (maxSteps === Number.POSITIVE_INFINITY) maxSteps = 20 * r.machine.steps + 1000;
      if (chooser.preemptions === bound) {
        result.schedules++;
        result.perBound[bound]++;
        if (r.deadlocked) result.deadlocks++;
        if (r.violation !== null) {
          const plan = chooser.departures();
          result.found = { violation: r.violation, plan, preemptions: bound, steps: r.machine.steps };
          return result;
        }
      }
      prefix = backtrack(chooser.points, bound);
    }
  }
  result.finished = true;
  return result;
}
