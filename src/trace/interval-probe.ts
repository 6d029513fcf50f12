/**
 * One interval or profile probe of a loaded script: a timer that re-arms itself every period
 * while it is attached. An interval probe fires once per period (on CPU 0, as bpftrace's
 * timer does); a profile probe samples every CPU each period and sees the task each one
 * was running. It is a probe row like a uprobe (an id, a state, a fire count), so the live
 * view can show and detach it. Re-attaching arms a new timer; the generation number lets
 * a timer armed before a detach see that it is stale and stop.
 */
import type { CompiledProbe, HitContext } from "../compile/index.js";
import type { Machine } from "../sim/machine.js";

/** A profile probe's view of the CPUs: what each is running when the sample is taken. */
export interface CpuSampler {
  /** Fill the context with what CPU `cpu` is running. */
  fill(ctx: HitContext, cpu: number): void;
  /** The sample of every CPU has been taken. */
  done(): void;
}

import { IDLE_COMM } from "../kernel/task.js";
import { ProbeRate } from "./probe-rate.js";
import type { ProbeState } from "./snapshot.js";

export class IntervalProbe {
  state: ProbeState = "detached";
  readonly error: string | undefined = undefined;
  private fired = 0;
  private generation = 0;
  /** Rate sampling for the live view. */
  readonly rate = new ProbeRate();

  constructor(
    readonly id: number,
    readonly scriptName: string,
    /** The attach point as bpftrace prints it (`interval:ms:10`). */
    readonly spec: string,
    private readonly periodNs: number,
    private readonly compiled: CompiledProbe,
    private readonly m: Machine,
    private readonly ctx: HitContext,
    /** False once the session stops re-arming timers (exit or teardown). */
    private readonly live: () => boolean,
    private readonly onRun: () => void,
    /** Set for profile probes: each tick samples every CPU. */
    private readonly sampler: CpuSampler | null = null,
  ) {}

  /** Times the timer has fired. */
  hits(): number {
    return this.fired;
  }

  /** Attach: the first tick one period after `nowNs`. */
  attach(nowNs: number): void {
    if (this.state === "attached") return;
    this.state = "attached";
    this.arm(nowNs + this.periodNs, ++this.generation);
  }

  /** Detach: the armed timer finds itself stale and does nothing. */
  detach(): void {
    if (this.state !== "attached") return;
    this.state = "detached";
    this.generation++;
  }

  private arm(t: number, generation: number): void {
    this.m.addTimer(t, () => {
      if (generation !== this.generation || !this.live()) return;
      this.fire(t);
      this.arm(t + this.periodNs, generation);
    });
  }

  private fire(t: number): void {
    const ctx = this.ctx;
    ctx.nsecs = Math.floor(t);
    ctx.probe = this.spec;
    this.fired++;
    if (this.sampler === null) {
      ctx.cpu = 0;
      ctx.pid = 0;
      ctx.tid = 0;
      ctx.ppid = 0;
      ctx.comm = IDLE_COMM;
      ctx.pcomm = IDLE_COMM;
      this.compiled.run(ctx);
      this.onRun();
      return;
    }
    for (let cpu = 0; cpu < this.m.cpus.length; cpu++) {
      ctx.cpu = cpu;
      this.sampler.fill(ctx, cpu);
      this.compiled.run(ctx);
      this.onRun();
    }
    this.sampler.done();
  }
}
