/** Helpers the commands share: reading scripts, parsing option values, reporting errors. */
import { readFileSync } from "node:fs";
import { ConfigError, type KernelConfig, kernelHelp, resolveKernelConfig } from "../kernel/config.js";
import type { SourceFile } from "../lang/index.js";
import { loadWorkload, type Workload, WorkloadError } from "../process/index.js";

/** A user error: printed as one line, exit code `code`, never a stack trace. */
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

/** `500ms`, `2s`, `100us`, `1000` (ns) -> ns. */
export function parseDuration(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m)?$/.exec(text.trim());
  if (m === null) fail(`${what}: invalid duration "${text}" (examples: 500ms, 2s, 100us)`, 2);
  const unit = { ns: 1, us: 1e3, ms: 1e6, s: 1e9, m: 60e9 }[(m[2] ?? "ns") as "ns"];
  return Math.round(Number(m[1]) * unit);
}

export function parseIntOption(text: string, what: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max)
    fail(`${what} must be an integer from ${min} to ${max}, got "${text}"`, 2);
  return n;
}

/** The script from -e, a file, or stdin (`-`). */
export function readScript(file: string | undefined, program: string | undefined): SourceFile {
  if (program !== undefined) {
    if (file !== undefined) fail("give either -e PROGRAM or a script file, not both", 2);
    return { name: "stdin", text: program };
  }
  if (file === undefined) fail("no program given: pass a script file, - for stdin, or -e PROGRAM", 2);
  if (file === "-") return { name: "stdin", text: readFileSync(0, "utf8") };
  try {
    return { name: file, text: readFileSync(file, "utf8") };
  } catch {
    fail(`cannot read script file '${file}'`);
  }
}

export function kernelConfig(profile: string, switches: string[]): KernelConfig {
  if (profile === "help") {
    process.stdout.write(`${kernelHelp()}\n`);
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

export function workload(name: string, sets: string[], cpus: number, seed: number): Workload {
  try {
    return loadWorkload(name, { set: parseSets(sets), cpus, seed });
  } catch (e) {
    if (e instanceof WorkloadError) fail(e.message);
    throw e;
  }
}

/** Run a command body, turning user errors into a message and an exit code. */
export async function guarded(body: () => void | Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    if (e instanceof UserError) {
      if (e.message !== "") process.stderr.write(`ERROR: ${e.message}\n`);
      process.exitCode = e.code;
      return;
    }
    throw e;
  }
}
