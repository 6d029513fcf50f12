// Simulated uprobe hits processed per REAL second: the trigger workload, `latest` profile,
// a counting consumer (@ = count()). Run after `npm run build`: node bench/hits-bench.mjs
import { scalingPoint } from "../dist/cli/bench.js";

const durationNs = Number(process.env.SIM_NS ?? 20_000_000);
for (const [probe, cpus] of [
  ["uprobe-nop", 1],
  ["uprobe-nop", 64],
  ["uretprobe-nop", 1],
]) {
  const t0 = performance.now();
  const r = scalingPoint("latest", [], probe, cpus, durationNs, 1);
  const realS = (performance.now() - t0) / 1000;
  const hits = (r.total_mhits * 1e6 * durationNs) / 1e9;
  console.log(
    `${probe.padEnd(14)} cpus=${String(cpus).padStart(3)}  ${(hits / 1e6).toFixed(2)} M hits in ${realS.toFixed(2)} s real` +
      `  -> ${(hits / realS / 1e6).toFixed(2)} M simulated hits per real second`,
  );
}
