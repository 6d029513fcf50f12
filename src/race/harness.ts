/**
 * Scaffolding for the uprobes race scenarios (src/race/scenarios.ts, `probelab race`, and the
 * exploration tests in test/kernel/uprobes): a small Kernel built directly (one binary with
 * a few functions, address spaces that map it, threads that call those functions and trap
 * where a breakpoint sits, registrars that attach and detach consumers), and an explorer that
 * runs a scenario over many seeds under both exploration policies with the interleaving
 * trace on.
 *
 * The harness never judges a run itself: a run fails only through the model's own checks —
 * in-line ones (poisoned uprobes, exactly-once delivery, the R-checks in src/kernel/uprobes)
 * and, once the run has settled, uprobes_invariant_sweep.
 */
import { type KernelConfig, resolveKernelConfig } from "../kernel/config.js";
import { Kernel } from "../kernel/kernel.js";
import {
  do_mmap,
  dup_mmap,
  Inode,
  type InodeSymbol,
  MmStruct,
  PAGE_SIZE,
  PROT_EXEC,
  PROT_READ,
  type VmAreaStruct,
} from "../kernel/mm/index.js";
import { TaskStruct } from "../kernel/task.js";
import {
  type Cookie,
  dup_xol_work,
  get_trampoline_vaddr,
  handle_swbp,
  newConsumer,
  type PtRegs,
  type Registration,
  SwbpResult,
  type UprobeConsumer,
  type UprobesState,
  uprobe_copy_process,
  uprobe_free_utask,
  uprobe_register,
  uprobe_unregister_all,
} from "../kernel/uprobes/index.js";
import { uprobes_invariant_sweep } from "../kernel/uprobes/invariants.js";
import { type CostProfile, DEFAULT_COST_PROFILE } from "../sim/cost-profile.js";
import type { FootprintSink } from "../sim/footprint.js";
import {
  type Chooser,
  Machine,
  type MachineOptions,
  type Policy,
  SimViolation,
  type StepObserver,
  type Sub,
} from "../sim/machine.js";
import { Prng } from "../sim/prng.js";
import { Lockdep, LockOrderError } from "./lockdep.js";

export const P = PAGE_SIZE;
/** Where the binary's text is mapped in every address space. */
export const TEXT = 0x400000;
/** The caller's return address of every simulated call (inside _start). */
export const CALLER_RET = 0x400010;
const STACK_TOP = 0x7ffffffde000;

/**
 * The calibrated profile with grace periods compressed (20 us RCU, 60 us Tasks Trace, 2 us
 * SRCU back-off): a registration or a sync then spans tens of hits instead of thousands, so
 * a run stays a few thousand steps while threads keep hitting through every phase of it.
 * Only latencies shrink; every ordering the grace periods enforce is unchanged.
 */
export const FAST_GP_PROFILE: Readonly<CostProfile> = Object.freeze({
  ...DEFAULT_COST_PROFILE,
  rcuGracePeriod: 20_000,
  tasksTraceGracePeriod: 60_000,
  srcuScanDelay: 2_000,
});

/** One function of the test binary: name, file offset, and the instruction it starts with. */
export interface Fn {
  name: string;
  offset: number;
  /** nop is emulated; ret is single-stepped out of line (pre_ssout takes a reference). */
  insn: "nop" | "ret";
}

/** The test binary's functions: 0x100 apart from file offset 0x100, all in its first page. */
export function functions(count: number, insn: Fn["insn"] = "nop"): Fn[] {
  const out: Fn[] = [];
  for (let i = 0; i < count; i++) out.push({ name: `f${i}`, offset: 0x100 + i * 0x100, insn });
  return out;
}

/** Everything a scenario builds on: the kernel, its uprobes state and a seeded PRNG. */
export class World {
  readonly m: Machine;
  readonly u: UprobesState;
  /** Address spaces the end-of-run sweep inspects. */
  readonly mms: MmStruct[] = [];
  private nextIno = 100;
  private nextPid = 1000;
  /** Driver tasks (registrars, mappers) still running: hitters keep going while any is. */
  drivers = 0;
  /** Calls made by call(), per function address. */
  readonly calls = new Map<number, number>();

