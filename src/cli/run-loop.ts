/**
 * How `probelab run` advances its session: in slices of simulated time, handing the event
 * loop a turn every few tens of milliseconds of real time, so that Ctrl-C, SIGTERM or a
 * closed stdout can stop it as they stop bpftrace, and a progress line can be redrawn.
 */
import { formatDuration, formatSpeed } from "../tui/format.js";
import type { CliIo, OutputStream } from "./common.js";

/** What the loop advances (the Session, seen narrowly so the loop is easy to drive). */
export interface Advanceable {
  readonly stopped: boolean;
  readonly simNow: number;
  runUntil(until: number): void;
}

/** Real milliseconds between turns of the event loop. */
const TURN_MS = 50;
/** A run shorter than this (real time) never shows a progress line. */
const PROGRESS_AFTER_MS = 500;

/**
 * The one-line progress report on stderr: drawn only when stderr is a terminal, erased before
 * anything else is written (so output and messages never share a line with it) and at the end.
 */
export class ProgressLine {
  private shown = false;
  private readonly started: number;

  /** @param now real-time clock in ms (tests pass their own) */
  constructor(
    private readonly io: CliIo,
    private readonly enabled: boolean,
    private readonly totalNs: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.started = now();
  }

  draw(simNs: number): void {
    const realMs = this.now() - this.started;
    if (!this.enabled || realMs < PROGRESS_AFTER_MS) return;
    const speed = formatSpeed(simNs / 1e6 / realMs);
    const text = `simulated ${formatDuration(simNs)} of ${formatDuration(this.totalNs)} (${speed} real time)`;
    this.io.stderr.write(`\r\x1b[K${text}`);
    this.shown = true;
  }

  clear(): void {
    if (!this.shown) return;
    this.shown = false;
    this.io.stderr.write("\r\x1b[K");
  }
}

/** Why a run ended before its duration: a signal, or nobody reading stdout any more. */
export interface StopRequest {
  readonly requested: boolean;
}

/**
 * Runs `session` until `untilNs` of simulated time, its own stop (exit(), the process ending)
 * or `stop`, whichever comes first. While `output` is backlogged (a slow reader on a pipe)
 * the simulation waits for it, so memory holds at most a slice of output past the mark.
 */
export async function advance(
  session: Advanceable,
  untilNs: number,
  sliceNs: number,
  stop: StopRequest,
  progress: ProgressLine,
  now: () => number = () => performance.now(),
  output: OutputStream = { write: () => {} },
): Promise<void> {
  let turn = now();
  while (!session.stopped && !stop.requested && session.simNow < untilNs) {
    session.runUntil(Math.min(untilNs, session.simNow + sliceNs));
    if (output.backlogged?.() && output.drained !== undefined) {
      await output.drained();
      turn = now();
      continue;
    }
    if (now() - turn < TURN_MS) continue;
    progress.draw(session.simNow);
    await new Promise<void>((resolve) => setImmediate(resolve));
    turn = now();
  }
  progress.clear();
}
