/**
 * Exploration harness for the sim tests: run one scenario under many seeds of the random and
 * PCT policies and report the first invariant violation, the way a user hunting a race would.
 */
import { expect } from "vitest";
import { Machine, type Policy, SimViolation } from "../../src/sim/machine.js";

export interface ExploreOptions {
  cpus: number;
  /** Seeds per policy (seeds 1..n). */
  seeds: number;
  policies?: Policy[];
  faults?: string[];
  /** Simulated-time limit of each run. */
  limit?: number;
  /** PCT: expected steps of one run, so change points fall inside it. */
  pctSteps?: number;
  pctDepth?: number;
}

export interface Found {
  violation: SimViolation;
  seed: number;
  policy: Policy;
}

export interface ExploreResult {
  runs: number;
  /** The first violation found, or null. */
  found: Found | null;
  /** Runs that ended with tasks blocked forever. */
  deadlocks: number;
}

/** Build a machine for one exploration run (exported so a found seed can be replayed). */
export function exploringMachine(opts: ExploreOptions, policy: Policy, seed: number): Machine {
  return new Machine({
    cpus: opts.cpus,
    seed,
    policy,
    faults: opts.faults ?? [],
    traceSteps: 48,
    pctSteps: opts.pctSteps ?? 400,
    pctDepth: opts.pctDepth ?? 3,
  });
}

/** Run `scenario` once per (policy, seed); stop at the first violation. */
export function explore(opts: ExploreOptions, scenario: (m: Machine) => void): ExploreResult {
  let runs = 0;
  let deadlocks = 0;
  for (const policy of opts.policies ?? (["random", "pct"] as Policy[])) {
    for (let seed = 1; seed <= opts.seeds; seed++) {
      const m = exploringMachine(opts, policy, seed);
      scenario(m);
      runs++;
      try {
        if (!m.runUntil(opts.limit ?? Number.POSITIVE_INFINITY)) deadlocks++;
      } catch (e) {
        if (e instanceof SimViolation) return { runs, found: { violation: e, seed, policy }, deadlocks };
        throw e;
      }
    }
  }
  return { runs, found: null, deadlocks };
}

/** Replay a found violation from its seed: it must break the same way. */
export function replay(
  opts: ExploreOptions,
  found: Found,
  scenario: (m: Machine) => void,
): SimViolation | null {
  const m = exploringMachine(opts, found.policy, found.seed);
  scenario(m);
  try {
    m.runUntil(opts.limit ?? Number.POSITIVE_INFINITY);
  } catch (e) {
    if (e instanceof SimViolation) return e;
    throw e;
  }
  return null;
}

/**
 * The protection works (nothing found with the fault off) and is what matters (the same
 * exploration with `fault` on finds a violation matching `message`, prints its interleaving,
 * and replays from its seed).
 */
export function checkProtection(
  opts: ExploreOptions,
  fault: string,
  scenario: (m: Machine) => void,
  message: RegExp,
): { clean: ExploreResult; broken: Found } {
  const clean = explore(opts, scenario);
  expect(clean.found?.violation.message ?? null).toBeNull();
  expect(clean.deadlocks).toBe(0);
  const faulty = { ...opts, faults: [...(opts.faults ?? []), fault] };
  // Each policy hunts on its own, so the report says how fast each one finds the race.
  const perPolicy = (opts.policies ?? (["random", "pct"] as Policy[])).map((policy) => ({
    policy,
    result: explore({ ...faulty, policies: [policy] }, scenario),
  }));
  const first = perPolicy.find((p) => p.result.found !== null);
  expect(first, `fault ${fault} should be found`).toBeDefined();
  const found = first!.result.found!;
  expect(found.violation.message).toMatch(message);
  expect(found.violation.message).toContain(`seed ${found.seed}, policy ${found.policy}`);
  expect(found.violation.interleaving).toMatch(/step \d+ cpu\d+ t=\d+ns /);
  // Print what a user hunting the race would see: the violation and the steps that led to it.
  const rates = perPolicy
    .map(
      (p) =>
        `${p.policy}: ${p.result.found ? `found in run ${p.result.runs}` : `not found in ${p.result.runs} runs`}`,
    )
    .join(", ");
  const tail = found.violation.interleaving.split("\n").slice(-12).join("\n");
  console.log(
    `[${fault}] ${rates} (clean: ${clean.runs} runs, nothing found)\n${found.violation.message}\n${tail}`,
  );
  const again = replay(faulty, found, scenario);
  expect(again?.message).toBe(found.violation.message);
  expect(again?.interleaving).toBe(found.violation.interleaving);
  return { clean, broken: found };
}
