/**
 * Renders the live view with ink-testing-library at a fixed size, with a hand-driven UI
 * clock and wall clock, and the `press()` helper the view tests use.
 */

import { render } from "ink-testing-library";
import type { LiveSession, SessionSnapshot } from "../../src/trace/snapshot.js";
import { manualTicker } from "../../src/tui/ticker.js";
import { TopApp } from "../../src/tui/top-app.js";

/** Key sequences as a terminal sends them. */
export const KEY = {
  up: "\u001B[A",
  down: "\u001B[B",
  enter: "\r",
  esc: "\u001B",
  backspace: "\u007F",
  ctrlC: "\u0003",
  space: " ",
} as const;

const ANSI = /\u001B\[[0-9;?]*[ -/]*[@-~]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, "");
}

/**
 * Lets pending work run: Ink flushes a lone Esc on setImmediate, React commits and
 * effects run on later turns. A few turns of both queues settle everything.
 */
/** Waits until `cond` holds (Ink throttles its frames, so a render can trail a state change). */
export async function waitUntil(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

interface SizedStream {
  emit(event: string): boolean;
}

/** Gives a fake stdout a terminal size and tells Ink (and the view) it was resized. */
export function resize(stdout: SizedStream, columns: number, rows: number): void {
  Object.defineProperty(stdout, "columns", { value: columns, configurable: true });
  Object.defineProperty(stdout, "rows", { value: rows, configurable: true });
  stdout.emit("resize");
}

export interface RenderTopOptions {
  columns?: number;
  rows?: number;
  noColor?: boolean;
}

export async function renderTop(session: LiveSession, opts: RenderTopOptions = {}) {
  const ticker = manualTicker();
  const clock = { ms: 0 };
  const exits: SessionSnapshot[] = [];
  const app = render(
    <TopApp
      session={session}
      ticker={ticker}
      noColor={opts.noColor ?? true}
      now={() => clock.ms}
      onExit={(final) => exits.push(final)}
    />,
  );
  resize(app.stdout, opts.columns ?? 100, opts.rows ?? 30);
  await settle();

  /** Writes one key, waiting a tick before and after so Ink and React have caught up. */
  const press = async (key: string) => {
    await settle();
    app.stdin.write(key);
    await settle();
  };

  return {
    ...app,
    ticker,
    clock,
    exits,
    press,
    /** Types text one key at a time, as a user would. */
    type: async (text: string) => {
      for (const char of text) await press(char);
    },
    /** One UI tick covering `ms` of wall time. */
    tick: async (ms = 1000) => {
      ticker.fire(ms);
      await settle();
    },
    screen: () => stripAnsi(app.lastFrame() ?? ""),
    resize: async (columns: number, rows: number) => {
      resize(app.stdout, columns, rows);
      await settle();
    },
  };
}
