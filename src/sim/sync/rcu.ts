/**
 * RCU flavours whose readers are tracked per task: classic RCU (non-sleeping readers; a
 * grace period of about a millisecond) and RCU Tasks Trace (readers that may sleep, cost
 * ~3 ns, and a slow grace period of tens of milliseconds).
 *
 * A reader only bumps a counter in its own task: it writes no shared line, which is why
 * readers scale. A grace period started at time t waits for every task that was inside a
 * read section at t to leave it (the "holdouts"), and for the flavour's minimum latency.
 * Interrupt-context tasks (timer callbacks) count as readers too: they are not in `m.tasks`,
 * so the scan also looks at every CPU's interrupt queue.
 */
import { type Machine, type Sub, type Task, WaitQueue } from "../machine.js";
import { faultOn } from "./faults.js";
import { GracePeriodStats } from "./stats.js";

/** Per-task nesting slots in use on each machine: two domains sharing one would mix readers. */
const slotsInUse = new WeakMap<Machine, Set<number>>();

interface GracePeriod {
  start: number;
  holdouts: Set<Task>;
  minDone: boolean;
  wq: WaitQueue;
  callbacks: (() => void)[];
}

export class RcuDomain {
  readonly stats = new GracePeriodStats();
  private readonly active: GracePeriod[] = [];
  /** Outermost read-section entries and exits so far: says whether the reader set changed. */
  private readerEvents = 0;
  /** The grace period started last, and `readerEvents` when it started. */
  private lastGp: GracePeriod | null = null;
  private lastGpEvents = -1;
  /** Fault `rcu-no-wait-holdouts`: a grace period only waits for its minimum latency. */
  private readonly noWaitHoldouts: boolean;

  /**
   * @param slot which per-task nesting counter this domain uses (0..3, unique per domain)
   * @param readCost ns charged per read lock/unlock pair half
   * @param minGracePeriod simulated ns a grace period takes at least
   */
  constructor(
    private readonly m: Machine,
    readonly name: string,
    private readonly slot: number,
    private readonly readCost: number,
    private readonly minGracePeriod: () => number,
  ) {
    if (!Number.isInteger(slot) || slot < 0 || slot > 3) {
      throw new RangeError(`${name}: RCU nesting slot must be 0..3, got ${slot}`);
    }
    const used = slotsInUse.get(m) ?? new Set<number>();
    if (used.has(slot))
      throw new RangeError(`${name}: RCU nesting slot ${slot} is already used on this machine`);
    used.add(slot);
    slotsInUse.set(m, used);
    this.noWaitHoldouts = faultOn(m, "rcu-no-wait-holdouts");
  }

  readLock(): number {
    const m = this.m;
    if (m.task!.rcuNest[this.slot]++ === 0) {
      this.stats.readers++;
      this.readerEvents++;
    }
    m.cpu.acc += this.readCost;
    return 0;
  }

  readUnlock(): number {
    const m = this.m;
    const task = m.task!;
    const nest = --task.rcuNest[this.slot];
    if (nest < 0) m.fail(`${this.name}: read unlock without lock`);
    if (nest === 0) this.readerEvents++;
    m.cpu.acc += this.readCost;
    if (nest === 0 && task.rcuHoldout[this.slot] !== 0) this.readerLeft(task);
    return 0;
  }

  /** True while the running task is inside a read section of this domain. */
  held(): boolean {
    return this.m.task!.rcuNest[this.slot] > 0;
  }

  /** Block until a full grace period has elapsed. */
  *synchronize(): Sub<void> {
    const m = this.m;
    // The grace period would wait for the caller itself: the kernel deadlocks here.
    if (m.task !== null && m.task.rcuNest[this.slot] > 0) {
      m.fail(`synchronize_${this.name} inside a ${this.name} read-side critical section (self-deadlock)`);
    }
    const gp = this.startGracePeriod();
    if (m.labelsRead) m.label = `synchronize_${this.name}`;
    yield* m.wait(gp.wq);
  }

  /**
   * Run `fn` (outside any task) after a grace period. Called from inside a read section, the
   * grace period also waits for the caller's own section, which began before it.
   */
  call(fn: () => void): void {
    this.startGracePeriod().callbacks.push(fn);
  }

  /** Grace periods in flight or queued. */
  pending(): number {
    return this.active.length + (this.queued === null ? 0 : 1);
  }

  /** Requests made while a grace period runs: they share the next one (RCU batching). */
  private queued: GracePeriod | null = null;

  private startGracePeriod(): GracePeriod {
    const m = this.m;
    const now = m.currentTime();
    // Requests at the same instant with no reader entering or leaving in between would scan
    // the same holdouts: share one grace period (freeing many objects in one step then costs
    // one scan of the tasks, not one per object).
    const last = this.lastGp;
    if (last !== null && !last.minDone && last.start === now && this.lastGpEvents === this.readerEvents) {
      return last;
    }
    const gp: GracePeriod = {
      start: now,
      holdouts: new Set(),
      minDone: false,
      wq: new WaitQueue(),
      callbacks: [],
    };
    if (this.active.length > 0) {
      // One grace period at a time: later requests batch into the next, which starts when
      // this one ends and so covers every reader that began before any of them.
      if (this.queued === null) this.queued = gp;
      return this.queued;
    }
    return this.begin(gp);
  }

  private begin(gp: GracePeriod): GracePeriod {
    const m = this.m;
    const now = m.currentTime();
    gp.start = now;
    if (!this.noWaitHoldouts) {
      for (const t of m.tasks) this.noteHoldout(gp, t);
      for (const cpu of m.cpus) for (const t of cpu.irq) this.noteHoldout(gp, t);
    }
    this.active.push(gp);
    this.lastGp = gp;
    this.lastGpEvents = this.readerEvents;
    m.addTimer(now + this.minGracePeriod(), () => {
      gp.minDone = true;
      this.maybeComplete(gp);
    });
    return gp;
  }

  private noteHoldout(gp: GracePeriod, t: Task): void {
    if (t.rcuNest[this.slot] > 0) {
      t.rcuHoldout[this.slot]++;
      gp.holdouts.add(t);
    }
  }

  private readerLeft(task: Task): void {
    task.rcuHoldout[this.slot] = 0;
    for (const gp of this.active.slice()) {
      if (gp.holdouts.delete(task)) this.maybeComplete(gp);
    }
  }

  private maybeComplete(gp: GracePeriod): void {
    if (!gp.minDone || gp.holdouts.size > 0) return;
    const i = this.active.indexOf(gp);
    if (i < 0) return;
    this.active.splice(i, 1);
    this.stats.noteGracePeriod(Math.max(0, this.m.currentTime() - gp.start));
    this.m.wakeAll(gp.wq);
    for (const fn of gp.callbacks) fn();
    if (this.queued !== null && this.active.length === 0) {
      const next = this.queued;
      this.queued = null;
      this.begin(next);
    }
  }
}
