/**
 * What a tracing session publishes to its viewers (the live view, the non-TTY table
 * printer): one immutable snapshot per UI tick. Viewers never look into the simulator;
 * they only read these plain objects, so a snapshot can be built, stored and tested alone.
 */

export type ProbeState = "attached" | "detached" | "error";

/** One attached probe point (one concrete function after wildcard expansion). */
export interface ProbeRow {
  /** Stable id, unique within the session ("1", "2", ...; one-liners get new ids). */
  id: number;
  /** The script this probe came from (file name, or "-e" / "one-liner #N"). */
  script: string;
  /** The concrete probe spec, as bpftrace's `probe` builtin prints it. */
  spec: string;
  state: ProbeState;
  /** Error text when state is "error". */
  error?: string;
  /** Total hits delivered to this probe's consumer since attach. */
  hits: number;
  /** Hits per simulated second over the last sampling interval. */
  rate: number;
  /** Recent rates, oldest first (at most 60), for the sparkline. */
  rateHistory: number[];
  /** Entry-to-return latency in simulated ns, when the probe has one. */
  latency?: LatencySummary;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
  /** log2 histogram buckets as bpftrace's hist() keeps them: index -> count. */
  hist: number[];
}

/** Kernel-side counters the project exists to show. */
export interface KernelCounters {
  speculativeHits: number;
  speculativeFallbacks: number;
  gracePeriods: number;
  /** Simulated ns spent inside synchronize_* calls. */
  syncTimeNs: number;
  leasesExpired: number;
  /** int3 writes and restores so far (cumulative: an munmap drops breakpoints without a restore). */
  breakpointsInstalled: number;
  breakpointsRemoved: number;
}

/** One printed map of a script, already rendered as bpftrace text. */
export interface MapDump {
  script: string;
  text: string;
}

export interface SessionSnapshot {
  /** Simulated time since the session started, ns. */
  simTimeNs: number;
  /** Simulated seconds advanced per real second over the last tick. */
  speed: number;
  /** Requested speed factor (the +/- keys change it). */
  targetSpeed: number;
  kernelProfile: string;
  workload: string;
  cpus: number;
  totalHits: number;
  /** Total hits per simulated second over the last interval. */
  totalRate: number;
  eventsLost: number;
  kernel: KernelCounters;
  probes: ProbeRow[];
  /** Rendered maps of every loaded script. */
  maps: MapDump[];
  /** Last printf/print lines, oldest first (bounded). */
  eventLog: string[];
  /** True once the simulated process has finished (all threads exited). */
  finished: boolean;
}

export type AttachResult =
  | { ok: true; probeIds: number[] }
  /** `error` is the front end's diagnostics, formatted as bpftrace prints them (with the `~` underline). */
  | { ok: false; error: string };

/**
 * The handle a live viewer drives. The simulation advances only inside tick(), in slices,
 * so a viewer that ticks every interval never re-renders per hit.
 */
export interface LiveSession {
  /** Advance the simulation by `realMs` of wall time at the current speed; return the new snapshot. */
  tick(realMs: number): SessionSnapshot;
  /** The latest snapshot without advancing. */
  snapshot(): SessionSnapshot;
  /** Parse, check and attach a one-liner (batched register). */
  attach(programText: string): AttachResult;
  /** Detach one probe (batched unregister + one sync); its row stays with its last values. */
  detachProbe(id: number): void;
  /** Attach a detached probe again. */
  reattachProbe(id: number): void;
  /** Change the speed factor (simulated seconds per real second). */
  setSpeed(factor: number): void;
  /** Detach everything and return the final snapshot. */
  close(): SessionSnapshot;
}