  constructor(
    readonly k: Kernel,
    /** The scenario's own PRNG (seeded from the run's seed, separate from the scheduler's). */
    readonly rng: Prng,
  ) {
    this.m = k.m;
    this.u = k.u;
  }

  /** A binary holding `fns`, two pages long unless more are needed. */
  binary(path: string, fns: readonly Fn[], pages = 2): Inode<VmAreaStruct> {
    const symbols: InodeSymbol[] = fns.map((f) => ({
      name: f.name,
      offset: f.offset,
      size: 0x40,
      firstInsn: f.insn,
    }));
    return new Inode<VmAreaStruct>(this.m, { ino: this.nextIno++, path, size: pages * P, symbols });
  }

  /**
   * The opening most scenarios share: `fns` in /usr/bin/app, a process mapping its text, and
   * `body` run by the exec task once the text is mapped. Returns the process's mm.
   */
  process(fns: readonly Fn[], body: (mm: MmStruct, bin: Inode<VmAreaStruct>) => Sub<void> | void): MmStruct {
    const bin = this.binary("/usr/bin/app", fns);
    const mm = this.addressSpace();
    const w = this;
    this.task("exec", function* () {
      yield* w.mapText(mm, bin);
      const rest = body(mm, bin);
      if (rest !== undefined) yield* rest;
    });
    return mm;
  }

  /**
   * A registrar driver: `rounds` times, attach a fresh consumer at `offset` (counter `kind`),
   * run `pause`, detach it the configured way, then call `detached`.
   */
  churn(
    name: string,
    bin: Inode<VmAreaStruct>,
    offset: number,
    rounds: number,
    opts: { kind?: CounterOptions; pause?: () => Sub<void>; detached?: () => void } = {},
  ): void {
    const w = this;
    this.driver(name, function* () {
      for (let i = 0; i < rounds; i++) {
        const reg = yield* w.attach(bin, offset, counter(opts.kind));
        if (opts.pause !== undefined) yield* opts.pause();
        yield* w.detach([reg]);
        opts.detached?.();
      }
    });
  }

  /** A new, empty address space (the sweep will inspect it). */
  addressSpace(): MmStruct {
    const mm = new MmStruct(this.m, { subsystem: this.k.mm });
    this.mms.push(mm);
    return mm;
  }

  /** Map `pages` of `inode` read+exec at `addr` (what exec / dlopen do with a text segment). */
  *mapText(mm: MmStruct, inode: Inode<VmAreaStruct>, addr = TEXT, pages = 2, pgoff = 0): Sub<number> {
    return yield* do_mmap(mm, { addr, len: pages * P, prot: PROT_READ | PROT_EXEC, file: inode, pgoff });
  }

  /**
   * Spawn a user thread of `mm`: `body` gets its task_struct. When the body ends the thread
   * exits, and mm_release frees its uprobe_task (pending return instances included).
   */
  thread(mm: MmStruct, name: string, body: (t: TaskStruct) => Sub<void>, cpu?: number): TaskStruct {
    const pid = this.nextPid++;
    const u = this.u;
    let ts: TaskStruct | null = null;
    this.m.spawn(
      name,
      (task) => {
        const t = new TaskStruct(task, pid, pid, name, mm);
        task.ctx = t;
        ts = t;
        return (function* () {
          yield* body(t);
          yield* uprobe_free_utask(u, t);
        })();
      },
      cpu,
    );
    return ts!;
  }

  /**
   * fork(2) from `parent`: copy its mm (dup_mmap) and its pending return instances
   * (uprobe_copy_process); the child runs dup_xol_work before `body`, its first user code.
   */
  *fork(parent: TaskStruct, name: string, body: (t: TaskStruct) => Sub<void>): Sub<TaskStruct> {
    const childMm = yield* dup_mmap(parent.mm);
    this.mms.push(childMm);
    const u = this.u;
    const child = this.thread(childMm, name, function* (t) {
      yield* dup_xol_work(u, t);
      yield* body(t);
    });
    uprobe_copy_process(u, parent, child);
    return child;
  }

