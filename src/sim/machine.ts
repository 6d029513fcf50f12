/**
 * The simulated machine: CPUs with their own clocks, tasks written as generators, and a
 * deterministic scheduler.
 *
 * A task is a generator. Everything it does between two `yield`s happens atomically at its
 * CPU's current clock; the `yield` is an interleaving point where the scheduler may run
 * another CPU. Costs accumulate on the CPU (`cpu.acc`) as the step touches cache lines or
 * does private work, and are added to the CPU's clock when the step yields. The default
 * policy always runs the CPU whose clock is furthest behind (a discrete-event simulation),
 * so when a step runs at time t every other runnable CPU is at t or later: throughput and
 * latency are measured in simulated time and fall out of the run.
 *
 * Exploration policies pick the next CPU at random (seeded) or by PCT priorities instead,
 * to hunt for races; a failing run is replayable from its seed and prints its interleaving.
 *
 * Waiting comes in two kinds. `wait` takes the task off its CPU, which runs another task or
 * idles; `spinWait` keeps the CPU (a spinlock waiter), so nothing else runs there and the
 * time counts as busy. Interrupt tasks may spin but never sleep, and a task holding a
 * spinlock (preemptCount > 0) is neither rotated off its CPU nor allowed to sleep. A task
 * never runs before the time it became ready, whatever the policy.
 */
import { type CostProfile, DEFAULT_COST_PROFILE } from "./cost-profile.js";
import { type FootprintSink, nextSerial, TASK_TABLE } from "./footprint.js";
import { FunctionHooks, type SchedHooks } from "./ftrace.js";
import { Prng } from "./prng.js";
import { Timeline } from "./timeline.js";

/** Yielded by a task that has put itself on a wait queue: the CPU must switch away. */
export const BLOCK = -1;

/** A task body or a kernel path called with `yield*`: yields step costs, returns T. */
export type Sub<T = void> = Generator<number, T, void>;

/**
 * Returned by a resumable plain function (a hot kernel path written without a generator
 * frame, its locals kept in a per-task frame) that stopped at one of its interleaving points:
 * the caller yields to the scheduler, then calls it again with the same frame to go on.
 * Driven as `while ((r = f(frame)) === PENDING) yield 0;` it interleaves exactly as the
 * same function written as a generator would, without creating a generator per call.
 */
export const PENDING: unique symbol = Symbol("pending");
export type Pending = typeof PENDING;

export type Policy = "time" | "random" | "pct";

export enum TaskState {
  Runnable = 0,
  Blocked = 1,
  Done = 2,
}

export class Task {
  state: TaskState = TaskState.Runnable;
  gen!: Sub<void>;
  /** Set when the task is on a wait queue; cleared by the waker. */
  waiting: WaitQueue | null = null;
  /** Owner-defined per-task state (the kernel model keeps its task_struct here). */
  ctx: unknown = null;
  /** Simulated time the task blocked at, for wait-time statistics. */
  blockedAt = 0;
  /**
   * Simulated time it became runnable (spawned or woken). Its CPU never runs it earlier: under
   * the exploration policies a CPU's clock can lag the waker's, and without this a sleep
   * could end before its timer or a woken task run before the wakeup.
   */
  readyAt = 0;
  /** Waiting without giving up its CPU (a spinlock waiter): the CPU runs nothing else. */
  spinning = false;
  /**
   * preempt_count: spinlocks held (or being spun for). While it is non-zero the time slice
   * does not rotate the task off its CPU, and it may not sleep.
   */
  preemptCount = 0;
  /** Read-side nesting per RCU-like domain that tracks readers per task (see sync/rcu.ts). */
  readonly rcuNest = new Int32Array(4);
  /** Per domain: 1 while a grace period is waiting for this task to leave its read section. */
  readonly rcuHoldout = new Uint8Array(4);
  /** The queue the task sleeps on (m.sleep), made at its first sleep and reused by every other. */
  sleepQueue: WaitQueue | null = null;
  /** Sleeps begun: a sleep's timer ends it only if no later sleep has begun since. */
  sleeps = 0;

  constructor(
    readonly id: number,
    public name: string,
    public cpu: Cpu,
  ) {}
}

