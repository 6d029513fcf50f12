/**
 * The LiveSession a viewer drives (src/trace/snapshot.ts): a Session advanced in slices,
 * published as one plain snapshot per tick. Rates come from simulated time between ticks.
 */

import { percentileFromHist } from "../runtime/histogram.js";
import { printMaps } from "../runtime/index.js";
import { IntervalProbe } from "./interval-probe.js";
import type { KernelSideProbe } from "./kernel-probe.js";
import { type LoadedScript, Session } from "./session.js";
import type { AttachResult, LiveSession, ProbeRow, SessionSnapshot } from "./snapshot.js";
import { TraceProbe } from "./trace-probe.js";

const LOG_LINES = 200;
/**
 * One-liners kept once nothing of them is attached (so `u` can bring them back); older ones
 * are ended and forgotten, which keeps a long session's memory flat however many come and go.
 */
export const KEEP_DETACHED_ONE_LINERS = 16;

export class LiveTraceSession implements LiveSession {
  private speed: number;
  private lastNs = 0;
  private lastTotal = 0;
  private totalRate = 0;
  private measuredSpeed = 0;
  private oneLiners = 0;
  private readonly log: string[];
  private last: SessionSnapshot;

  private lastReal = performance.now();

  /**
   * @param boundedByRealTime live view: a tick stops advancing once it has used 80% of its
   *   interval of real time, so the screen keeps its rhythm when the requested speed is more
   *   than the machine can simulate (the header then shows the speed reached). Piped output
   *   passes false: every tick advances exactly interval x speed, byte for byte reproducible.
   */
  constructor(
    readonly session: Session,
    speed: number,
    log: string[],
    private readonly boundedByRealTime = false,
    /** Simulated time no tick goes past (`top --duration`). */
    private readonly untilNs = Number.POSITIVE_INFINITY,
  ) {
    this.speed = speed;
    this.log = log;
    this.last = this.build();
  }

  tick(realMs: number): SessionSnapshot {
    const s = this.session;
    const target = Math.min(this.untilNs, s.simNow + realMs * 1e6 * this.speed);
    if (!this.boundedByRealTime) s.runUntil(target);
    else {
      const deadline = performance.now() + realMs * 0.8;
      const slice = Math.max(100_000, (target - s.simNow) / 50);
      while (!s.stopped && s.simNow < target && performance.now() < deadline) {
        s.runUntil(Math.min(target, s.simNow + slice));
      }
    }
    const dt = s.simNow - this.lastNs;
    const now = performance.now();
    const realS = this.boundedByRealTime ? (now - this.lastReal) / 1000 : realMs / 1000;
    this.lastReal = now;
    if (dt > 0) {
      for (const p of s.probes) p.rate.sample(p.hits(), dt);
      for (const p of s.intervals) p.rate.sample(p.hits(), dt);
      for (const p of s.kprobes) p.rate.sample(p.hits(), dt);
      const total = this.totalHits();
      this.totalRate = ((total - this.lastTotal) * 1e9) / dt;
      this.lastTotal = total;
      this.measuredSpeed = dt / 1e9 / realS;
      this.lastNs = s.simNow;
    }
    this.forgetOldOneLiners();
    if (this.log.length > LOG_LINES) this.log.splice(0, this.log.length - LOG_LINES);
    this.last = this.build();
    return this.last;
  }

  snapshot(): SessionSnapshot {
    return this.last;
  }

  attach(programText: string): AttachResult {
    const src = { name: `one-liner #${++this.oneLiners}`, text: programText };
    const { script, diagnostics } = this.session.load(src);
    if (script === null) return { ok: false, error: Session.format(diagnostics, src) };
    // exit() in a one-liner ends that one-liner, not the session it was added to.
    script.exitEndsSession = false;
    this.oneLinerScripts.push(script);
    this.session.start(script);
    this.last = this.build();
    return {
      ok: true,
      probeIds: [...script.probes, ...script.intervals, ...script.kprobes].map((p) => p.id),
    };
  }

  /** One-liners attached so far and not yet forgotten, oldest first. */
  private readonly oneLinerScripts: LoadedScript[] = [];

  detachProbe(id: number): void {
    const p = this.findProbe(id);
    if (p instanceof TraceProbe) this.session.detach([p]);
    else if (p !== undefined) p.detach();
    this.last = this.build();
  }

