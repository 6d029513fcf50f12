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
} from "../compile/index.js";
import type { KernelConfig } from "../kernel/config.js";
import { Kernel } from "../kernel/kernel.js";
import { TaskStruct } from "../kernel/task.js";
import { uprobe_register, uprobe_unregister_all } from "../kernel/uprobes/register.js";
import { type Diagnostic, formatDiagnostics, frontEnd, type SourceFile } from "../lang/index.js";
import type { Workload } from "../process/load.js";
import { SimProcess } from "../process/process.js";
import { unwindUserStack } from "../process/user-stack.js";
import { JsonWriter, OutputRing, type Sink, TextWriter } from "../runtime/index.js";
import type { Sub } from "../sim/machine.js";
import { Prng } from "../sim/prng.js";
import { type ConcreteProbe, resolveAttachPoint } from "./resolve.js";
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
}

export class SessionError extends Error {}

export interface LoadedScript {
  name: string;
  src: SourceFile;
  compiled: CompiledScript;
  ring: OutputRing;
  writer: TextWriter | JsonWriter;
  probes: TraceProbe[];
  maxStrlen: number;
  printMapsOnExit: boolean;
}

const BPFTRACE_PID = 4242;

export class Session {
  readonly kernel: Kernel;
  readonly process: SimProcess | null;
  readonly scripts: LoadedScript[] = [];
  readonly probes: TraceProbe[] = [];
  readonly ctx: HitContext;
  exitCode = 0;
  stopped = false;
  /** A probe called exit(): the session stops at the next slice boundary. */
  stopRequested = false;
  private nextProbeId = 1;
  /** Simulated ns between output drains and exit checks. */
  readonly sliceNs: number;
  private readonly rng: Prng;

  constructor(readonly opts: SessionOptions) {
    this.kernel = new Kernel(
      { cpus: opts.cpus, seed: opts.seed, config: opts.config, faults: opts.faults },
      opts.kernelProfile,
    );
    this.process = opts.workload === null ? null : new SimProcess(this.kernel, opts.workload);
    if (!opts.attachBeforeStart) this.process?.start();
    this.sliceNs = opts.sliceNs ?? 10_000_000;
    this.rng = new Prng(opts.seed ^ 0x5eed);
    const proc = this.process;
    this.ctx = createHitContext({
      startNs: 0,
      memory: {
        readCString: (addr, max) => (proc === null ? null : proc.readCString(addr, max)),
        readBytes: (addr, len) => (proc === null ? null : proc.readBytes(addr, len)),
      },
      symbolize: (addr) => (proc === null ? null : proc.symbolize(addr)),
      symbolizeFrame: (addr, perf) => (proc === null ? null : proc.symbolizeFrame(addr, perf)),
      ustack: (limit) => {
        const task = this.m.task?.ctx;
        return unwindUserStack(task instanceof TaskStruct ? task.userStack : null, this.ctx.ip, limit);
      },
      rand: () => this.rng.nextU32(),
    });
  }

  get m() {
    return this.kernel.m;
  }