export class Cpu {
  /** Simulated ns. */
  clock = 0;
  /** Cost accumulated by the current step, added to the clock when it yields. */
  acc = 0;
  current: Task | null = null;
  readonly runq: Task[] = [];
  /** Interrupt-context tasks (timer callbacks): run before the current task, to completion. */
  readonly irq: Task[] = [];
  sliceEnd = 0;
  heapPos = -1;
  /** PCT priority (higher runs first). */
  priority = 0;
  /** Busy time (clock advanced while running something), for utilisation. */
  busy = 0;
  /** The other hardware thread of this CPU's core, or null (see CostProfile.smtSlowdown). */
  sibling: Cpu | null = null;

  constructor(readonly id: number) {}
}

/** Tasks blocked until someone wakes them. */
export class WaitQueue {
  readonly waiters: Task[] = [];
  /** Names the queue in step footprints (footprint.ts). */
  readonly serial = nextSerial();
}

/** One recorded scheduler step (see Machine.traceEvents). */
export interface TraceEvent {
  step: number;
  cpu: number;
  task: number;
  name: string;
  label: string;
  /** The CPU's clock when the step started, simulated ns. */
  time: number;
}

/**
 * A pending timer: a callback, or the end of a task's sleep. A sleep names its task instead of
 * carrying a closure, so a thread that sleeps in a loop allocates no callback per sleep.
 */
interface Timer {
  time: number;
  seq: number;
  fire: (() => void) | null;
  /** The sleeping task this timer wakes (fire is null), and which of its sleeps. */
  sleeper: Task | null;
  sleep: number;
}

export interface MachineOptions {
  cpus: number;
  seed?: number;
  policy?: Policy;
  profile?: CostProfile;
  /** Keep the last N steps (cpu, task, label) to print when an invariant breaks. 0 = off. */
  traceSteps?: number;
  /** PCT: number of priority change points. */
  pctDepth?: number;
  /** PCT: expected number of steps of the run (change points fall inside it). */
  pctSteps?: number;
  /** Named fault switches: each removes one safety check from the model (see faults in kernel/). */
  faults?: Iterable<string>;
  /** Exploration: told of every step as it ends (coverage, schedule recording, timelines). */
  observer?: StepObserver;
  /** Exploration: picks the CPU of every step instead of the policy (replaying a schedule). */
  chooser?: Chooser;
  /** Exploration: told which shared objects each step touches (partial-order reduction). */
  footprint?: FootprintSink;
}

/** Sees each step once it has run: the CPU it ran on, the task, its label, start and end times. */
export interface StepObserver {
  step(cpu: number, task: Task, label: string, start: number, end: number): void;
  /** A lock named `lock` was taken (or released) by `task` at `time` (see Machine.noteLock). */
  lock?(lock: string, acquired: boolean, cpu: number, task: Task, time: number): void;
}

/**
 * Chooses the CPU of the next step among the runnable ones (in heap order, not by id), told
 * what the policy proposes (the policy still draws from the machine's PRNG, so a chooser that
 * returns the proposal changes nothing). Replaying a recorded or shrunk schedule is a chooser;
 * so is the exhaustive enumerator. It may call m.stop() to cut a run short.
 */
export interface Chooser {
  pick(m: Machine, runnable: readonly Cpu[], proposed: Cpu): Cpu;
}

/** An invariant of the model was broken; `interleaving` is the schedule that broke it. */
export class SimViolation extends Error {
  constructor(
    message: string,
    readonly interleaving: string,
  ) {
    super(message);
    this.name = "SimViolation";
  }
}

export class Machine {
  readonly cpus: Cpu[];
  readonly profile: CostProfile;
  readonly rng: Prng;
  readonly policy: Policy;
  readonly seed: number;
  readonly tasks: Task[] = [];
  /** Per socket: the slots its interconnect has booked for line transfers (cacheline.ts). */
  readonly interconnect: Timeline[];
  /** Fault switches that are on; models read them once at construction, not per step. */
  readonly faults: ReadonlySet<string>;
  /** Entry hooks of the traceable kernel functions (kprobes, fentry, kstack frames). */
  readonly ftrace = new FunctionHooks(() => this.task);
  /** The scheduler's tracepoints; null (and free) unless one is attached. */
  sched: SchedHooks | null = null;

