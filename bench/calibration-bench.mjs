// Every published multi-CPU point of docs/calibration.md beside the simulated value from the
// one cost profile, with the error. Run after `npm run build`:
//   node bench/calibration-bench.mjs [DURATION_NS]   (default 300000: 0.3 ms simulated a point)
import { scalingPoint } from "../dist/cli/bench.js";
import { PUBLISHED_SCALING } from "../dist/cli/scaling-published.js";

const durationNs = Number(process.argv[2] ?? 300_000);
let worst = 0;
let outside = 0;
console.log("probe          kernel       cpus  published  simulated   error");
for (const [probe, byProfile] of PUBLISHED_SCALING) {
  for (const [profile, points] of byProfile) {
    for (const { cpus, total } of points) {
      const simulated = scalingPoint(profile, [], probe, cpus, durationNs, 1).total_mhits;
      const error = (simulated / total - 1) * 100;
      worst = Math.max(worst, Math.abs(error));
      if (Math.abs(error) > 25) outside++;
      const sign = error >= 0 ? "+" : "";
      console.log(
        `${probe.padEnd(14)} ${profile.padEnd(12)} ${String(cpus).padStart(4)} ${total.toFixed(3).padStart(10)} ${simulated.toFixed(3).padStart(10)} ${`${sign}${error.toFixed(1)}%`.padStart(8)}`,
      );
    }
  }
}
console.log(`worst error ${worst.toFixed(1)}%, ${outside} points outside 25%`);
