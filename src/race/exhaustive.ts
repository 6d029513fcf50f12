/**
 * Exhaustive exploration for small scenarios: every schedule with at most K preemptions, by
 * stateless depth-first search. The simulator cannot snapshot a run (tasks are generators), so
 * each schedule is a fresh replay of the scenario, steered by a chooser that follows a prefix
 * of choices and then the default rule of schedule.ts (stay on the last CPU while it can run,
 * else the lowest-numbered one). After a run the search backtracks to the deepest choice
 * point with an untried CPU that keeps the preemption count within the bound.
 *
 * Preemption bounding (iterative context bounding, as in CHESS) is the main reduction: most races
 * need one or two preemptions, and the bound makes the space polynomial in the run's length.
 * Rounds go K = 0, 1, ... so the first violation found has the fewest preemptions there are.
 * Choices that are not preemptions (which CPU goes on after one blocked or finished) are all
 * explored. On scenarios whose steps report everything they share (MachineShape.commuting),
 * a sleep set skips schedules that only reorder commuting steps (see PrefixChooser).
 *
 * The schedules found are departures from the same default rule the replayer follows, so a
 * counterexample prints and replays exactly like a shrunk one (`--schedule`).
 */
import { type FootprintSink, serialBase } from "../sim/footprint.js";
import type { Chooser, Cpu, Machine, Policy, SimViolation, StepObserver } from "../sim/machine.js";
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
  /** Partial-order reduction, where the scenario allows it (default true; see commutes). */
  reduce?: boolean;
  /** Told of every step of every run (a test collecting what the schedules did). */
  observer?: StepObserver;
  /** After each run: whether it counted as one of the schedules explored (not a re-run or redundant). */
  afterRun?: (counted: boolean) => void;
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
  /** Schedules stopped at the step limit and not judged (a CPU that polls kept running, see STEP_LIMIT). */
  cut: number;
  /** Partial-order reduction was on (the scenario is commuting and it was not turned off). */
  reduced: boolean;
  /** Runs stopped as redundant: every step they could take reorders an explored schedule. */
  pruned: number;
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
  /** The default option is the CPU that ran the last step, going on (not a preemption). */
  continues: boolean;
  /** With reduction: what the default option's step touched, once a run has taken it. */
  first: Footprint | null;
}

/** A choice a run is told to make: an option index, and what the default option touched. */
type Planned = Pick<ChoicePoint, "chosen" | "first">;

/** A step's footprint: serials (relative to the run's first) times 2, plus 1 for a write. */
type Footprint = readonly number[];

/** A step kept asleep: the CPU whose next step it is, and what that step touches. */
interface Sleeper {
  cpu: number;
  footprint: Footprint;
}

/** Two steps that touch one object, at least one of them writing it, do not commute. */
function conflict(a: Footprint, b: Footprint): boolean {
  for (const x of a) for (const y of b) if (x >> 1 === y >> 1 && ((x | y) & 1) === 1) return true;
  return false;
}

/**
 * Steers one run: follows `prefix`, then the default rule, noting each choice point. With
 * `reduce` it keeps a sleep set: after a choice point's default step (the CPU that ran last,
 * going on) was explored, the runs that take another option put that step to sleep, and it
 * stays asleep until some step conflicts with it. Running it earlier than that only reorders
 * commuting steps, so it would give a schedule already explored. A run whose runnable CPUs
 * are all asleep is redundant and stopped.
 *
 * Only the default step is put to sleep, not every option explored before: preemption
 * bounding and sleep sets are unsound together in general (an explored equivalent may need
 * more preemptions than the bound allows), but moving the continuing CPU's step to the front
 * never adds a preemption, so the equivalent of a pruned schedule is within the bound too.
 */
class PrefixChooser implements Chooser, FootprintSink {
  readonly points: ChoicePoint[] = [];
  preemptions = 0;
  /** The run reached maxSteps and was stopped. */
  cut = false;
  /** Every runnable CPU was asleep: an equivalent schedule was explored, the run was stopped. */
  redundant = false;
  /** Why this run's outcome could depend on the clocks (reduction is unsound then), or null. */
  clockNote: string | null = null;
  private last = -1;
  private pendingCpu = -1;
  private pendingStep = -1;
  private pendingPoint: ChoicePoint | null = null;
  private sleep: Sleeper[] = [];
  private readonly touched: number[] = [];
  /** Serials of this run's objects count from here, so runs that share a prefix agree. */
  private readonly base = serialBase();

  constructor(
    private readonly prefix: readonly Planned[],
    private readonly maxSteps: number,
    private readonly reduce: boolean,
  ) {}

