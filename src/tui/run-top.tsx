/**
 * The entry point of `probelab top`: the Ink live view on a terminal, the plain printer
 * otherwise. Either way it resolves with the final snapshot once the session is closed.
 */

import { render } from "ink";
import type { LiveSession, SessionSnapshot } from "../trace/snapshot.js";
import { formatSummary, PLAIN_WIDTH, runPlain, type TopFormat } from "./plain.js";
import { intervalTicker, type Ticker } from "./ticker.js";
import { TopApp } from "./top-app.js";

export interface TopOptions {
  /** UI refresh period, ms: one session.tick() per period. */
  interval: number;
  stdout: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  /** Live view when true; a plain table or JSON lines every interval when false. */
  isTTY: boolean;
  format: TopFormat;
  noColor: boolean;
  /** Non-TTY only: stop after this many intervals. */
  maxTicks?: number;
  /** Non-TTY only: stop once this much simulated time has passed (ns). */
  durationNs?: number;
  /** Stops the session early, e.g. on SIGINT when there is no raw-mode terminal to read `q` from. */
  signal?: AbortSignal;
  /** Where Ink writes stray errors; defaults to process.stderr. */
  stderr?: NodeJS.WriteStream;
  /** The UI clock of the live view; defaults to a setInterval ticker at `interval`. */
  ticker?: Ticker;
}

/** Runs the live view (or the plain printer) until quit, and returns the final snapshot. */
export async function runTop(session: LiveSession, opts: TopOptions): Promise<SessionSnapshot> {
  if (!opts.isTTY) return runPlain(session, opts);
  let final: SessionSnapshot | undefined;
  const app = render(
    <TopApp
      session={session}
      ticker={opts.ticker ?? intervalTicker(opts.interval)}
      noColor={opts.noColor}
      onExit={(snapshot) => {
        final = snapshot;
      }}
    />,
    {
      stdout: opts.stdout,
      stdin: opts.stdin,
      stderr: opts.stderr ?? process.stderr,
      // q and Ctrl-C both go through the keymap so the session is closed and summarised.
      exitOnCtrlC: false,
      patchConsole: false,
    },
  );
  const abort = () => app.unmount();
  opts.signal?.addEventListener("abort", abort, { once: true });
  try {
    await app.waitUntilExit();
  } finally {
    opts.signal?.removeEventListener("abort", abort);
  }
  // Unmounted without `q` (a signal, an abort): the session still has to be closed.
  final ??= session.close();
  opts.stdout.write(formatSummary(final, opts.format, 0, opts.stdout.columns || PLAIN_WIDTH));
  return final;
}
