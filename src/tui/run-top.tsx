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

/** xterm's alternate screen: the live view draws there and the user's screen comes back on exit. */
const ENTER_ALTERNATE_SCREEN = "\u001B[?1049h";
const LEAVE_ALTERNATE_SCREEN = "\u001B[?1049l";
const CLEAR_SCREEN = "\u001B[2J\u001B[H";

/**
 * Puts the live view on the alternate screen and wipes it on every resize. A terminal that
 * reflows lines when it narrows leaves parts of the old frame where Ink no longer knows
 * about them; clearing before Ink redraws (hence prependListener) leaves no debris.
 * Returns the function that gives the user's screen back, safe to call more than once.
 */
function takeScreen(stdout: NodeJS.WriteStream): () => void {
  stdout.write(ENTER_ALTERNATE_SCREEN + CLEAR_SCREEN);
  const clearOnResize = () => {
    stdout.write(CLEAR_SCREEN);
  };
  stdout.prependListener("resize", clearOnResize);
  let given = false;
  const giveBack = () => {
    if (given) return;
    given = true;
    stdout.off("resize", clearOnResize);
    process.off("exit", giveBack);
    stdout.write(LEAVE_ALTERNATE_SCREEN);
  };
  // Even if the process ends without unwinding (a signal), the user gets the screen back.
  process.once("exit", giveBack);
  return giveBack;
}

/** Runs the live view (or the plain printer) until quit, and returns the final snapshot. */
export async function runTop(session: LiveSession, opts: TopOptions): Promise<SessionSnapshot> {
  if (!opts.isTTY) return runPlain(session, opts);
  const giveBackScreen = takeScreen(opts.stdout);
  let final: { snapshot: SessionSnapshot; failure: unknown };
  try {
    final = await runLiveView(session, opts);
  } finally {
    giveBackScreen();
  }
  // The summary goes to the user's own screen, where it stays after the view is gone.
  opts.stdout.write(formatSummary(final.snapshot, opts.format, 0, opts.stdout.columns || PLAIN_WIDTH));
  // A session that failed under the view is reported once the terminal is the user's again.
  if (final.failure !== undefined) throw final.failure;
  return final.snapshot;
}

async function runLiveView(
  session: LiveSession,
  opts: TopOptions,
): Promise<{ snapshot: SessionSnapshot; failure: unknown }> {
  let final: SessionSnapshot | undefined;
  let failure: unknown;
  const app = render(
    <TopApp
      session={session}
      ticker={opts.ticker ?? intervalTicker(opts.interval)}
      noColor={opts.noColor}
      onExit={(snapshot) => {
        final = snapshot;
      }}
      onFailure={(error) => {
        failure ??= error;
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
  return { snapshot: final ?? session.close(), failure };
}
