/**
 * `probelab bench scaling`: the kernel's trigger bench on the simulated machine. One pinned
 * producer per CPU calls the probed function in a loop; a count() program runs per hit; the
 * result is total and per-CPU M hits per simulated second.
 */
import { writeFileSync } from "node:fs";
import { DEFAULT_PROFILE } from "../kernel/config.js";
import { Session } from "../trace/session.js";
import {
  type CliIo,
  fail,
  guarded,
  kernelConfig,
  parseDuration,
  parseIntOption,
  processIo,
  workload,
} from "./common.js";
import { scalingSvg, scalingTextChart } from "./scaling-chart.js";
import { loadSvgToPng, type SvgToPng } from "./svg-to-png.js";

interface BenchOptions {
  kernel: string;
  probe: string;
  cpus: string;
  duration: string;
  switch: string[];
  seed: string;
  format: "text" | "json";
  plot?: string;
}

const PROBES = [
  "uprobe-nop",
  "uprobe-push",
  "uprobe-ret",
  "uprobe-nop5",
  "uretprobe-nop",
  "uretprobe-push",
  "uretprobe-ret",
  "uretprobe-nop5",
];

export interface ScalingPoint {
  kernel: string;
  probe: string;
  cpus: number;
  total_mhits: number;
  per_cpu_mhits: number;
  speculative_fallbacks: number;
  real_ms: number;
}

/** One point: `cpus` producers for `durationNs` of simulated time after a warm-up. */
export function scalingPoint(
  profile: string,
  switches: string[],
  probe: string,
  cpus: number,
  durationNs: number,
  seed: number,
): ScalingPoint {
  const [kind, insn] = probe.split("-");
  const target = `uprobe_target_${insn}`;
  const w = workload("trigger", [`target=${target}`], cpus, seed);
  const session = new Session({
    workload: w,
    cpus,
    seed,
    kernelProfile: profile,
    config: kernelConfig(profile, switches),
    format: "text",
    out: { write: () => {} },
    err: { write: () => {} },
  });
  const { script } = session.load({
    name: "bench",
    text: `${kind}:/usr/bin/trigger:${target} { @ = count(); }`,
  });
  if (script === null) fail("internal: bench script did not load");
  const t0 = performance.now();
  session.start(script);
  // Warm up until the probe is attached everywhere (registration waits for grace periods).
  let warm = 0;
  while (session.kernel.u.stats.registrations < 1 && warm < 1e9) session.runUntil((warm += 100_000));
  session.runUntil((warm += 100_000));
  const before = script.probes[0].hits();
  session.runUntil(warm + durationNs);
  const hits = script.probes[0].hits() - before;
  const total = hits / (durationNs / 1e9) / 1e6;
  return {
    kernel: profile,
    probe,
    cpus,
    total_mhits: round(total),
    per_cpu_mhits: round(total / cpus),
    speculative_fallbacks: session.kernel.u.stats.speculativeFallbacks,
    real_ms: Math.round(performance.now() - t0),
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export function runBench(opts: BenchOptions, io: CliIo = processIo): Promise<void> {
  return guarded(async () => {
    if (!PROBES.includes(opts.probe)) fail(`--probe must be one of ${PROBES.join(", ")}`, 2);
    const profiles = opts.kernel.split(",").map((s) => s.trim() || DEFAULT_PROFILE);
    const cpuList = opts.cpus.split(",").map((c) => parseIntOption(c, "--cpus", 1, 128));
    const duration = parseDuration(opts.duration, "--duration");
    const seed = parseIntOption(opts.seed, "--seed", 0, 2 ** 31 - 1);
    for (const p of profiles) kernelConfig(p, opts.switch, io);
    const toPng = await plotRenderer(opts.plot);
    if (opts.format === "text") {
      io.stdout.write(`probe ${opts.probe}, ${duration / 1e6} ms simulated per point\n`);
      io.stdout.write(
        `${"kernel".padEnd(12)} ${"cpus".padStart(5)} ${"total M/s".padStart(10)} ${"per-CPU M/s".padStart(12)}\n`,
      );
    }
    const points: ScalingPoint[] = [];
    for (const profile of profiles) {
      for (const cpus of cpuList) {
        const r = scalingPoint(profile, opts.switch, opts.probe, cpus, duration, seed);
        points.push(r);
        if (opts.format === "json") io.stdout.write(`${JSON.stringify(r)}\n`);
        else {
          io.stdout.write(
            `${profile.padEnd(12)} ${String(cpus).padStart(5)} ${r.total_mhits.toFixed(3).padStart(10)} ${r.per_cpu_mhits.toFixed(3).padStart(12)}\n`,
          );
        }
      }
    }
    if (opts.format === "text") io.stdout.write(scalingTextChart(points, opts.probe));
    if (opts.plot !== undefined) {
      const svg = scalingSvg(points, opts.probe, duration / 1e6);
      writePlot(opts.plot, toPng === undefined ? svg : toPng(svg));
    }
  }, io);
}

/**
 * Checks the plot file's extension and, for a PNG, loads the rasteriser before any point runs:
 * a platform that cannot load it fails at once, not after minutes of simulation.
 */
async function plotRenderer(plot: string | undefined): Promise<SvgToPng | undefined> {
  if (plot === undefined || plot.endsWith(".svg")) return undefined;
  if (plot.endsWith(".png")) return loadSvgToPng();
  fail("--plot: the file must end in .svg or .png", 2);
}

function writePlot(path: string, data: string | Uint8Array): void {
  try {
    writeFileSync(path, data);
  } catch (err) {
    const why =
      (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such directory" : String((err as Error).message);
    fail(`cannot write plot file '${path}': ${why}`, 1);
  }
}
