/**
 * A scripted LiveSession for the view's tests: probes with fixed hit rates, a clock that
 * advances by realMs × speed per tick, and a toy "front end" that accepts `uprobe:`/
 * `uretprobe:` one-liners and answers anything else with a bpftrace-style diagnostic.
 * It stands in for the real session, which the view only ever sees through LiveSession.
 */

import type {
  AttachResult,
  LatencySummary,
  LiveSession,
  ProbeRow,
  SessionSnapshot,
} from "../../src/trace/snapshot.js";

export interface FakeProbeSpec {
  spec: string;
  script?: string;
  /** Hits per simulated second while attached. */
  ratePerSec: number;
  latency?: LatencySummary;
  state?: ProbeRow["state"];
  error?: string;
}

interface FakeProbe {
  row: ProbeRow;
  ratePerSec: number;
}

/** A latency summary for values in [512, 1K) mostly, with a tail in [4K, 8K). */
export function sampleLatency(): LatencySummary {
  const hist: number[] = [];
  hist[11] = 90; // [512, 1K)
  hist[12] = 8; // [1K, 2K)
  hist[14] = 2; // [4K, 8K)
  for (let i = 0; i < hist.length; i++) hist[i] ??= 0;
  return { count: 100, p50: 700, p99: 5000, max: 7000, hist };
}

export class FakeSession implements LiveSession {
  simTimeNs = 0;
  targetSpeed = 1;
  speed = 0;
  closed = false;
  eventLog: string[] = [];
  readonly calls: string[] = [];
  private probes: FakeProbe[] = [];
  private nextId = 1;
  private oneLiners = 0;

  constructor(
    specs: readonly FakeProbeSpec[],
    private readonly finishAtNs = Number.POSITIVE_INFINITY,
  ) {
    for (const spec of specs) this.add(spec);
  }

  private add(spec: FakeProbeSpec): number {
    const id = this.nextId++;
    this.probes.push({
      ratePerSec: spec.ratePerSec,
      row: {
        id,
        script: spec.script ?? "test.bt",
        spec: spec.spec,
        state: spec.state ?? "attached",
        ...(spec.error === undefined ? {} : { error: spec.error }),
        hits: 0,
        rate: 0,
        rateHistory: [],
        ...(spec.latency === undefined ? {} : { latency: spec.latency }),
      },
    });
    return id;
  }

  tick(realMs: number): SessionSnapshot {
    this.calls.push(`tick ${realMs}`);
    const simNs = realMs * 1e6 * this.targetSpeed;
    this.simTimeNs += simNs;
    this.speed = this.targetSpeed;
    for (const probe of this.probes) {
      const live = probe.row.state === "attached";
      const hits = live ? Math.round((probe.ratePerSec * simNs) / 1e9) : 0;
      const rate = live && simNs > 0 ? hits / (simNs / 1e9) : 0;
      probe.row = {
        ...probe.row,
        hits: probe.row.hits + hits,
        rate,
        rateHistory: [...probe.row.rateHistory, rate].slice(-60),
      };
    }
    this.eventLog = [...this.eventLog, `tick at ${this.simTimeNs}ns`].slice(-20);
    return this.snapshot();
  }

  snapshot(): SessionSnapshot {
    const rows = this.probes.map((probe) => probe.row);
    return {
      simTimeNs: this.simTimeNs,
      speed: this.speed,
      targetSpeed: this.targetSpeed,
      kernelProfile: "v6.18",
      workload: "fake",
      cpus: 4,
      totalHits: rows.reduce((sum, row) => sum + row.hits, 0),
      totalRate: rows.reduce((sum, row) => sum + row.rate, 0),
      eventsLost: 0,
      kernel: {
        speculativeHits: 1234,
        speculativeFallbacks: 5,
        gracePeriods: 7,
        syncTimeNs: 2_500_000,
        leasesExpired: 1,
        breakpointsInstalled: rows.filter((row) => row.state === "attached").length,
        breakpointsRemoved: 0,
      },
      probes: rows,
      maps: [{ script: "test.bt", text: "@calls[main]: 12\n@calls[worker]: 30\n" }],
      eventLog: this.eventLog,
      finished: this.simTimeNs >= this.finishAtNs,
    };
  }

  attach(programText: string): AttachResult {
    this.calls.push(`attach ${programText}`);
    const match = /^\s*(uretprobe|uprobe):(\S+)/.exec(programText);
    if (!match) {
      const word = /\S+/.exec(programText)?.[0] ?? "";
      const start = programText.indexOf(word);
      return {
        ok: false,
        error:
          `stdin:1:${start + 1}-${start + 1 + word.length}: ERROR: syntax error, unexpected identifier\n` +
          `${programText}\n${" ".repeat(start)}${"~".repeat(Math.max(1, word.length))}\n`,
      };
    }
    this.oneLiners++;
    const id = this.add({
      spec: `${match[1]}:${match[2]}`,
      script: `one-liner #${this.oneLiners}`,
      ratePerSec: 500,
    });
    return { ok: true, probeIds: [id] };
  }

  detachProbe(id: number): void {
    this.calls.push(`detach ${id}`);
    this.setState(id, "detached");
  }

  reattachProbe(id: number): void {
    this.calls.push(`reattach ${id}`);
    this.setState(id, "attached");
  }

  setSpeed(factor: number): void {
    this.calls.push(`speed ${factor}`);
    this.targetSpeed = factor;
  }

  close(): SessionSnapshot {
    this.calls.push("close");
    this.closed = true;
    for (const probe of this.probes) {
      if (probe.row.state === "attached") probe.row = { ...probe.row, state: "detached", rate: 0 };
    }
    return this.snapshot();
  }

  private setState(id: number, state: ProbeRow["state"]): void {
    const probe = this.probes.find((p) => p.row.id === id);
    if (probe) probe.row = { ...probe.row, state, rate: state === "attached" ? probe.row.rate : 0 };
  }
}

/** Three probes: a fast one with latency, a slow one, an entry probe without latency. */
export function threeProbeSession(finishAtNs?: number): FakeSession {
  return new FakeSession(
    [
      { spec: "uretprobe:/usr/bin/app:handle_request", ratePerSec: 20_000, latency: sampleLatency() },
      { spec: "uprobe:/usr/lib/libc.so.6:malloc", ratePerSec: 3_000 },
      { spec: "uprobe:/usr/bin/app:parse_header", ratePerSec: 100, script: "other.bt" },
    ],
    finishAtNs,
  );
}