  /** The CPU and task whose step is running now. */
  cpu: Cpu;
  task: Task | null = null;
  /** The name of the step about to yield, for the interleaving trace. */
  label = "";
  /**
   * Whether step labels are ever read: only a recorded interleaving (traceSteps > 0) and a
   * step observer read them. A label put together from names and addresses is built only
   * then; a constant one costs nothing and is always set.
   */
  readonly labelsRead: boolean;
  steps = 0;
  stopped = false;
  /** Told what each step touches (footprint.ts), or null: the model checks before telling. */
  readonly footprint: FootprintSink | null;

  private readonly heap: Cpu[] = [];
  private readonly timers: Timer[] = [];
  /** Fired timers, for the next ones to reuse (no object per sleep); as many as were ever pending. */
  private readonly spareTimers: Timer[] = [];
  private timerSeq = 0;
  private nextTaskId = 1;
  private readonly traceSize: number;
  private readonly traceCpu: Int32Array;
  private readonly traceTask: Int32Array;
  private readonly traceLabel: string[];
  /** Task names per recorded step: interrupt tasks are not in `tasks`, so keep them here. */
  private readonly traceName: string[];
  private readonly traceTime: Float64Array;
  private readonly pctChangePoints: number[] = [];
  /** The CPU heap orders by PCT priority instead of clock (hot path: no string compare). */
  private readonly byPriority: boolean;
  private pctNextLow = 0;
  /** PCT fairness: the CPU that ran the last steps, how many in a row, and the bound. */
  private pctLast: Cpu | null = null;
  private pctRun = 0;
  private pctStarvation = 0;
  private readonly observer: StepObserver | null;
  private readonly chooser: Chooser | null;

  constructor(opts: MachineOptions) {
    if (!Number.isInteger(opts.cpus) || opts.cpus < 1 || opts.cpus > 128) {
      throw new RangeError(`cpus must be an integer from 1 to 128, got ${opts.cpus}`);
    }
    this.seed = opts.seed ?? 1;
    this.rng = new Prng(this.seed);
    this.policy = opts.policy ?? "time";
    this.byPriority = this.policy === "pct";
    this.profile = opts.profile ?? { ...DEFAULT_COST_PROFILE };
    this.faults = new Set(opts.faults ?? []);
    this.observer = opts.observer ?? null;
    this.chooser = opts.chooser ?? null;
    this.footprint = opts.footprint ?? null;
    this.cpus = [];
    for (let i = 0; i < opts.cpus; i++) this.cpus.push(new Cpu(i));
    this.interconnect = [];
    for (let i = 0; i < this.profile.sockets; i++) this.interconnect.push(new Timeline());
    this.pairSmtSiblings();
    this.cpu = this.cpus[0];
    this.traceSize = opts.traceSteps ?? 0;
    this.traceCpu = new Int32Array(this.traceSize);
    this.traceTask = new Int32Array(this.traceSize);
    this.traceTime = new Float64Array(this.traceSize);
    this.traceLabel = new Array<string>(this.traceSize).fill("");
    this.traceName = new Array<string>(this.traceSize).fill("");
    this.labelsRead = this.traceSize > 0 || this.observer !== null;
    if (this.policy === "pct") this.setupPct(opts.pctDepth ?? 3, opts.pctSteps ?? 10_000);
  }

  /** CPUs are numbered core by core over the sockets, then the second thread of each core. */
  private pairSmtSiblings(): void {
    const cores = this.profile.coresPerSocket * this.profile.sockets;
    for (const cpu of this.cpus) {
      const other = cpu.id < cores ? cpu.id + cores : cpu.id < 2 * cores ? cpu.id - cores : -1;
      if (other >= 0 && other < this.cpus.length) cpu.sibling = this.cpus[other];
    }
  }

  // ---------------------------------------------------------------- tasks

  /** Create a task running `body` on a CPU (round-robin by task id unless `cpu` is given). */
  spawn(name: string, body: (task: Task) => Sub<void>, cpu?: number): Task {
    const id = this.nextTaskId++;
    const home = this.cpus[cpu === undefined ? (id - 1) % this.cpus.length : cpu % this.cpus.length];
    const task = new Task(id, name, home);
    if (this.footprint !== null && this.task !== null) this.footprint.touch(TASK_TABLE, true);
    task.gen = body(task);
    task.readyAt = this.currentTime();
    this.tasks.push(task);
    home.runq.push(task);
    if (this.sched !== null) this.sched.sched_wakeup(task, true);
    // The new task cannot start before the moment it was created (a task step or a timer).
    this.wakeCpu(home, task.readyAt);
    return task;
  }

