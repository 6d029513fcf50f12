/**
 * Races on the lookup side of a hit (kernel-model.md R1, R5, R6): the speculative
 * VMA -> inode -> uprobe resolution against address-space changes, the lockless tree walk
 * against inserts and erases, and the SIGTRAP-or-restart decision against an unregister and
 * re-register at the same address. Each scenario passes over every seed with the protection
 * in place, and with its fault switch on the same exploration finds the race.
 */
import { describe, expect, it } from "vitest";
import { explore } from "../../../src/race/explore.js";
import {
  speculationVsMapping,
  trapVsReregister,
  treeWalkVsInsertErase,
} from "../../../src/race/scenarios.js";

const SEEDS = 150;

describe("lookup races: protection on, no violation over every seed and both policies", () => {
  it.each([
    ["R1 speculative lookup vs munmap/mremap/mprotect", speculationVsMapping()],
    ["R5 lockless tree walk vs insert/erase", treeWalkVsInsertErase()],
    ["R6 SIGTRAP vs unregister + re-register", trapVsReregister()],
  ])("%s", (_name, scenario) => {
    const r = explore(scenario, { seeds: SEEDS });
    expect(r.found?.violation.message ?? null).toBeNull();
    expect(r.deadlocks).toBe(0);
    expect(r.runs).toBe(2 * SEEDS);
  });
});

describe("lookup races: the fault switch makes exploration find the race", () => {
  it.each([
    ["spec-skip-retry", speculationVsMapping(), /^R1: speculative lookup returned .* for 0x400100/],
    ["tree-skip-seq-retry", treeWalkVsInsertErase(), /^R5: lockless lookup missed \/usr\/bin\/app:0x100/],
    ["swbp-trap-check-unlocked", trapVsReregister(), /^R6: SIGTRAP for a uprobe breakpoint at 0x400100/],
  ])("%s", (fault, scenario, message) => {
    const r = explore(scenario, { seeds: SEEDS, faults: [fault] });
    expect(r.found).not.toBeNull();
    expect(r.found!.violation.message).toMatch(message);
    expect(r.found!.violation.interleaving).toMatch(/step \d+ cpu\d/);
  });
});
