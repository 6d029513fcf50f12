/**
 * Object caches (kmem_cache) with the two freeing disciplines the kernel model needs.
 *
 * - `typesafe-by-rcu` (SLAB_TYPESAFE_BY_RCU): a freed object may be handed out again at once
 *   for a new object of the same type. A reader holding a stale pointer under RCU always
 *   reads a well-formed object of the right type, possibly a different one: it must re-check
 *   identity (vm_mm, range, refcount) after locking.
 * - `rcu-free`: a freed object stays readable until an RCU grace period has passed, then it is
 *   poisoned and never reused. Touching a poisoned object is a use-after-free and fails the run.
 *
 * Objects carry a generation number bumped on every reuse so tests can tell a recycled object
 * from the one a reader found.
 */
import type { Machine } from "./machine.js";
import { faultOn } from "./sync/faults.js";
import type { RcuDomain } from "./sync/rcu.js";

export enum ObjState {
  Live = 0,
  /** Freed, still readable (in a grace period, or type-stable in a typesafe cache). */
  Freed = 1,
  /** Memory returned: any access is a use-after-free. */
  Poisoned = 2,
}

export interface SlabObject {
  objState: ObjState;
  generation: number;
}

export type FreeDiscipline = "typesafe-by-rcu" | "rcu-free" | "immediate";

export class ObjectCache<T extends SlabObject> {
  allocs = 0;
  frees = 0;
  reuses = 0;
  private readonly freeList: T[] = [];
  /** Fault `slab-rcu-free-immediate`: rcu-free poisons without waiting for a grace period. */
  private readonly freeImmediately: boolean;
  /** Fault `slab-typesafe-no-generation`: reuse keeps the old generation. */
  private readonly keepGeneration: boolean;

  constructor(
    private readonly m: Machine,
    readonly name: string,
    public discipline: FreeDiscipline,
    private readonly create: () => T,
    private readonly rcu: RcuDomain | null,
  ) {
    this.freeImmediately = faultOn(m, "slab-rcu-free-immediate");
    this.keepGeneration = faultOn(m, "slab-typesafe-no-generation");
  }

  /** kmem_cache_alloc: the caller re-initialises every field it uses. */
  alloc(): T {
    this.allocs++;
    const obj = this.freeList.pop();
    if (obj !== undefined) {
      this.reuses++;
      obj.objState = ObjState.Live;
      if (!this.keepGeneration) obj.generation++;
      return obj;
    }
    const fresh = this.create();
    fresh.objState = ObjState.Live;
    return fresh;
  }

  /** kmem_cache_free. */
  free(obj: T): void {
    if (obj.objState !== ObjState.Live) this.m.fail(`${this.name}: double free`);
    this.frees++;
    obj.objState = ObjState.Freed;
    switch (this.discipline) {
      case "typesafe-by-rcu":
        this.freeList.push(obj);
        return;
      case "rcu-free":
        if (this.rcu === null) throw new Error(`${this.name}: rcu-free needs an RCU domain`);
        if (this.freeImmediately) {
          obj.objState = ObjState.Poisoned;
          return;
        }
        this.rcu.call(() => {
          obj.objState = ObjState.Poisoned;
        });
        return;
      case "immediate":
        obj.objState = ObjState.Poisoned;
        return;
    }
  }

  /** Fail the run if `obj` is poisoned (a use-after-free in the model). */
  check(obj: T, what: string): void {
    if (obj.objState === ObjState.Poisoned) this.m.fail(`use-after-free: ${what} (${this.name})`);
  }
}
