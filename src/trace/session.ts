/**
 * A tracing session: the one place where the language and the kernel model meet. It loads
 * scripts (front end + compiler), resolves their probes against the simulated process,
 * attaches them as uprobe consumers with one batched register, detaches them with a batched
 * unregister and one sync, runs the simulation in slices and drains the scripts' output.
 *
 * exit(): the probe that calls it stops at once; the session acts on it at the next slice
 * boundary (every `sliceNs` of simulated time), as bpftrace's user space reads the exit event
 * asynchronously, so hits on other CPUs until then still count; their output after the exit
 * event is dropped (OutputRing.drain).
 */
import {
  type CompiledScript,
  CompileError,
  compileErrorDiagnostic,
  compileProgram,
  createHitContext,
  type HitContext,
  type KernelSymbols,
} from "../compile/index.js";
import { type BpfUprobeMultiLink, bpf_uprobe_multi_link } from "../kernel/bpf/uprobe-multi.js";
import type { KernelConfig } from "../kernel/config.js";
import { Kernel, type KernelOptions } from "../kernel/kernel.js";
import {
  kallsyms_lookup,
  kallsyms_lookup_name,
  kallsyms_name,
  kernel_stack,
} from "../kernel/kprobes/kprobes.js";
import { IDLE_COMM, INIT_COMM, parentComm, TaskStruct } from "../kernel/task.js";
import { syscallNames, TP_SCHED_SWITCH, type Tracepoint, tracepoints } from "../kernel/tracepoints.js";
import { type Registration, uprobe_register, uprobe_unregister_all } from "../kernel/uprobes/register.js";
import {
  type ConfigEntry,
  type Diagnostic,
  formatDiagnostics,
  frontEnd,
  type IncludeOptions,
  isKernelFunctionProvider,
  type SourceFile,
} from "../lang/index.js";
import type { Workload } from "../process/load.js";
import { SimProcess } from "../process/process.js";
import { unwindUserStack } from "../process/user-stack.js";
import { JsonWriter, OutputRing, type Sink, TextWriter } from "../runtime/index.js";
import type { TraceableFunction } from "../sim/ftrace.js";
import type { Sub, Task } from "../sim/machine.js";
import { Prng } from "../sim/prng.js";
import { type CpuSampler, IntervalProbe } from "./interval-probe.js";
import { KernelProbe, type KernelProbeKind, TracepointProbe } from "./kernel-probe.js";
import {
  probeArgFields,
  resolveKernelFunctions,
  resolveRawTracepoints,
  resolveTracepoints,
  tracepointArgNames,
} from "./kernel-targets.js";
import { readPercpu } from "./percpu-image.js";
import {
  type ConcreteProbe,
  resolveAttachPoint,
  resolveUsdtAttachPoint,
  resolveUserSymbol,
} from "./resolve.js";
import { type TaskLookup, withTaskStructs } from "./task-image.js";
import { TraceProbe } from "./trace-probe.js";

export interface SessionOptions {
  workload: Workload | null;
  cpus: number;
  seed: number;
  kernelProfile: string;
  config: KernelConfig;
  format: "text" | "json";
  out: Sink;
  err: Sink;
  quiet?: boolean;
  faults?: readonly string[];
  /** Simulated ns between output drains and exit checks. */
  sliceNs?: number;
  /**
   * bpftrace's `-c CMD` contract (what `run` wants): the process execs only once the first
   * script's probes are all registered. Otherwise (`top`, benches) it starts at once and
   * probes attach to it while it runs.
   */
  attachBeforeStart?: boolean;
  /** `--probe-filter`: only the probes whose names match attach (begin and end always do). */
  probeFilter?: RegExp;
  /**
   * `-p PID` (the workload's process): user probes attach through a uprobe_multi link with a
   * pid filter, so the process's forked children, which inherit its breakpoints, run nothing.
   */
  pid?: number;
  /** Config entries from BPFTRACE_* environment variables: they win over a script's config block. */
  envConfig?: readonly ConfigEntry[];
  /** `--no-warnings`: warnf() and runtime warnings print nothing. */
  noWarnings?: boolean;
  /** `--unsafe`: system() is allowed. */
  unsafe?: boolean;
  /** `-k`: a map lookup of a missing key warns (bpftrace's helper error check). */
  helperErrors?: boolean;
  /** `-I` / `--include`: where the script's `#include` lines find headers beyond the shipped ones. */
  includes?: IncludeOptions;
  /** Exploration (probelab race -w): the schedule policy, step observer and chooser of the machine. */
  explore?: Pick<
    KernelOptions,
    "policy" | "traceSteps" | "profile" | "pctDepth" | "pctSteps" | "observer" | "chooser"
  >;
}

