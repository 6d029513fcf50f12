import { describe, expect, it } from "vitest";
import { CacheLine } from "../../src/sim/cacheline.js";
import { Machine, type Policy, type TraceEvent } from "../../src/sim/machine.js";
import { RcuDomain } from "../../src/sim/sync/rcu.js";
import { RwSemaphore } from "../../src/sim/sync/rwsem.js";
import { Mutex } from "../../src/sim/sync/spinlock.js";
import { SrcuStruct } from "../../src/sim/sync/srcu.js";

/**
 * A little of everything the scheduler does: shared and private lines, a mutex, an rwsem,
 * SRCU and RCU grace periods with callbacks, sleeps, timers that spawn tasks and raise irqs,
 * more tasks than CPUs (so time slices rotate).
 */
function workload(m: Machine): void {
  const shared = new CacheLine("nhit");
  const mutex = new Mutex(m, "mutex");
  const sem = new RwSemaphore(m, "mmap_lock");
  const srcu = new SrcuStruct(m, "srcu");
  const rcu = new RcuDomain(m, "rcu", 0, 1, () => m.profile.rcuGracePeriod);
  for (let i = 0; i < 6; i++) {
    const own = new CacheLine(`own${i}`);
    m.spawn(`worker${i}`, function* () {
      for (let k = 0; k < 40; k++) {
        shared.atomic(m);
        own.write(m);
        m.label = `hit ${k}`;
        yield 50 + i;
        if (k % 7 === i % 7) {
          yield* mutex.lock();
          m.label = "mutex held";
          yield 300;
          mutex.unlock();
        }
        if (k % 5 === 0) {
          yield* sem.downRead();
          const idx = srcu.readLock();
          rcu.readLock();
          m.label = "readers";
          yield 200;
          rcu.readUnlock();
          srcu.readUnlock(idx);
          sem.upRead();
        }
        if (k % 13 === 12) yield* m.sleep(20_000);
      }
    });
  }
  m.spawn("updater", function* () {
    for (let k = 0; k < 3; k++) {
      yield* sem.downWrite();
      m.label = "mmap_write_lock";
      yield 1_000;
      sem.upWrite();
      yield* srcu.synchronize();
      rcu.call(() => {
        m.raiseIrq(k % m.cpus.length, m.currentTime() + 10, `irq${k}`, function* () {
          m.label = "irq work";
          yield 100;
        });
      });
      yield* rcu.synchronize();
    }
  });
  m.addTimer(30_000, () => {
    m.spawn("late", function* () {
      for (let k = 0; k < 5; k++) {
        shared.read(m);
        yield 70;
      }
    });
  });
}

function trace(policy: Policy, seed: number, split = false): TraceEvent[] {
  const profile = { ...new Machine({ cpus: 1 }).profile, timeSlice: 5_000 };
  const m = new Machine({ cpus: 4, seed, policy, profile, traceSteps: 1 << 16, pctSteps: 2_000 });
  workload(m);
  if (split) for (let t = 1_000; t < 20_000_000; t += 7_919) m.runUntil(t);
  expect(m.runToCompletion()).toBe(true);
  expect(m.steps).toBeLessThan(1 << 16);
  return m.traceEvents();
}

describe("Determinism", () => {
  for (const policy of ["time", "random", "pct"] as Policy[]) {
    it(`${policy}: two runs with the same seed give identical event traces`, () => {
      const a = trace(policy, 11);
      const b = trace(policy, 11);
      expect(a.length).toBeGreaterThan(400);
      expect(b).toEqual(a);
      expect(a.some((e) => e.name.startsWith("irq"))).toBe(true);
      expect(a.some((e) => e.name === "late")).toBe(true);
    });
  }

  it("random: a different seed gives a different trace", () => {
    const a = trace("random", 11);
    const b = trace("random", 12);
    expect(b).not.toEqual(a);
    const order = (t: TraceEvent[]) => t.map((e) => e.task).join(",");
    expect(order(b)).not.toBe(order(a));
  });

  it("pct: a different seed gives a different trace", () => {
    expect(trace("pct", 3)).not.toEqual(trace("pct", 4));
  });

  it("time: the seed does not matter, and a run cut into many runUntil slices is the same run", () => {
    const whole = trace("time", 1);
    expect(trace("time", 99)).toEqual(whole);
    expect(trace("time", 1, true)).toEqual(whole);
  });
});
