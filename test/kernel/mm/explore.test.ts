/**
 * Exploration over many seeds (random and PCT schedules, interleaving traces on): with every
 * check in place nothing breaks; with one check removed by a fault switch the same
 * exploration finds the race and prints the schedule that broke it. The scenarios are the mm
 * entries `probelab race` lists (src/race/mm-scenarios.ts).
 */
import { describe, expect, it } from "vitest";
import { explore } from "../../../src/race/explore.js";
import {
  CHURN_CPUS,
  MM_RACE_SCENARIOS,
  MM_SCENARIOS,
  mmScenario,
  VMA_DESIGN_6_4,
} from "../../../src/race/mm-scenarios.js";

const { vmaChurn, writeLockChurn, mapsTearing, forkVsFault } = MM_SCENARIOS;

const SEEDS = 60;

describe("exploration with every check in place", () => {
  it("R19/R21: lock_vma_under_rcu never hands out a recycled, detached or foreign VMA", () => {
    const r = explore(mmScenario(vmaChurn, CHURN_CPUS), { seeds: SEEDS });
    expect(r.found?.violation.message ?? null).toBeNull();
    expect(r.deadlocks).toBe(0);
    expect(r.runs).toBe(2 * SEEDS);
  });

  it("R19 in the 6.4-6.14 design (vm_lock rwsem, RCU-freed VMAs, counter mm_lock_seq)", () => {
    const r = explore(mmScenario(vmaChurn, CHURN_CPUS, VMA_DESIGN_6_4), { seeds: 30 });
    expect(r.found?.violation.message ?? null).toBeNull();
    expect(r.deadlocks).toBe(0);
  });

  it("R22: a reader never holds a VMA its writer believes it owns", () => {
    const r = explore(mmScenario(writeLockChurn), { seeds: SEEDS });
    expect(r.found?.violation.message ?? null).toBeNull();
    expect(r.deadlocks).toBe(0);
  });

  it("R23: the per-VMA maps reader never reports a false gap and always progresses", () => {
    const r = explore(mmScenario(mapsTearing), { seeds: SEEDS });
    expect(r.found?.violation.message ?? null).toBeNull();
    expect(r.deadlocks).toBe(0);
  });

  it("R15: no page fault under a VMA read lock overlaps fork's copy of that VMA", () => {
    const r = explore(mmScenario(forkVsFault), { seeds: SEEDS });
    expect(r.found?.violation.message ?? null).toBeNull();
    expect(r.deadlocks).toBe(0);
  });
});

describe("exploration with one check removed finds the race", () => {
  const messages: Record<string, RegExp> = {
    "vma-skip-mm-check": /of mm\d+, looked up in mm\d+/,
    "vma-copy-refcnt": /not attached/,
    "vma-skip-seq-recheck": /writer owns it|reader\(s\) hold it/,
    "maps-skip-gap-recheck": /false gap/,
    "fork-skip-vma-write-lock": /R15/,
  };
  for (const r of MM_RACE_SCENARIOS) {
    it(`${r.name} (${r.fault})`, () => {
      const x = explore(r.build(), { seeds: SEEDS, faults: [r.fault] });
      const v = x.found?.violation;
      expect(v).toBeDefined();
      expect(v!.name).toBe("SimViolation");
      expect(v!.message).toMatch(messages[r.fault]);
      expect(v!.interleaving).toMatch(/step \d+ cpu\d/);
    });
  }
});
