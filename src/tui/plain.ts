/**
 * `probelab top` without a terminal: when stdout is not a TTY there is no live screen, no
 * raw mode and no Ink. Every interval prints a plain table (or JSON lines, one header
 * record and one record per probe), until the process finishes or a limit is reached;
 * then the session is closed and a final summary printed.
 */

import type { ProbeRow, SessionSnapshot } from "../trace/snapshot.js";
import { formatCount, formatDuration } from "./format.js";
import { headerLines, type SortOrder, sortProbes, tableLines } from "./model.js";

export type TopFormat = "text" | "json";

/** Plain output keeps probes in id order: a reader diffing two intervals sees rows line up. */
const PLAIN_ORDER: SortOrder = { column: "id", descending: false };

/** Width of plain tables when the output has no columns of its own (a pipe or a file). */
export const PLAIN_WIDTH = 120;

/** One interval as text: the header strip, the probe table, and a blank separator line. */
export function formatTextInterval(snapshot: SessionSnapshot, width: number = PLAIN_WIDTH): string {
  const rows = sortProbes(snapshot.probes, PLAIN_ORDER);
  return [...headerLines(snapshot, width), ...tableLines(rows, width, PLAIN_ORDER), ""].join("\n") + "\n";
}

function headerRecord(snapshot: SessionSnapshot, tick: number, final: boolean): object {
  return {
    type: "top_header",
    data: {
      tick,
      final,
      simTimeNs: snapshot.simTimeNs,
      speed: snapshot.speed,
      targetSpeed: snapshot.targetSpeed,
      kernelProfile: snapshot.kernelProfile,
      workload: snapshot.workload,
      cpus: snapshot.cpus,
      totalHits: snapshot.totalHits,
      totalRate: snapshot.totalRate,
      eventsLost: snapshot.eventsLost,
      kernel: snapshot.kernel,
      finished: snapshot.finished,
    },
  };
}

function probeRecord(row: ProbeRow, tick: number): object {
  const latency = row.latency
    ? { count: row.latency.count, p50: row.latency.p50, p99: row.latency.p99, max: row.latency.max }
    : null;
  return {
    type: "top_probe",
    data: {
      tick,
      id: row.id,
      script: row.script,
      spec: row.spec,
      state: row.state,
      ...(row.error === undefined ? {} : { error: row.error }),
      hits: row.hits,
      rate: row.rate,
      latency,
    },
  };
}

/** One interval as JSON lines: a `top_header` record, then one `top_probe` record per probe. */
export function formatJsonInterval(snapshot: SessionSnapshot, tick: number, final = false): string {
  const records = [
    headerRecord(snapshot, tick, final),
    ...sortProbes(snapshot.probes, PLAIN_ORDER).map((row) => probeRecord(row, tick)),
  ];
  return records.map((record) => JSON.stringify(record)).join("\n") + "\n";
}

/** The summary printed once the session is closed (also after quitting the live view). */
export function formatSummary(
  final: SessionSnapshot,
  format: TopFormat,
  tick: number,
  width = PLAIN_WIDTH,
): string {
  if (format === "json") return formatJsonInterval(final, tick, true);
  const rows = sortProbes(final.probes, PLAIN_ORDER);
  const title =
    `probelab top: ${formatDuration(final.simTimeNs)} simulated, ${formatCount(final.totalHits)} hits, ` +
    `${formatCount(final.eventsLost)} events lost`;
  return [title, ...tableLines(rows, width, PLAIN_ORDER)].join("\n") + "\n";
}

export interface PlainOptions {
  interval: number;
  stdout: { write(chunk: string): unknown; columns?: number };
  format: TopFormat;
  /** Stop after this many intervals. */
  maxTicks?: number;
  /** Stop once this much simulated time has passed (ns). */
  durationNs?: number;
  /** Stop early (the CLI aborts on SIGINT); the session is still closed and summarised. */
  signal?: AbortSignal;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

function limitReached(snapshot: SessionSnapshot, tick: number, opts: PlainOptions): boolean {
  if (snapshot.finished) return true;
  if (opts.maxTicks !== undefined && tick >= opts.maxTicks) return true;
  return opts.durationNs !== undefined && snapshot.simTimeNs >= opts.durationNs;
}

/**
 * Ticks the session every `interval` ms and prints each interval. Each tick covers exactly
 * `interval` ms of wall time rather than the measured time, so piped output is the same
 * byte for byte on every run of the same session.
 */
export async function runPlain(
  session: { tick(realMs: number): SessionSnapshot; close(): SessionSnapshot },
  opts: PlainOptions,
): Promise<SessionSnapshot> {
  const width = opts.stdout.columns || PLAIN_WIDTH;
  let tick = 0;
  try {
    while (!opts.signal?.aborted) {
      await sleep(opts.interval, opts.signal);
      if (opts.signal?.aborted) break;
      const snapshot = session.tick(opts.interval);
      tick++;
      opts.stdout.write(
        opts.format === "json" ? formatJsonInterval(snapshot, tick) : formatTextInterval(snapshot, width),
      );
      if (limitReached(snapshot, tick, opts)) break;
    }
  } catch (error) {
    // Detach what can be detached, then let the caller report the original failure.
    try {
      session.close();
    } catch {
      // The first error is the one worth reporting.
    }
    throw error;
  }
  const final = session.close();
  opts.stdout.write(formatSummary(final, opts.format, tick, width));
  return final;
}
