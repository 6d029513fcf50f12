/**
 * One concrete kernel-function probe of a loaded script (kprobe, kretprobe, fentry, fexit):
 * the kprobe or kretprobe that bpftrace's kernel side would register, and its hit counter.
 * fentry and fexit ride on the same kprobes here (the model has no BPF trampolines); they
 * differ from kprobe/kretprobe in what the script sees: named, typed `args`.
 *
 * The handlers run inside the traced function's step: they refill the session's one
 * HitContext and call the compiled probe, allocating nothing.
 */
import type { CompiledProbe, HitContext } from "../compile/index.js";
import {
  type Kprobe,
  type KprobesState,
  type Kretprobe,
  type KretprobeInstance,
  kallsyms_lookup_name,
  newKprobe,
  newKretprobe,
  register_kprobe,
  register_kretprobe,
  unregister_kprobe,
  unregister_kretprobe,
} from "../kernel/kprobes/kprobes.js";
import type { RawTracepointArg, Tracepoint, TracepointState } from "../kernel/tracepoints.js";
import { taskStructAddress } from "../lang/kernel-structs.js";
import type { TraceableFunction } from "../sim/ftrace.js";
import type { Machine } from "../sim/machine.js";
import { ProbeRate } from "./probe-rate.js";
import type { ProbeState } from "./snapshot.js";

export type KernelProbeKind = "kprobe" | "kretprobe" | "fentry" | "fexit";

/** Fills the task fields of the context (pid, tid, comm) for whatever runs on the CPU now. */
export type FillTask = (ctx: HitContext) => void;

/** What kernel-side probes share: a probe row's state, per-CPU hit counts, the run of a hit. */
export abstract class KernelSideProbe {
  abstract readonly id: number;
  abstract readonly scriptName: string;
  /** The probe builtin's value, as the live view lists it. */
  abstract readonly name: string;
  state: ProbeState = "detached";
  error: string | undefined;
  readonly rate = new ProbeRate();
  private readonly counts: Float64Array;

  constructor(
    protected readonly compiled: CompiledProbe,
    protected readonly m: Machine,
    protected readonly ctx: HitContext,
    protected readonly fillTask: FillTask,
    private readonly onRun: () => void,
  ) {
    this.counts = new Float64Array(m.cpus.length);
  }

  hits(): number {
    let s = 0;
    for (let i = 0; i < this.counts.length; i++) s += this.counts[i];
    return s;
  }

  attach(): void {
    if (this.state === "attached") return;
    this.register();
    this.state = "attached";
  }

  detach(): void {
    if (this.state !== "attached") return;
    this.unregister();
    this.state = "detached";
  }

  protected abstract register(): void;
  protected abstract unregister(): void;

  /** The task fields, CPU and time of the hit. */
  protected fillCommon(): void {
    const ctx = this.ctx;
    const m = this.m;
    this.fillTask(ctx);
    ctx.cpu = m.cpu.id;
    ctx.nsecs = Math.floor(m.currentTime());
  }

  /** Count the hit, charge the BPF program, run the script's probe. */
  protected run(): void {
    const m = this.m;
    this.counts[m.cpu.id]++;
    m.cpu.acc += m.profile.bpfProgram;
    this.compiled.run(this.ctx);
    this.onRun();
  }
}

export class KernelProbe extends KernelSideProbe {
  /** The probe builtin's value: `kprobe:mmap_read_lock`. */
  readonly name: string;
  private readonly kp: Kprobe | null;
  private readonly rp: Kretprobe | null;
  private readonly addr: number;

  constructor(
    readonly id: number,
    readonly scriptName: string,
    readonly kind: KernelProbeKind,
    readonly fn: TraceableFunction,
    compiled: CompiledProbe,
    private readonly kps: KprobesState,
    m: Machine,
    ctx: HitContext,
    fillTask: FillTask,
    onRun: () => void,
  ) {
    super(compiled, m, ctx, fillTask, onRun);
    this.name = `${kind}:${fn.name}`;
    this.addr = kallsyms_lookup_name(fn.name);
    const onReturn = kind === "kretprobe" || kind === "fexit";
    this.kp = onReturn ? null : newKprobe(fn.name, this.entryHandler);
    this.rp = onReturn ? newKretprobe(fn.name, this.returnHandler) : null;
  }

