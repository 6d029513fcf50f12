/**
 * R3 and R10 are performance effects (docs/kernel-model.md): these check that the scenarios
 * behind bench/kernel-effects-bench.mjs show them, and show nothing without their cause.
 */
import { describe, expect, it } from "vitest";
import { speculationVsRegistration, syncVsPendingReturn } from "../../src/race/kernel-effects.js";

describe("R3: speculation while a registration holds mmap_write_lock", () => {
  it("no registrations: every lookup is speculative", () => {
    const f = speculationVsRegistration(0);
    expect(f.hits).toBeGreaterThan(1000);
    expect(f.fallbacks).toBe(0);
    expect(f.speculative).toBe(f.hits);
  });

  it("registrations in the same mm: some lookups fall back to mmap_read_lock", () => {
    const f = speculationVsRegistration(20);
    expect(f.fallbacks).toBeGreaterThan(0);
    expect(f.speculative + f.fallbacks).toBe(f.hits);
  });
});

describe("R10: uprobe_unregister_sync vs a pending return instance", () => {
  it("short calls only: a sync takes well under a millisecond", () => {
    const f = syncVsPendingReturn(false);
    expect(f.syncs).toBeGreaterThan(10);
    expect(f.meanSyncMs).toBeLessThan(1);
  });

  it("inside a long return-probed call whose inner calls re-arm ri_timer: a sync waits for the return", () => {
    const f = syncVsPendingReturn(true);
    expect(f.syncs).toBeGreaterThan(0);
    expect(f.meanSyncMs).toBeGreaterThan(300);
  });
});