export class SessionError extends Error {}

export interface LoadedScript {
  name: string;
  src: SourceFile;
  compiled: CompiledScript;
  ring: OutputRing;
  writer: TextWriter | JsonWriter;
  probes: TraceProbe[];
  intervals: IntervalProbe[];
  /** Probes on the model's kernel: kprobes, kretprobes, fentry, fexit and tracepoints. */
  kprobes: (KernelProbe | TracepointProbe)[];
  maxStrlen: number;
  printMapsOnExit: boolean;
  /**
   * exit() in this script stops the whole session (a `run` script, top's own script). When
   * false (a one-liner attached in top) it ends only this script: its probes detach, its
   * end blocks run and its maps are printed, and the session goes on.
   */
  exitEndsSession: boolean;
  /** The script has ended on its own (exit() with exitEndsSession false, or forget()). */
  ended: boolean;
}

const BPFTRACE_PID = 4242;
/** ksym() and kaddr() read the model's kallsyms. */
const KALLSYMS: KernelSymbols = { addressOf: kallsyms_lookup_name, symbolAt: kallsyms_lookup };
/** bpftrace and the traced process were started from init's session, in the model. */
const INIT_PID = 1;

export class Session {
  readonly kernel: Kernel;
  readonly process: SimProcess | null;
  /** The user probes' uprobe_multi link (one serves every script: its only state is the pid filter). */
  private readonly uprobeLink: BpfUprobeMultiLink;
  readonly scripts: LoadedScript[] = [];
  readonly probes: TraceProbe[] = [];
  readonly intervals: IntervalProbe[] = [];
  readonly kprobes: (KernelProbe | TracepointProbe)[] = [];
  readonly ctx: HitContext;
  exitCode = 0;
  stopped = false;
  /** A probe called exit(): the session stops at the next slice boundary. */
  stopRequested = false;
  /** A script whose exit() ends only itself called it: it ends at the next slice boundary. */
  private scriptEndRequested = false;
  private nextProbeId = 1;
  /** Simulated ns between output drains and exit checks. */
  readonly sliceNs: number;
  private readonly rng: Prng;

  constructor(readonly opts: SessionOptions) {
    this.kernel = new Kernel(
      { ...opts.explore, cpus: opts.cpus, seed: opts.seed, config: opts.config, faults: opts.faults },
      opts.kernelProfile,
    );
    this.process = opts.workload === null ? null : new SimProcess(this.kernel, opts.workload);
    if (!opts.attachBeforeStart) this.process?.start();
    const target = opts.pid !== undefined && opts.pid === this.process?.pid ? this.process : null;
    this.uprobeLink = bpf_uprobe_multi_link(target);
    this.sliceNs = opts.sliceNs ?? 10_000_000;
    this.rng = new Prng(opts.seed ^ 0x5eed);
    const proc = this.process;
    this.ctx = createHitContext({
      startNs: 0,
      memory: withTaskStructs(
        this.taskFacts,
        this.kernel.kmem,
        {
          readCString: (addr, max) => (proc === null ? null : proc.readCString(addr, max)),
          readBytes: (addr, len) => (proc === null ? null : proc.readBytes(addr, len)),
        },
        (addr, len) => readPercpu(this.kernel, addr, len),
      ),
      symbolize: (addr) => (proc === null ? null : proc.symbolize(addr)),
      symbolizeFrame: (addr, style) => {
        const kernel = kallsyms_name(addr);
        if (kernel !== null) {
          if (style === "build_id") return null; // vmlinux is no file of the process
          return style === "perf" ? `${kernel}+0 ([kernel.kallsyms])` : `${kernel}+0`;
        }
        return proc === null ? null : proc.symbolizeFrame(addr, style);
      },
      kstack: (limit) => kernel_stack(this.m.ftrace.framesOf(this.stackTask), limit),
      ustack: (limit) => {
        // A sampled CPU that runs no user code (idle, a kernel task) has no user stack.
        if (this.sampling && this.ctx.ip === 0) return [];
        const task = (this.sampling ? this.stackTask : this.m.task)?.ctx;
        return unwindUserStack(task instanceof TaskStruct ? task.userStack : null, this.ctx.ip, limit);
      },
      rand: () => this.rng.nextU32(),
    });
  }

