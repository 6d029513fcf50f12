/**
 * The cost profile against docs/calibration.md's single-CPU table (Xeon Gold 6138, 2024).
 *
 * The profile prices the steps; the kernel model adds the lookup work in between (tree
 * nodes, cache hits, consumer walk). So each check finds how many ns the table leaves for
 * that lookup, and requires one budget to fit every variant at once: a profile that can only
 * match one figure by giving each variant its own overhead is not calibrated.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_COST_PROFILE as P } from "../../src/sim/cost-profile.js";

/** ns per operation from a M ops/s range, slowest first. */
function nsRange(lowMops: number, highMops: number): [number, number] {
  return [1_000 / highMops, 1_000 / lowMops];
}

/** The lookup budget [min, max] a variant leaves once the profile's fixed steps are paid. */
function budget(fixed: number, table: [number, number]): [number, number] {
  return [table[0] - fixed, table[1] - fixed];
}

function intersect(...ranges: [number, number][]): [number, number] {
  return [Math.max(...ranges.map((r) => r[0])), Math.min(...ranges.map((r) => r[1]))];
}

describe("Cost profile calibration (single CPU)", () => {
  const nopFixed = P.userLoop + P.trap + P.emulate + P.bpfProgram;
  const retFixed = P.userLoop + P.trap + P.singleStep + P.bpfProgram;

  it("usermode-count and syscall-count fall inside the table", () => {
    const [loLoop, hiLoop] = nsRange(152, 234);
    expect(P.userLoop).toBeGreaterThanOrEqual(Math.floor(loLoop));
    expect(P.userLoop).toBeLessThanOrEqual(Math.ceil(hiLoop));
    const [loSys, hiSys] = nsRange(12.1, 14.9);
    expect(P.userLoop + P.syscall).toBeGreaterThanOrEqual(loSys);
    expect(P.userLoop + P.syscall).toBeLessThanOrEqual(hiSys);
  });

  it("one lookup budget fits both uprobe-nop (emulated) and uprobe-ret (single-stepped)", () => {
    const nop = budget(nopFixed, nsRange(3.53, 3.57));
    const ret = budget(retFixed, nsRange(1.1, 1.22));
    const both = intersect(nop, ret);
    expect(both[0]).toBeLessThanOrEqual(both[1]);
    // The budget is small next to the trap: the lookup is cache hits and a few tree nodes.
    expect(both[0]).toBeGreaterThan(0);
    expect(both[1]).toBeLessThan(P.trap / 2);
  });

  it("a single-stepped hit costs about 2.9x an emulated one", () => {
    const lookup = 280 - nopFixed;
    const ratio = (retFixed + lookup) / (nopFixed + lookup);
    expect(ratio).toBeGreaterThan(2.7);
    expect(ratio).toBeLessThan(3.3);
  });

  it("uretprobe-nop adds the return trap to the entry hit", () => {
    const lookup = 280 - nopFixed;
    const [lo, hi] = nsRange(1.97, 2.25);
    const perHit = nopFixed + lookup + P.returnTrap;
    // Within 5% of the table's range: the return path's bookkeeping is the kernel model's.
    expect(perHit).toBeGreaterThan(lo * 0.95);
    expect(perHit).toBeLessThan(hi);
  });

  it("grace periods: Tasks Trace ~18 ms, SRCU scans far shorter, classic RCU in between", () => {
    expect(P.tasksTraceGracePeriod).toBe(18_000_000);
    expect(P.srcuScanDelay).toBeLessThan(P.rcuGracePeriod);
    expect(P.rcuGracePeriod).toBeLessThan(P.tasksTraceGracePeriod);
  });

  it("sharing costs: a hit is cheap, a transfer costs tens of hits, an atomic sits between", () => {
    expect(P.lineTransfer / P.cacheHit).toBeGreaterThanOrEqual(20);
    expect(P.atomic).toBeGreaterThan(P.cacheHit);
    expect(P.atomic).toBeLessThan(P.lineTransfer);
  });
});
