/** `probelab run`: run scripts against a workload and print what bpftrace would print. */
import { closeSync, openSync, writeSync } from "node:fs";
import { dumpAst, dumpTokens, dumpTyped, frontEnd } from "../lang/index.js";
import type { Sink } from "../runtime/index.js";
import { Session } from "../trace/session.js";
import {
  fail,
  guarded,
  kernelConfig,
  parseDuration,
  parseIntOption,
  readScript,
  workload,
} from "./common.js";

export interface RunOptions {
  program?: string;
  workload: string;
  set: string[];
  cpus: string;
  seed: string;
  kernel: string;
  switch: string[];
  format: "text" | "json";
  quiet?: boolean;
  verbose?: boolean;
  duration: string;
  output?: string;
  debug?: string;
  dryRun?: boolean;
}

const STAGES = ["tokens", "ast", "typed"];

export function runRun(file: string | undefined, args: string[], opts: RunOptions): Promise<void> {
  return guarded(() => {
    const config = kernelConfig(opts.kernel, opts.switch);
    const src = readScript(file, opts.program);
    const cpus = parseIntOption(opts.cpus, "--cpus", 1, 128);
    const seed = parseIntOption(opts.seed, "--seed", 0, 2 ** 31 - 1);
    const duration = parseDuration(opts.duration, "--duration");
    if (opts.debug !== undefined) printDebug(opts.debug, src, args);

    const fe = frontEnd(src, { args });
    const needsWorkload =
      fe.program?.probes.some((p) =>
        p.probe.attachPoints.some((ap) => ap.provider === "uprobe" || ap.provider === "uretprobe"),
      ) ?? false;
    const w = needsWorkload ? workload(opts.workload, opts.set, cpus, seed) : null;
    const out = opts.output === undefined ? stdoutSink() : fileSink(opts.output);
    const err: Sink = { write: (s) => void process.stderr.write(s) };
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
    });
    const { script, diagnostics } = session.load(src, args);
    if (diagnostics.length > 0) process.stderr.write(Session.format(diagnostics, src));
    if (script === null) fail("", 1);
    if (opts.dryRun) return;
    if (!opts.quiet) script.writer.attachedProbes(session.attachCount(script));
    session.start(script);
    if (session.isBeginEndOnly()) session.finish();
    else session.runUntil(duration);
    session.finish();
    out.close?.();
    if (session.exitCode !== 0) process.exitCode = session.exitCode;
  });
}

function printDebug(stages: string, src: Parameters<typeof dumpTokens>[0], args: string[]): void {
  const list = stages === "all" ? STAGES : stages.split(",").map((s) => s.trim());
  for (const stage of list) {
    if (!STAGES.includes(stage)) fail(`unknown debug stage "${stage}" (known: ${STAGES.join(", ")}, all)`, 2);
    const text =
      stage === "tokens"
        ? dumpTokens(src)
        : stage === "ast"
          ? dumpAst(src, { args })
          : dumpTyped(src, { args });
    process.stdout.write(`${text}\n`);
  }
}

interface ClosableSink extends Sink {
  close?(): void;
}

/** Buffered stdout: one write per chunk, never process.exit(), so pipes are never cut. */
function stdoutSink(): ClosableSink {
  return { write: (s) => void process.stdout.write(s) };
}

function fileSink(path: string): ClosableSink {
  let fd: number;
  try {
    fd = openSync(path, "w");
  } catch {
    fail(`cannot open output file '${path}'`);
  }
  return {
    write: (s) => void writeSync(fd, s),
    close: () => closeSync(fd),
  };
}
