/**
 * The exploration loop: run a scenario for a range of seeds, each under every policy, and stop
 * at the first violation. Every exploration in probelab goes through here: `probelab race`
 * (one job or many), the uprobes, mm and sync-primitive tests, and the workload explorer.
 *
 * Runs are ordered seed-major (seed 1 random, seed 1 pct, seed 2 random, ...), so a fault is
 * found early whichever policy finds it, and "run N" names the same run however the seeds were
 * spread over jobs. A run is a pure function of (scenario, seed, policy, faults).
 */
import type { Policy, SimViolation } from "../sim/machine.js";
import { Coverage, CoverageObserver, type RunCoverage } from "./coverage.js";
import { type AnyScenario, runAnyScenario } from "./harness.js";

export const DEFAULT_POLICIES: readonly Policy[] = ["random", "pct"];

export interface ExploreOptions {
  /** How many seeds to run, each under every policy. */
  seeds: number;
  /** The first seed (default 1): a found violation replays with its own seed and seeds 1. */
  firstSeed?: number;
  faults?: readonly string[];
  policies?: readonly Policy[];
  /** Count the distinct interleavings the runs show (see coverage.ts). */
  coverage?: boolean;
}

/** What one run came to. */
export interface RunRecord {
  seed: number;
  policy: Policy;
  deadlocked: boolean;
  violation: SimViolation | null;
  coverage: RunCoverage | null;
}

export interface Found {
  violation: SimViolation;
  seed: number;
  policy: Policy;
  /** Runs it took, counting this one. */
  runs: number;
}

export interface ExploreResult {
  runs: number;
  deadlocks: number;
  found: Found | null;
  /** Null unless asked for. */
  coverage: Coverage | null;
}

/** The runs of an exploration, in order, lazily (the caller stops at the first violation). */
export function* exploreRuns(s: AnyScenario, opts: ExploreOptions): Generator<RunRecord> {
  const policies = opts.policies ?? DEFAULT_POLICIES;
  const first = opts.firstSeed ?? 1;
  const observer = opts.coverage ? new CoverageObserver() : undefined;
  for (let seed = first; seed < first + opts.seeds; seed++) {
    for (const policy of policies) {
      observer?.beginRun();
      const r = runAnyScenario(s, { seed, policy, faults: opts.faults, observer });
      const coverage = observer === undefined ? null : observer.endRun();
      yield { seed, policy, deadlocked: r.deadlocked, violation: r.violation, coverage };
    }
  }
}

/** Fold run records (in run order) into the exploration's result, stopping at a violation. */
export function summarize(records: Iterable<RunRecord>, coverage: boolean): ExploreResult {
  const result: ExploreResult = {
    runs: 0,
    deadlocks: 0,
    found: null,
    coverage: coverage ? new Coverage() : null,
  };
  for (const r of records) {
    result.runs++;
    if (r.deadlocked) result.deadlocks++;
    if (r.coverage !== null) result.coverage?.add(r.coverage);
    if (r.violation !== null) {
      result.found = { violation: r.violation, seed: r.seed, policy: r.policy, runs: result.runs };
      break;
    }
  }
  return result;
}

/** Explore `s` in this thread (see parallel.ts for several). */
export function explore(s: AnyScenario, opts: ExploreOptions): ExploreResult {
  return summarize(exploreRuns(s, opts), opts.coverage ?? false);
}