  /** The limit of the runUntil in progress (steps past it must yield). */
  private limit = Number.POSITIVE_INFINITY;

  /**
   * Would the scheduler run something else before the current step continues? Under the
   * default policy a step that nobody can come between (no other CPU and no timer is due
   * before this CPU's `now`) may go on without yielding: the schedule, the clocks and every
   * result are the same as if it had yielded and been picked again at once, and the per-hit
   * path saves a generator round trip. Exploration policies always yield.
   */
  mustYield(): boolean {
    if (this.policy !== "time") return true;
    const cpu = this.cpu;
    const t = cpu.clock + cpu.acc;
    if (t >= this.limit) return true;
    if (this.timers.length > 0 && this.timers[0].time <= t) return true;
    if (cpu.runq.length > 0 && t >= cpu.sliceEnd) return true;
    const h = this.heap;
    // A CPU woken or given a task during this step may have sifted above the running one.
    if (h[0] !== cpu) return true;
    // In a min-heap the next CPU to run is one of the root's children.
    if (h.length > 1 && (h[1].clock < t || (h[1].clock === t && h[1].id < cpu.id))) return true;
    if (h.length > 2 && (h[2].clock < t || (h[2].clock === t && h[2].id < cpu.id))) return true;
    return false;
  }

  /**
   * mustYield for a path that always yielded before it learnt to run on: it also yields on a
   * CPU with an SMT sibling. The sibling's slowdown multiplies a step's cost by what the
   * sibling does when the step ends, so two steps charged as one would round the clock
   * differently, or slow the first part for a sibling woken in the second.
   */
  mustYieldExact(): boolean {
    return this.cpu.sibling !== null || this.mustYield();
  }

  /**
   * A point between two accesses to shared lines where the model keeps no race window: under
   * the default policy the step ends here when another CPU is behind it. A step runs whole,
   * so without it the step's later access would come before the requests that CPUs behind it
   * make in the meantime, and find still in its cache a contended line that the coherence
   * fabric would long have handed to one of them. Exploration policies never stop here: it
   * adds no interleaving to explore.
   */
  timingYield(): boolean {
    return this.policy === "time" && this.mustYield();
  }

  /** Current simulated time of the running step. */
  now(): number {
    return this.cpu.clock + this.cpu.acc;
  }

  /** The slowest CPU's clock: everything before it has happened on every CPU. */
  minClock(): number {
    let t = Number.POSITIVE_INFINITY;
    for (const c of this.cpus) if (c.clock < t) t = c.clock;
    return t;
  }

  /** Charge private work to the current step; returns 0 so it can be yielded. */
  cost(ns: number): number {
    this.cpu.acc += ns;
    return 0;
  }

  // ---------------------------------------------------------------- blocking

  /** Block the current task on `wq` (use as `yield* m.wait(wq)`); returns when woken. */
  *wait(wq: WaitQueue): Sub<void> {
    this.block(wq);
    yield BLOCK;
  }

  /** m.wait up to its yield, as a plain call: the caller must end its step with BLOCK. */
  private block(wq: WaitQueue): void {
    const task = this.task!;
    task.state = TaskState.Blocked;
    task.waiting = wq;
    task.blockedAt = this.now();
    if (this.footprint !== null) this.footprint.touch(wq.serial, true);
    wq.waiters.push(task);
  }

  /**
   * Wait on `wq` while keeping the CPU (use as `yield* m.spinWait(wq)`): what a spinlock
   * waiter does. The CPU runs nothing else meanwhile and the time counts as busy; unlike a
   * sleeping wait, interrupt context may do this.
   */
  *spinWait(wq: WaitQueue): Sub<void> {
    this.task!.spinning = true;
    yield* this.wait(wq);
  }

  /** Wake every task on `wq` at the current time. */
  wakeAll(wq: WaitQueue): void {
    if (this.footprint !== null) this.footprint.touch(wq.serial, true);
    const list = wq.waiters;
    if (list.length === 0) return;
    const t = this.currentTime();
    for (let i = 0; i < list.length; i++) this.makeRunnable(list[i], t);
    list.length = 0;
  }

