/**
 * bpftrace's own command-line flags as `probelab run` takes them: -p PID, -c CMD,
 * --probe-filter, -f, -l. Their errors read as bpftrace's do.
 */

import { posix } from "node:path";
import { DiagnosticSink } from "../lang/diagnostics.js";
import type { AttachPoint, SourceFile } from "../lang/index.js";
import { parse } from "../lang/index.js";
import { hasWildcard } from "../process/index.js";
import type { Workload } from "../process/load.js";
import { FIRST_PID } from "../process/process.js";
import { fail } from "./common.js";
import { matchingProbes } from "./list.js";

/** The kernel's PID_MAX_LIMIT on 64-bit machines. */
const PID_MAX = 4_194_304;

/** `-p PID`: a decimal pid, validated with bpftrace's messages. */
export function parsePid(text: string): number {
  const digits = /^\d+/.exec(text)?.[0] ?? "";
  if (digits === "") fail(`Failed to parse pid: invalid integer: ${text}`);
  if (digits.length < text.length) fail(`Failed to parse pid: invalid trailing bytes: ${text}`);
  const pid = Number(digits);
  if (pid < 1 || pid > PID_MAX) fail(`Pid out of range: ${text}`);
  return pid;
}

/** The workload's one process runs as FIRST_PID; -p must name it. */
export function checkPid(pid: number, w: Workload): void {
  if (pid !== FIRST_PID) {
    fail(`pid ${pid}: no such process (workload ${w.name} runs ${w.process.comm} as pid ${FIRST_PID})`);
  }
}

/**
 * `-c CMD`: a simulated workload already runs its program, so CMD must name it: its path as
 * the workload writes it (relative to the process's cwd, or absolute) or its basename.
 */
export function checkCommand(cmd: string, w: Workload): void {
  const program = cmd.trim().split(/\s+/)[0] ?? "";
  const exe = w.binaries[w.process.exe]!;
  const cwd = w.process.cwd;
  const matches = program === exe.basename || posix.resolve(cwd, program) === posix.resolve(cwd, exe.path);
  if (!matches) {
    fail(`-c ${cmd}: workload ${w.name} runs ${exe.path}, not ${program} (choose the workload with -w)`);
  }
}

/** `--probe-filter REGEX`: a regular expression over probe names. */
export function parseProbeFilter(text: string): RegExp {
  try {
    return new RegExp(text);
  } catch (e) {
    fail(`Invalid probe filter "${text}": ${(e as Error).message}`);
  }
}

/**
 * `-l` with a script: its probes, one per line, as bpftrace lists them; null if it does not
 * parse. An attach point with a wildcard lists what it matches in the workload and the
 * model kernel, and a uprobe's bare target (`libc`) the file it names, as bpftrace expands
 * them; one that matches nothing is listed as written.
 */
export function listScriptProbes(src: SourceFile, args: string[], w: Workload): string | null {
  const program = parse(src, { args }, new DiagnosticSink());
  if (program === null) return null;
  const names = program.probes.flatMap((p) => p.attachPoints.flatMap((ap) => listedNames(ap, w)));
  return [...new Set(names)].map((n) => `${n}\n`).join("");
}

function listedNames(ap: AttachPoint, w: Workload): string[] {
  // bpftrace lists an interval probe by its unit only (`interval:ms:`): the period is no probe.
  if (ap.provider === "interval") {
    const unit = ap.parts.length > 1 ? ap.parts[0] : /[a-z]+$/.exec(ap.parts[0] ?? "")?.[0];
    return [`interval:${unit ?? "s"}:`];
  }
  const userProbe = ap.provider === "uprobe" || ap.provider === "uretprobe";
  const bareTarget = userProbe && ap.target !== undefined && !ap.target.includes("/");
  if (!hasWildcard(ap.canonical) && !bareTarget) return [ap.canonical];
  const matches = matchingProbes(w, ap.canonical);
  return matches.length > 0 ? matches : [ap.canonical];
}