  get m() {
    return this.kernel.m;
  }

  /**
   * What `curtask` shows of a task: the traced process's threads (their real_parent is the
   * one `ppid` names: init for the workload's process, the forking task for a child),
   * bpftrace itself (a child of init), init, and the idle task.
   */
  private readonly taskFacts: TaskLookup = (tid) => {
    const fs = this.kernel.ns.init_fs();
    if (tid === BPFTRACE_PID) return { tid, tgid: tid, comm: "bpftrace", parent: 1, fs };
    if (tid === 1) return { tid, tgid: 1, comm: INIT_COMM, parent: 0, fs };
    if (tid === 0) return { tid, tgid: 0, comm: IDLE_COMM, parent: 0, fs };
    // The exec loader runs as the process before its threads exist.
    const running = this.m.task?.ctx;
    const t =
      this.process?.threads.find((th) => th.tid === tid) ??
      (running instanceof TaskStruct && running.tid === tid ? running : undefined);
    return t === undefined ? null : { tid, tgid: t.pid, comm: t.comm, parent: t.ppid, fs: t.fs };
  };

  /** Front end + compile + resolve; on any error the script is null and nothing is attached. */
  load(src: SourceFile, args: string[] = []): { script: LoadedScript | null; diagnostics: Diagnostic[] } {
    const fe = frontEnd(src, {
      args,
      probeFilter: this.opts.probeFilter,
      envConfig: this.opts.envConfig,
      probeArgs: probeArgFields,
      unsafe: this.opts.unsafe,
      includes: this.opts.includes,
      userSymbol: (ap, name) => {
        const w = this.opts.workload;
        return w === null ? `uaddr("${name}") needs a workload (-w)` : resolveUserSymbol(ap, w, name);
      },
    });
    if (fe.program === null) return { script: null, diagnostics: fe.diagnostics };
    const ring = new OutputRing(1 << 16);
    let compiled: CompiledScript;
    try {
      compiled = compileProgram(fe.program, {
        ncpus: this.opts.cpus,
        output: ring,
        source: src,
        args,
        format: this.opts.format,
        syscallNames: syscallNames(),
        kernelSymbols: KALLSYMS,
        helperErrors: this.opts.helperErrors,
      });
    } catch (err) {
      // A construct the front end accepts but the compiler cannot run: a diagnostic, not a crash.
      if (!(err instanceof CompileError)) throw err;
      return { script: null, diagnostics: [...fe.diagnostics, compileErrorDiagnostic(err)] };
    }
    const writer =
      this.opts.format === "json"
        ? new JsonWriter(this.opts.out, this.opts.err)
        : new TextWriter(this.opts.out, this.opts.err);
    writer.warnings = !this.opts.noWarnings;
    const script: LoadedScript = {
      name: src.name,
      src,
      compiled,
      ring,
      writer,
      probes: [],
      intervals: [],
      kprobes: [],
      maxStrlen: fe.program.config.maxStrlen,
      printMapsOnExit: fe.program.config.printMapsOnExit,
      exitEndsSession: true,
      ended: false,
    };
    const diagnostics = [...fe.diagnostics];
    const resolved: { c: ConcreteProbe; probe: CompiledScript["probes"][number] }[] = [];
    const kernel: { fn: TraceableFunction; probe: CompiledScript["probes"][number] }[] = [];
    const events: TracepointEvent[] = [];
    let others = 0;
    for (const probe of compiled.probes) {
      if (isKernelFunctionProvider(probe.kind)) {
        for (const ap of probe.attachPoints) {
          if (this.needsWorkload(ap, diagnostics)) continue;
          const r = resolveKernelFunctions(ap, fe.program.config.missingProbes);
          diagnostics.push(...r.diagnostics);
          for (const fn of r.functions) kernel.push({ fn, probe });
        }
        continue;
      }
      if (probe.kind === "tracepoint") {
        for (const ap of probe.attachPoints) {
          if (this.needsWorkload(ap, diagnostics)) continue;
          const r = resolveTracepoints(ap, fe.program.config.missingProbes);
          diagnostics.push(...r.diagnostics);
          for (const tp of r.tracepoints) events.push({ tp, probe, every: 1, name: tracepointName(tp) });
        }
        continue;
      }
      if (probe.kind === "rawtracepoint") {
        for (const ap of probe.attachPoints) {
          if (this.needsWorkload(ap, diagnostics)) continue;
          const r = resolveRawTracepoints(ap, fe.program.config.missingProbes);
          diagnostics.push(...r.diagnostics);
          for (const tp of r.tracepoints)
            events.push({ tp, probe, every: 1, name: `rawtracepoint:vmlinux:${tp.name}`, raw: true });
        }
        continue;
      }
      if (probe.kind === "software") {
        for (const ap of probe.attachPoints) {
          if (ap.target === "cpu-clock") others++;
          else if (ap.target === "context-switches" && !this.needsWorkload(ap, diagnostics))
            events.push({ tp: SCHED_SWITCH, probe, every: Number(ap.func), name: ap.canonical });
          else if (ap.target !== "context-switches") diagnostics.push(uncountedEvent(ap));
        }
        continue;
      }
      if (probe.kind !== "uprobe" && probe.kind !== "uretprobe" && probe.kind !== "usdt") {
        others += probe.attachPoints.length;
        continue;
      }
      for (const ap of probe.attachPoints) {
        const w = this.opts.workload;
        if (w === null) {
          this.needsWorkload(ap, diagnostics);
          continue;
        }
        const missing = fe.program.config.missingProbes;
        const r =
          ap.provider === "usdt"
            ? resolveUsdtAttachPoint(ap, w, missing)
            : resolveAttachPoint(ap, w, missing);
        diagnostics.push(...r.diagnostics);
        for (const c of r.probes) resolved.push({ c, probe });
      }
    }
    const total = resolved.length + kernel.length + events.length + others;
    const maxProbes = fe.program.config.maxProbes;
    if (total > maxProbes) {
      diagnostics.push({
        severity: "error",
        message: `can't attach ${total} probes: more than the max_probes limit of ${maxProbes} (raise it with config = { max_probes = N })`,
        span: compiled.probes[0]!.attachPoints[0]!.span,
        hints: [],
      });
    }
    if (diagnostics.some((d) => d.severity === "error")) return { script: null, diagnostics };
    for (const { c, probe } of resolved) script.probes.push(this.makeProbe(script, c, probe));
    for (const { fn, probe } of kernel) script.kprobes.push(this.makeKernelProbe(script, fn, probe));
    for (const e of events) script.kprobes.push(this.makeTracepointProbe(script, e));
    for (const probe of compiled.probes) {
      if (probe.kind !== "interval" && probe.kind !== "profile" && probe.kind !== "software") continue;
      for (const ap of probe.attachPoints)
        if (probe.kind !== "software" || ap.target === "cpu-clock")
          script.intervals.push(this.makeInterval(script, probe, ap));
    }
    this.scripts.push(script);
    this.probes.push(...script.probes);
    this.intervals.push(...script.intervals);
    this.kprobes.push(...script.kprobes);
    return { script, diagnostics };
  }