  /** Wake the first task on `wq`; returns it, or null. */
  wakeOne(wq: WaitQueue): Task | null {
    if (this.footprint !== null) this.footprint.touch(wq.serial, true);
    const task = wq.waiters.shift();
    if (task === undefined) return null;
    this.makeRunnable(task, this.currentTime());
    return task;
  }

  /** Block the current task for `ns` of simulated time (off-CPU). */
  *sleep(ns: number): Sub<void> {
    this.sleepBegin(ns);
    yield BLOCK;
  }

  /**
   * m.sleep up to its yield, as a plain call, for a caller that is not a generator (a
   * thread's `sleep` step): the caller ends its step with BLOCK, and the task runs again once
   * `ns` have passed.
   */
  sleepBegin(ns: number): void {
    const task = this.task!;
    const wq = task.sleepQueue ?? (task.sleepQueue = new WaitQueue());
    this.armTimer(this.now() + ns, null, task, ++task.sleeps);
    this.block(wq);
  }

  /** A sleep's timer: wake the task if it is still in that sleep (not woken and asleep again). */
  private endSleep(task: Task, sleep: number): void {
    if (task.sleeps === sleep && task.waiting === task.sleepQueue) this.wakeAll(task.sleepQueue!);
  }

  /** Time of the timer being fired, when no task step is running. */
  private wakeTime = 0;

  /**
   * A CPU is switching away from idle: the scheduler's hooks run in the idle task's context
   * (no current task) at that CPU's clock, not at the last timer's time.
   */
  switchingFromIdle = false;

  /** The time of whatever is running: a task's step, a switch from idle, or the timer being fired. */
  currentTime(): number {
    return this.task === null && !this.switchingFromIdle ? this.wakeTime : this.now();
  }

  private makeRunnable(task: Task, t: number): void {
    task.state = TaskState.Runnable;
    task.waiting = null;
    task.readyAt = t;
    const cpu = task.cpu;
    if (task.spinning) {
      // Still the CPU's current (or interrupt) task: it resumes where it spun.
      this.catchUp(cpu, t);
      task.spinning = false;
    } else {
      cpu.runq.push(task);
    }
    if (this.sched !== null) this.sched.sched_wakeup(task, false);
    this.wakeCpu(cpu, t);
  }

  /**
   * Put a CPU that is out of the heap back in at time `t`, if it can run something now. A CPU
   * held by a spinning task or interrupt stays out: waking another task onto it must not
   * resume the spinner before its lock is handed over.
   */
  private wakeCpu(cpu: Cpu, t: number): void {
    if (cpu.heapPos >= 0 || !this.canRun(cpu)) return;
    this.catchUp(cpu, t);
    this.heapInsert(cpu);
  }

  /** Advance an out-of-heap CPU's clock to `t`; time spent spinning counts as busy. */
  private catchUp(cpu: Cpu, t: number): void {
    if (cpu.heapPos >= 0 || cpu.clock >= t) return;
    if (this.isSpinning(cpu)) cpu.busy += t - cpu.clock;
    cpu.clock = t;
  }

  private isSpinning(cpu: Cpu): boolean {
    if (cpu.current?.spinning) return true;
    for (const t of cpu.irq) if (t.spinning) return true;
    return false;
  }

  // ---------------------------------------------------------------- timers

  /** Run `fire` at simulated time `time` (outside any task: it may wake tasks or raise irqs). */
  addTimer(time: number, fire: () => void): void {
    this.armTimer(time, fire, null, 0);
  }

  private armTimer(time: number, fire: (() => void) | null, sleeper: Task | null, sleep: number): void {
    if (this.footprint !== null) this.footprint.clockDependent("armed a timer");
    const timer = this.spareTimers.pop() ?? { time: 0, seq: 0, fire: null, sleeper: null, sleep: 0 };
    timer.time = time;
    timer.seq = this.timerSeq++;
    timer.fire = fire;
    timer.sleeper = sleeper;
    timer.sleep = sleep;
    const h = this.timers;
    h.push(timer);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (timerLess(h[p], timer)) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = timer;
  }

  /** Run `body` in interrupt context on `cpu` at time `time` (preempts at the next yield). */
  raiseIrq(cpuId: number, time: number, name: string, body: (task: Task) => Sub<void>): void {
    this.addTimer(time, () => {
      const cpu = this.cpus[cpuId];
      const task = new Task(this.nextTaskId++, name, cpu);
      task.gen = body(task);
      task.readyAt = time;
      cpu.irq.push(task);
      this.wakeCpu(cpu, time);
    });
  }

