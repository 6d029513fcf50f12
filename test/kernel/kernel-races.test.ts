/**
 * The kernel-model races of src/race/kernel-scenarios.ts: every scenario is clean over its
 * seeds and both policies with its check in place, and its fault switch makes exploration
 * find the race, with the interleaving that broke it.
 */
import { describe, expect, it } from "vitest";
import { explore } from "../../src/race/explore.js";
import { KERNEL_RACE_SCENARIOS } from "../../src/race/kernel-scenarios.js";

const SEEDS = 60;

const caught: Record<string, RegExp> = {
  "r13-tail-call-and-longjmp": /no pending return instance \(SIGILL\)|^R13: /,
  "r14-fork-vs-register": /^R(8|16): /,
  "r18-has-uprobes-vs-install": /^R18: SIGTRAP for a uprobe breakpoint .* with MMF_HAS_UPROBES clear/,
  "r12-ri-timer-vs-reuse": /^R12: ri_timer saw a return instance re-initialised for another call/,
  "r26-free-utask-vs-unwind": /^R26: a user-stack unwind of tid \d+ read a return instance already freed/,
};

describe("kernel races: protection on, no violation over every seed and both policies", () => {
  it.each(KERNEL_RACE_SCENARIOS.map((r) => [r.name, r] as const))("%s", (_name, r) => {
    const result = explore(r.build(), { seeds: SEEDS });
    expect(result.found?.violation.message ?? null).toBeNull();
    expect(result.deadlocks).toBe(0);
  });
});

describe("kernel races: the fault switch makes exploration find the race", () => {
  it.each(KERNEL_RACE_SCENARIOS.map((r) => [r.name, r] as const))("%s", (name, r) => {
    const result = explore(r.build(), { seeds: SEEDS, faults: [r.fault] });
    expect(result.found).not.toBeNull();
    expect(result.found!.violation.message).toMatch(caught[name]);
    expect(result.found!.violation.interleaving).toMatch(/step \d+ cpu\d/);
  });
});