  /** Spawn a kernel-side task (a registrar, a mapper): no task_struct needed. */
  task(name: string, body: () => Sub<void>, cpu?: number): void {
    this.m.spawn(name, body, cpu);
  }

  /** Spawn a task that drives the scenario: hitters run until every driver has finished. */
  driver(name: string, body: () => Sub<void>, cpu?: number): void {
    this.drivers++;
    const w = this;
    this.m.spawn(
      name,
      function* () {
        yield* body();
        w.drivers--;
      },
      cpu,
    );
  }

  /**
   * A thread of `mm` calling `addr` (in turn, when several) with `work` ns of user code between
   * calls, for as long as drivers run.
   */
  hitter(
    mm: MmStruct,
    name: string,
    addr: number | readonly number[],
    opts: { work?: number; max?: number; cpu?: number } = {},
  ): void {
    const addrs = typeof addr === "number" ? [addr] : addr;
    const w = this;
    const work = opts.work ?? 500;
    const max = opts.max ?? 400;
    this.thread(
      mm,
      name,
      function* (t) {
        for (let i = 0; i < max && (i < 2 || w.drivers > 0); i++) {
          yield* w.call(t, addrs[i % addrs.length]);
          yield w.m.cost(work);
        }
      },
      opts.cpu,
    );
  }

  /**
   * Call the function at `addr` the way the executor does: execute its first instruction
   * (trapping while a breakpoint is there), run `inside`, and return — through the uretprobe
   * trampoline if the entry hijacked the return address.
   */
  *call(t: TaskStruct, addr: number, inside?: () => Sub<void>): Sub<void> {
    const m = this.m;
    const regs = t.regs;
    const sp = STACK_TOP - 8;
    regs.sp = sp;
    regs.ret = CALLER_RET;
    this.calls.set(addr, (this.calls.get(addr) ?? 0) + 1);
    if (t.mm.breakpointAt(addr)) yield* this.trap(t, addr);
    const ret = regs.ret;
    m.label = `user: called 0x${addr.toString(16)}`;
    yield 0;
    if (inside !== undefined) yield* inside();
    if (ret === get_trampoline_vaddr(t.mm)) {
      regs.sp = sp + 8;
      regs.ip = ret;
      regs.ax = 0;
      yield* handle_swbp(this.u, t);
      if (regs.ip !== CALLER_RET)
        m.fail(`trampoline restored 0x${regs.ip.toString(16)}, not the caller's address`);
    }
    m.label = "user: return";
    yield 0;
  }

  /** Execute the breakpoint at `addr` until the kernel lets the thread past it. */
  private *trap(t: TaskStruct, addr: number): Sub<void> {
    while (true) {
      t.regs.ip = addr;
      const r = yield* handle_swbp(this.u, t);
      if (r !== SwbpResult.Restart || !t.mm.breakpointAt(addr)) return;
    }
  }

  *attach(inode: Inode<VmAreaStruct>, offset: number, uc: UprobeConsumer): Sub<Registration> {
    const uprobe = yield* uprobe_register(this.u, inode, offset, uc);
    return { uprobe, uc };
  }

  /**
   * Run the model's invariant sweep now, from a task, at a point where the scenario knows the
   * state must be settled (say, right after the last consumer's unregister and sync returned).
   */
  sweepNow(): void {
    uprobes_invariant_sweep(this.u, { mms: this.mms });
  }

  /** Detach the way the configured kernel does (N x unregister_nosync + one sync by default). */
  *detach(regs: readonly Registration[]): Sub<void> {
    yield* uprobe_unregister_all(this.u, regs);
  }
}

export type Counter = UprobeConsumer & { hits: number; rets: number };

