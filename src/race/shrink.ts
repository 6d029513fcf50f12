/**
 * Minimal counterexamples. A violation found by a random or PCT schedule comes with thousands
 * of steps and hundreds of CPU switches, nearly all of them irrelevant. The shrinker writes the
 * failing schedule down as its departures from the default rule (schedule.ts), then deletes
 * departures by delta debugging (Zeller's ddmin: try halves, then quarters, ... keeping any
 * smaller set that still breaks the same invariant), so what is left are the preemptions the
 * race needs. Among schedules as short, it keeps the one that fails in the fewest steps.
 *
 * Every attempt is one deterministic replay, and the number of attempts is bounded, so the
 * result is a pure function of the scenario, seed, policy and faults.
 */
import type { Policy, SimViolation } from "../sim/machine.js";
import { type AnyScenario, type RunResult, runAnyScenario } from "./harness.js";
import { type Departure, RecordingChooser, ReplayChooser, type ScheduleStats } from "./schedule.js";

/** Replays the shrinker may spend (each is one run of the scenario). */
export const SHRINK_BUDGET = 300;

/** One failing schedule: its departures, what broke, and how long it ran. */
export interface FailingSchedule {
  plan: Departure[];
  preemptions: number;
  steps: number;
  violation: SimViolation;
}

export interface Shrunk {
  /** The schedule the exploration found, as departures from the default rule. */
  original: FailingSchedule;
  /** The smallest failing schedule the replays reached. */
  minimal: FailingSchedule;
  replays: number;
  /** The budget ran out before ddmin finished (the result still fails, it may not be minimal). */
  exhausted: boolean;
}

export interface ShrinkTarget {
  scenario: AnyScenario;
  seed: number;
  policy: Policy;
  faults: readonly string[];
}

/** A violation with run-specific numbers folded away: the invariant that broke. */
export function invariantOf(v: SimViolation): string {
  return v.message.replace(/ \(seed \d+, policy \w+\)$/, "").replace(/0x[0-9a-f]+|\d+/g, "#");
}

/** Run the target under `chooser`; the failing schedule if it broke, else null. */
function attempt(t: ShrinkTarget, chooser: RecordingChooser | ReplayChooser): FailingSchedule | null {
  const r: RunResult = runAnyScenario(t.scenario, {
    seed: t.seed,
    policy: t.policy,
    faults: t.faults,
    chooser,
  });
  if (r.violation === null) return null;
  const stats: ScheduleStats = chooser.stats();
  return {
    plan: stats.departures,
    preemptions: stats.preemptions,
    steps: r.machine.steps,
    violation: r.violation,
  };
}

/** Shrink the schedule that (seed, policy) fails with; null if that run does not fail. */
export function shrink(t: ShrinkTarget, budget = SHRINK_BUDGET): Shrunk | null {
  const original = attempt(t, new RecordingChooser());
  if (original === null) return null;
  const kind = invariantOf(original.violation);
  const maxSteps = 4 * original.steps + 1000;
  let replays = 0;
  const tryPlan = (plan: readonly Departure[]): FailingSchedule | null => {
    replays++;
    const f = attempt(t, new ReplayChooser(plan, maxSteps));
    return f !== null && invariantOf(f.violation) === kind ? f : null;
  };
  let best = original;
  /** Keep `f` if it is no worse: fewer preemptions, then fewer departures, then fewer steps. */
  const better = (f: FailingSchedule | null): boolean => {
    if (f === null || !noWorse(f, best)) return false;
    best = f;
    return true;
  };
  // ddmin over the departures: try each chunk alone, then everything but each chunk.
  let n = 2;
  while (best.plan.length >= 1 && replays < budget) {
    const chunks = split(best.plan, Math.min(n, best.plan.length));
    let reduced = false;
    for (const c of chunks) if (!reduced && replays < budget && better(tryPlan(c))) reduced = true;
    for (let i = 0; i < chunks.length && !reduced && replays < budget; i++) {
      if (better(tryPlan(chunks.filter((_, k) => k !== i).flat()))) reduced = true;
    }
    if (reduced) n = Math.max(2, n - 1);
    else if (n >= best.plan.length) break;
    else n = Math.min(2 * n, best.plan.length);
  }
  if (best.plan.length > 0 && replays < budget) better(tryPlan([]));
  shortenSteps(
    tryPlan,
    better,
    () => best,
    budget,
    () => replays,
  );
  return { original, minimal: best, replays, exhausted: replays >= budget };
}

/**
 * Fewest steps: move each departure earlier (halfway towards the one before it, repeatedly)
 * while the schedule still fails no worse and in fewer steps.
 */
function shortenSteps(
  tryPlan: (plan: readonly Departure[]) => FailingSchedule | null,
  better: (f: FailingSchedule | null) => boolean,
  best: () => FailingSchedule,
  budget: number,
  replays: () => number,
): void {
  for (let i = 0; i < best().plan.length && replays() < budget; i++) {
    let moved = true;
    while (moved && replays() < budget) {
      const plan = best().plan;
      if (i >= plan.length) return;
      const floor = i === 0 ? 0 : plan[i - 1].step + 1;
      const at = Math.floor((floor + plan[i].step) / 2);
      moved = false;
      if (at >= plan[i].step) break;
      const candidate = plan.map((d, k) => (k === i ? { step: at, cpu: d.cpu } : d));
      const f = tryPlan(candidate);
      if (f !== null && f.steps < best().steps) moved = better(f);
    }
  }
}

function noWorse(a: FailingSchedule, b: FailingSchedule): boolean {
  if (a.preemptions !== b.preemptions) return a.preemptions < b.preemptions;
  if (a.plan.length !== b.plan.length) return a.plan.length < b.plan.length;
  return a.steps <= b.steps;
}

/** `items` in `n` contiguous chunks of nearly equal size. */
function split<T>(items: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < n; i++) {
    const from = Math.floor((i * items.length) / n);
    const to = Math.floor(((i + 1) * items.length) / n);
    if (to > from) out.push(items.slice(from, to));
  }
  return out;
}
