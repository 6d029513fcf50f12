/** `probelab run`: run scripts against a workload and print what bpftrace would print. */

import { closeSync, existsSync, openSync, readFileSync, writeSync } from "node:fs";
import {
  configFromEnv,
  dumpAst,
  dumpTokens,
  dumpTyped,
  frontEnd,
  type IncludeOptions,
  type SourceFile,
} from "../lang/index.js";
import type { Sink } from "../runtime/index.js";
import { probeArgFields } from "../trace/kernel-targets.js";
import { Session } from "../trace/session.js";
import { checkCommand, checkPid, listScriptProbes, parsePid, parseProbeFilter } from "./bpftrace-flags.js";
import {
  type CliIo,
  colorWanted,
  fail,
  guarded,
  kernelConfig,
  parseDuration,
  parseIntOption,
  parseOutputFormat,
  processIo,
  readScript,
  type SharedOptions,
  stopOnSignals,
  workload,
} from "./common.js";
import { listing } from "./list.js";
import { advance, ProgressLine } from "./run-loop.js";
import { verboseSetup, verboseSummary } from "./verbose.js";

export interface RunOptions extends SharedOptions {
  duration: string;
  output?: string;
  debug?: string;
  dryRun?: boolean;
  list?: boolean;
  pid?: string;
  command?: string;
  probeFilter?: string;
  /** False with --no-warnings. */
  warnings: boolean;
  /** --unsafe: system() is allowed. */
  unsafe?: boolean;
  /** -k: a map lookup of a missing key warns. */
  k?: boolean;
  /** -I DIR (repeatable): where #include looks before the shipped headers. */
  includeDir: string[];
  /** --include FILE (repeatable): headers included before the script's first line. */
  include: string[];
}

const STAGES = ["tokens", "ast", "typed"];

export function runRun(
  file: string | undefined,
  args: string[],
  opts: RunOptions,
  io: CliIo = processIo,
): Promise<void> {
  return guarded(async () => {
    // As in bpftrace, with -e every positional word is a script argument ($1, $2, ...).
    if (opts.program !== undefined && file !== undefined) {
      args = [file, ...args];
      file = undefined;
    }
    if (opts.list && opts.program === undefined && !isScriptFile(file)) {
      // As bpftrace -l: a word that names no file is a search pattern, as `list` takes it.
      if (args.length > 0) fail("-l takes one search pattern or a script", 2);
      const pattern = file === undefined || file === "*" ? undefined : file;
      return void io.stdout.write(listing(workload(opts.workload, opts.set, 1, 1), pattern, false));
    }
    const config = kernelConfig(opts.kernel, opts.switch, io);
    const cpus = parseIntOption(opts.cpus, "--cpus", 1, 128);
    const seed = parseIntOption(opts.seed, "--seed", 0, 2 ** 31 - 1);
    const duration = parseDuration(opts.duration, "--duration");
    const stages = opts.debug === undefined ? [] : debugStages(opts.debug);
    const format = parseOutputFormat(opts.format);
    const pid = opts.pid === undefined ? undefined : parsePid(opts.pid);
    const probeFilter = opts.probeFilter === undefined ? undefined : parseProbeFilter(opts.probeFilter);
    const src = readScript(file, opts.program, io);
    const includes = includeOptions(opts);
    for (const stage of stages) io.stdout.write(debugDump(stage, src, args, includes));
    // Loaded even when the script needs no process, so a misspelt -w or --set never passes silently.
    const loadedWorkload = workload(opts.workload, opts.set, cpus, seed);
    if (opts.list) {
      const listing = listScriptProbes(src, args, loadedWorkload);
      if (listing !== null) return void io.stdout.write(listing);
    }
    const traced = needsWorkload(src, args, includes) || opts.command !== undefined;
    const w = traced ? loadedWorkload : null;
    if (w && opts.command !== undefined) checkCommand(opts.command, w);
    if (w && pid !== undefined) checkPid(pid, w);
    const progress = new ProgressLine(io, io.stderrIsTTY && !opts.quiet, duration);
    const err = progressFirst(progress, (s) => io.stderr.write(s));
    const out =
      opts.output === undefined || opts.dryRun
        ? progressFirst(progress, (s) => io.stdout.write(s))
        : fileSink(opts.output);
    const session = new Session({
      workload: w,
      cpus,
      seed,
      kernelProfile: opts.kernel,
      config,
      format,
      out,
      err,
      quiet: opts.quiet,
      attachBeforeStart: true,
      probeFilter,
      pid,
      envConfig: configFromEnv(io.env),
      noWarnings: !opts.warnings,
      unsafe: opts.unsafe,
      helperErrors: opts.k,
      includes,
    });
    const result = session.load(src, args);
    const { script } = result;
    const diagnostics = opts.warnings
      ? result.diagnostics
      : result.diagnostics.filter((d) => d.severity !== "warning");
    if (diagnostics.length > 0) io.stderr.write(Session.format(diagnostics, src, colorWanted(io)));
    if (script === null) fail("", 1);
    // As bpftrace: a script without a single probe (empty, only comments or config) is an error.
    if (session.attachCount(script) === 0) fail("No probes to attach", 1);
    if (opts.verbose) err.write(verboseSetup(session, seed));
    if (opts.dryRun) return;
    out.open?.();
    if (!opts.quiet) script.writer.attachedProbes(session.attachCount(script));
    session.start(script);
    if (!session.isBeginEndOnly()) {
      const stop = stopOnSignals();
      try {
        await advance(session, duration, session.sliceNs, stop, progress, undefined, io.stdout);
      } finally {
        stop.dispose();
      }
    }
    session.finish();
    if (opts.verbose) err.write(verboseSummary(session));
    out.close?.();
    if (session.exitCode !== 0) io.setExitCode(session.exitCode);
  }, io);
}

