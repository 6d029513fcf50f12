/** `probelab run`: run scripts against a workload and print what bpftrace would print. */
import { closeSync, openSync, writeSync } from "node:fs";
import { dumpAst, dumpTokens, dumpTyped, frontEnd, type SourceFile } from "../lang/index.js";
import type { Sink } from "../runtime/index.js";
import { Session } from "../trace/session.js";
import {
  type CliIo,
  colorWanted,
  fail,
  guarded,
  kernelConfig,
  parseDuration,
  parseIntOption,
  processIo,
  readScript,
  type SharedOptions,
  workload,
} from "./common.js";

export interface RunOptions extends SharedOptions {
  duration: string;
  output?: string;
  debug?: string;
  dryRun?: boolean;
}

const STAGES = ["tokens", "ast", "typed"];

export function runRun(
  file: string | undefined,
  args: string[],
  opts: RunOptions,
  io: CliIo = processIo,
): Promise<void> {
  return guarded(() => {
    // As in bpftrace, with -e every positional word is a script argument ($1, $2, ...).
    if (opts.program !== undefined && file !== undefined) {
      args = [file, ...args];
      file = undefined;
    }
    const config = kernelConfig(opts.kernel, opts.switch, io);
    const cpus = parseIntOption(opts.cpus, "--cpus", 1, 128);
    const seed = parseIntOption(opts.seed, "--seed", 0, 2 ** 31 - 1);
    const duration = parseDuration(opts.duration, "--duration");
    const stages = opts.debug === undefined ? [] : debugStages(opts.debug);
    const src = readScript(file, opts.program, io);
    for (const stage of stages) io.stdout.write(debugDump(stage, src, args));

    const w = usesUprobes(src, args) ? workload(opts.workload, opts.set, cpus, seed) : null;
    const err: Sink = { write: (s) => io.stderr.write(s) };
    const out = opts.output === undefined || opts.dryRun ? ioSink(io) : fileSink(opts.output);
    const session = new Session({
      workload: w,
      cpus,
      seed,
      kernelProfile: opts.kernel,
      config,
      format: opts.format,
      out,
      err,
      quiet: opts.quiet,
      attachBeforeStart: true,
    });
    const { script, diagnostics } = session.load(src, args);
    if (diagnostics.length > 0) io.stderr.write(Session.format(diagnostics, src, colorWanted(io)));
    if (script === null) fail("", 1);
    if (opts.dryRun) return;
    if (!opts.quiet) script.writer.attachedProbes(session.attachCount(script));
    session.start(script);
    if (!session.isBeginEndOnly()) session.runUntil(duration);
    session.finish();
    out.close?.();
    if (session.exitCode !== 0) io.setExitCode(session.exitCode);
  }, io);
}

/** Whether the script names a uprobe or uretprobe (only then does it need a workload). */
function usesUprobes(src: SourceFile, args: string[]): boolean {
  const fe = frontEnd(src, { args });
  return (
    fe.program?.probes.some((p) =>
      p.probe.attachPoints.some((ap) => ap.provider === "uprobe" || ap.provider === "uretprobe"),
    ) ?? false
  );
}

function debugStages(text: string): string[] {
  const list = text === "all" ? STAGES : text.split(",").map((s) => s.trim());
  for (const stage of list)
    if (!STAGES.includes(stage)) fail(`unknown debug stage "${stage}" (known: ${STAGES.join(", ")}, all)`, 2);
  return list;
}

function debugDump(stage: string, src: SourceFile, args: string[]): string {
  if (stage === "tokens") return dumpTokens(src);
  if (stage === "ast") return dumpAst(src, { args });
  return dumpTyped(src, { args });
}

interface ClosableSink extends Sink {
  close?(): void;
}

/** stdout as the CLI's io has it; never process.exit(), so pipes are never cut. */
function ioSink(io: CliIo): ClosableSink {
  return { write: (s) => io.stdout.write(s) };
}

/** The -o file, opened at the first write (a script that fails to load leaves no file behind). */
function fileSink(path: string): ClosableSink {
  let fd: number | undefined;
  const open = (): number => {
    if (fd !== undefined) return fd;
    try {
      fd = openSync(path, "w");
      return fd;
    } catch {
      fail(`cannot open output file '${path}'`);
    }
  };
  return {
    write: (s) => void writeSync(open(), s),
    close: () => closeSync(open()),
  };
}
