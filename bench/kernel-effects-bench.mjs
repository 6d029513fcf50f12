// R3 and R10 of docs/kernel-model.md, the two races that are performance effects.
// R3: hit throughput and speculative-lookup fallbacks while registrations take the mm's
// mmap_write_lock. R10: uprobe_unregister_sync latency with and without a long pending
// return instance. Run after `npm run build`: node bench/kernel-effects-bench.mjs
import { speculationVsRegistration, syncVsPendingReturn } from "../dist/race/kernel-effects.js";

for (const n of [0, 50, 200]) {
  const f = speculationVsRegistration(n);
  const pct = ((100 * f.fallbacks) / f.hits).toFixed(2);
  console.log(
    `R3  ${String(n).padStart(3)} registrations: ${f.hits} hits, ${f.fallbacks} under mmap_read_lock (${pct}%), ${f.hitsPerMs.toFixed(0)} hits/ms simulated`,
  );
}
for (const outer of [false, true]) {
  const f = syncVsPendingReturn(outer);
  const what = outer ? "inside a 400 ms return-probed call" : "short return-probed calls only";
  console.log(
    `R10 ${what}: ${f.syncs} syncs, mean uprobe_unregister_sync ${f.meanSyncMs.toFixed(3)} ms simulated`,
  );
}
