/**
 * Race scenarios of the synchronisation primitives and object caches (src/sim/sync, slab.ts):
 * each drives one primitive with a few tasks and checks the guarantee it gives, and each pairs
 * with the SYNC_FAULTS switch that removes that guarantee. They need no kernel: `onMachine`
 * runs them on the bare machine. The unit tests of the primitives (test/sim) explore them too.
 */

import { CacheLine } from "../sim/cacheline.js";
import type { Machine } from "../sim/machine.js";
import { ObjectCache, ObjState, type SlabObject } from "../sim/slab.js";
import type { SyncFault } from "../sim/sync/faults.js";
import { PercpuRwSemaphore } from "../sim/sync/percpu-rwsem.js";
import { RcuDomain } from "../sim/sync/rcu.js";
import { Refcount } from "../sim/sync/refcount.js";
import { RwSemaphore } from "../sim/sync/rwsem.js";
import { Seqcount } from "../sim/sync/seqcount.js";
import { Mutex, Spinlock } from "../sim/sync/spinlock.js";
import { SrcuStruct } from "../sim/sync/srcu.js";
import { onMachine } from "./harness.js";
import type { RaceScenario } from "./scenarios.js";

// ---------------------------------------------------------------- seqcount

/**
 * A writer updates two words that must match under a seqcount (writers serialise on a
 * spinlock); readers snapshot, read both words across interleaving points, and accept the
 * pair only when retry() says nothing moved. A torn pair is a broken invariant.
 */
function tornReadScenario(m: Machine): void {
  const seq = new Seqcount(m, "vma_seq");
  const lock = new Spinlock(m, "writer_lock");
  const data = new CacheLine("data");
  const value = { a: 0, b: 0 };
  for (let w = 0; w < 2; w++) {
    m.spawn(`writer${w}`, function* () {
      for (let i = 1; i <= 4; i++) {
        yield* lock.lock();
        seq.writeBegin();
        m.label = "write_seqcount_begin";
        yield 5;
        data.write(m);
        value.a = w * 100 + i;
        m.label = "a = v";
        yield 5;
        data.write(m);
        value.b = w * 100 + i;
        m.label = "b = v";
        yield 5;
        seq.writeEnd();
        lock.unlock();
        m.label = "write_seqcount_end";
        yield 20;
      }
    });
  }
  m.spawn("reader", function* () {
    for (let i = 0; i < 8; i++) {
      for (let attempt = 0; attempt < 20; attempt++) {
        const s = seq.tryBegin();
        m.label = `read_seqcount_begin -> ${s}`;
        yield 3;
        if (s < 0) continue;
        data.read(m);
        const a = value.a;
        m.label = `read a=${a}`;
        yield 3;
        data.read(m);
        const b = value.b;
        m.label = `read b=${b}`;
        yield 3;
        if (seq.retry(s)) continue;
        if (a !== b) m.fail(`seqcount reader accepted a torn read a=${a} b=${b}`);
        break;
      }
    }
  });
}

// ---------------------------------------------------------------- percpu rw_semaphore

/** The percpu_rw_semaphore dup_mmap takes, with the classic RCU domain it drains through. */
export function dupMmapSem(m: Machine): PercpuRwSemaphore {
  return new PercpuRwSemaphore(
    m,
    "dup_mmap_sem",
    new RcuDomain(m, "rcu", 0, 1, () => m.profile.rcuGracePeriod),
  );
}

/** Readers and a writer of the percpu rw_semaphore: the writer is alone once percpu_down_write returns. */
function percpuExclusionScenario(m: Machine): void {
  const sem = dupMmapSem(m);
  let readersIn = 0;
  let writerIn = false;
  for (let r = 0; r < 3; r++) {
    m.spawn(`reader${r}`, function* () {
      for (let i = 0; i < 3; i++) {
        yield* sem.downRead();
        if (writerIn) m.fail(`reader${r} entered while the writer is inside`);
        readersIn++;
        m.label = "percpu_down_read done";
        yield 400_000 * (r + 1);
        readersIn--;
        sem.upRead();
        m.label = "percpu_up_read";
        yield 200_000;
      }
    });
  }
  m.spawn("writer", function* () {
    for (let i = 0; i < 2; i++) {
      yield* sem.downWrite();
      if (readersIn > 0) m.fail(`percpu_down_write returned with ${readersIn} reader(s) inside`);
      writerIn = true;
      yield 100_000;
      writerIn = false;
      sem.upWrite();
      m.label = "percpu_up_write";
      yield 300_000;
    }
  });
}

// ---------------------------------------------------------------- RCU

