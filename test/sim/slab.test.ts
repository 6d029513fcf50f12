import { describe, expect, it } from "vitest";
import { Machine } from "../../src/sim/machine.js";
import { ObjectCache, ObjState, type SlabObject } from "../../src/sim/slab.js";
import { RcuDomain } from "../../src/sim/sync/rcu.js";
import { checkProtection } from "./explore.js";

interface Vma extends SlabObject {
  /** Identity a reader re-checks after finding the object (stands in for vm_mm / range). */
  key: number;
}

function vmaCache(
  m: Machine,
  discipline: "typesafe-by-rcu" | "rcu-free" | "immediate",
  rcu: RcuDomain | null,
) {
  return new ObjectCache<Vma>(
    m,
    "vm_area_cachep",
    discipline,
    () => ({ objState: ObjState.Live, generation: 0, key: 0 }),
    rcu,
  );
}

describe("ObjectCache: unit", () => {
  it("typesafe-by-rcu reuses the same object at once, with a new generation, never poisoned", () => {
    const m = new Machine({ cpus: 1 });
    const cache = vmaCache(m, "typesafe-by-rcu", null);
    const a = cache.alloc();
    a.key = 1;
    cache.free(a);
    expect(a.objState).toBe(ObjState.Freed);
    const b = cache.alloc();
    expect(b).toBe(a);
    expect(b.generation).toBe(1);
    expect(b.objState).toBe(ObjState.Live);
    cache.check(a, "stale pointer"); // type-stable memory: reading it is not a use-after-free
    expect(cache.reuses).toBe(1);
    expect(cache.allocs).toBe(2);
    expect(cache.frees).toBe(1);
  });

  it("rcu-free keeps a freed object readable until a grace period has passed, then poisons it", () => {
    const m = new Machine({ cpus: 1 });
    const rcu = new RcuDomain(m, "rcu", 0, 1, () => m.profile.rcuGracePeriod);
    const cache = vmaCache(m, "rcu-free", rcu);
    const a = cache.alloc();
    const states: ObjState[] = [];
    m.spawn("t", function* () {
      cache.free(a);
      states.push(a.objState);
      yield m.profile.rcuGracePeriod - 1;
      states.push(a.objState);
      cache.check(a, "inside the grace period");
      yield 2;
      states.push(a.objState);
    });
    m.runToCompletion();
    expect(states).toEqual([ObjState.Freed, ObjState.Freed, ObjState.Poisoned]);
    expect(cache.alloc()).not.toBe(a); // never reused
    expect(() => cache.check(a, "after the grace period")).toThrow(/use-after-free: after the grace period/);
  });

  it("immediate poisons at once; double free is caught", () => {
    const m = new Machine({ cpus: 1 });
    const cache = vmaCache(m, "immediate", null);
    const a = cache.alloc();
    cache.free(a);
    expect(a.objState).toBe(ObjState.Poisoned);
    expect(() => cache.free(a)).toThrow(/vm_area_cachep: double free/);
  });

  it("rcu-free without a domain is a configuration error", () => {
    const m = new Machine({ cpus: 1 });
    const cache = vmaCache(m, "rcu-free", null);
    expect(() => cache.free(cache.alloc())).toThrow(/needs an RCU domain/);
  });
});

/** A reader dereferences an rcu-free object inside its read section while the owner frees it. */
function rcuFreeScenario(m: Machine): void {
  const rcu = new RcuDomain(m, "rcu", 0, 1, () => m.profile.rcuGracePeriod);
  const cache = vmaCache(m, "rcu-free", rcu);
  let published: Vma | null = cache.alloc();
  for (let r = 0; r < 2; r++) {
    m.spawn(`reader${r}`, function* () {
      for (let i = 0; i < 3; i++) {
        rcu.readLock();
        const p = published;
        m.label = "rcu_dereference";
        yield 100;
        for (let k = 0; k < 3; k++) {
          if (p !== null) cache.check(p, `reader${r} inside its read section`);
          m.label = "use";
          yield 600_000;
        }
        rcu.readUnlock();
        yield 50_000;
      }
    });
  }
  m.spawn("owner", function* () {
    yield 200_000;
    const old = published!;
    published = null;
    cache.free(old);
    m.label = "unpublish + free (rcu)";
    yield 10;
  });
}

/**
 * SLAB_TYPESAFE_BY_RCU: a reader finds an object by key, is delayed, then "locks" it and
 * must re-check identity: the generation it saw must still be there, or the object was
 * recycled. Accepting a recycled object with another key is the bug the re-check stops.
 */
function typesafeScenario(m: Machine): void {
  const rcu = new RcuDomain(m, "rcu", 0, 1, () => m.profile.rcuGracePeriod);
  const cache = vmaCache(m, "typesafe-by-rcu", rcu);
  const table = new Map<number, Vma>();
  const first = cache.alloc();
  first.key = 1;
  table.set(1, first);
  m.spawn("reader", function* () {
    for (let i = 0; i < 6; i++) {
      rcu.readLock();
      const p = table.get(1);
      const gen = p?.generation ?? -1;
      m.label = `lookup key 1 -> gen ${gen}`;
      yield 30;
      if (p !== undefined) {
        cache.check(p, "typesafe object");
        const same = p.generation === gen && p.objState === ObjState.Live;
        if (same && p.key !== 1) m.fail(`reader accepted a recycled object: key ${p.key}, wanted 1`);
        m.label = same ? "identity re-check passed" : "recycled: retry";
      }
      rcu.readUnlock();
      yield 10;
    }
  });
  m.spawn("recycler", function* () {
    for (let key = 2; key <= 4; key++) {
      yield 20;
      const old = table.get(1);
      if (old !== undefined) {
        table.delete(1);
        cache.free(old);
      }
      const fresh = cache.alloc(); // the same memory, reused at once
      fresh.key = key;
      m.label = `free + realloc as key ${key}`;
      yield 20;
      const again = cache.alloc();
      again.key = 1;
      table.set(1, again);
      m.label = "insert key 1";
      yield 5;
      cache.free(fresh);
    }
  });
}

describe("ObjectCache: exploration", () => {
  const opts = { cpus: 3, seeds: 100, pctSteps: 40 };

  it("rcu-free never poisons under a reader; slab-rcu-free-immediate does", () => {
    checkProtection(
      opts,
      "slab-rcu-free-immediate",
      rcuFreeScenario,
      /use-after-free: reader\d inside its read section/,
    );
  });

  it("typesafe reuse is detected by generation; slab-typesafe-no-generation hides it", () => {
    checkProtection(
      opts,
      "slab-typesafe-no-generation",
      typesafeScenario,
      /reader accepted a recycled object/,
    );
  });
});
