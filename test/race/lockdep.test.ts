/**
 * Lock-order checking: two tasks that take the same two locks in opposite orders are a
 * possible deadlock even when the schedule lets both through, and every exploration reports
 * it as the run's violation. Taking them in one order, or nesting two locks of one class, is
 * no violation.
 */
import { describe, expect, it } from "vitest";
import { onMachine, runAnyScenario } from "../../src/race/harness.js";
import { Lockdep, LockOrderError, lockClass } from "../../src/race/lockdep.js";
import { Machine } from "../../src/sim/machine.js";
import { Mutex } from "../../src/sim/sync/spinlock.js";

/** Two tasks each taking two mutexes, the second one in the order `inverted` says. */
function twoLocks(inverted: boolean) {
  return onMachine({ cpus: 2 }, (m) => {
    const a = new Mutex(m, "inode_lock");
    const b = new Mutex(m, "mmap_lock");
    const take = (first: Mutex, second: Mutex) =>
      function* () {
        yield* first.lock();
        yield 10;
        yield* second.lock();
        yield 10;
        second.unlock();
        first.unlock();
        yield 10;
      };
    m.spawn("t0", take(a, b));
    // Later than t0 finishes on every schedule: no deadlock, only the inverted order.
    m.spawn("t1", function* () {
      yield* m.sleep(1_000_000);
      yield* (inverted ? take(b, a) : take(a, b))();
    });
  });
}

describe("lockdep", () => {
  it("reports two classes taken in opposite orders, though the run did not deadlock", () => {
    const r = runAnyScenario(twoLocks(true), { seed: 1, policy: "random" });
    expect(r.deadlocked).toBe(false);
    expect(r.violation?.message).toBe(
      "lockdep: possible circular locking: t1 took inode_lock holding mmap_lock, but t0 took mmap_lock holding inode_lock (seed 1, policy random)",
    );
    expect(r.violation?.interleaving).toContain("t1");
  });

  it("is quiet when every task takes the locks in the same order", () => {
    const r = runAnyScenario(twoLocks(false), { seed: 1, policy: "random" });
    expect(r.violation).toBeNull();
  });

  it("folds numbers into classes and lets one class nest", () => {
    expect(lockClass("mm12.mmap_lock")).toBe("mm#.mmap_lock");
    const m = new Machine({ cpus: 1 });
    const d = new Lockdep(undefined);
    const t = m.spawn("dup_mmap", function* () {});
    d.lock("mm1.mmap_lock", true, 0, t, 0);
    d.lock("mm2.mmap_lock", true, 0, t, 0);
    d.lock("mm2.mmap_lock", false, 0, t, 0);
    d.lock("mm1.mmap_lock", false, 0, t, 0);
    d.lock("mm2.mmap_lock", true, 0, t, 0);
    expect(() => d.lock("mm1.mmap_lock", true, 0, t, 0)).not.toThrow();
    d.lock("i_mmap_rwsem", true, 0, t, 0);
    d.lock("i_mmap_rwsem", false, 0, t, 0);
    d.lock("mm1.mmap_lock", false, 0, t, 0);
    d.lock("mm2.mmap_lock", false, 0, t, 0);
    d.lock("i_mmap_rwsem", true, 0, t, 0);
    expect(() => d.lock("mm3.mmap_lock", true, 0, t, 0)).toThrow(LockOrderError);
  });
});
