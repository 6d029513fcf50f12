import { describe, expect, it } from "vitest";
import { Machine } from "../../src/sim/machine.js";
import { Mutex, Spinlock } from "../../src/sim/sync/spinlock.js";
import { checkProtection } from "./explore.js";

describe("Spinlock and Mutex: unit", () => {
  it("hand the lock over in FIFO order of arrival", () => {
    const m = new Machine({ cpus: 4 });
    const lock = new Spinlock(m, "uprobes_treelock");
    const order: string[] = [];
    for (let c = 0; c < 4; c++) {
      m.spawn(
        `t${c}`,
        function* () {
          yield 10 * c; // arrive in CPU order
          yield* lock.lock();
          order.push(`t${c}`);
          yield 500;
          lock.unlock();
        },
        c,
      );
    }
    m.runToCompletion();
    expect(order).toEqual(["t0", "t1", "t2", "t3"]);
    expect(lock.stats.acquisitions).toBe(4);
    expect(lock.stats.contended).toBe(3);
    expect(lock.stats.maxWaitNs).toBeGreaterThanOrEqual(2 * 500); // t3 waited out t0..t2's holds
    expect(lock.isLocked()).toBe(false);
  });

  it("a mutex waiter pays a context switch on wake-up; a spinlock waiter does not", () => {
    function waitCost(make: (m: Machine) => Spinlock): number {
      const m = new Machine({ cpus: 2 });
      const lock = make(m);
      m.spawn(
        "holder",
        function* () {
          yield* lock.lock();
          yield 1_000;
          lock.unlock();
        },
        0,
      );
      m.spawn(
        "waiter",
        function* () {
          yield 1;
          yield* lock.lock();
          lock.unlock();
        },
        1,
      );
      m.runToCompletion();
      return lock.stats.waitNs;
    }
    const spin = waitCost((m) => new Spinlock(m, "s"));
    const mutex = waitCost((m) => new Mutex(m, "m"));
    expect(mutex - spin).toBe(new Machine({ cpus: 1 }).profile.contextSwitch);
  });

  it("a spinning waiter keeps its CPU busy; a sleeping waiter lets another task run", () => {
    function otherTaskStart(make: (m: Machine) => Spinlock): { start: number; busy: number } {
      const m = new Machine({ cpus: 2 });
      const lock = make(m);
      let start = -1;
      m.spawn(
        "holder",
        function* () {
          yield* lock.lock();
          yield 10_000;
          lock.unlock();
        },
        1,
      );
      m.spawn(
        "waiter",
        function* () {
          yield 1;
          yield* lock.lock();
          lock.unlock();
        },
        0,
      );
      m.spawn(
        "other",
        function* () {
          start = m.now();
          yield 100;
        },
        0,
      );
      m.runToCompletion();
      return { start, busy: m.cpus[0].busy };
    }
    const spin = otherTaskStart((m) => new Spinlock(m, "s"));
    const sleep = otherTaskStart((m) => new Mutex(m, "m"));
    expect(spin.start).toBeGreaterThanOrEqual(10_000); // CPU 0 spun until the handoff
    expect(spin.busy).toBeGreaterThanOrEqual(10_000);
    expect(sleep.start).toBeLessThan(1_000); // ran while the mutex waiter slept
    expect(sleep.busy).toBeLessThan(10_000);
  });

  it("waking another task onto a spinning CPU does not resume the spinner early", () => {
    const m = new Machine({ cpus: 2 });
    const lock = new Spinlock(m, "l");
    let got = -1;
    m.spawn(
      "holder",
      function* () {
        yield* lock.lock();
        yield 10_000;
        lock.unlock();
      },
      1,
    );
    m.spawn(
      "sleeper",
      function* () {
        yield* m.sleep(100); // wakes onto CPU 0 while the spinner holds it
        yield 1;
      },
      0,
    );
    m.spawn(
      "spinner",
      function* () {
        yield 10;
        yield* lock.lock();
        got = m.now();
        lock.unlock();
      },
      0,
    );
    m.runToCompletion();
    expect(got).toBeGreaterThanOrEqual(10_000);
    expect(lock.isLocked()).toBe(false);
  });

  it("an interrupt spinning on a lock its own CPU's task holds is a detected deadlock", () => {
    const m = new Machine({ cpus: 2 });
    const lock = new Spinlock(m, "uprobes_treelock");
    m.spawn(
      "task",
      function* () {
        yield* lock.lock();
        yield 1_000;
        lock.unlock();
      },
      0,
    );
    m.raiseIrq(0, 500, "irq", function* () {
      yield* lock.lock();
      lock.unlock();
    });
    expect(m.runToCompletion()).toBe(false);
    expect(m.isDeadlocked()).toBe(true);
  });

  it("an interrupt may spin for a lock held on another CPU", () => {
    const m = new Machine({ cpus: 2 });
    const lock = new Spinlock(m, "l");
    let irqGot = -1;
    m.spawn(
      "holder",
      function* () {
        yield* lock.lock();
        yield 1_000;
        lock.unlock();
      },
      1,
    );
    m.raiseIrq(0, 10, "irq", function* () {
      yield* lock.lock();
      irqGot = m.now();
      lock.unlock();
    });
    expect(m.runToCompletion()).toBe(true);
    expect(irqGot).toBeGreaterThanOrEqual(1_000);
  });

  it("a spinlock holder is not rotated off its CPU by the time slice (preemption disabled)", () => {
    const profile = { ...new Machine({ cpus: 1 }).profile, timeSlice: 100 };
    const m = new Machine({ cpus: 1, profile });
    const lock = new Spinlock(m, "l");
    let got = -1;
    m.spawn("holder", function* () {
      yield* lock.lock();
      for (let i = 0; i < 5; i++) yield 60; // well past its slice
      lock.unlock();
      yield 60;
    });
    m.spawn("waiter", function* () {
      yield* lock.lock();
      got = m.now();
      lock.unlock();
    });
    // Before preempt counting, the holder was rotated out and the waiter spun on the one CPU forever.
    expect(m.runToCompletion()).toBe(true);
    expect(got).toBeGreaterThanOrEqual(300);
    expect(m.tasks.every((t) => t.preemptCount === 0)).toBe(true);
  });

  it("sleeping or exiting while holding a spinlock is a violation", () => {
    const m = new Machine({ cpus: 1 });
    const lock = new Spinlock(m, "l");
    m.spawn("sleepy", function* () {
      yield* lock.lock();
      yield* m.sleep(10);
    });
    expect(() => m.runToCompletion()).toThrow(/sleepy slept holding a spinlock/);
    const m2 = new Machine({ cpus: 1 });
    const l2 = new Spinlock(m2, "l");
    m2.spawn("leaky", function* () {
      yield* l2.lock();
    });
    expect(() => m2.runToCompletion()).toThrow(/leaky exited holding a spinlock/);
  });

  it("trylock takes a free lock and fails on a held one", () => {
    const m = new Machine({ cpus: 1 });
    const lock = new Mutex(m, "m");
    m.spawn("t", function* () {
      expect(lock.tryLock()).toBe(true);
      expect(lock.tryLock()).toBe(false);
      lock.unlock();
      yield 1;
    });
    m.runToCompletion();
  });

  it("unlock by a task that does not hold the lock is a violation", () => {
    const m = new Machine({ cpus: 2 });
    const lock = new Spinlock(m, "s");
    m.spawn("holder", function* () {
      yield* lock.lock();
      yield 100;
    });
    m.spawn("thief", function* () {
      yield 10;
      lock.unlock();
    });
    expect(() => m.runToCompletion()).toThrow(/s: unlock by a task that does not hold it/);
  });
});

describe("Mutex: exploration", () => {
  it("mutual exclusion holds; spinlock-no-exclusion breaks it", () => {
    checkProtection("mutex-exclusion", 100, /entered with/);
  });
});