  /** Every probe but begin, end and interval runs on the process: without one it is an error. */
  private needsWorkload(
    ap: CompiledScript["probes"][number]["attachPoints"][number],
    out: Diagnostic[],
  ): boolean {
    if (this.opts.workload !== null) return false;
    out.push({
      severity: "error",
      message: `${ap.provider === "uretprobe" ? "uprobe" : ap.provider}s need a workload (-w)`,
      span: ap.span,
      hints: [],
    });
    return true;
  }

  private makeKernelProbe(
    script: LoadedScript,
    fn: TraceableFunction,
    compiled: CompiledScript["probes"][number],
  ): KernelProbe {
    return new KernelProbe(
      this.nextProbeId++,
      script.name,
      compiled.kind as KernelProbeKind,
      fn,
      compiled,
      this.kernel.kprobes,
      this.m,
      this.ctx,
      this.fillTask,
      () => this.noteExit(script),
    );
  }

  private makeTracepointProbe(script: LoadedScript, e: TracepointEvent): TracepointProbe {
    const { kernel, m, ctx, fillTask } = this;
    return new TracepointProbe(
      this.nextProbeId++,
      script.name,
      e.name,
      e.tp,
      e.every,
      e.raw === true ? null : tracepointArgNames(e.probe.attachPoints),
      e.probe,
      kernel.tracepoints,
      m,
      ctx,
      fillTask,
      () => this.noteExit(script),
    );
  }