  /** Front end + compile + resolve; on any error the script is null and nothing is attached. */
  load(src: SourceFile, args: string[] = []): { script: LoadedScript | null; diagnostics: Diagnostic[] } {
    const fe = frontEnd(src, { args });
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
    const script: LoadedScript = {
      name: src.name,
      src,
      compiled,
      ring,
      writer,
      probes: [],
      maxStrlen: fe.program.config.maxStrlen,
      printMapsOnExit: fe.program.config.printMapsOnExit,
    };
    const diagnostics = [...fe.diagnostics];
    for (const probe of compiled.probes) {
      if (probe.kind !== "uprobe" && probe.kind !== "uretprobe") continue;
      for (const ap of probe.attachPoints) {
        if (this.opts.workload === null) {
          diagnostics.push({
            severity: "error",
            message: "uprobes need a workload (-w)",
            span: ap.span,
            hints: [],
          });
          continue;
        }
        const r = resolveAttachPoint(ap, this.opts.workload, fe.program.config.missingProbes);
        diagnostics.push(...r.diagnostics);
        for (const c of r.probes) script.probes.push(this.makeProbe(script, c, probe));
      }
    }
    if (diagnostics.some((d) => d.severity === "error")) return { script: null, diagnostics };
    this.scripts.push(script);
    this.probes.push(...script.probes);
    return { script, diagnostics };
  }

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
      () => {
        if (script.compiled.exitRequested() !== null) this.stopRequested = true;
      },
    );
  }

  /** Number of probes bpftrace would report in its attach banner. */
  attachCount(script: LoadedScript): number {
    let n = script.probes.length;
    for (const p of script.compiled.probes)
      if (p.kind !== "uprobe" && p.kind !== "uretprobe") n += p.attachPoints.length;
    return n;
  }

  /** begin probes, then a tracer task registering every uprobe (one batch). */
  start(script: LoadedScript): void {
    const ctx = this.ctx;
    ctx.pid = BPFTRACE_PID;
    ctx.tid = BPFTRACE_PID;
    ctx.comm = "bpftrace";
    ctx.cpu = 0;
    ctx.nsecs = 0;
    ctx.probe = "begin";
    script.compiled.runBegin(ctx);
    if (script.compiled.exitRequested() !== null) this.stopRequested = true;
    this.attach(script.probes);
    this.startIntervals(script);
  }

  /**
   * Register probes from a tracer task (registration sleeps on locks: it needs a task). The
   * process is started once the batch is in, which only matters when it is still waiting.
   */
  attach(probes: TraceProbe[]): void {
    const proc = this.process;
    if (proc === null) return;
    const u = this.kernel.u;
    const list = probes.filter((p) => p.state !== "attached");
    if (list.length === 0) {
      proc.start();
      return;
    }
    for (const p of list) p.state = "attached";
    const inodes = proc.inodes;
    this.m.spawn("bpftrace", function* (): Sub<void> {
      for (const p of list) {
        try {
          p.uprobe = yield* uprobe_register(u, inodes[p.concrete.binary.index], p.concrete.offset, p.uc);
        } catch (e) {
          p.state = "error";
          p.error = e instanceof Error ? e.message : String(e);
        }
      }
      proc.start();
    });
  }

  /** Detach with one batched unregister and one sync (per the kernel profile). */
  detach(probes: TraceProbe[]): void {
    const u = this.kernel.u;
    const list = probes.filter((p) => p.state === "attached" && p.uprobe !== null);
    for (const p of list) p.state = "detached";
    if (list.length === 0) return;
    this.m.spawn("bpftrace", function* (): Sub<void> {
      yield* uprobe_unregister_all(
        u,
        list.map((p) => p.registration()),
      );
    });
  }

  private startIntervals(script: LoadedScript): void {
    for (const probe of script.compiled.probes) {
      if (probe.kind !== "interval") continue;
      for (const ap of probe.attachPoints) {
        const period = ap.intervalNs ?? 1_000_000_000;
        const fire = (t: number) => {
          // After exit() the timer is not re-armed: user space is already tearing down.
          if (this.stopped || this.stopRequested) return;
          const ctx = this.ctx;
          ctx.cpu = 0;
          ctx.nsecs = Math.floor(t);
          ctx.pid = 0;
          ctx.tid = 0;
          ctx.comm = "swapper/0";
          ctx.probe = ap.canonical;
          probe.run(ctx);
          if (script.compiled.exitRequested() !== null) this.stopRequested = true;
          this.m.addTimer(t + period, () => fire(t + period));
        };
        this.m.addTimer(period, () => fire(period));
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
      if (this.stopRequested || this.process?.finished()) this.finish();
    }
  }

  /** True when nothing would ever happen: no uprobes and no interval probes. */
  isBeginEndOnly(): boolean {
    return this.scripts.every((s) => s.compiled.probes.every((p) => p.kind === "begin" || p.kind === "end"));
  }

  /** Drain every script's ring to its writer. */
  drain(): void {
    for (const s of this.scripts) s.ring.drain(s.writer);
  }

  /** end probes, then the exit dump; detach everything. */
  finish(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const s of this.scripts) {
      const exit = s.compiled.exitRequested();
      if (exit !== null) this.exitCode = exit.code;
      const ctx = this.ctx;
      ctx.pid = BPFTRACE_PID;
      ctx.tid = BPFTRACE_PID;
      ctx.comm = "bpftrace";
      ctx.probe = "end";
      ctx.nsecs = Math.floor(this.m.minClock());
      // What is queued up to an exit() is read first: end's own output comes after it.
      s.ring.drain(s.writer);
      s.compiled.runEnd(ctx);
      s.ring.drain(s.writer);
      s.writer.end(s.compiled.maps, s.printMapsOnExit);
    }
  }

  /** The formatted diagnostics of a load (coloured labels when `color`). */
  static format(diags: Diagnostic[], src: SourceFile, color = false): string {
    return formatDiagnostics(diags, src, { color });
  }
}
