import { describe, expect, it } from "vitest";
import { classicRcu, tasksTrace } from "../../src/race/sync-scenarios.js";
import { Machine, SimViolation } from "../../src/sim/machine.js";
import { RcuDomain } from "../../src/sim/sync/rcu.js";
import { checkProtection } from "./explore.js";

describe("RCU: unit", () => {
  it("a grace period with no readers lasts the flavour's minimum latency", () => {
    const m = new Machine({ cpus: 1 });
    const rcu = classicRcu(m);
    let at = 0;
    m.spawn("sync", function* () {
      yield 10;
      yield* rcu.synchronize();
      at = m.now();
    });
    m.runToCompletion();
    expect(at).toBe(10 + m.profile.rcuGracePeriod);
    expect(rcu.stats.gracePeriods).toBe(1);
    expect(rcu.stats.totalNs).toBe(m.profile.rcuGracePeriod);
    expect(rcu.pending()).toBe(0);
  });

  it("a grace period waits for a reader inside at its start, not for one that enters later", () => {
    const m = new Machine({ cpus: 3 });
    const rcu = tasksTrace(m);
    const gp = m.profile.tasksTraceGracePeriod;
    let leftAt = 0;
    let doneAt = 0;
    m.spawn("old-reader", function* () {
      rcu.readLock();
      yield* m.sleep(3 * gp); // Tasks Trace readers may sleep
      rcu.readUnlock();
      leftAt = m.now();
    });
    m.spawn("sync", function* () {
      yield 100;
      yield* rcu.synchronize();
      doneAt = m.now();
    });
    m.spawn("new-reader", function* () {
      yield 200;
      rcu.readLock();
      yield* m.sleep(10 * gp);
      rcu.readUnlock();
    });
    m.runToCompletion();
    expect(doneAt).toBe(leftAt);
    expect(doneAt).toBeLessThan(10 * gp);
    expect(rcu.stats.maxNs).toBe(leftAt - 100);
  });

  it("nested read sections end at the outermost unlock", () => {
    const m = new Machine({ cpus: 2 });
    const rcu = classicRcu(m);
    let innerLeft = 0;
    let outerLeft = 0;
    let doneAt = 0;
    m.spawn("reader", function* () {
      rcu.readLock();
      rcu.readLock();
      expect(rcu.held()).toBe(true);
      yield 2_000_000;
      rcu.readUnlock();
      innerLeft = m.now();
      expect(rcu.held()).toBe(true);
      yield 1_000_000;
      rcu.readUnlock();
      outerLeft = m.now();
      expect(rcu.held()).toBe(false);
    });
    m.spawn("sync", function* () {
      yield 1;
      yield* rcu.synchronize();
      doneAt = m.now();
    });
    m.runToCompletion();
    expect(doneAt).toBeGreaterThan(innerLeft);
    expect(doneAt).toBe(outerLeft);
    expect(rcu.stats.readers).toBe(1); // one outermost section
  });

  it("call() from inside a read section also waits for the caller's own section", () => {
    const m = new Machine({ cpus: 1 });
    const rcu = classicRcu(m);
    let freedAt = -1;
    let leftAt = 0;
    m.spawn("updater-reader", function* () {
      rcu.readLock();
      rcu.call(() => {
        freedAt = m.currentTime();
      });
      yield 5 * m.profile.rcuGracePeriod;
      rcu.readUnlock();
      leftAt = m.now();
    });
    m.runToCompletion();
    expect(freedAt).toBe(leftAt);
  });

  it("requests in one step share a grace period unless a reader entered in between", () => {
    const m = new Machine({ cpus: 1 });
    const rcu = classicRcu(m);
    const freed: string[] = [];
    let leftAt = 0;
    m.spawn("munmap", function* () {
      for (let i = 0; i < 100; i++) rcu.call(() => freed.push(`vma${i}`));
      expect(rcu.pending()).toBe(1);
      rcu.readLock(); // a section begins: a later request must wait for it
      rcu.call(() => freed.push(`after-lock@${m.currentTime()}`));
      expect(rcu.pending()).toBe(2);
      yield 3 * m.profile.rcuGracePeriod;
      rcu.readUnlock();
      leftAt = m.now();
    });
    m.runToCompletion();
    expect(freed).toHaveLength(101);
    expect(freed[100]).toBe(`after-lock@${leftAt}`);
    expect(rcu.stats.gracePeriods).toBe(2);
  });

  it("interrupt-context readers are holdouts too", () => {
    const m = new Machine({ cpus: 2 });
    const rcu = classicRcu(m);
    let irqLeft = 0;
    let doneAt = 0;
    m.spawn("busy", function* () {
      for (let i = 0; i < 10; i++) yield 1_000_000;
    });
    m.raiseIrq(0, 10, "hrtimer", function* () {
      rcu.readLock();
      yield 3_000_000;
      rcu.readUnlock();
      irqLeft = m.now();
    });
    m.spawn(
      "sync",
      function* () {
        yield 1_500_000; // the irq started at 1 ms and is still inside
        yield* rcu.synchronize();
        doneAt = m.now();
      },
      1,
    );
    m.runToCompletion();
    expect(irqLeft).toBeGreaterThan(2_500_000);
    expect(doneAt).toBe(irqLeft);
  });

  it("synchronize inside its own read section is reported as a self-deadlock", () => {
    const m = new Machine({ cpus: 1 });
    const rcu = classicRcu(m);
    m.spawn("bad", function* () {
      rcu.readLock();
      yield* rcu.synchronize();
    });
    expect(() => m.runToCompletion()).toThrow(/synchronize_rcu inside a rcu read-side critical section/);
  });

  it("unlock without lock fails; nesting slots are 0..3 and unique per machine", () => {
    const m = new Machine({ cpus: 1 });
    const rcu = classicRcu(m);
    expect(() => new RcuDomain(m, "again", 0, 1, () => 1)).toThrow(/slot 0 is already used/);
    expect(() => new RcuDomain(m, "bad", 4, 1, () => 1)).toThrow(RangeError);
    expect(new RcuDomain(new Machine({ cpus: 1 }), "other machine", 0, 1, () => 1).name).toBe(
      "other machine",
    );
    m.spawn("bad", function* () {
      rcu.readUnlock();
      yield 1;
    });
    expect(() => m.runToCompletion()).toThrow(SimViolation);
  });

  it("readers cost only their read cost and write no shared line", () => {
    const m = new Machine({ cpus: 2 });
    const rcu = tasksTrace(m);
    m.spawn("r", function* () {
      for (let i = 0; i < 10; i++) {
        rcu.readLock();
        rcu.readUnlock();
        yield 0;
      }
    });
    m.runToCompletion();
    expect(m.cpus[0].clock).toBe(10 * 2 * 3);
  });
});

describe("RCU: exploration", () => {
  it("synchronize_rcu waits for pre-existing readers; rcu-no-wait-holdouts breaks it", () => {
    checkProtection("rcu-gp-vs-readers", 100, /synchronize_rcu returned while/);
  });

  it("synchronize_rcu_tasks_trace waits for sleeping readers; rcu-no-wait-holdouts breaks it", () => {
    checkProtection("rcu-tasks-trace-gp-vs-sleepers", 100, /synchronize_rcu_tasks_trace returned while/);
  });
});