  /** The task whose kernel frames `kstack` reads: the one the hit (or the sample) is about. */
  private stackTask: Task | null = null;
  /** During a profile sample: `ustack` reads the sampled CPU's task (stackTask), not the current one. */
  private sampling = false;

  /** pid, tid and comm of the task on the CPU now: a workload thread, or a kernel-side task. */
  private readonly fillTask = (ctx: HitContext): void => {
    const m = this.m;
    this.stackTask = m.task;
    fillFromTask(ctx, m.task, m.task === null ? 0 : m.cpu.id);
  };

  /**
   * A profile sample: what CPU `cpu` is running (its idle task when nothing). Its user stack
   * is the task's call nesting, innermost function first: that is where its CPU is.
   */
  private readonly sampler: CpuSampler = {
    fill: (ctx, cpu) => {
      const task = this.m.cpus[cpu].current;
      this.stackTask = task;
      this.sampling = true;
      fillFromTask(ctx, task, cpu);
      const t = task?.ctx;
      const stack = t instanceof TaskStruct ? t.userStack : null;
      ctx.ip = stack !== null && stack.depth > 0 ? stack.fns[stack.depth - 1] : 0;
    },
    done: () => {
      this.sampling = false;
    },
  };

  private makeProbe(
    script: LoadedScript,
    c: ConcreteProbe,
    compiled: CompiledScript["probes"][number],
  ): TraceProbe {
    return new TraceProbe(
      this.nextProbeId++,
      script.name,
      c,
      compiled,
      this.m,
      this.opts.config,
      this.ctx,
      () => this.noteExit(script),
      this.uprobeLink,
    );
  }

  private makeInterval(
    script: LoadedScript,
    compiled: CompiledScript["probes"][number],
    ap: CompiledScript["probes"][number]["attachPoints"][number],
  ): IntervalProbe {
    return new IntervalProbe(
      this.nextProbeId++,
      script.name,
      ap.canonical,
      ap.intervalNs ?? 1_000_000_000,
      compiled,
      this.m,
      this.ctx,
      // After exit() the timer is not re-armed: user space is already tearing down.
      () => !this.stopped && !this.stopRequested && !script.ended && script.compiled.exitRequested() === null,
      () => this.noteExit(script),
      compiled.kind === "interval" ? null : this.sampler,
    );
  }

  /** After a probe ran: did it call exit()? */
  private noteExit(script: LoadedScript): void {
    if (script.compiled.exitRequested() === null) return;
    if (script.exitEndsSession) this.stopRequested = true;
    else this.scriptEndRequested = true;
  }

