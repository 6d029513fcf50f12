import { describe, expect, it } from "vitest";
import { detachBench } from "../../src/trace/detach-bench.js";

describe("batched detach amortises grace periods", () => {
  it("one sync for the batch waits a handful of grace periods; a sync per probe waits several per probe", () => {
    const batched = detachBench(200, "latest", ["unregister=batched"]);
    const perProbe = detachBench(200, "latest", ["unregister=sync-per-probe"]);
    expect(batched.breakpointsLeft).toBe(0);
    expect(perProbe.breakpointsLeft).toBe(0);
    expect(batched.syncCalls).toBe(1);
    expect(perProbe.syncCalls).toBe(200);
    expect(batched.gracePeriods).toBeLessThan(20);
    expect(perProbe.gracePeriods).toBeGreaterThanOrEqual(2 * 200);
    // Each per-probe sync waits a Tasks Trace grace period (~18 ms) at least.
    expect(perProbe.detachNs).toBeGreaterThan(200 * 18e6);
    expect(batched.detachNs).toBeLessThan(100e6);
  });

  it("back-to-back registrations share dup_mmap_sem's grace period (rcu_sync)", () => {
    const f = detachBench(500, "latest");
    // One RCU grace period (1 ms) for the first writer; the rest find the fast path already off.
    expect(f.attachNs).toBeLessThan(5e6);
  });
});
