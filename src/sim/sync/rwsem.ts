/**
 * struct rw_semaphore: a count word on one line that every reader and writer updates with an
 * atomic. Readers share, writers exclude; waiters queue in FIFO order and are handed the lock
 * (a writer alone, or the run of readers at the head of the queue), so a queued writer is not
 * starved by a stream of new readers.
 */
import { CacheLine } from "../cacheline.js";
import { type Machine, type Sub, type Task, WaitQueue } from "../machine.js";
import { type NameOwner, ownedName } from "../name.js";
import { faultOn } from "./faults.js";
import { LockStats } from "./stats.js";

interface Waiter {
  task: Task;
  write: boolean;
  wq: WaitQueue;
}

export class RwSemaphore {
  readonly line: CacheLine;
  readers = 0;
  writer: Task | null = null;
  readonly readStats = new LockStats();
  readonly writeStats = new LockStats();
  private readonly queue: Waiter[] = [];
  /** Fault `rwsem-no-exclusion`: down_write never waits. */
  private readonly noExclusion: boolean;
  /** Fault `rwsem-reader-barging`: down_read ignores queued writers. */
  private readonly readerBarging: boolean;

  constructor(
    private readonly m: Machine,
    private readonly role: string,
    /** The line the count word lives on: pass a neighbour's to model fields sharing a line. */
    line?: CacheLine,
    private readonly nameOwner: NameOwner | null = null,
  ) {
    this.line = line ?? new CacheLine(role, nameOwner);
    this.noExclusion = faultOn(m, "rwsem-no-exclusion");
    this.readerBarging = faultOn(m, "rwsem-reader-barging");
  }

  get name(): string {
    return ownedName(this.role, this.nameOwner);
  }

  *downRead(): Sub<void> {
    const m = this.m;
    this.line.atomic(m);
    if (m.labelsRead) m.label = `${this.name}: down_read`;
    if (this.writer === null && (this.queue.length === 0 || this.readerBarging)) {
      this.readers++;
    } else {
      yield* this.enqueue(false, this.readStats);
    }
    this.readStats.acquisitions++;
    m.noteLock(this, true);
    if (m.mustYieldExact()) yield 0;
  }

  /** down_read_trylock. */
  tryDownRead(): boolean {
    this.line.atomic(this.m);
    if (this.writer !== null || this.queue.length > 0) return false;
    this.readers++;
    this.readStats.acquisitions++;
    this.m.noteLock(this, true);
    return true;
  }

  upRead(): number {
    const m = this.m;
    this.line.atomic(m);
    if (this.readers <= 0) m.fail(`${this.name}: up_read without a reader`);
    this.readers--;
    m.noteLock(this, false);
    if (this.readers === 0) this.grant();
    return 0;
  }

  *downWrite(): Sub<void> {
    const m = this.m;
    this.line.atomic(m);
    if (m.labelsRead) m.label = `${this.name}: down_write`;
    const free = this.writer === null && this.readers === 0 && this.queue.length === 0;
    if (free || this.noExclusion) {
      this.writer = m.task;
    } else {
      yield* this.enqueue(true, this.writeStats);
    }
    this.writeStats.acquisitions++;
    m.noteLock(this, true);
    if (m.mustYieldExact()) yield 0;
  }

  upWrite(): number {
    const m = this.m;
    this.line.atomic(m);
    if (this.writer !== m.task && !this.noExclusion) {
      m.fail(`${this.name}: up_write by a task that does not hold it`);
    }
    this.writer = null;
    m.noteLock(this, false);
    this.grant();
    return 0;
  }

  /** downgrade_write: keep the lock as a reader and let queued readers in. */
  downgrade(): number {
    const m = this.m;
    this.line.atomic(m);
    if (this.writer !== m.task) m.fail(`${this.name}: downgrade_write by a task that does not hold it`);
    this.writer = null;
    this.readers++;
    this.grantReaders();
    return 0;
  }

  isWriteLocked(): boolean {
    return this.writer !== null;
  }

  private *enqueue(write: boolean, stats: LockStats): Sub<void> {
    const m = this.m;
    const w: Waiter = { task: m.task!, write, wq: new WaitQueue() };
    this.queue.push(w);
    const start = m.now();
    yield* m.wait(w.wq);
    this.line.atomic(m);
    if (m.labelsRead) m.label = `${this.name}: ${write ? "down_write" : "down_read"} granted after waiting`;
    m.cost(m.profile.contextSwitch);
    stats.noteWait(m.now() - start);
  }

  /** Hand the free lock to the head of the queue. */
  private grant(): void {
    const head = this.queue[0];
    if (head === undefined) return;
    if (head.write) {
      if (this.readers > 0) return;
      this.queue.shift();
      this.writer = head.task;
      this.m.wakeAll(head.wq);
      return;
    }
    this.grantReaders();
  }

  private grantReaders(): void {
    while (this.queue.length > 0 && !this.queue[0].write) {
      const w = this.queue.shift()!;
      this.readers++;
      this.m.wakeAll(w.wq);
    }
  }
}
