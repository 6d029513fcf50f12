/** Shared helpers for the mm tests: run a body to completion, explore schedules. */

import type { MmOptions } from "../../../src/kernel/mm/index.js";
import {
  Machine,
  type MachineOptions,
  type Policy,
  SimViolation,
  type Sub,
} from "../../../src/sim/machine.js";
import { Prng } from "../../../src/sim/prng.js";

/** Run `body` as one task on a fresh machine and return what it returned. */
export function runTask<T>(m: Machine, body: () => Sub<T>): T {
  let out: { v: T } | null = null;
  m.spawn("test", function* () {
    out = { v: yield* body() };
  });
  m.runToCompletion();
  if (out === null) throw new Error("task did not finish (blocked?)");
  return (out as { v: T }).v;
}

export interface Scenario {
  /** Spawn the scenario's tasks on `m`; `rng` is the scenario's own seeded PRNG. */
  setup(m: Machine, rng: Prng, design: MmOptions): void;
}

export interface ExploreResult {
  violation: SimViolation | null;
  deadlocks: number;
  runs: number;
}

/** Run a scenario over seeds with the random and pct policies; stop at the first violation. */
export function explore(
  scenario: Scenario,
  opts: { seeds: number; faults?: string[]; design?: MmOptions; cpus?: number; policies?: Policy[] },
): ExploreResult {
  const policies = opts.policies ?? ["random", "pct"];
  let deadlocks = 0;
  let runs = 0;
  for (let seed = 1; seed <= opts.seeds; seed++) {
    for (const policy of policies) {
      const mo: MachineOptions = {
        cpus: opts.cpus ?? 3,
        seed,
        policy,
        traceSteps: 120,
        faults: opts.faults ?? [],
        pctDepth: 4,
        pctSteps: 3000,
      };
      const m = new Machine(mo);
      runs++;
      try {
        scenario.setup(m, new Prng(seed * 7919 + (policy === "pct" ? 1 : 0)), opts.design ?? {});
        if (!m.runToCompletion()) deadlocks++;
      } catch (e) {
        if (e instanceof SimViolation) return { violation: e, deadlocks, runs };
        throw e;
      }
    }
  }
  return { violation: null, deadlocks, runs };
}