  private fireTimer(): void {
    const h = this.timers;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      const n = h.length;
      while (true) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && timerLess(h[r], h[l]) ? r : l;
        if (timerLess(last, h[c])) break;
        h[i] = h[c];
        i = c;
      }
      h[i] = last;
    }
    this.wakeTime = top.time;
    // Released before it runs: what it does may arm the next timer in the same object.
    const { fire, sleeper, sleep } = top;
    top.fire = null;
    top.sleeper = null;
    this.spareTimers.push(top);
    if (sleeper !== null) this.endSleep(sleeper, sleep);
    else fire!();
  }

  // ---------------------------------------------------------------- running

  /**
   * Run until every runnable CPU's clock has reached `limit`, nothing is left to run, or
   * stop() is called. Returns false when tasks are blocked with nothing left to wake them.
   */
  runUntil(limit: number): boolean {
    const h = this.heap;
    const timers = this.timers;
    this.limit = limit;
    while (!this.stopped) {
      if (h.length === 0) {
        if (timers.length === 0 || timers[0].time >= limit) break;
        this.fireTimer();
        continue;
      }
      let cpu = this.policy === "time" ? h[0] : this.pickExploring();
      // A slice is [now, limit): a timer due exactly at the limit fires in the next one,
      // whether or not some CPU's clock has already reached the limit.
      if (timers.length > 0 && timers[0].time <= cpu.clock && timers[0].time < limit) {
        this.fireTimer();
        continue;
      }
      if (cpu.clock >= limit) {
        if (this.policy === "time") break;
        // PCT would pick the same CPU forever: run the best one still below the limit.
        const below = this.policy === "pct" ? this.bestBelow(limit) : null;
        if (below === null) {
          if (this.allPast(limit)) break;
          continue;
        }
        cpu = below;
      }
      this.step(cpu);
    }
    return !this.isDeadlocked();
  }

  /** Run until nothing is runnable (all tasks done or blocked forever) or stop(). */
  runToCompletion(maxNs = Number.POSITIVE_INFINITY): boolean {
    return this.runUntil(maxNs);
  }

  stop(): void {
    this.stopped = true;
  }

  /** True if some task is blocked but nothing can ever wake it. */
  isDeadlocked(): boolean {
    if (this.heap.length > 0 || this.timers.length > 0) return false;
    // A task left runnable with nothing scheduled is stuck behind a spinning task or irq.
    for (const t of this.tasks) if (t.state !== TaskState.Done) return true;
    for (const c of this.cpus) if (c.irq.length > 0) return true;
    return false;
  }

  /** PCT: the highest-priority runnable CPU whose clock is still below `limit`, or null. */
  private bestBelow(limit: number): Cpu | null {
    let best: Cpu | null = null;
    for (const c of this.heap) if (c.clock < limit && (best === null || this.less(c, best))) best = c;
    return best;
  }

  private allPast(limit: number): boolean {
    for (const c of this.heap) if (c.clock < limit) return false;
    return true;
  }

  private step(cpu: Cpu): void {
    let task: Task | null;
    let switched = false;
    if (cpu.irq.length > 0) {
      task = cpu.irq[0];
      if (cpu.clock < task.readyAt) cpu.clock = task.readyAt;
    } else {
      task = cpu.current;
      if (task === null) {
        task = cpu.runq.shift()!;
        cpu.current = task;
        // Idle until the task is ready (only a lagging exploration clock can be behind it).
        if (cpu.clock < task.readyAt) cpu.clock = task.readyAt;
        cpu.sliceEnd = cpu.clock + this.profile.timeSlice;
        switched = true;
      }
    }
    this.cpu = cpu;
    this.task = task;
    cpu.acc = 0;
    if (switched && this.sched !== null) this.sched.sched_switch(cpu, task);
    const before = cpu.clock;
    const r = task.gen.next();
    this.steps++;
    if (this.traceSize > 0) this.record(cpu, task);
    if (r.done === true) {
      cpu.clock += cpu.acc;
      this.finish(cpu, task);
    } else if (r.value === BLOCK) {
      cpu.clock += cpu.acc;
      this.checkBlock(cpu, task);
      if (cpu.current === task && !task.spinning) cpu.current = null;
    } else {
      if (!(r.value >= 0)) this.fail(`${task.name} yielded an invalid step cost ${r.value}`);
      const sibling = cpu.sibling;
      // Two busy hardware threads share one core's pipeline: each runs slower.
      const smt = sibling !== null && sibling.heapPos >= 0 ? this.profile.smtSlowdown : 1;
      cpu.clock += (r.value + cpu.acc) * smt;
      if (
        cpu.current === task &&
        cpu.runq.length > 0 &&
        cpu.clock >= cpu.sliceEnd &&
        task.preemptCount === 0
      ) {
        this.rotate(cpu, task);
      }
    }
    cpu.acc = 0;
    cpu.busy += cpu.clock - before;
    if (this.observer !== null) this.observe(cpu, task, before);
    this.task = null;
    if (this.byPriority) this.pctStep(cpu);
    this.reschedule(cpu);
  }

  /**
   * A task may only switch away after putting itself on a wait queue (m.wait); otherwise
   * nothing would ever run it again and the loss would look like a clean finish. Interrupt
   * context cannot sleep at all: the kernel calls that "scheduling while atomic".
   */
  private checkBlock(cpu: Cpu, task: Task): void {
    if (cpu.irq.length > 0 && cpu.irq[0] === task && !task.spinning) {
      this.fail(`${task.name}: interrupt context blocked (scheduling while atomic)`);
    }
    if (task.state !== TaskState.Blocked) this.fail(`${task.name} yielded BLOCK without waiting on a queue`);
    if (task.preemptCount > 0 && !task.spinning) {
      this.fail(`${task.name} slept holding a spinlock (scheduling while atomic)`);
    }
  }

  private finish(cpu: Cpu, task: Task): void {
    if (task.preemptCount !== 0) this.fail(`${task.name} exited holding a spinlock`);
    for (let i = 0; i < task.rcuNest.length; i++) {
      if (task.rcuNest[i] !== 0) this.fail(`${task.name} exited inside a read-side critical section`);
    }
    task.state = TaskState.Done;
    if (cpu.irq.length > 0 && cpu.irq[0] === task) cpu.irq.shift();
    else if (cpu.current === task) cpu.current = null;
  }

  private rotate(cpu: Cpu, task: Task): void {
    cpu.runq.push(task);
    cpu.current = null;
    cpu.clock += this.profile.contextSwitch;
  }

  /** Put the CPU back in order after its step, or take it out if it has nothing to run. */
  private reschedule(cpu: Cpu): void {
    if (!this.canRun(cpu)) {
      this.heapRemove(cpu);
      return;
    }
    this.heapFix(cpu.heapPos);
  }

  /** Whether the CPU has something to run now: a spinning task or irq holds it idle. */
  private canRun(cpu: Cpu): boolean {
    if (cpu.irq.length > 0) return cpu.irq[0].state === TaskState.Runnable;
    if (cpu.current !== null) return cpu.current.state === TaskState.Runnable;
    return cpu.runq.length > 0;
  }

  // ---------------------------------------------------------------- CPU heap

  private less(a: Cpu, b: Cpu): boolean {
    if (this.byPriority) return a.priority > b.priority || (a.priority === b.priority && a.id < b.id);
    return a.clock < b.clock || (a.clock === b.clock && a.id < b.id);
  }

  private heapInsert(cpu: Cpu): void {
    const h = this.heap;
    cpu.heapPos = h.length;
    h.push(cpu);
    this.siftUp(cpu.heapPos);
  }

  private heapRemove(cpu: Cpu): void {
    const h = this.heap;
    const pos = cpu.heapPos;
    if (pos < 0) return;
    const last = h.pop()!;
    cpu.heapPos = -1;
    if (last !== cpu) {
      h[pos] = last;
      last.heapPos = pos;
      this.heapFix(pos);
    }
  }

  private heapFix(pos: number): void {
    if (pos > 0 && this.less(this.heap[pos], this.heap[(pos - 1) >> 1])) this.siftUp(pos);
    else this.siftDown(pos);
  }

  private siftUp(pos: number): void {
    const h = this.heap;
    const item = h[pos];
    while (pos > 0) {
      const p = (pos - 1) >> 1;
      if (!this.less(item, h[p])) break;
      h[pos] = h[p];
      h[pos].heapPos = pos;
      pos = p;
    }
    h[pos] = item;
    item.heapPos = pos;
  }

  private siftDown(pos: number): void {
    const h = this.heap;
    const n = h.length;
    const item = h[pos];
    while (true) {
      const l = 2 * pos + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.less(h[r], h[l]) ? r : l;
      if (!this.less(h[c], item)) break;
      h[pos] = h[c];
      h[pos].heapPos = pos;
      pos = c;
    }
    h[pos] = item;
    item.heapPos = pos;
  }

  // ---------------------------------------------------------------- exploration

  private pickExploring(): Cpu {
    const proposed = this.policy === "pct" ? this.heap[0] : this.heap[this.rng.below(this.heap.length)];
    return this.chooser === null ? proposed : this.chooser.pick(this, this.heap, proposed);
  }

  private setupPct(depth: number, steps: number): void {
    const prios = this.cpus.map((_, i) => i + depth + 1);
    for (let i = prios.length - 1; i > 0; i--) {
      const j = this.rng.below(i + 1);
      [prios[i], prios[j]] = [prios[j], prios[i]];
    }
    this.cpus.forEach((c, i) => {
      c.priority = prios[i];
    });
    for (let i = 0; i < depth - 1; i++) this.pctChangePoints.push(1 + this.rng.below(steps));
    this.pctChangePoints.sort((a, b) => a - b);
    this.pctNextLow = depth;
    this.pctStarvation = steps;
  }

  private pctStep(cpu: Cpu): void {
    while (this.pctChangePoints.length > 0 && this.pctChangePoints[0] <= this.steps) {
      this.pctChangePoints.shift();
      cpu.priority = this.pctNextLow--;
    }
    // A CPU spinning on something a lower-priority CPU must do would run forever once the
    // change points are spent: after `pctSteps` steps in a row while others wait, demote it.
    if (cpu === this.pctLast) this.pctRun++;
    else {
      this.pctLast = cpu;
      this.pctRun = 1;
    }
    if (this.pctRun > this.pctStarvation && this.heap.length > 1) {
      cpu.priority = this.pctNextLow--;
      this.pctRun = 0;
    }
  }

  // ---------------------------------------------------------------- invariants and tracing

  private record(cpu: Cpu, task: Task): void {
    const i = this.steps % this.traceSize;
    this.traceCpu[i] = cpu.id;
    this.traceTask[i] = task.id;
    this.traceLabel[i] = this.label;
    this.traceName[i] = task.name;
    this.traceTime[i] = cpu.clock;
    this.label = "";
  }

  /** Tell the observer about the step that just ran (its label is consumed, as record does). */
  private observe(cpu: Cpu, task: Task, start: number): void {
    const label = this.traceSize > 0 ? this.traceLabel[this.steps % this.traceSize] : this.label;
    this.label = "";
    this.observer!.step(cpu.id, task, label, start, cpu.clock);
  }

  /** The last recorded steps, oldest first: what ran where and when (exact times). */
  traceEvents(): TraceEvent[] {
    const events: TraceEvent[] = [];
    const n = Math.min(this.steps, this.traceSize);
    for (let k = this.steps - n + 1; k <= this.steps; k++) {
      const i = k % this.traceSize;
      events.push({
        step: k,
        cpu: this.traceCpu[i],
        task: this.traceTask[i],
        name: this.traceName[i],
        label: this.traceLabel[i],
        time: this.traceTime[i],
      });
    }
    return events;
  }

  /** The last recorded steps, oldest first, one line each. */
  interleaving(): string {
    if (this.traceSize === 0) return "(interleaving not recorded: run with traceSteps > 0)";
    return this.traceEvents()
      .map((e) => `  step ${e.step} cpu${e.cpu} t=${Math.round(e.time)}ns ${e.name}: ${e.label || "-"}`)
      .join("\n");
  }

  /** The running task took or released `lock`: timelines draw lock holds and hand-offs from it. */
  noteLock(lock: { readonly name: string }, acquired: boolean): void {
    const o = this.observer;
    if (o !== null && o.lock !== undefined) o.lock(lock.name, acquired, this.cpu.id, this.task!, this.now());
  }

  /** Report a broken invariant: throws a SimViolation carrying the interleaving that led here. */
  fail(message: string): never {
    throw new SimViolation(`${message} (seed ${this.seed}, policy ${this.policy})`, this.interleaving());
  }
}

function timerLess(a: Timer, b: Timer): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}