  /** Number of probes bpftrace would report in its attach banner. */
  attachCount(script: LoadedScript): number {
    // A usdt probe inlined in several places is one probe to bpftrace, however many sites.
    const usdtSites = script.probes.filter((p) => p.concrete.kind === "usdt");
    // Two blocks naming the same site are two probes.
    const block = (p: TraceProbe) => script.compiled.probes.indexOf(p.compiled);
    const usdtProbes = new Set(usdtSites.map((p) => `${block(p)}:${p.concrete.name}`));
    let n = script.probes.length - usdtSites.length + usdtProbes.size;
    n += script.kprobes.length;
    for (const p of script.compiled.probes)
      if (
        p.kind !== "uprobe" &&
        p.kind !== "uretprobe" &&
        p.kind !== "usdt" &&
        p.kind !== "tracepoint" &&
        p.kind !== "rawtracepoint" &&
        p.kind !== "software" &&
        !isKernelFunctionProvider(p.kind)
      )
        n += p.attachPoints.length;
    // software:cpu-clock is a timer (the rest of software are in kprobes, as context-switches).
    for (const p of script.compiled.probes)
      if (p.kind === "software") n += p.attachPoints.filter((ap) => ap.target === "cpu-clock").length;
    return n;
  }

  /** begin probes, then a tracer task registering every uprobe (one batch). */
  start(script: LoadedScript): void {
    const ctx = this.ctx;
    ctx.pid = BPFTRACE_PID;
    ctx.tid = BPFTRACE_PID;
    ctx.ppid = INIT_PID;
    ctx.comm = "bpftrace";
    ctx.pcomm = INIT_COMM;
    ctx.cpu = 0;
    ctx.nsecs = 0;
    ctx.probe = "begin";
    script.compiled.runBegin(ctx);
    this.noteExit(script);
    // Kernel probes go in before the process starts (registration does not sleep here). Like
    // bpftrace, attach those the kernel runs oldest first in script order and those it runs
    // newest first in reverse, so blocks on one point run in the order written.
    for (const k of script.kprobes) if (!runsNewestFirst(k)) this.attachKernelProbe(k);
    for (const k of [...script.kprobes].reverse()) if (runsNewestFirst(k)) this.attachKernelProbe(k);
    // kstack needs every task's kernel call path kept: on only for scripts that name it (a
    // textual test, so a false positive costs host time, never simulated time or output).
    if (/\bkstack\b/.test(script.src.text) && (script.kprobes.length > 0 || script.intervals.length > 0))
      this.m.ftrace.setFrames(true);
    // The kernel runs a uprobe's consumers newest first (consumer_add inserts at the head), so
    // bpftrace attaches user probes last block first, and blocks on one point run as written.
    this.attach([...script.probes].reverse());
    for (const iv of script.intervals) iv.attach(this.simNow);
  }

  /**
   * Request that probes be attached. Requests are queued and applied in order by one tracer
   * task (registration sleeps on locks: it needs a task), so any sequence of attach and
   * detach calls ends in the state last asked for, and a probe is never registered or
   * unregistered twice, whatever the simulation has run in between.
   */
  attach(probes: readonly TraceProbe[]): void {
    for (const p of probes) if (p.state === "detached") this.request(p, "attached");
    this.applyRequests();
  }

  /** Request that probes be detached: one batched unregister and one sync (per the kernel profile). */
  detach(probes: readonly TraceProbe[]): void {
    for (const p of probes) if (p.state === "attached") this.request(p, "detached");
    this.applyRequests();
  }

  /** Probes whose requested state may differ from their registration, oldest request first. */
  private readonly requests = new Set<TraceProbe>();
  /** The tracer task applying `requests` is alive. */
  private tracerBusy = false;

  private request(p: TraceProbe, state: "attached" | "detached"): void {
    p.state = state;
    this.requests.delete(p);
    this.requests.add(p);
  }

  /** Start the tracer task unless it is already running (it then picks the new requests up). */
  private applyRequests(): void {
    const proc = this.process;
    if (this.tracerBusy || proc === null) return;
    if (this.requests.size === 0) {
      proc.start(); // nothing to register: the process need not wait
      return;
    }
    this.tracerBusy = true;
    const session = this;
    this.m.spawn("bpftrace", function* (): Sub<void> {
      try {
        while (session.requests.size > 0) yield* session.applyBatch();
      } finally {
        session.tracerBusy = false;
      }
      proc.start();
    });
  }

