/** Helpers the commands share: where output goes, reading scripts, parsing option values, errors. */
import { ConfigError, type KernelConfig, kernelHelp, resolveKernelConfig } from "../kernel/config.js";
import type { SourceFile } from "../lang/index.js";
import {
  formatLimit,
  listWorkloads,
  loadWorkload,
  MAX_SCRIPT_BYTES,
  readTextBounded,
  type Workload,
  WorkloadError,
} from "../process/index.js";

/**
 * The process's streams and environment as the commands see them. The real binary uses
 * `processIo`; tests pass their own to run the whole CLI in-process and read what it wrote.
 */
export interface CliIo {
  stdout: { write(text: string): void };
  stderr: { write(text: string): void };
  /** All of stdin, or null when it holds more than `maxBytes`. */
  readStdin(maxBytes: number): string | null;
  env: Record<string, string | undefined>;
  /** Whether stderr is a terminal (diagnostics are coloured only then, and never with NO_COLOR). */
  stderrIsTTY: boolean;
  /** Where a command leaves its exit status (process.exitCode for the real binary). */
  setExitCode(code: number): void;
}

export const processIo: CliIo = {
  stdout: { write: (s) => void process.stdout.write(s) },
  stderr: { write: (s) => void process.stderr.write(s) },
  readStdin: (maxBytes) => readTextBounded(0, maxBytes),
  env: process.env,
  get stderrIsTTY() {
    return process.stderr.isTTY === true;
  },
  setExitCode: (code) => {
    process.exitCode = code;
  },
};

/** Colour for diagnostics: only on a terminal, and never when NO_COLOR is set (no-color.org). */
export function colorWanted(io: CliIo): boolean {
  const noColor = io.env.NO_COLOR;
  return io.stderrIsTTY && (noColor === undefined || noColor === "");
}

/** The options every command that runs a workload shares (program.ts declares them once). */
export interface SharedOptions {
  program?: string;
  workload: string;
  set: string[];
  cpus: string;
  seed: string;
  kernel: string;
  switch: string[];
  /** As typed; parseOutputFormat checks it. */
  format: string;
  quiet?: boolean;
  verbose?: boolean;
}

/** A user error: printed as one line, exit code `code` (1 script, 2 usage), never a stack trace. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly code = 1,
  ) {
    super(message);
  }
}

export function fail(message: string, code = 1): never {
  throw new UserError(message, code);
}

const DURATION_UNITS = { ns: 1, us: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/**
 * `500ms`, `2s`, `100us`, `1m` -> ns. As in bpftrace's interval probes a unit is required
 * (ns, us, ms, s, m, h), and the time must be more than zero.
 */
export function parseDuration(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)?$/.exec(text.trim());
  if (m === null) fail(`${what}: invalid duration "${text}" (examples: 500ms, 2s, 100us)`, 2);
  if (Number(m[1]) === 0) fail(`${what}: must be more than zero, got "${text}"`, 2);
  if (m[2] === undefined)
    fail(`${what}: "${text}" needs a unit: ns, us, ms, s, m or h (did you mean ${m[1]}s?)`, 2);
  return Math.max(1, Math.round(Number(m[1]) * DURATION_UNITS[m[2] as keyof typeof DURATION_UNITS]));
}

export function parseIntOption(text: string, what: string, min: number, max: number): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isInteger(n) || n < min || n > max)
    fail(`${what} must be an integer from ${min} to ${max}, got "${text}"`, 2);
  return n;
}

/** `-f FORMAT`, with bpftrace's message for any other word. */
export function parseOutputFormat(text: string): "text" | "json" {
  if (text !== "text" && text !== "json") fail(`Invalid output format "${text}"`, 2);
  return text;
}

/** The script from -e, a file, or stdin (`-`). */
export function readScript(
  file: string | undefined,
  program: string | undefined,
  io: CliIo = processIo,
): SourceFile {
  if (program !== undefined) {
    if (file !== undefined) fail("give either -e PROGRAM or a script file, not both", 2);
    return { name: "stdin", text: program };
  }
  if (file === undefined) fail("no program given: pass a script file, - for stdin, or -e PROGRAM", 2);
  const text = file === "-" ? io.readStdin(MAX_SCRIPT_BYTES) : readScriptFile(file);
  if (text === null) {
    const what = file === "-" ? "the script on stdin" : `script file '${file}'`;
    fail(`${what} is larger than ${formatLimit(MAX_SCRIPT_BYTES)}; probelab refuses scripts that big`);
  }
  return { name: file === "-" ? "stdin" : file, text };
}

function readScriptFile(file: string): string | null {
  try {
    return readTextBounded(file, MAX_SCRIPT_BYTES);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "";
    fail(`cannot read script file '${file}'${READ_FAILURES[code] ?? ""}`);
  }
}

const READ_FAILURES: Record<string, string> = {
  ENOENT: ": no such file",
  EISDIR: ": it is a directory",
  EACCES: ": permission denied",
};

export function kernelConfig(profile: string, switches: string[], io: CliIo = processIo): KernelConfig {
  if (profile === "help") {
    io.stdout.write(`${kernelHelp()}\n`);
    throw new UserError("", 0);
  }
  try {
    return resolveKernelConfig(profile, switches);
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message, 2);
    throw e;
  }
}

export function parseSets(sets: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of sets) {
    const eq = s.indexOf("=");
    if (eq <= 0) fail(`--set takes key=value, got "${s}"`, 2);
    out[s.slice(0, eq)] = s.slice(eq + 1);
  }
  return out;
}

/**
 * The workload to run. What the command line got wrong (an unknown bundled name, a `--set`
 * the workload does not declare) is a usage error (2); a broken workload file is 1.
 */
export function workload(name: string, sets: string[], cpus: number, seed: number): Workload {
  const looksLikePath = name.includes("/") || /\.ya?ml$/.test(name);
  const set = parseSets(sets);
  try {
    return loadWorkload(name, { set, cpus, seed });
  } catch (e) {
    if (!(e instanceof WorkloadError)) throw e;
    const bundled = listWorkloads().some((w) => w.name === name);
    const usage = (!looksLikePath && !bundled) || e.message.includes("--set ");
    fail(e.message, usage ? 2 : 1);
  }
}

/** A stop the user asked for while a command runs. */
export interface SignalStop {
  readonly requested: boolean;
  /** Stop listening (the command is over). */
  dispose(): void;
}

/**
 * SIGINT (Ctrl-C) and SIGTERM ask the running command to stop, as both end a bpftrace trace:
 * the command then finishes normally (end blocks, maps) and exits 0.
 */
export function stopOnSignals(onStop: () => void = () => {}): SignalStop {
  const stop = {
    requested: false,
    dispose: () => {
      process.off("SIGINT", request);
      process.off("SIGTERM", request);
    },
  };
  function request(): void {
    stop.requested = true;
    onStop();
  }
  process.on("SIGINT", request);
  process.on("SIGTERM", request);
  return stop;
}

/** Run a command body, turning user errors into one `ERROR:` line and an exit code. */
export async function guarded(body: () => void | Promise<void>, io: CliIo = processIo): Promise<void> {
  try {
    await body();
  } catch (e) {
    if (e instanceof UserError) {
      if (e.message !== "") io.stderr.write(`ERROR: ${e.message}\n`);
      io.setExitCode(e.code);
      return;
    }
    throw e;
  }
}
