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
import type { TraceableFunction } from "../sim/ftrace.js";
import type { Machine } from "../sim/machine.js";
import { ProbeRate } from "./probe-rate.js";
import type { ProbeState } from "./snapshot.js";

export type KernelProbeKind = "kprobe" | "kretprobe" | "fentry" | "fexit";

/** Fills the task fields of the context (pid, tid, comm) for whatever runs on the CPU now. */
export type FillTask = (ctx: HitContext) => void;

export class KernelProbe {
  state: ProbeState = "detached";
  error: string | undefined;
  readonly rate = new ProbeRate();
  /** The probe builtin's value: `kprobe:mmap_read_lock`. */
  readonly name: string;
  private readonly counts: Float64Array;
  private readonly kp: Kprobe | null;
  private readonly rp: Kretprobe | null;
  private readonly addr: number;

  constructor(
    readonly id: number,
    readonly scriptName: string,
    readonly kind: KernelProbeKind,
    readonly fn: TraceableFunction,
    private readonly compiled: CompiledProbe,
    private readonly kps: KprobesState,
    private readonly m: Machine,
    private readonly ctx: HitContext,
    private readonly fillTask: FillTask,
    private readonly onRun: () => void,
  ) {
    this.name = `${kind}:${fn.name}`;
    this.counts = new Float64Array(m.cpus.length);
    this.addr = kallsyms_lookup_name(fn.name);
    const onReturn = kind === "kretprobe" || kind === "fexit";
    this.kp = onReturn ? null : newKprobe(fn.name, this.entryHandler);
    this.rp = onReturn ? newKretprobe(fn.name, this.returnHandler) : null;
  }

  hits(): number {
    let s = 0;
    for (let i = 0; i < this.counts.length; i++) s += this.counts[i];
    return s;
  }

  attach(): void {
    if (this.state === "attached") return;
    if (this.kp !== null) register_kprobe(this.kps, this.kp);
    else register_kretprobe(this.kps, this.rp!);
    this.state = "attached";
  }

  detach(): void {
    if (this.state !== "attached") return;
    if (this.kp !== null) unregister_kprobe(this.kps, this.kp);
    else unregister_kretprobe(this.kps, this.rp!);
    this.state = "detached";
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
    const m = this.m;
    this.fillTask(ctx);
    ctx.cpu = m.cpu.id;
    ctx.nsecs = Math.floor(m.now());
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

  private run(): void {
    const m = this.m;
    this.counts[m.cpu.id]++;
    m.cpu.acc += m.profile.bpfProgram;
    this.compiled.run(this.ctx);
    this.onRun();
  }
}