  /** Take every queued request: unregister what is no longer wanted, then register what is. */
  private *applyBatch(): Sub<void> {
    const u = this.kernel.u;
    const inodes = this.process!.inodes;
    const batch = [...this.requests];
    this.requests.clear();
    const gone: Registration[] = [];
    for (const p of batch) {
      if (p.state === "attached" || p.uprobe === null) continue;
      gone.push(p.registration());
      p.uprobe = null;
    }
    if (gone.length > 0) yield* uprobe_unregister_all(u, gone);
    for (const p of batch) {
      if (p.state !== "attached" || p.uprobe !== null) continue;
      try {
        const uc = p.consumerForRegister();
        // A usdt site with a semaphore registers with its ref_ctr_offset, so the kernel bumps it.
        const refCtr =
          p.concrete.note === undefined || p.concrete.note.semaphore < 0 ? 0 : p.concrete.note.semaphore;
        p.uprobe = yield* uprobe_register(u, inodes[p.concrete.binary.index], p.concrete.offset, uc, refCtr);
      } catch (e) {
        p.state = "error";
        p.error = e instanceof Error ? e.message : String(e);
      }
    }
  }

  /** Simulated time the session has advanced to. */
  simNow = 0;

  /** Advance simulated time to `until`, draining output and checking for exit at each slice. */
  runUntil(until: number): void {
    while (!this.stopped && this.simNow < until) {
      const next = Math.min(until, this.simNow + this.sliceNs);
      this.m.runUntil(next);
      this.simNow = next;
      this.drain();
      if (this.scriptEndRequested) this.endExitedScripts();
      if (this.stopRequested || this.process?.finished()) this.finish();
    }
  }

  private endExitedScripts(): void {
    this.scriptEndRequested = false;
    for (const s of this.scripts) if (!s.ended && s.compiled.exitRequested() !== null) this.endScript(s);
  }

  /**
   * End one script while the session goes on: detach its probes, run its end blocks, print
   * its maps. It stays listed (its rows say detached) until forget() drops it.
   */
  endScript(script: LoadedScript): void {
    if (script.ended) return;
    script.ended = true;
    this.detach(script.probes);
    for (const iv of script.intervals) iv.detach();
    for (const k of script.kprobes) k.detach();
    this.runEnd(script);
  }

  /** True once nothing of the script is registered or waiting to be, so forget() may drop it. */
  isQuiescent(script: LoadedScript): boolean {
    return (
      script.probes.every((p) => p.state !== "attached" && p.uprobe === null && !this.requests.has(p)) &&
      script.kprobes.every((p) => p.state !== "attached")
    );
  }

  /**
   * Drop an ended, quiescent script and everything it holds (maps, ring, probe rows), so a
   * long session that attaches and detaches many one-liners keeps flat memory.
   */
  forget(script: LoadedScript): void {
    if (!script.ended || !this.isQuiescent(script))
      throw new SessionError(`${script.name} is still attached`);
    removeAll(this.scripts, [script]);
    removeAll(this.probes, script.probes);
    removeAll(this.intervals, script.intervals);
    removeAll(this.kprobes, script.kprobes);
    script.ring.release();
  }

  /** True when nothing would ever happen: no uprobes and no interval probes. */
  isBeginEndOnly(): boolean {
    return this.scripts.every((s) => s.compiled.probes.every((p) => p.kind === "begin" || p.kind === "end"));
  }

  /** Drain every script's ring to its writer. */
  drain(): void {
    for (const s of this.scripts) s.ring.drain(s.writer);
  }

  private attachKernelProbe(k: KernelProbe | TracepointProbe): void {
    try {
      k.attach();
    } catch (e) {
      k.state = "error";
      k.error = e instanceof Error ? e.message : String(e);
    }
  }

