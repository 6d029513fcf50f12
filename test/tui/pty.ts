/**
 * Drives a program in a real pseudo-terminal through tmux, for tests that must see what a
 * user sees: raw mode, escape sequences, resizes, the final screen.
 *
 *   const term = startInTmux("node bin/probelab.js top -e '...'", { columns: 120, rows: 40 });
 *   await term.waitFor("PROBE");
 *   term.sendKeys("q");
 *   expect(await term.waitForExit()).toBe(0);
 *   term.kill();
 *
 * Every terminal runs on its own tmux server (its own socket), so tests never touch a
 * user's tmux sessions or each other's.
 */

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const TMUX = "/usr/bin/tmux";

export interface TmuxOptions {
  columns?: number;
  rows?: number;
  cwd?: string;
  /** Extra environment for the program (TERM is tmux's own). */
  env?: Record<string, string>;
}

export interface WaitOptions {
  /** Give up after this long; the error shows the last screen. Default 15 s. */
  timeoutMs?: number;
}

export type ScreenMatch = string | RegExp | ((screen: string) => boolean);

export interface TmuxTerminal {
  /** The visible screen, one line per row, trailing blank lines dropped. */
  capture(): string;
  /** Sends tmux key names: "q", "Enter", "Escape", "Up", "Space", "C-c", "BSpace". */
  sendKeys(...keys: string[]): void;
  /** Types text literally, character by character as a paste would arrive. */
  type(text: string): void;
  resize(columns: number, rows: number): void;
  /** Waits until the screen matches; resolves with that screen. */
  waitFor(match: ScreenMatch, opts?: WaitOptions): Promise<string>;
  /** Waits until the program has exited; resolves with its exit status. */
  waitForExit(opts?: WaitOptions): Promise<number>;
  /** The exit status once the program has exited, else undefined. */
  exitStatus(): number | undefined;
  /** `stty -a` of the pane's terminal: shows whether raw mode was left on. */
  ttyModes(): string;
  /** Stops the tmux server and removes its files. Safe to call twice. */
  kill(): void;
}

let started = 0;

/** True when tmux can be run here. */
export function tmuxAvailable(): boolean {
  try {
    execFileSync(TMUX, ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Quotes one argument for the POSIX shell tmux runs the command with. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function matches(screen: string, match: ScreenMatch): boolean {
  if (typeof match === "string") return screen.includes(match);
  if (match instanceof RegExp) return match.test(screen);
  return match(screen);
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts `command` (a shell command line) in a fresh detached tmux session. */
export function startInTmux(command: string, opts: TmuxOptions = {}): TmuxTerminal {
  const dir = mkdtempSync(join(tmpdir(), "probelab-tmux-"));
  const socket = join(dir, "socket");
  const config = join(dir, "tmux.conf");
  const statusFile = join(dir, "status");
  writeFileSync(config, "set -g status off\n");
  const target = `probelab-${process.pid}-${started++}`;
  const env = { ...process.env, ...opts.env };
  const tmux = (args: string[]) =>
    execFileSync(TMUX, ["-S", socket, "-f", config, ...args], { env, encoding: "utf8" });

  const envFlags = Object.entries(opts.env ?? {}).flatMap(([name, value]) => ["-e", `${name}=${value}`]);
  tmux([
    "new-session",
    "-d",
    "-s",
    target,
    "-x",
    String(opts.columns ?? 120),
    "-y",
    String(opts.rows ?? 40),
    ...(opts.cwd ? ["-c", opts.cwd] : []),
    ...envFlags,
    // The program starts once the session is fully set up (output written earlier could be
    // lost to the first resize). When it ends, its status goes to a file and the pane stays
    // open and silent, so the last screen can still be read (tmux's remain-on-exit would
    // print a "Pane is dead" line over it).
    `${TMUX} -S ${shellQuote(socket)} wait-for ${shellQuote(target)}; ${command}; ` +
      `echo $? > ${shellQuote(statusFile)}; exec sleep 2147483647`,
  ]);
  tmux(["wait-for", "-S", target]);
  let killed = false;

  const terminal: TmuxTerminal = {
    capture() {
      return tmux(["capture-pane", "-p", "-t", target]).replace(/\n+$/, "");
    },
    sendKeys(...keys) {
      tmux(["send-keys", "-t", target, ...keys]);
    },
    type(text) {
      tmux(["send-keys", "-t", target, "-l", text]);
    },
    resize(columns, rows) {
      tmux(["resize-window", "-t", target, "-x", String(columns), "-y", String(rows)]);
    },
    async waitFor(match, waitOpts = {}) {
      const deadline = Date.now() + (waitOpts.timeoutMs ?? 15_000);
      let screen = terminal.capture();
      while (!matches(screen, match)) {
        if (Date.now() > deadline) {
          throw new Error(`screen never matched ${String(match)}; last screen:\n${screen}`);
        }
        await pause(50);
        screen = terminal.capture();
      }
      return screen;
    },
    async waitForExit(waitOpts = {}) {
      const deadline = Date.now() + (waitOpts.timeoutMs ?? 15_000);
      for (;;) {
        const status = terminal.exitStatus();
        if (status !== undefined) return status;
        if (Date.now() > deadline) {
          throw new Error(`program did not exit; last screen:\n${terminal.capture()}`);
        }
        await pause(50);
      }
    },
    exitStatus() {
      if (!existsSync(statusFile)) return undefined;
      const text = readFileSync(statusFile, "utf8").trim();
      // The shell may have created the file and not yet written it.
      return text === "" ? undefined : Number(text);
    },
    ttyModes() {
      const tty = tmux(["list-panes", "-t", target, "-F", "#{pane_tty}"]).trim();
      return execFileSync("stty", ["-F", tty, "-a"], { encoding: "utf8" });
    },
    kill() {
      if (killed) return;
      killed = true;
      try {
        tmux(["kill-server"]);
      } catch {
        // The server is already gone (its last session ended).
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return terminal;
}
