import { describe, expect, it } from "vitest";
import { vmaCache } from "../../src/race/sync-scenarios.js";
import { Machine } from "../../src/sim/machine.js";
import { ObjState } from "../../src/sim/slab.js";
import { RcuDomain } from "../../src/sim/sync/rcu.js";
import { checkProtection } from "./explore.js";

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

describe("ObjectCache: exploration", () => {
  it("rcu-free never poisons under a reader; slab-rcu-free-immediate does", () => {
    checkProtection("slab-rcu-free", 100, /use-after-free: reader\d inside its read section/);
  });

  it("typesafe reuse is detected by generation; slab-typesafe-no-generation hides it", () => {
    checkProtection("slab-typesafe-reuse", 100, /reader accepted a recycled object/);
  });
});