/** Probes that run without a process; any other one (uprobes, kernel probes) needs the workload. */
const PROCESSLESS = new Set(["begin", "end", "interval"]);

/** Whether the script names a probe that needs a workload. */
function needsWorkload(src: SourceFile, args: string[], includes: IncludeOptions): boolean {
  const fe = frontEnd(src, { args, probeArgs: probeArgFields, unsafe: true, includes });
  return (
    fe.program?.probes.some((p) => p.probe.attachPoints.some((ap) => !PROCESSLESS.has(ap.provider))) ?? false
  );
}

function debugStages(text: string): string[] {
  const list = text === "all" ? STAGES : text.split(",").map((s) => s.trim());
  for (const stage of list)
    if (!STAGES.includes(stage)) fail(`unknown debug stage "${stage}" (known: ${STAGES.join(", ")}, all)`, 2);
  return list;
}

function debugDump(stage: string, src: SourceFile, args: string[], includes: IncludeOptions): string {
  if (stage === "tokens") return dumpTokens(src);
  if (stage === "ast") return dumpAst(src, { args, includes });
  return dumpTyped(src, { args, includes });
}

/** -I and --include, with header files read from disk (an unreadable path is no header). */
function includeOptions(opts: RunOptions): IncludeOptions {
  return {
    includeDirs: opts.includeDir,
    includeFiles: opts.include,
    readFile: (path) => {
      try {
        return readFileSync(path, "utf8");
      } catch {
        return null;
      }
    },
  };
}

interface ClosableSink extends Sink {
  open?(): void;
  close?(): void;
}

/**
 * A stream of the CLI's io (never process.exit(), so pipes are never cut); the progress line
 * is erased before each write, since they may share a terminal.
 */
function progressFirst(progress: ProgressLine, write: (s: string) => void): ClosableSink {
  return {
    write: (s) => {
      progress.clear();
      write(s);
    },
  };
}

const OPEN_FAILURES: Record<string, string> = {
  ENOENT: "no such file or directory",
  EISDIR: "is a directory",
  EACCES: "permission denied",
  ENOTDIR: "a component of the path is not a directory",
  EROFS: "read-only file system",
};

/**
 * The -o file. `open()` comes once the script has loaded (a script that fails leaves no file
 * behind) and before anything runs, so a bad path costs the user nothing (exit 2).
 */
function fileSink(path: string): ClosableSink {
  let fd = -1;
  return {
    open: () => {
      try {
        fd = openSync(path, "w");
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? "";
        fail(`cannot open output file '${path}': ${OPEN_FAILURES[code] ?? (e as Error).message}`, 2);
      }
    },
    write: (s) => void writeSync(fd, s),
    close: () => closeSync(fd),
  };
}

/** A script to read: stdin (`-`) or a file that exists (bpftrace -l tells a file from a pattern so). */
function isScriptFile(file: string | undefined): boolean {
  return file === "-" || (file !== undefined && existsSync(file));
}
