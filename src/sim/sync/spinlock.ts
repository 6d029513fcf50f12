/**
 * spinlock_t and struct mutex. Both hand the lock over in FIFO order (as a queued spinlock
 * or a mutex with handoff would), so a waiter never retries in a loop. The difference is what
 * a waiter costs: a spinning CPU burns its time, a sleeping task pays a context switch.
 * A spinlock disables preemption (Task.preemptCount) from lock to unlock, as spin_lock does:
 * the holder is never rotated off its CPU, so a waiter spinning on the same CPU cannot
 * starve it.
 */
import { CacheLine } from "../cacheline.js";
import { type Machine, type Sub, type Task, WaitQueue } from "../machine.js";
import { faultOn } from "./faults.js";
import { LockStats } from "./stats.js";

export class Spinlock {
  readonly line: CacheLine;
  holder: Task | null = null;
  readonly stats = new LockStats();
  private readonly wq = new WaitQueue();
  /** Fault `spinlock-no-exclusion`: lock() never waits. */
  private readonly noExclusion: boolean;

  constructor(
    protected readonly m: Machine,
    readonly name: string,
    protected readonly sleeping = false,
  ) {
    this.line = new CacheLine(name);
    this.noExclusion = faultOn(m, "spinlock-no-exclusion");
  }

  *lock(): Sub<void> {
    const m = this.m;
    if (!this.sleeping) m.task!.preemptCount++;
    this.line.atomic(m);
    if (m.labelsRead) m.label = `${this.name}: lock`;
    if (this.holder !== null && !this.noExclusion) {
      const start = m.now();
      // unlock hands the lock to us; a spinning waiter keeps its CPU, a sleeper gives it up
      if (this.sleeping) yield* m.wait(this.wq);
      else yield* m.spinWait(this.wq);
      this.line.atomic(m);
      if (m.labelsRead) m.label = `${this.name}: acquired after waiting`;
      if (this.sleeping) m.cost(m.profile.contextSwitch);
      this.stats.noteWait(m.now() - start);
    } else {
      this.holder = m.task;
    }
    this.stats.acquisitions++;
    m.noteLock(this, true);
    yield 0;
  }

  /** Non-blocking attempt; true when taken. */
  tryLock(): boolean {
    this.line.atomic(this.m);
    if (this.holder !== null) return false;
    this.holder = this.m.task;
    if (!this.sleeping) this.m.task!.preemptCount++;
    this.stats.acquisitions++;
    this.m.noteLock(this, true);
    return true;
  }

  /** Release (charges the store; returns 0 so it can be yielded). */
  unlock(): number {
    const m = this.m;
    if (this.holder !== m.task && !this.noExclusion) {
      m.fail(`${this.name}: unlock by a task that does not hold it`);
    }
    this.line.write(m);
    if (!this.sleeping) m.task!.preemptCount--;
    m.noteLock(this, false);
    this.holder = m.wakeOne(this.wq);
    return 0;
  }

  isLocked(): boolean {
    return this.holder !== null;
  }
}

/** A sleeping lock with the same FIFO handoff. */
export class Mutex extends Spinlock {
  constructor(m: Machine, name: string) {
    super(m, name, true);
  }
}