  pick(m: Machine, runnable: readonly Cpu[], _proposed: Cpu): Cpu {
    const step = m.steps;
    if (step !== this.pendingStep) {
      this.last = this.pendingCpu;
      if (this.reduce) this.stepRan();
    }
    if (step >= this.maxSteps) {
      this.cut = true;
      m.stop();
    }
    if (this.reduce) this.checkClockBlind(m, step);
    const awake = this.reduce ? runnable.filter((c) => !this.asleep(c.id)) : runnable;
    if (awake.length === 0) {
      this.redundant = true;
      m.stop();
      return runnable[0];
    }
    const lastRuns = runnable.some((c) => c.id === this.last);
    const options = choices(awake, this.last);
    let cpu = options[0];
    this.pendingPoint = null;
    if (options.length > 1) {
      const at = this.points.length;
      const planned = at < this.prefix.length ? this.prefix[at] : null;
      const chosen = planned?.chosen ?? 0;
      const preempts = options.map((c) => c !== this.last && lastRuns);
      const continues = options[0] === this.last;
      const point: ChoicePoint = { step, options, preempts, chosen, continues, first: null };
      this.points.push(point);
      this.pendingPoint = point;
      if (planned !== null) point.first = planned.first;
      if (preempts[chosen]) this.preemptions++;
      cpu = options[chosen];
    }
    this.pendingStep = step;
    this.pendingCpu = cpu;
    for (const c of runnable) if (c.id === cpu) return c;
    return runnable[0];
  }

  touch(serial: number, write: boolean): void {
    const key = serial < 0 ? serial : serial - this.base;
    this.touched.push(key * 2 + (write ? 1 : 0));
  }

  clockDependent(what: string): void {
    this.clockNote ??= what;
  }

  /** The run is over: account for its last step. */
  finish(): void {
    if (this.reduce && this.pendingStep >= 0) this.stepRan();
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

  /** The previous pick's step has run: note what it touched and wake the steps it conflicts with. */
  private stepRan(): void {
    const footprint = this.touched.slice();
    this.touched.length = 0;
    if (this.pendingStep < 0) return; // setup, before the first step
    const p = this.pendingPoint;
    if (p !== null && p.chosen === 0) p.first = footprint;
    const sleep = this.sleep.filter((e) => !conflict(e.footprint, footprint));
    if (p !== null && p.chosen > 0 && p.continues && p.first !== null) {
      const deferred = { cpu: p.options[0], footprint: p.first };
      if (!conflict(deferred.footprint, footprint)) sleep.push(deferred);
    }
    this.sleep = sleep;
  }

  private asleep(cpu: number): boolean {
    for (const e of this.sleep) if (e.cpu === cpu) return true;
    return false;
  }

  /**
   * Commuting steps leave the same logical state but not the same clocks (a line transfer
   * costs what the other CPUs did before it). That is harmless only while nothing reads the
   * clocks: no timer, and no CPU with a second task that a time slice could rotate in.
   */
  private checkClockBlind(m: Machine, step: number): void {
    if (this.clockNote !== null) return;
    for (const c of m.cpus) {
      if (c.current !== null && c.runq.length > 0) this.clockNote = `queued two tasks on cpu${c.id}`;
    }
    if (this.clockNote !== null) this.clockNote += ` by step ${step}`;
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
function backtrack(points: readonly ChoicePoint[], bound: number): Planned[] | null {
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
      const kept = points.slice(0, i).map((q) => ({ chosen: q.chosen, first: q.first }));
      return [...kept, { chosen: j, first: p.first }];
    }
  }
  return null;
}

/**
 * Steps a schedule may run. The default rule keeps a CPU that polls a flag (a spin loop that
 * yields) running forever, so every run is cut off: the first, which has no measure yet, at
 * this many steps, every later one at 20 times the first run's length.
 */
export const STEP_LIMIT = 200_000;

/** Every schedule of `s` with at most `opts.preemptions` preemptions, fewest first. */
export function exhaust(s: AnyScenario, opts: ExhaustOptions): ExhaustResult {
  const reduce = (opts.reduce ?? true) && commutes(s);
  const result: ExhaustResult = {
    schedules: 0,
    runs: 0,
    perBound: [],
    deadlocks: 0,
    cut: 0,
    reduced: reduce,
    pruned: 0,
    finished: false,
    found: null,
  };
  let maxSteps = STEP_LIMIT;
  for (let bound = 0; bound <= opts.preemptions; bound++) {
    result.perBound.push(0);
    let prefix: Planned[] | null = [];
    while (prefix !== null) {
      if (result.runs >= opts.maxRuns) return result;
      const chooser = new PrefixChooser(prefix, maxSteps, reduce);
      const r = runAnyScenario(s, {
        seed: opts.seed,
        policy: EXHAUSTIVE_POLICY,
        faults: opts.faults,
        chooser,
        footprint: reduce ? chooser : undefined,
        observer: opts.observer,
      });
      chooser.finish();
      if (chooser.clockNote !== null) {
        throw new Error(
          `a scenario marked commuting ${chooser.clockNote}: its steps' order reaches the clocks`,
        );
      }
      result.runs++;
      opts.afterRun?.(!chooser.redundant && chooser.preemptions === bound);
      if (result.runs === 1) maxSteps = Math.min(STEP_LIMIT, 20 * r.machine.steps + 1000);
      if (chooser.redundant) {
        if (chooser.preemptions === bound) result.pruned++;
      } else if (chooser.preemptions === bound) {
        result.schedules++;
        result.perBound[bound]++;
        if (r.deadlocked) result.deadlocks++;
        // A cut run stopped mid-flight: its end-of-run checks would judge an unsettled state.
        if (chooser.cut) result.cut++;
        else if (r.violation !== null) {
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

/** Whether the scenario's steps report all they share (MachineShape.commuting). */
export function commutes(s: AnyScenario): boolean {
  return "setup" in s && s.commuting === true;
}
