// Attach then detach N uprobes, batched (N x unregister_nosync + one sync) vs one sync per probe:
// grace periods waited and simulated time. Run after `npm run build`: node bench/detach-bench.mjs [N]
import { detachBench } from "../dist/trace/detach-bench.js";

const n = Number(process.argv[2] ?? 10_000);
for (const mode of ["batched", "batch-api", "sync-per-probe"]) {
  const t0 = performance.now();
  const f = detachBench(n, "latest", [`unregister=${mode}`]);
  const real = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(
    `${mode.padEnd(15)} ${n} uprobes: attach ${(f.attachNs / 1e6).toFixed(1)} ms, detach ${(f.detachNs / 1e6).toFixed(1)} ms` +
      ` simulated, ${f.gracePeriods} grace periods, ${f.syncCalls} sync calls, ${f.breakpointsLeft} breakpoints left (${real} s real)`,
  );
}