  /** end probes, then the exit dump; detach everything. */
  finish(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const k of this.kprobes) k.detach();
    for (const s of this.scripts) {
      if (s.ended) continue;
      const exit = s.compiled.exitRequested();
      if (exit !== null && s.exitEndsSession) this.exitCode = exit.code;
      this.runEnd(s);
    }
  }

  /** end blocks, then the exit dump of one script. */
  private runEnd(s: LoadedScript): void {
    const ctx = this.ctx;
    ctx.pid = BPFTRACE_PID;
    ctx.tid = BPFTRACE_PID;
    ctx.ppid = INIT_PID;
    ctx.comm = "bpftrace";
    ctx.pcomm = INIT_COMM;
    ctx.probe = "end";
    ctx.nsecs = Math.floor(this.m.minClock());
    // What is queued up to an exit() is read first: end's own output comes after it.
    s.ring.drain(s.writer);
    s.compiled.runEnd(ctx);
    s.ring.drain(s.writer);
    s.writer.end(s.compiled.maps, s.printMapsOnExit);
  }

  /** The formatted diagnostics of a load (coloured labels when `color`). */
  static format(diags: Diagnostic[], src: SourceFile, color = false): string {
    return formatDiagnostics(diags, src, { color });
  }
}

function fillFromTask(ctx: HitContext, task: Task | null, cpu: number): void {
  const t = task === null ? null : task.ctx;
  if (t instanceof TaskStruct) {
    ctx.pid = t.pid;
    ctx.tid = t.tid;
    ctx.ppid = t.ppid;
    ctx.comm = t.comm;
    ctx.pcomm = parentComm(t);
    return;
  }
  // The tracer's own task (registration) is bpftrace; other model tasks are kernel threads.
  const own = task !== null && task.name === "bpftrace";
  ctx.pid = own ? BPFTRACE_PID : 0;
  ctx.tid = own ? BPFTRACE_PID : 0;
  ctx.ppid = own ? INIT_PID : 0;
  ctx.comm = task === null ? `swapper/${cpu}` : task.name;
  // Kernel threads are children of the idle task in the model (ppid 0).
  ctx.pcomm = own ? INIT_COMM : IDLE_COMM;
}

/**
 * A probe on a kernel event: a tracepoint (each event), or a software event counted on one
 * (context-switches: every `every`-th sched_switch on a CPU).
 */
interface TracepointEvent {
  tp: Tracepoint;
  probe: CompiledScript["probes"][number];
  every: number;
  /** The probe builtin's value: `tracepoint:sched:sched_switch`, `software:context-switches:1000`. */
  name: string;
  /** A raw tracepoint: the probe sees the event's TP_PROTO arguments. */
  raw?: boolean;
}

const SCHED_SWITCH = tracepoints()[TP_SCHED_SWITCH]!;

function tracepointName(tp: Tracepoint): string {
  return `tracepoint:${tp.category}:${tp.name}`;
}

/** A software event the model has no counter for. */
function uncountedEvent(ap: CompiledScript["probes"][number]["attachPoints"][number]): Diagnostic {
  return {
    severity: "error",
    message: `software:${ap.target} is not supported by probelab: the model's kernel counts only the cpu-clock and context-switches software events`,
    span: ap.span,
    hints: [],
  };
}

function removeAll<T>(list: T[], gone: readonly T[]): void {
  const drop = new Set(gone);
  let w = 0;
  for (const x of list) if (!drop.has(x)) list[w++] = x;
  list.length = w;
}

/**
 * Whether the model runs this probe's handlers newest attached first at a shared point: a
 * kprobe's and an fentry's (add_new_kprobe links at the head). A kretprobe's run oldest first
 * (the newest entry handler runs first, so its return instance is the one walked last), as a
 * tracepoint's do. fexit runs on a BPF trampoline in the kernel, newest link first, and
 * bpftrace attaches it in reverse; here it rides on a kretprobe, so it is attached in order.
 */
function runsNewestFirst(k: KernelProbe | TracepointProbe): boolean {
  return k instanceof KernelProbe && (k.kind === "kprobe" || k.kind === "fentry");
}