export interface CounterOptions {
  /** An entry handler (default true). */
  entry?: boolean;
  /** A return handler (with an entry handler too, a session consumer). */
  ret?: boolean;
  /** Simulated ns each handler call costs (a BPF program that walks a stack, say). */
  cost?: number;
  /** What the entry handler returns (UPROBE_HANDLER_REMOVE, ...); default 0. */
  rc?: () => number;
  filter?: UprobeConsumer["filter"];
}

/** A consumer that counts its calls. */
export function counter(opts: CounterOptions = {}, m?: Machine): Counter {
  const c = newConsumer(null, null, opts.filter ?? null) as Counter;
  c.hits = 0;
  c.rets = 0;
  const cost = opts.cost ?? 0;
  if (opts.entry ?? true) {
    c.handler = (_uc: UprobeConsumer, _regs: PtRegs, _data: Cookie) => {
      c.hits++;
      if (m !== undefined) m.cost(cost);
      return opts.rc === undefined ? 0 : opts.rc();
    };
  }
  if (opts.ret) {
    c.ret_handler = () => {
      c.rets++;
      if (m !== undefined) m.cost(cost);
      return 0;
    };
  }
  return c;
}

// ---------------------------------------------------------------- exploration

/** What every scenario may say about the machine it runs on. */
export interface ScenarioShape {
  /** CPUs of the machine (default 3). */
  cpus?: number;
  /** Cost profile (default FAST_GP_PROFILE for kernel scenarios, the calibrated one otherwise). */
  profile?: CostProfile;
  /** PCT: expected steps of one run, so change points fall inside it (machine default). */
  pctSteps?: number;
  /** PCT: priority change points plus one (machine default). */
  pctDepth?: number;
  /** Steps of interleaving a violation carries (default 160). */
  traceSteps?: number;
}

/** A scenario on a small kernel: `build` spawns its tasks in the World. */
export interface Scenario extends ScenarioShape {
  /** Switches changed from the `latest` profile. */
  config?: Partial<KernelConfig>;
  /** Spawn the scenario's tasks. */
  build(w: World): void;
  /** Sweep options after the run; `quiescent` unless the scenario leaves calls pending. */
  quiescent?: boolean;
}

/** A scenario on the bare machine (sync primitives, mm structures): see onMachine. */
export interface MachineScenario extends ScenarioShape {
  setup(m: Machine, rng: Prng): void;
  /** Its steps' footprints are complete (see MachineShape.commuting). */
  commuting?: boolean;
}

/**
 * A scenario that builds its own kernel (a workload under a tracing session, see
 * workload-race.ts): `host` gets the machine options of one run and runs it to its verdict.
 */
export interface HostedScenario extends ScenarioShape {
  host(machine: MachineOptions): RunResult;
}

export type AnyScenario = Scenario | MachineScenario | HostedScenario;

export interface RunOptions {
  seed: number;
  policy: Policy;
  faults?: readonly string[];
  traceSteps?: number;
  /** Told of every step (coverage, schedule recording, timelines). */
  observer?: StepObserver;
  /** Picks every step's CPU instead of the policy (replaying a schedule). */
  chooser?: Chooser;
  /** Told what each step touches (partial-order reduction, footprint.ts). */
  footprint?: FootprintSink;
}

/** What one run came to. */
export interface RunResult {
  machine: Machine;
  violation: SimViolation | null;
  /** Tasks were left blocked with nothing to wake them. */
  deadlocked: boolean;
}

export interface RunOutcome extends RunResult {
  world: World;
}

/** The machine options of one run of `s` (shared by both kinds of scenario). */
function machineOptions(s: ScenarioShape, opts: RunOptions, profile: CostProfile): MachineOptions {
  return {
    cpus: s.cpus ?? 3,
    seed: opts.seed,
    policy: opts.policy,
    faults: opts.faults ?? [],
    traceSteps: opts.traceSteps ?? s.traceSteps ?? 160,
    profile: { ...(s.profile ?? profile) },
    pctSteps: s.pctSteps,
    pctDepth: s.pctDepth,
    observer: opts.observer,
    chooser: opts.chooser,
    footprint: opts.footprint,
  };
}

