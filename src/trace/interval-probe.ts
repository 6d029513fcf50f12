/**
 * One interval probe of a loaded script: a timer that re-arms itself every period while it
 * is attached. It is a probe row like a uprobe (an id, a state, a fire count), so the live
 * view can show and detach it. Re-attaching arms a new timer; the generation number lets
 * a timer armed before a detach see that it is stale and stop.
 */
import type { CompiledProbe, HitContext } from "../compile/index.js";
import type { Machine } from "../sim/machine.js";
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
    ctx.cpu = 0;
    ctx.nsecs = Math.floor(t);
    ctx.pid = 0;
    ctx.tid = 0;
    ctx.comm = "swapper/0";
    ctx.probe = this.spec;
    this.fired++;
    this.compiled.run(ctx);
    this.onRun();
  }
}
