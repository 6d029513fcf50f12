/** `probelab top`: the live view (src/tui) over a LiveTraceSession. */

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
  readScript,
  type SharedOptions,
  stopOnSignals,
  workload,
} from "./common.js";

/** What a newcomer sees with no script: calls and latency of the default workload's service. */
const DEFAULT_SCRIPT = `uprobe:/usr/bin/shopd:handle_request { @calls[comm] = count(); }
uretprobe:/usr/bin/shopd:handle_request { @ret = count(); }
uprobe:libc:malloc { @sizes = hist(arg0); }
`;

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
    const src =
      file === undefined && opts.program === undefined
        ? { name: "default.bt", text: DEFAULT_SCRIPT }
        : readScript(file, opts.program);
    const speed = Number(opts.speed);
    if (!(speed > 0)) fail(`--speed must be a positive number, got "${opts.speed}"`, 2);
    const interval = parseDuration(opts.interval, "--interval") / 1e6;
    const log: string[] = [];
    const w = workload(opts.workload, opts.set, cpus, seed);
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
    const live = new LiveTraceSession(session, speed, log, isTTY);
    const controller = new AbortController();
    const stop = stopOnSignals(() => controller.abort());
    const final = await runTop(live, {
      interval,
      stdout: process.stdout,
      stdin: process.stdin,
      isTTY,
      format: opts.format,
      noColor: noColorRequested(process.env),
      durationNs: opts.duration === undefined ? undefined : parseDuration(opts.duration, "--duration"),
      signal: controller.signal,
    }).finally(() => stop.dispose());
    void final;
  });
}