/** The scenario's own PRNG for a run: separate from the scheduler's, different per policy. */
function scenarioRng(opts: RunOptions): Prng {
  return new Prng(opts.seed * 7919 + (opts.policy === "pct" ? 1 : 0));
}

/**
 * `run` the machine (it returns false when tasks were left blocked with nothing to wake them),
 * then `sweep`; a broken invariant anywhere is the run's violation.
 */
export function settle(m: Machine, run: () => boolean, sweep: () => void): RunResult {
  try {
    if (!run()) return { machine: m, violation: null, deadlocked: true };
    sweep();
    return { machine: m, violation: null, deadlocked: false };
  } catch (e) {
    if (e instanceof SimViolation) return { machine: m, violation: e, deadlocked: false };
    if (e instanceof LockOrderError) {
      const message = `${e.message} (seed ${m.seed}, policy ${m.policy})`;
      return { machine: m, violation: new SimViolation(message, m.interleaving()), deadlocked: false };
    }
    throw e;
  }
}

/** Spawn the scenario's tasks with `start`, then run the machine until nothing is left. */
function toCompletion(m: Machine, start: () => void): () => boolean {
  return () => {
    start();
    return m.runToCompletion();
  };
}

/** Build and run a scenario once, then sweep the settled state. */
export function runScenario(s: Scenario, opts: RunOptions): RunOutcome {
  const config: KernelConfig = { ...resolveKernelConfig("latest"), ...s.config };
  const k = new Kernel({
    ...machineOptions(s, opts, FAST_GP_PROFILE),
    seed: opts.seed,
    faults: opts.faults,
    config,
  });
  const w = new World(k, scenarioRng(opts));
  const sweep = () => uprobes_invariant_sweep(w.u, { mms: w.mms, quiescent: s.quiescent ?? true });
  return {
    world: w,
    ...settle(
      k.m,
      toCompletion(k.m, () => s.build(w)),
      sweep,
    ),
  };
}

/** Run a bare-machine scenario once (its own checks are all there is to sweep). */
function runOnMachine(s: MachineScenario, opts: RunOptions): RunResult {
  const m = new Machine(machineOptions(s, opts, DEFAULT_COST_PROFILE));
  const rng = scenarioRng(opts);
  return settle(
    m,
    toCompletion(m, () => s.setup(m, rng)),
    () => {},
  );
}

/** Run any kind of scenario once, with lock-order checking (lockdep.ts) on every lock event. */
export function runAnyScenario(s: AnyScenario, opts: RunOptions): RunResult {
  const checked = { ...opts, observer: new Lockdep(opts.observer) };
  if ("host" in s) return s.host(machineOptions(s, checked, FAST_GP_PROFILE));
  return "setup" in s ? runOnMachine(s, checked) : runScenario(s, checked);
}

/** The machine shape of a scenario that runs on the bare machine (see onMachine). */
export interface MachineShape {
  cpus: number;
  /** Default 400: these scenarios run a few hundred steps. */
  pctSteps?: number;
  /** Default 3. */
  pctDepth?: number;
  /** Default 48. */
  traceSteps?: number;
  /**
   * Every variable its tasks share sits on a CacheLine (or is a wait queue), and no task
   * reads the scenario's PRNG after setup: a step's footprint (footprint.ts) is then all it
   * shares, and --exhaustive may skip schedules that only reorder commuting steps.
   */
  commuting?: boolean;
}

/**
 * A scenario that needs only the machine (a sync primitive, an mm structure): `setup` spawns
 * its tasks on the machine and may draw from the scenario's own PRNG. It runs with the
 * calibrated profile (no compressed grace periods) and no kernel around it.
 */
export function onMachine(shape: MachineShape, setup: (m: Machine, rng: Prng) => void): MachineScenario {
  return {
    cpus: shape.cpus,
    pctSteps: shape.pctSteps ?? 400,
    pctDepth: shape.pctDepth ?? 3,
    traceSteps: shape.traceSteps ?? 48,
    commuting: shape.commuting ?? false,
    setup,
  };
}