/** Classic RCU (domain 0, one reader slot). */
export function classicRcu(m: Machine): RcuDomain {
  return new RcuDomain(m, "rcu", 0, 1, () => m.profile.rcuGracePeriod);
}

/** RCU Tasks Trace (domain 1, sleepable readers). */
export function tasksTrace(m: Machine): RcuDomain {
  return new RcuDomain(m, "rcu_tasks_trace", 1, 3, () => m.profile.tasksTraceGracePeriod);
}

/**
 * Readers hold sections longer than the minimum grace period (Tasks Trace readers sleep
 * inside); an updater checks after each synchronize that every reader inside at its start
 * has left. Run for classic RCU and RCU Tasks Trace.
 */
function rcuScenario(flavour: (m: Machine) => RcuDomain, sleeping: boolean) {
  return (m: Machine): void => {
    const rcu = flavour(m);
    const hold = (3 * (sleeping ? m.profile.tasksTraceGracePeriod : m.profile.rcuGracePeriod)) / 2;
    const inside = new Set<string>();
    for (let r = 0; r < 2; r++) {
      m.spawn(`reader${r}`, function* () {
        for (let i = 0; i < 3; i++) {
          rcu.readLock();
          const me = `reader${r}#${i}`;
          inside.add(me);
          m.label = `${rcu.name}_read_lock`;
          if (sleeping) yield* m.sleep(hold);
          else yield hold;
          inside.delete(me);
          rcu.readUnlock();
          m.label = `${rcu.name}_read_unlock`;
          yield hold / 3;
        }
      });
    }
    m.spawn("updater", function* () {
      for (let i = 0; i < 3; i++) {
        const before = [...inside];
        yield* rcu.synchronize();
        for (const reader of before) {
          if (inside.has(reader)) m.fail(`synchronize_${rcu.name} returned while ${reader} is still inside`);
        }
        yield hold / 5;
      }
    });
  };
}

// ---------------------------------------------------------------- refcount

