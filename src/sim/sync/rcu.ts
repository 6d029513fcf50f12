/**
 * RCU flavours whose readers are tracked per task: classic RCU (non-sleeping readers; a
 * grace period of about a millisecond) and RCU Tasks Trace (readers that may sleep, cost
 * ~3 ns, and a slow grace period of tens of milliseconds).
 *
 * A reader only bumps a counter in its own task: it writes no shared line, which is why
 * readers scale. A grace period started at time t waits for every task that was inside a
 * read section at t to leave it (the "holdouts"), and for the flavour's minimum latency.
 */
import { type Machine, type Sub, type Task, WaitQueue } from "../machine.js";
import { GracePeriodStats } from "./stats.js";

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
  ) {}

  readLock(): number {
    const m = this.m;
    m.task!.rcuNest[this.slot]++;
    m.cpu.acc += this.readCost;
    return 0;
  }

  readUnlock(): number {
    const m = this.m;
    const task = m.task!;
    const nest = --task.rcuNest[this.slot];
    if (nest < 0) m.fail(`${this.name}: read unlock without lock`);
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
    const gp = this.startGracePeriod();
    m.label = `synchronize_${this.name}`;
    yield* m.wait(gp.wq);
  }

  /** Run `fn` (outside any task) after a grace period. */
  call(fn: () => void): void {
    this.startGracePeriod().callbacks.push(fn);
  }

  /** Grace periods in flight. */
  pending(): number {
    return this.active.length;
  }

  private startGracePeriod(): GracePeriod {
    const m = this.m;
    const now = m.currentTime();
    const gp: GracePeriod = {
      start: now,
      holdouts: new Set(),
      minDone: false,
      wq: new WaitQueue(),
      callbacks: [],
    };
    for (const t of m.tasks) {
      if (t.rcuNest[this.slot] > 0 && t !== m.task) {
        t.rcuHoldout[this.slot]++;
        gp.holdouts.add(t);
      }
    }
    this.active.push(gp);
    m.addTimer(now + this.minGracePeriod(), () => {
      gp.minDone = true;
      this.maybeComplete(gp);
    });
    return gp;
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
  }
}
