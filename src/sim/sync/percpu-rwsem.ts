/**
 * struct percpu_rw_semaphore: readers bump a counter on their own CPU's line after checking
 * a flag nobody writes while there is no writer, so reads cost a cache hit; a writer sets
 * the flag, waits a classic RCU grace period so every reader sees it (rcu_sync), then waits
 * for the per-CPU counts to sum to zero. Cheap readers, very expensive writers
 * (dup_mmap_sem).
 */
import { CacheLine } from "../cacheline.js";
import { type Machine, type Sub, WaitQueue } from "../machine.js";
import { faultOn } from "./faults.js";
import type { RcuDomain } from "./rcu.js";
import { Mutex } from "./spinlock.js";
import { LockStats } from "./stats.js";

export class PercpuRwSemaphore {
  readonly blockLine: CacheLine;
  block = false;
  readonly readStats = new LockStats();
  readonly writeStats = new LockStats();
  private readonly counts: Float64Array;
  private readonly lines: CacheLine[];
  private readonly writerLock: Mutex;
  private readonly readersWq = new WaitQueue();
  private readonly writerWq = new WaitQueue();
  /** Fault `percpu-rwsem-no-drain`: the writer does not wait for readers to leave. */
  private readonly noDrain: boolean;

  constructor(
    private readonly m: Machine,
    readonly name: string,
    private readonly rcu: RcuDomain,
  ) {
    this.blockLine = new CacheLine(`${name}.block`);
    this.counts = new Float64Array(m.cpus.length);
    this.lines = m.cpus.map((c) => new CacheLine(`${name}.read_count[${c.id}]`));
    this.writerLock = new Mutex(m, `${name}.writer`);
    this.noDrain = faultOn(m, "percpu-rwsem-no-drain");
  }

  /** rcu_sync state: true while readers may use the fast path (no writer for a grace period). */
  private syncIdle = true;
  private syncGen = 0;

  *downRead(): Sub<void> {
    const m = this.m;
    this.blockLine.read(m);
    if (!this.syncIdle) this.blockLine.atomic(m); // slow path while a writer is recent
    if (this.block) {
      const start = m.now();
      while (this.block) {
        yield* m.wait(this.readersWq);
        this.blockLine.read(m);
      }
      this.readStats.noteWait(m.now() - start);
    }
    this.lines[m.cpu.id].write(m);
    this.counts[m.cpu.id]++;
    this.readStats.acquisitions++;
    if (m.labelsRead) m.label = `${this.name}: percpu_down_read`;
    if (m.mustYieldExact()) yield 0;
  }

  upRead(): number {
    const m = this.m;
    this.lines[m.cpu.id].write(m);
    this.counts[m.cpu.id]--;
    if (this.block) {
      this.blockLine.read(m);
      if (this.sum() === 0) m.wakeAll(this.writerWq);
    }
    return 0;
  }

  *downWrite(): Sub<void> {
    const m = this.m;
    const start = m.now();
    const writersBefore = this.writerLock.stats.contended;
    yield* this.writerLock.lock();
    this.blockLine.write(m);
    this.block = true;
    if (m.labelsRead) m.label = `${this.name}: percpu_down_write`;
    // rcu_sync_enter: readers must see `block` before the writer looks at their counts. The
    // grace period is needed only when the readers' fast path was on: a writer that follows
    // another within a grace period of its exit finds it still off (what makes registering
    // thousands of uprobes in a row cheap).
    if (this.syncIdle) yield* this.rcu.synchronize();
    this.syncIdle = false;
    this.syncGen++;
    let readersInside = false;
    while (this.sum() !== 0 && !this.noDrain) {
      readersInside = true;
      yield* m.wait(this.writerWq);
    }
    this.writeStats.acquisitions++;
    // Every writer waits a grace period (counted in waitNs); contention means it also waited
    // for another writer or for readers to leave.
    const waited = m.now() - start;
    if (readersInside || this.writerLock.stats.contended !== writersBefore) this.writeStats.noteWait(waited);
    else {
      this.writeStats.waitNs += waited;
      if (waited > this.writeStats.maxWaitNs) this.writeStats.maxWaitNs = waited;
    }
    if (m.mustYieldExact()) yield 0;
  }

  upWrite(): number {
    const m = this.m;
    this.blockLine.write(m);
    this.block = false;
    // rcu_sync_exit: the fast path comes back one grace period after the last writer left.
    const gen = this.syncGen;
    this.rcu.call(() => {
      if (this.syncGen === gen && !this.block) this.syncIdle = true;
    });
    m.wakeAll(this.readersWq);
    return this.writerLock.unlock();
  }

  private sum(): number {
    let s = 0;
    for (let i = 0; i < this.counts.length; i++) s += this.counts[i];
    return s;
  }
}
