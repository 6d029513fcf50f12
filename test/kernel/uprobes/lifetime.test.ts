/**
 * Races on a uprobe's lifetime (kernel-model.md R4, R7, R11): a hit that found a uprobe just
 * before its last consumer left, a dying uprobe still in the tree when the same probe is
 * registered again, and a pending return instance whose SRCU lease the 100 ms ri_timer
 * converts while the owner returns through the trampoline.
 */
import { describe, expect, it } from "vitest";
import { explore } from "../../../src/race/explore.js";
import { dyingVsRegister, leaseTimerVsReturn, staleHitVsFree } from "../../../src/race/scenarios.js";

const SEEDS = 150;

describe("lifetime races: protection on, no violation over every seed and both policies", () => {
  it.each([
    ["R4 stale hit vs unregister + free (emulated)", staleHitVsFree("nop")],
    ["R4 stale hit vs unregister + free (single-stepped)", staleHitVsFree("ret")],
    ["R7 dying uprobe in the tree vs new registration", dyingVsRegister()],
    ["R11 ri_timer vs trampoline on one lease", leaseTimerVsReturn()],
  ])("%s", (_name, scenario) => {
    const r = explore(scenario, { seeds: SEEDS });
    expect(r.found?.violation.message ?? null).toBeNull();
    expect(r.deadlocks).toBe(0);
  });
});

describe("lifetime races: the fault switch makes exploration find the race", () => {
  it.each([
    ["free-skip-gp", staleHitVsFree("nop"), /^use-after-free: .* touched freed uprobe \/usr\/bin\/app:0x100/],
    ["free-skip-gp", staleHitVsFree("ret"), /^use-after-free: .* touched freed uprobe \/usr\/bin\/app:0x100/],
    [
      "free-erase-unconditionally",
      dyingVsRegister(),
      /^R7: consumer \d+ is registered on .*no longer in uprobes_tree/,
    ],
    ["hprobe-no-cmpxchg", leaseTimerVsReturn(), /^R11: an SRCU lease released twice/],
  ])("%s", (fault, scenario, message) => {
    const r = explore(scenario, { seeds: SEEDS, faults: [fault] });
    expect(r.found).not.toBeNull();
    expect(r.found!.violation.message).toMatch(message);
    expect(r.found!.violation.interleaving).toMatch(/step \d+ cpu\d/);
  });
});