interface LookedUp extends SlabObject {
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
  const cache = new ObjectCache<LookedUp>(
    m,
    "uprobe_cache",
    "rcu-free",
    () => ({ objState: ObjState.Live, generation: 0, ref: new Refcount(m, "uprobe->ref"), dead: false }),
    rcu,
  );
  const obj = cache.alloc();
  let published: LookedUp | null = obj;
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

// ---------------------------------------------------------------- rw_semaphore

/**
 * Readers and writers take the semaphore in loops. At each acquisition the test checks
 * mutual exclusion (a writer is alone; a reader sees no writer) and, if asked, FIFO fairness: whoever
 * acquires must not overtake a writer that was already waiting when it asked, and a writer
 * must not overtake anyone at all.
 */
function rwsemScenario(checkFifo: boolean) {
  return (m: Machine): void => rwsemRun(m, checkFifo);
}

function rwsemRun(m: Machine, checkFifo: boolean): void {
  const sem = new RwSemaphore(m, "register_rwsem");
  let readersIn = 0;
  let writersIn = 0;
  let nextTicket = 0;
  const waiting = new Map<number, boolean>(); // ticket -> is a writer
  function* take(write: boolean, who: string) {
    const ticket = nextTicket++;
    const ahead = [...waiting].filter(([, w]) => w || write).map(([t]) => t);
    waiting.set(ticket, write);
    if (write) yield* sem.downWrite();
    else yield* sem.downRead();
    waiting.delete(ticket);
    if (write && (readersIn > 0 || writersIn > 0)) {
      m.fail(`${who} got the write lock with ${readersIn} readers and ${writersIn} writers inside`);
    }
    if (!write && writersIn > 0) m.fail(`${who} got the read lock with a writer inside`);
    const overtaken = ahead.filter((t) => waiting.has(t));
    if (checkFifo && overtaken.length > 0) m.fail(`${who} overtook queued ticket ${overtaken[0]} (not FIFO)`);
    if (write) writersIn++;
    else readersIn++;
  }
  for (let r = 0; r < 3; r++) {
    m.spawn(`reader${r}`, function* () {
      for (let i = 0; i < 4; i++) {
        yield* take(false, `reader${r}`);
        m.label = "down_read done";
        yield 40 + 30 * r;
        readersIn--;
        sem.upRead();
        m.label = "up_read";
        yield 10;
      }
    });
  }
  for (let w = 0; w < 2; w++) {
    m.spawn(`writer${w}`, function* () {
      for (let i = 0; i < 3; i++) {
        yield* take(true, `writer${w}`);
        m.label = "down_write done";
        yield 50;
        writersIn--;
        sem.upWrite();
        m.label = "up_write";
        yield 25;
      }
    });
  }
}

// ---------------------------------------------------------------- object caches

export interface Vma extends SlabObject {
  /** Identity a reader re-checks after finding the object (stands in for vm_mm / range). */
  key: number;
}

/** The VMA object cache under one of its freeing disciplines. */
export function vmaCache(
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

// ---------------------------------------------------------------- spinlock / mutex

/** Three tasks increment a counter under a mutex: no one else inside, no update lost. */
function mutexExclusionScenario(m: Machine): void {
  const lock = new Mutex(m, "consumer_mutex");
  let holders = 0;
  let counter = 0;
  for (let t = 0; t < 3; t++) {
    m.spawn(`t${t}`, function* () {
      for (let i = 0; i < 4; i++) {
        yield* lock.lock();
        if (holders !== 0) m.fail(`t${t} entered with ${holders} other holder(s)`);
        holders++;
        const seen = counter;
        m.label = `read counter=${seen}`;
        yield 20;
        counter = seen + 1;
        holders--;
        lock.unlock();
        m.label = "unlock";
        yield 15;
      }
    });
  }
  m.spawn("check", function* () {
    while (m.tasks.some((t) => t.name !== "check" && t.state !== 2)) yield* m.sleep(500);
    if (counter !== 12) m.fail(`lost updates: counter=${counter}, expected 12`);
  });
}

/**
 * Three tasks add to a counter under a spinlock, with private work between rounds; the last
 * to finish checks that no increment was lost. Every shared variable sits on a cache line, so
 * exhaustive mode can tell the private work (which commutes with everything) from the rest.
 */
function lostUpdateScenario(m: Machine): void {
  const lock = new Spinlock(m, "stats_lock");
  const counter = new CacheLine("counter");
  const done = new CacheLine("done");
  const shared = { value: 0, finished: 0 };
  for (let t = 0; t < 3; t++) {
    const own = new CacheLine(`work${t}`);
    m.spawn(`t${t}`, function* () {
      for (let i = 0; i < 2; i++) {
        own.write(m);
        m.label = "private work";
        yield 10;
        yield* lock.lock();
        counter.read(m);
        const seen = shared.value;
        m.label = `read counter=${seen}`;
        yield 5;
        counter.write(m);
        shared.value = seen + 1;
        lock.unlock();
        m.label = "counter = seen + 1; unlock";
        yield 5;
      }
      done.atomic(m);
      if (++shared.finished === 3) {
        counter.read(m);
        if (shared.value !== 6) m.fail(`lost update: counter=${shared.value}, expected 6`);
      }
      m.label = "done";
      yield 0;
    });
  }
}

/**
 * The lookup pattern without RCU around it: two tasks find an object through a published
 * pointer and take a reference with refcount_inc_not_zero while the owner unpublishes it and
 * drops the last reference. Whoever drops the last one marks the object dead (on its counter's
 * line); a lookup that gets a reference on a dead object resurrected it.
 */
function lookupPutScenario(m: Machine): void {
  const tree = new CacheLine("uprobes_tree");
  const ref = new Refcount(m, "uprobe->ref");
  const obj = { dead: false };
  let published = true;
  const put = () => {
    if (ref.decAndTest()) obj.dead = true;
  };
  for (let r = 0; r < 2; r++) {
    const own = new CacheLine(`lookup${r}_stack`);
    m.spawn(`lookup${r}`, function* () {
      for (let i = 0; i < 2; i++) {
        own.write(m);
        m.label = "private work";
        yield 10;
        tree.read(m);
        const found = published;
        m.label = found ? "find: found" : "find: none";
        yield 10;
        if (!found) continue;
        const got = ref.incNotZero();
        if (got && obj.dead) m.fail(`lookup${r}: refcount_inc_not_zero resurrected a dead uprobe`);
        m.label = `inc_not_zero -> ${got}`;
        yield 10;
        if (got) put();
        m.label = "put_uprobe";
        yield 5;
      }
    });
  }
  m.spawn("owner", function* () {
    tree.write(m);
    published = false;
    m.label = "unpublish";
    yield 5;
    put();
    m.label = "put_uprobe (owner)";
    yield 5;
  });
}

// ---------------------------------------------------------------- SRCU

/**
 * Readers take srcu_read_lock with a preemption window between reading the index and
 * counting themselves, then stay inside for a while; an updater runs synchronize_srcu in a
 * loop and checks that every reader that was inside when it started has left.
 */
function srcuScenario(m: Machine): void {
  const srcu = new SrcuStruct(m, "uprobes_srcu");
  const inside = new Set<object>();
  for (let r = 0; r < 2; r++) {
    m.spawn(`reader${r}`, function* () {
      for (let i = 0; i < 4; i++) {
        const idx = yield* srcu.readLockPreemptible(r * 25_000);
        const token = { name: `reader${r}#${i}` };
        inside.add(token);
        m.label = `srcu_read_lock -> ${idx}`;
        yield 30_000;
        inside.delete(token);
        srcu.readUnlock(idx);
        m.label = `srcu_read_unlock(${idx})`;
        yield 3_000 * (r + 1);
      }
    });
  }
  m.spawn("updater", function* () {
    for (let i = 0; i < 4; i++) {
      const before = [...inside];
      yield* srcu.synchronize();
      for (const token of before) {
        if (inside.has(token)) {
          m.fail(
            `synchronize_srcu returned while ${(token as { name: string }).name}, inside before it, still is`,
          );
        }
      }
      m.label = "synchronize_srcu returned";
      yield 7_000;
    }
  });
}

// ---------------------------------------------------------------- the table

/** A sync scenario entry: the machine shape its exploration tests have always used. */
function sync(
  name: string,
  fault: SyncFault,
  description: string,
  shape: { cpus: number; pctSteps?: number; commuting?: boolean },
  setup: (m: Machine) => void,
): RaceScenario {
  return { name, fault, description, build: () => onMachine(shape, setup) };
}

export const SYNC_RACE_SCENARIOS: readonly RaceScenario[] = [
  sync(
    "seqcount-torn-read",
    "seqcount-skip-retry",
    "seqcount readers vs two writers of a word pair",
    { cpus: 3, commuting: true },
    tornReadScenario,
  ),
  sync(
    "percpu-rwsem-exclusion",
    "percpu-rwsem-no-drain",
    "percpu_down_write vs readers still counted on their CPUs",
    { cpus: 4, pctSteps: 40 },
    percpuExclusionScenario,
  ),
  sync(
    "rcu-gp-vs-readers",
    "rcu-no-wait-holdouts",
    "synchronize_rcu vs readers that were inside when it began",
    { cpus: 3, pctSteps: 40 },
    rcuScenario(classicRcu, false),
  ),
  sync(
    "rcu-tasks-trace-gp-vs-sleepers",
    "rcu-no-wait-holdouts",
    "synchronize_rcu_tasks_trace vs sleeping readers",
    { cpus: 3, pctSteps: 40 },
    rcuScenario(tasksTrace, true),
  ),
  sync(
    "refcount-inc-not-zero",
    "refcount-inc-not-zero-resurrects",
    "refcount_inc_not_zero under RCU vs the owner's last put",
    { cpus: 3, pctSteps: 40 },
    lookupScenario,
  ),
  sync(
    "rwsem-exclusion",
    "rwsem-no-exclusion",
    "rw_semaphore readers and writers: a writer is alone",
    { cpus: 4, pctSteps: 80 },
    rwsemScenario(false),
  ),
  sync(
    "rwsem-fifo",
    "rwsem-reader-barging",
    "rw_semaphore waiters are served in order (no reader barging)",
    { cpus: 4, pctSteps: 80 },
    rwsemScenario(true),
  ),
  sync(
    "slab-rcu-free",
    "slab-rcu-free-immediate",
    "an rcu-free object freed while a reader still uses it",
    { cpus: 3, pctSteps: 40 },
    rcuFreeScenario,
  ),
  sync(
    "slab-typesafe-reuse",
    "slab-typesafe-no-generation",
    "SLAB_TYPESAFE_BY_RCU reuse vs a reader's identity re-check",
    { cpus: 3, pctSteps: 40 },
    typesafeScenario,
  ),
  sync(
    "mutex-exclusion",
    "spinlock-no-exclusion",
    "three tasks incrementing a counter under a mutex",
    { cpus: 3, pctSteps: 60 },
    mutexExclusionScenario,
  ),
  sync(
    "spinlock-lost-update",
    "spinlock-no-exclusion",
    "three tasks adding to a counter under a spinlock, with private work (small: for --exhaustive)",
    { cpus: 3, pctSteps: 60, commuting: true },
    lostUpdateScenario,
  ),
  sync(
    "refcount-lookup-vs-put",
    "refcount-inc-not-zero-resurrects",
    "refcount_inc_not_zero after a lookup vs the owner's last put (small: for --exhaustive)",
    { cpus: 3, pctSteps: 40, commuting: true },
    lookupPutScenario,
  ),
  sync(
    "srcu-gp-vs-readers",
    "srcu-skip-scan1",
    "synchronize_srcu vs readers preempted inside srcu_read_lock",
    { cpus: 3, pctSteps: 60 },
    srcuScenario,
  ),
  sync(
    "srcu-no-flip",
    "srcu-no-flip",
    "synchronize_srcu waiting on the slot readers are not in",
    { cpus: 3, pctSteps: 60 },
    srcuScenario,
  ),
];
