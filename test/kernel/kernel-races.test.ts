/**
 * The kernel-model races of src/race/kernel-scenarios.ts: every scenario is clean over its
 * seeds and both policies with its check in place, and its fault switch makes exploration
 * find the race, with the interleaving that broke it.
 */
import { describe, expect, it } from "vitest";
import { mmSubsystemOf } from "../../src/kernel/mm/index.js";
import { explore } from "../../src/race/explore.js";
import { runAnyScenario } from "../../src/race/harness.js";
import { KERNEL_RACE_SCENARIOS, mapsFallbacks } from "../../src/race/kernel-scenarios.js";
import { MM_SCENARIOS, mmScenario } from "../../src/race/mm-scenarios.js";

const SEEDS = 60;

const caught: Record<string, RegExp> = {
  "r28-usdt-semaphore-churn": /^R28: the semaphore is 2 in mm\d+ with 1 breakpoint\(s\) at 0x400100/,
  "r20-foreign-mm-exit": /^use-after-free: vma_refcount_put: wake vma_writer_wait on freed mm\d+/,
  "r2-vm-file-recycled": /^use-after-free: speculative lookup reads vm_file->f_inode \(files_cachep\)/,
  "r13-tail-call-and-longjmp": /no pending return instance \(SIGILL\)|^R13: /,
  "r14-fork-vs-register": /^R(8|16): /,
  "r17-mremap-merge-orphan": /^R17: Bad rss-counter state: mm\d+ freed with 1 breakpoint page\(s\) counted/,
  "r18-has-uprobes-vs-install": /^R18: SIGTRAP for a uprobe breakpoint .* with MMF_HAS_UPROBES clear/,
  "r12-ri-timer-vs-reuse": /^R12: ri_timer saw a return instance re-initialised for another call/,
  "r27-mm-lock-seq-wrap":
    /^R1: speculative lookup returned \/usr\/bin\/app:0x100 for 0x400100, which now maps nothing probed/,
  "r24-maps-fallbacks": /^maps( reported a false gap| went backwards|: first line is not at)/,
  "r25-nhit-lost-update": /^R25: nhits sum to \d+ after 48 dispatches/,
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

describe("R24: VMA_REF_LIMIT reaches the maps reader's whole-chunk fallback", () => {
  const chunkFallbacks = (s: ReturnType<typeof mapsFallbacks>) => {
    let total = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const r = runAnyScenario(s, { seed, policy: "random" });
      expect(r.violation?.message ?? null).toBeNull();
      total += mmSubsystemOf(r.machine).stats.maps_chunk_fallbacks;
    }
    return total;
  };

  it("with the limit at 2, two readers on one VMA overflow it and chunks fall back; at the real limit never", () => {
    expect(chunkFallbacks(mapsFallbacks())).toBeGreaterThan(0);
    expect(chunkFallbacks(mmScenario(MM_SCENARIOS.mapsTearing))).toBe(0);
  });
});
