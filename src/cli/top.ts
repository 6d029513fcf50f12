/** `probelab top`: the live view (src/tui) over a LiveTraceSession. */

import type { SourceFile } from "../lang/index.js";
import type { Workload } from "../process/index.js";
import { LiveTraceSession } from "../trace/live.js";
import { Session } from "../trace/session.js";
import { noColorRequested } from "../tui/index.js";
import { runTop } from "../tui/run-top.js";
import {
  fail,
  guarded,
  kernelConfig,
  parseDuration,
  parseIntOption,
  parseOutputFormat,
  readScript,
  type SharedOptions,
  stopOnSignals,
  workload,
} from "./common.js";

/** Real seconds of simulation a piped frame may cover at most (interval x speed). */
const MAX_SPEED = 10;

/**
 * What a newcomer sees with no script, chosen from the workload: calls and returns of the
 * program's first function after main (its service loop's work), and malloc sizes when a
 * libc is mapped.
 */
export function defaultScript(w: Workload): SourceFile {
  const exe = w.binaries[w.process.exe];
  const fn = exe.symbols.find((s) => s.name !== "main") ?? exe.symbols[0];
  const lines = [
    `uprobe:${exe.path}:${fn.name} { @calls[comm] = count(); }`,
    `uretprobe:${exe.path}:${fn.name} { @ret = count(); }`,
  ];
  const libc = w.binaries.find(
    (b) => b.basename.startsWith("libc.") && b.symbols.some((s) => s.name === "malloc"),
  );
  if (libc !== undefined) lines.push("uprobe:libc:malloc { @sizes = hist(arg0); }");
  return { name: `default probes of ${w.name}`, text: `${lines.join("\n")}\n` };
}

interface TopCliOptions extends SharedOptions {
  interval: string;
  speed: string;
  duration?: string;
}

export function runTopCommand(file: string | undefined, opts: TopCliOptions): Promise<void> {
  return guarded(async () => {
    const config = kernelConfig(opts.kernel, opts.switch);
    const cpus = parseIntOption(opts.cpus, "--cpus", 1, 128);
    const seed = parseIntOption(opts.seed, "--seed", 0, 2 ** 31 - 1);
    const speed = Number(opts.speed);
    if (!(speed > 0 && speed <= MAX_SPEED))
      fail(
        `--speed must be more than 0 and at most ${MAX_SPEED} simulated seconds per second, got "${opts.speed}"`,
        2,
      );
    const interval = parseDuration(opts.interval, "--interval") / 1e6;
    const durationNs = opts.duration === undefined ? undefined : parseDuration(opts.duration, "--duration");
    const log: string[] = [];
    const w = workload(opts.workload, opts.set, cpus, seed);
    const src =
      file === undefined && opts.program === undefined ? defaultScript(w) : readScript(file, opts.program);
    const session = new Session({
      workload: w,
      cpus,
      seed,
      kernelProfile: opts.kernel,
      config,
      format: "text",
      out: { write: (s) => void log.push(...s.split("\n").filter((l) => l !== "")) },
      err: { write: (s) => void log.push(...s.split("\n").filter((l) => l !== "")) },
      quiet: true,
    });
    const { script, diagnostics } = session.load(src);
    if (diagnostics.length > 0) process.stderr.write(Session.format(diagnostics, src));
    if (script === null) fail("", 1);
    session.start(script);
    const isTTY = process.stdout.isTTY === true && process.stdin.isTTY === true;
    const live = new LiveTraceSession(session, speed, log, isTTY, durationNs);
    const controller = new AbortController();
    const stop = stopOnSignals(() => controller.abort());
    const final = await runTop(live, {
      interval,
      stdout: process.stdout,
      stdin: process.stdin,
      isTTY,
      format: parseOutputFormat(opts.format),
      noColor: noColorRequested(process.env),
      durationNs,
      signal: controller.signal,
    }).finally(() => stop.dispose());
    // As bpftrace at exit: the scripts' maps, after the summary.
    if (!opts.quiet) for (const m of final.maps) if (m.text !== "") process.stdout.write(`\n${m.text}`);
  });
}
