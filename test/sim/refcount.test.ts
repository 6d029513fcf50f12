import { describe, expect, it } from "vitest";
import { Machine } from "../../src/sim/machine.js";
import { ObjectCache, ObjState, type SlabObject } from "../../src/sim/slab.js";
import { RcuDomain } from "../../src/sim/sync/rcu.js";
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

interface Uprobe extends SlabObject {
  ref: Refcount;
  dead: boolean;
}

/**
 * The lookup-under-RCU pattern: readers find the object through a published pointer and try
 * refcount_inc_not_zero; the owner unpublishes it and drops the last reference, which frees
 * it after a grace period. A reader must never get a reference on an object whose count hit
 * zero (that would resurrect it and later touch freed memory).
 */
function lookupScenario(m: Machine): void {
  const rcu = new RcuDomain(m, "rcu", 0, 1, () => m.profile.rcuGracePeriod);
  const cache = new ObjectCache<Uprobe>(
    m,
    "uprobe_cache",
    "rcu-free",
    () => ({ objState: ObjState.Live, generation: 0, ref: new Refcount(m, "uprobe->ref"), dead: false }),
    rcu,
  );
  const obj = cache.alloc();
  let published: Uprobe | null = obj;
  for (let r = 0; r < 2; r++) {
    m.spawn(`lookup${r}`, function* () {
      for (let i = 0; i < 4; i++) {
        rcu.readLock();
        const p = published;
        m.label = p === null ? "find: none" : "find: found";
        yield 20;
        if (p !== null) {
          cache.check(p, "uprobe found under RCU");
          const got = p.ref.incNotZero();
          if (got && p.dead) m.fail(`lookup${r}: refcount_inc_not_zero resurrected a dead uprobe`);
          rcu.readUnlock();
          m.label = `inc_not_zero -> ${got}`;
          yield 30;
          if (got && p.ref.decAndTest()) {
            p.dead = true;
            cache.free(p);
          }
        } else {
          rcu.readUnlock();
        }
        m.label = "put_uprobe";
        yield 10;
      }
    });
  }
  m.spawn("unregister", function* () {
    yield 40;
    published = null;
    m.label = "unpublish";
    yield 5;
    if (obj.ref.decAndTest()) {
      obj.dead = true;
      cache.free(obj);
    }
    m.label = "put_uprobe (owner)";
    yield 5;
  });
}

describe("Refcount: exploration", () => {
  it("inc_not_zero never resurrects; refcount-inc-not-zero-resurrects does", () => {
    checkProtection(
      { cpus: 3, seeds: 100, pctSteps: 40 },
      "refcount-inc-not-zero-resurrects",
      lookupScenario,
      /refcount_inc_not_zero resurrected a dead uprobe/,
    );
  });
});
