/**
 * One concrete probe of a loaded script: the uprobe consumer that trace_uprobe would
 * register (kernel-model.md 1.10, 2.15), its hit counter, and its latency histogram.
 *
 * The handlers run on the per-hit path: they refill the session's one HitContext and call
 * the compiled probe. They allocate nothing and build no strings.
 */
import type { CompiledProbe, HitContext } from "../compile/index.js";
import {
  type BpfUprobeMultiLink,
  bpf_uprobe_consumer,
  type UprobeEntryProgram,
  type UprobeReturnProgram,
} from "../kernel/bpf/uprobe-multi.js";
import type { KernelConfig } from "../kernel/config.js";
import { current, parentComm } from "../kernel/task.js";
import {
  ConsumerState,
  type PtRegs,
  type Registration,
  type Uprobe,
  type UprobeConsumer,
} from "../kernel/uprobes/index.js";
import type { UsdtArgSpec } from "../process/schema.js";
import { histBucketCount, histIndex } from "../runtime/histogram.js";
import { CacheLine } from "../sim/cacheline.js";
import type { Machine } from "../sim/machine.js";
import { ProbeRate } from "./probe-rate.js";
import type { ConcreteProbe } from "./resolve.js";
import type { ProbeState } from "./snapshot.js";

/** The entry-to-return latencies go into a hist() bucket array (k = 0), so the view draws them as hist() prints. */
export const HIST_BUCKETS = histBucketCount(0);

export class TraceProbe {
  state: ProbeState = "detached";
  error: string | undefined;
  /** The live registration's handle; null while unregistered. */
  uprobe: Uprobe | null = null;
  /** The consumer of the live registration (a fresh one per register: a freed one is never reused). */
  uc: UprobeConsumer;
  /** trace_uprobe's nhit: one shared counter (and line) or per-CPU counters. */
  private readonly counts: Float64Array;
  private readonly lines: CacheLine[];
  private readonly shared: boolean;
  /** Entry-to-return latency (uretprobes), log2 buckets as hist() keeps them. */
  readonly latency = new Float64Array(HIST_BUCKETS);
  latencyCount = 0;
  latencyMax = 0;
  /** Rate sampling for the live view. */
  readonly rate = new ProbeRate();

  constructor(
    readonly id: number,
    readonly scriptName: string,
    readonly concrete: ConcreteProbe,
    readonly compiled: CompiledProbe,
    private readonly m: Machine,
    config: KernelConfig,
    private readonly ctx: HitContext,
    private readonly onRun: () => void,
    /** The script's uprobe_multi link: its consumers carry the link's pid filter. */
    private readonly link: BpfUprobeMultiLink,
  ) {
    this.shared = config.nhit === "shared";
    const n = this.shared ? 1 : m.cpus.length;
    this.counts = new Float64Array(n);
    this.lines = [];
    for (let i = 0; i < n; i++) this.lines.push(new CacheLine(`trace_uprobe(${concrete.name}).nhit[${i}]`));
    this.uc = this.newConsumer();
  }

  /** The consumer for the next registration: a fresh one once the last was used (a freed one is never reused). */
  consumerForRegister(): UprobeConsumer {
    if (this.uc.state !== ConsumerState.New) this.uc = this.newConsumer();
    return this.uc;
  }

  private newConsumer(): UprobeConsumer {
    const { m, link } = this;
    switch (this.concrete.kind) {
      case "uprobe":
        return bpf_uprobe_consumer(m, link, this.entryProgram, null);
      case "usdt":
        return bpf_uprobe_consumer(m, link, this.usdtProgram, null);
      case "uretprobe":
        // The entry half only stamps the time, for the live view's latency column.
        return bpf_uprobe_consumer(m, link, this.stampEntry, this.returnProgram);
    }
  }

  private readonly entryProgram: UprobeEntryProgram = (regs) => this.onEntry(regs);
  private readonly usdtProgram: UprobeEntryProgram = (regs) => this.onUsdt(regs);
  private readonly stampEntry: UprobeEntryProgram = (_regs, data) => {
    data.value = this.m.now();
    return 0;
  };
  private readonly returnProgram: UprobeReturnProgram = (func, regs, data) =>
    this.onReturn(regs, func, data.value as number);

  /** Total hits delivered (the uprobe_profile file's sum over CPUs). */
  hits(): number {
    let s = 0;
    for (let i = 0; i < this.counts.length; i++) s += this.counts[i];
    return s;
  }

  registration(): Registration {
    return { uprobe: this.uprobe!, uc: this.uc };
  }

  private countHit(): void {
    const m = this.m;
    const i = this.shared ? 0 : m.cpu.id;
    this.lines[i].write(m);
    this.counts[i]++;
    m.cpu.acc += m.profile.bpfProgram;
  }

  private onEntry(regs: PtRegs): number {
    this.countHit();
    this.fill(regs);
    this.compiled.run(this.ctx);
    this.onRun();
    return 0;
  }

  /** A USDT site: arg0..argN are its operands, read at the sizes its note gives. */
  private onUsdt(regs: PtRegs): number {
    this.countHit();
    this.fill(regs);
    const operands = current(this.m.task!).usdtOperands;
    const specs = this.concrete.note!.args;
    const args = this.ctx.args;
    for (let i = 0; i < args.length; i++)
      args[i] = i < specs.length ? operandValue(operands[i], specs[i]!) : 0;
    this.compiled.run(this.ctx);
    this.onRun();
    return 0;
  }

  /** `func` is the returning function's entry address (what the kernel puts in utask->vaddr). */
  private onReturn(regs: PtRegs, func: number, entryNs: number): number {
    this.countHit();
    const lat = this.m.now() - entryNs;
    this.latency[latencyBucket(lat)]++;
    this.latencyCount++;
    if (lat > this.latencyMax) this.latencyMax = lat;
    this.fill(regs);
    // At a return, ip is the trampoline's: `func` names the function that returned.
    this.ctx.funcAddr = func;
    this.ctx.retval = regs.ax;
    this.compiled.run(this.ctx);
    this.onRun();
    return 0;
  }

  private fill(regs: PtRegs): void {
    const ctx = this.ctx;
    const m = this.m;
    const t = current(m.task!);
    ctx.cpu = m.cpu.id;
    ctx.pid = t.pid;
    ctx.tid = t.tid;
    ctx.ppid = t.ppid;
    ctx.comm = t.comm;
    ctx.pcomm = parentComm(t);
    ctx.nsecs = Math.floor(m.now());
    const args = ctx.args;
    for (let i = 0; i < 6; i++) args[i] = regs.args[i];
    ctx.retval = 0;
    ctx.ip = regs.ip;
    ctx.sp = regs.sp;
    ctx.probe = this.concrete.name;
    ctx.func = this.concrete.func;
    ctx.funcAddr = regs.ip;
  }
}

/**
 * An operand as a u64 register holds it once read at its size: cut to `size` bytes, then
 * sign- or zero-extended (a negative u64 past 2^53 is a bigint).
 */
function operandValue(v: number, spec: UsdtArgSpec): number | bigint {
  const bits = spec.size * 8;
  if (v >= 0 && (bits === 64 || v < 2 ** (spec.signed ? bits - 1 : bits))) return v;
  const cut = spec.signed ? BigInt.asIntN(bits, BigInt(v)) : BigInt.asUintN(bits, BigInt(v));
  const u = BigInt.asUintN(64, cut);
  return u <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(u) : u;
}

/** The hist() bucket of a latency in simulated ns (whole ns, as nsecs counts them). */
export function latencyBucket(ns: number): number {
  return histIndex(Math.floor(ns), 0);
}