  protected register(): void {
    if (this.kp !== null) register_kprobe(this.kps, this.kp);
    else register_kretprobe(this.kps, this.rp!);
  }

  protected unregister(): void {
    if (this.kp !== null) unregister_kprobe(this.kps, this.kp);
    else unregister_kretprobe(this.kps, this.rp!);
  }

  private readonly entryHandler = (_p: Kprobe, a0: number, a1: number): void => {
    this.fill(a0, a1);
    this.ctx.retval = 0;
    this.run();
  };

  private readonly returnHandler = (ri: KretprobeInstance, retval: number): void => {
    this.fill(ri.a0, ri.a1);
    this.ctx.retval = retval;
    this.run();
  };

  private fill(a0: number, a1: number): void {
    const ctx = this.ctx;
    this.fillCommon();
    const args = ctx.args;
    args[0] = a0;
    args[1] = a1;
    for (let i = 2; i < 6; i++) args[i] = 0;
    const fields = ctx.fields;
    fields[0] = a0;
    fields[1] = a1;
    ctx.ip = this.addr;
    ctx.probe = this.name;
    ctx.func = this.fn.name;
    ctx.funcAddr = this.addr;
  }
}

/**
 * One tracepoint of a loaded script: a handler registered on the kernel's tracepoint, which
 * copies the event's fields into the context (`args.NAME`) and runs the compiled probe. As a
 * raw tracepoint it gives the probe the event's TP_PROTO arguments instead (`arg0`..,
 * `args.NAME`), a task pointer being the address of that task's task_struct.
 */
export class TracepointProbe extends KernelSideProbe {
  /** `tracepoint:sched:sched_process_fork`, `rawtracepoint:vmlinux:sched_switch`. */
  readonly name: string;
  /** For each field of `args`, where this tracepoint's event has it. */
  private readonly fieldAt: Int32Array;
  /** Per CPU: events until the next run. */
  private readonly left: Int32Array;
  /** A raw tracepoint's arguments; null for a tracepoint. */
  private readonly proto: readonly RawTracepointArg[] | null;

  constructor(
    readonly id: number,
    readonly scriptName: string,
    name: string,
    readonly tp: Tracepoint,
    /** Run the program on every `every`-th event of a CPU (1: each; a software event's count). */
    private readonly every: number,
    /** The fields of `args` as the script sees them (those all the probe's tracepoints have); null for a raw tracepoint. */
    argNames: readonly string[] | null,
    compiled: CompiledProbe,
    private readonly tps: TracepointState,
    m: Machine,
    ctx: HitContext,
    fillTask: FillTask,
    onRun: () => void,
  ) {
    super(compiled, m, ctx, fillTask, onRun);
    this.name = name;
    this.left = new Int32Array(m.cpus.length).fill(every);
    this.proto = argNames === null ? tp.raw! : null;
    this.fieldAt = Int32Array.from(argNames ?? [], (name) => tp.fields.findIndex((f) => f.name === name));
  }

  protected register(): void {
    this.tps.register(this.tp, this.handler);
  }

  protected unregister(): void {
    this.tps.unregister(this.tp, this.handler);
  }

  private readonly handler = (_tp: Tracepoint, fields: readonly (number | string)[]): void => {
    const cpu = this.m.cpu.id;
    if (--this.left[cpu] > 0) return;
    this.left[cpu] = this.every;
    const ctx = this.ctx;
    this.fillCommon();
    const out = ctx.fields;
    if (this.proto !== null) this.fillRaw(this.proto, fields);
    const at = this.fieldAt;
    for (let i = 0; i < at.length; i++) out[i] = fields[at[i]];
    ctx.probe = this.name;
    this.run();
  };

  private fillRaw(proto: readonly RawTracepointArg[], fields: readonly (number | string)[]): void {
    const ctx = this.ctx;
    for (let i = 0; i < 6; i++) {
      const a = proto[i];
      const v = a === undefined ? 0 : rawValue(a, fields, ctx.tid);
      ctx.args[i] = v;
      ctx.fields[i] = v;
    }
  }
}

function rawValue(a: RawTracepointArg, fields: readonly (number | string)[], tid: number): number {
  const v = Number(fields[a.field]);
  if (a.kind === "int") return v;
  // An opaque pointer into the current task (pt_regs, linux_binprm): non-zero, as a real one is.
  if (a.kind === "current") return taskStructAddress(tid);
  return taskStructAddress(v);
}
