/**
 * The sim tests' check of a race scenario (src/race/sync-scenarios.ts): explored with the
 * exploration loop `probelab race` uses, the way a user hunting a race would.
 */
import { expect } from "vitest";
import { DEFAULT_POLICIES, type ExploreResult, explore, type Found } from "../../src/race/explore.js";
import { runAnyScenario } from "../../src/race/harness.js";
import { findRaceScenario } from "../../src/race/scenarios.js";

/**
 * The protection works (nothing found over `seeds` seeds with the scenario's fault off) and
 * is what matters (the same exploration with the fault on finds a violation matching
 * `message`, prints its interleaving, and replays from its seed).
 */
export function checkProtection(
  name: string,
  seeds: number,
  message: RegExp,
): { clean: ExploreResult; broken: Found } {
  const race = findRaceScenario(name);
  if (race === undefined) throw new Error(`no race scenario ${name}`);
  const scenario = race.build();
  const clean = explore(scenario, { seeds });
  expect(clean.found?.violation.message ?? null).toBeNull();
  expect(clean.deadlocks).toBe(0);
  const faults = [race.fault];
  // Each policy hunts on its own, so the report says how fast each one finds the race.
  const perPolicy = DEFAULT_POLICIES.map((policy) => ({
    policy,
    result: explore(scenario, { seeds, faults, policies: [policy] }),
  }));
  const first = perPolicy.find((p) => p.result.found !== null);
  expect(first, `fault ${race.fault} should be found`).toBeDefined();
  const found = first!.result.found!;
  expect(found.violation.message).toMatch(message);
  expect(found.violation.message).toContain(`seed ${found.seed}, policy ${found.policy}`);
  expect(found.violation.interleaving).toMatch(/step \d+ cpu\d+ t=\d+ns /);
  const rates = perPolicy
    .map(
      (p) =>
        `${p.policy}: ${p.result.found ? `found in run ${p.result.runs}` : `not found in ${p.result.runs} runs`}`,
    )
    .join(", ");
  const tail = found.violation.interleaving.split("\n").slice(-12).join("\n");
  console.log(
    `[${race.fault}] ${rates} (clean: ${clean.runs} runs, nothing found)\n${found.violation.message}\n${tail}`,
  );
  const again = runAnyScenario(scenario, { seed: found.seed, policy: found.policy, faults }).violation;
  expect(again?.message).toBe(found.violation.message);
  expect(again?.interleaving).toBe(found.violation.interleaving);
  return { clean, broken: found };
}
