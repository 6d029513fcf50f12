import { describe, expect, it } from "vitest";
import { dupMmapSem } from "../../src/race/sync-scenarios.js";
import { Machine } from "../../src/sim/machine.js";
import { checkProtection } from "./explore.js";

describe("PercpuRwSemaphore: unit", () => {
  it("readers on different CPUs touch only their own line once warm", () => {
    const m = new Machine({ cpus: 4 });
    const sem = dupMmapSem(m);
    for (let c = 0; c < 4; c++) {
      m.spawn(
        `r${c}`,
        function* () {
          for (let i = 0; i < 20; i++) {
            yield* sem.downRead();
            sem.upRead();
          }
        },
        c,
      );
    }
    m.runToCompletion();
    expect(sem.readStats.acquisitions).toBe(80);
    expect(sem.readStats.contended).toBe(0);
    expect(sem.blockLine.transfers).toBe(4); // one cold read per CPU, then hits
  });

  it("a writer waits a grace period and for readers to drain; new readers wait for the writer", () => {
    const m = new Machine({ cpus: 3 });
    const sem = dupMmapSem(m);
    const log: string[] = [];
    m.spawn("old-reader", function* () {
      yield* sem.downRead();
      log.push("old+");
      yield 3_000_000;
      log.push("old-");
      sem.upRead();
    });
    m.spawn("writer", function* () {
      yield 10;
      yield* sem.downWrite();
      log.push("w+");
      yield 1_000;
      log.push("w-");
      sem.upWrite();
    });
    m.spawn("new-reader", function* () {
      yield 500_000;
      yield* sem.downRead();
      log.push("new+");
      sem.upRead();
    });
    m.runToCompletion();
    expect(log).toEqual(["old+", "old-", "w+", "w-", "new+"]);
    expect(sem.writeStats.acquisitions).toBe(1);
    expect(sem.writeStats.contended).toBe(1); // waited for old-reader
    expect(sem.writeStats.maxWaitNs).toBeGreaterThanOrEqual(m.profile.rcuGracePeriod);
    expect(sem.readStats.contended).toBe(1);
  });

  it("writers are expensive even with no readers: at least one RCU grace period", () => {
    const m = new Machine({ cpus: 1 });
    const sem = dupMmapSem(m);
    let at = 0;
    m.spawn("w", function* () {
      yield* sem.downWrite();
      at = m.now();
      sem.upWrite();
    });
    m.runToCompletion();
    expect(at).toBeGreaterThanOrEqual(m.profile.rcuGracePeriod);
    // The grace period is the price of every write, not contention.
    expect(sem.writeStats.contended).toBe(0);
    expect(sem.writeStats.waitNs).toBeGreaterThanOrEqual(m.profile.rcuGracePeriod);
  });
});

describe("PercpuRwSemaphore: exploration", () => {
  it("the writer excludes readers; percpu-rwsem-no-drain breaks it", () => {
    checkProtection("percpu-rwsem-exclusion", 80, /percpu_down_write returned with \d reader/);
  });
});