  reattachProbe(id: number): void {
    const p = this.findProbe(id);
    const script = p === undefined ? undefined : this.session.scripts.find((sc) => sc.name === p.scriptName);
    // An ended script (exit(), or its end already printed) does not come back.
    if (p === undefined || script === undefined || script.ended) return;
    if (p instanceof IntervalProbe) p.attach(this.session.simNow);
    else if (p instanceof TraceProbe) this.session.attach([p]);
    else p.attach();
    this.last = this.build();
  }

  private findProbe(id: number): TraceProbe | IntervalProbe | KernelSideProbe | undefined {
    const s = this.session;
    return (
      s.probes.find((x) => x.id === id) ??
      s.intervals.find((x) => x.id === id) ??
      s.kprobes.find((x) => x.id === id)
    );
  }

  /** End and drop the oldest one-liners beyond KEEP_DETACHED_ONE_LINERS that hold nothing attached. */
  private forgetOldOneLiners(): void {
    const s = this.session;
    const idle = this.oneLinerScripts.filter(
      (sc) =>
        sc.ended ||
        (sc.probes.every((p) => p.state !== "attached") &&
          sc.intervals.every((p) => p.state !== "attached") &&
          sc.kprobes.every((p) => p.state !== "attached")),
    );
    for (let i = 0; i < idle.length - KEEP_DETACHED_ONE_LINERS; i++) {
      const sc = idle[i];
      s.endScript(sc);
      if (!s.isQuiescent(sc)) continue;
      s.forget(sc);
      this.oneLinerScripts.splice(this.oneLinerScripts.indexOf(sc), 1);
    }
  }

  setSpeed(factor: number): void {
    this.speed = factor;
  }

  close(): SessionSnapshot {
    this.session.detach(this.session.probes);
    for (const iv of this.session.intervals) iv.detach();
    for (const k of this.session.kprobes) k.detach();
    this.session.finish();
    this.last = this.build();
    return this.last;
  }

  private totalHits(): number {
    let n = 0;
    for (const p of this.session.probes) n += p.hits();
    for (const p of this.session.kprobes) n += p.hits();
    return n;
  }

  private build(): SessionSnapshot {
    const s = this.session;
    const u = s.kernel.u;
    return {
      simTimeNs: s.simNow,
      speed: this.measuredSpeed,
      targetSpeed: this.speed,
      kernelProfile: s.opts.kernelProfile,
      workload: s.opts.workload?.name ?? "(none)",
      cpus: s.opts.cpus,
      totalHits: this.totalHits(),
      totalRate: this.totalRate,
      eventsLost: s.scripts.reduce((n, sc) => n + sc.ring.lostTotal, 0),
      kernel: {
        speculativeHits: u.stats.speculativeHits,
        speculativeFallbacks: u.stats.speculativeFallbacks,
        gracePeriods: u.gracePeriods(),
        syncTimeNs: u.stats.syncTimeNs,
        leasesExpired: u.stats.leasesExpired,
        breakpointsInstalled: u.stats.breakpointsInstalled,
        breakpointsRemoved: u.stats.breakpointsRemoved,
      },
      probes: [...s.probes.map(row), ...s.intervals.map(row), ...s.kprobes.map(row)].sort(
        (a, b) => a.id - b.id,
      ),
      maps: s.scripts.map((sc) => ({ script: sc.name, text: printMaps(sc.compiled.maps) })),
      eventLog: this.log.slice(-50),
      finished: s.stopped,
    };
  }
}

function row(p: TraceProbe | IntervalProbe | KernelSideProbe): ProbeRow {
  const r: ProbeRow = {
    id: p.id,
    script: p.scriptName,
    spec: p instanceof IntervalProbe ? p.spec : p instanceof TraceProbe ? p.concrete.name : p.name,
    state: p.state,
    hits: p.hits(),
    rate: p.rate.rate,
    rateHistory: [...p.rate.history],
  };
  if (p.error !== undefined) r.error = p.error;
  if (!(p instanceof TraceProbe)) return r;
  if (p.latencyCount > 0) {
    const hist = Array.from(p.latency);
    r.latency = {
      count: p.latencyCount,
      p50: percentileFromHist(hist, 50, p.latencyMax) ?? 0,
      p99: percentileFromHist(hist, 99, p.latencyMax) ?? 0,
      max: p.latencyMax,
      hist,
    };
  }
  return r;
}
