import { describe, expect, it } from "vitest";
import { Machine } from "../../src/sim/machine.js";
import { Refcount } from "../../src/sim/sync/refcount.js";
import { checkProtection } from "./explore.js";

describe("Refcount: unit", () => {
  it("inc, inc_not_zero and dec_and_test count references", () => {
    const m = new Machine({ cpus: 1 });
    const ref = new Refcount(m, "uprobe->ref");
    m.spawn("t", function* () {
      ref.inc();
      expect(ref.read()).toBe(2);
      expect(ref.incNotZero()).toBe(true);
      expect(ref.decAndTest()).toBe(false);
      expect(ref.decAndTest()).toBe(false);
      expect(ref.decAndTest()).toBe(true);
      expect(ref.incNotZero()).toBe(false);
      expect(ref.value).toBe(0);
      yield 1;
    });
    m.runToCompletion();
    expect(ref.stats).toMatchObject({ gets: 2, puts: 3, failedGets: 1 });
  });

  it("inc_not_zero on a line held elsewhere costs two transactions (read, then cmpxchg); inc one", () => {
    function cost(op: (ref: Refcount) => void): number {
      const m = new Machine({ cpus: 2 });
      const ref = new Refcount(m, "uprobe->ref");
      let c = -1;
      m.spawn(
        "owner",
        function* () {
          ref.inc(); // CPU 0 holds the line modified
          yield 0;
        },
        0,
      );
      m.spawn(
        "other",
        function* () {
          yield 10_000; // long after CPU 0's transfer
          const before = m.now();
          op(ref);
          c = m.now() - before;
          yield 0;
        },
        1,
      );
      m.runToCompletion();
      return c;
    }
    const { lineTransfer, atomic, cacheHit } = new Machine({ cpus: 1 }).profile;
    expect(cost((r) => r.inc())).toBe(lineTransfer + atomic);
    // refcount_inc_not_zero: the read fetches a shared copy, the cmpxchg must own the line.
    expect(cost((r) => r.incNotZero())).toBeGreaterThanOrEqual(2 * lineTransfer + atomic);
    expect(cost((r) => r.incNotZero())).toBeLessThan(2 * lineTransfer + atomic + 10 * cacheHit);
    // get_uprobe's plain refcount_inc where the pre-6.12 lookups took it.
    expect(cost((r) => r.incNotZero(true))).toBe(lineTransfer + atomic);
  });

  it("inc on zero and dec below zero are violations", () => {
    const m = new Machine({ cpus: 1 });
    const ref = new Refcount(m, "r", 0);
    m.spawn("t", function* () {
      ref.inc();
      yield 1;
    });
    expect(() => m.runToCompletion()).toThrow(/refcount_inc on 0 \(use-after-free\)/);
    const m2 = new Machine({ cpus: 1 });
    const r2 = new Refcount(m2, "r", 0);
    m2.spawn("t", function* () {
      r2.decAndTest();
      yield 1;
    });
    expect(() => m2.runToCompletion()).toThrow(/refcount underflow/);
  });

  it("every operation is an atomic on the count's line", () => {
    const m = new Machine({ cpus: 1 });
    const ref = new Refcount(m, "r");
    m.spawn("t", function* () {
      ref.inc();
      yield 0;
      ref.inc();
      yield 0;
    });
    m.runToCompletion();
    const p = m.profile;
    // First: cold line (a transfer) + atomic; second: a hit + atomic.
    expect(m.cpus[0].clock).toBe(p.lineTransfer + p.atomic + p.cacheHit + p.atomic);
  });
});

describe("Refcount: exploration", () => {
  it("inc_not_zero never resurrects; refcount-inc-not-zero-resurrects does", () => {
    checkProtection("refcount-inc-not-zero", 100, /refcount_inc_not_zero resurrected a dead uprobe/);
  });
});
