/**
 * Sleepable RCU (kernel/rcu/srcutree.c, simplified): per-CPU two-slot lock/unlock counters
 * and a global index that a grace period flips.
 *
 * srcu_read_lock reads the index (a line every CPU shares and nobody writes, so it stays
 * cached) and bumps this CPU's lock counter for that slot: a write to a per-CPU line, cheap
 * unless the grace-period scan just read it. The unlock may run on another CPU or in timer
 * context (uretprobe leases do this); only the sums matter.
 *
 * A grace period waits for the inactive slot to drain (stragglers that read the index before
 * the last flip), flips the index so new readers use the other slot, then waits for the
 * previously active slot to drain. The scans run from timers with a back-off, like the
 * kernel's workqueue-driven state machine, and charge no CPU.
 */

import { CacheLine } from "../cacheline.js";
import { traceable } from "../ftrace.js";
import { type Machine, type Sub, WaitQueue } from "../machine.js";
import { faultOn } from "./faults.js";
import { GracePeriodStats } from "./stats.js";

const FN_SYNCHRONIZE_SRCU = traceable("synchronize_srcu", "void", ["struct srcu_struct *ssp"]);

interface Batch {
  requested: number;
  wq: WaitQueue;
  callbacks: (() => void)[];
}

enum Phase {
  Idle = 0,
  Scan1 = 1,
  Scan2 = 2,
}

export class SrcuStruct {
  readonly stats = new GracePeriodStats();
  readonly idxLine: CacheLine;
  /** srcu_idx: the low bit selects the slot new readers use. */
  idx = 0;
  private readonly lockCount: Float64Array;
  private readonly unlockCount: Float64Array;
  private readonly lines: CacheLine[];
  private phase = Phase.Idle;
  private current: Batch | null = null;
  private next: Batch | null = null;
  /** Fault `srcu-skip-scan1`: flip without waiting for the inactive slot. */
  private readonly skipScan1: boolean;
  /** Fault `srcu-no-flip`: never flip the index. */
  private readonly noFlip: boolean;

  constructor(
    private readonly m: Machine,
    readonly name: string,
  ) {
    const n = m.cpus.length;
    this.idxLine = new CacheLine(`${name}.srcu_idx`);
    this.lockCount = new Float64Array(n * 2);
    this.unlockCount = new Float64Array(n * 2);
    this.lines = [];
    for (let i = 0; i < n; i++) this.lines.push(new CacheLine(`${name}.sda[${i}]`));
    this.skipScan1 = faultOn(m, "srcu-skip-scan1");
    this.noFlip = faultOn(m, "srcu-no-flip");
  }

  /** srcu_read_lock: returns the slot index to pass to the unlock. */
  readLock(): number {
    return this.countLock(this.readIndex());
  }

  /**
   * srcu_read_lock with an interleaving point between reading srcu_idx and bumping the
   * counter, where the kernel's reader can be preempted or delayed. A reader that reads the
   * index before a flip and counts itself after it lands in the now-inactive slot: the
   * "straggler" that the grace period's first scan exists to wait for.
   *
   * @param delayNs how long the reader is held up in that window (a preemption, an interrupt)
   */
  *readLockPreemptible(delayNs = 0): Sub<number> {
    const idx = this.readIndex();
    if (this.m.labelsRead) this.m.label = `srcu_read_lock(${this.name}): read srcu_idx=${idx}`;
    yield delayNs;
    return this.countLock(idx);
  }

  private readIndex(): number {
    this.idxLine.read(this.m);
    return this.idx & 1;
  }

  private countLock(idx: number): number {
    const m = this.m;
    const cpu = m.cpu.id;
    this.lines[cpu].write(m);
    m.cpu.acc += m.profile.atomic; // smp_mb() after the increment
    this.lockCount[cpu * 2 + idx]++;
    this.stats.readers++;
    return idx;
  }

  /** srcu_read_unlock(idx), from any CPU or context. */
  readUnlock(idx: number): number {
    const m = this.m;
    if (idx !== 0 && idx !== 1) m.fail(`srcu_read_unlock(${this.name}) with index ${idx}, not 0 or 1`);
    const cpu = m.task === null ? 0 : m.cpu.id;
    if (m.task !== null) {
      m.cpu.acc += m.profile.atomic; // smp_mb() before the increment
      this.lines[cpu].write(m);
    }
    this.unlockCount[cpu * 2 + idx]++;
    return 0;
  }

  /** Readers currently inside, over both slots (for tests and the live view). */
  activeReaders(): number {
    let locks = 0;
    let unlocks = 0;
    for (let i = 0; i < this.lockCount.length; i++) {
      locks += this.lockCount[i];
      unlocks += this.unlockCount[i];
    }
    return locks - unlocks;
  }

  /** synchronize_srcu: block until every reader that began before this call has left. */
  *synchronize(): Sub<void> {
    const h = this.m.ftrace;
    if (h.armed[FN_SYNCHRONIZE_SRCU] !== 0 && h.enter(FN_SYNCHRONIZE_SRCU))
      return h.exit(FN_SYNCHRONIZE_SRCU, h.entry(FN_SYNCHRONIZE_SRCU), yield* this.synchronize());
    const batch = this.request();
    if (this.m.labelsRead) this.m.label = `synchronize_srcu(${this.name})`;
    yield* this.m.wait(batch.wq);
  }

  /** call_srcu: run `fn` after a grace period. */
  call(fn: () => void): void {
    this.request().callbacks.push(fn);
  }

  pending(): boolean {
    return this.current !== null || this.next !== null;
  }

  private request(): Batch {
    // A request joins the batch that has not started scanning yet: a grace period already
    // past its first scan might not cover readers that started before this request.
    if (this.next === null) {
      this.next = { requested: this.m.currentTime(), wq: new WaitQueue(), callbacks: [] };
    }
    const batch = this.next;
    if (this.phase === Phase.Idle) this.startNext();
    return batch;
  }

  private startNext(): void {
    this.current = this.next;
    this.next = null;
    if (this.current === null) return;
    this.phase = Phase.Scan1;
    this.schedule(0);
  }

  private schedule(delay: number): void {
    this.m.addTimer(this.m.currentTime() + delay, () => this.advance());
  }

  private advance(): void {
    const delay = this.m.profile.srcuScanDelay;
    const skip = this.phase === Phase.Scan1 && this.skipScan1;
    if (!skip && !this.readersGone((this.idx + 1) & 1)) {
      this.schedule(delay); // a reader is still inside: poll again after the back-off
    } else if (this.phase === Phase.Scan1) {
      if (!this.noFlip) this.idx++; // the flip: new readers use the other slot
      this.phase = Phase.Scan2;
      this.schedule(delay);
    } else {
      this.complete();
    }
  }

  private readersGone(slot: number): boolean {
    let unlocks = 0;
    let locks = 0;
    const n = this.lines.length;
    for (let i = 0; i < n; i++) unlocks += this.unlockCount[i * 2 + slot];
    for (let i = 0; i < n; i++) locks += this.lockCount[i * 2 + slot];
    if (unlocks > locks)
      this.m.fail(`${this.name}: more srcu_read_unlock than srcu_read_lock on slot ${slot}`);
    return locks === unlocks;
  }

  private complete(): void {
    const batch = this.current!;
    this.current = null;
    this.phase = Phase.Idle;
    this.stats.noteGracePeriod(this.m.currentTime() - batch.requested);
    this.m.wakeAll(batch.wq);
    for (const fn of batch.callbacks) fn();
    if (this.next !== null) this.startNext();
  }
}
