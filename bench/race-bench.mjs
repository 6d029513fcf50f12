// Exploration throughput of `probelab race`: explored runs per real second at 1 and 2 jobs
// (worker threads), for a short sync scenario and a uprobes scenario, with coverage on as the
// CLI runs it. Results must be identical at every job count; the bench checks that too.
// The CPU column is the process's CPU time over all threads: when the wall-clock speed-up
// falls short while CPU time stays flat, the cores were busy with something else, not idle.
// Run after `npm run build`: node bench/race-bench.mjs [--jobs 1,2]
import { availableParallelism, loadavg } from "node:os";

const { exploreInParallel } = await import("../dist/race/parallel.js");

const arg = process.argv.indexOf("--jobs");
const jobCounts = arg > 0 ? process.argv[arg + 1].split(",").map(Number) : [1, 2];

const cases = [
  { race: "rwsem-fifo", seeds: 20000 },
  { race: "r5-tree-walk-vs-insert-erase", seeds: 1500 },
];

const col = (v, w) => String(v).padStart(w);
console.log(`cores: ${availableParallelism()}, load average before: ${loadavg()[0].toFixed(2)}`);
console.log("scenario                      jobs    runs  wall s  cpu s   runs/s  speed-up");
for (const c of cases) {
  const job = { race: c.race, faults: [], firstSeed: 1, seeds: c.seeds, policies: ["random", "pct"] };
  let base = 0;
  let summary = null;
  for (const jobs of jobCounts) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await exploreInParallel(job, jobs);
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const rate = r.runs / wall;
    if (base === 0) base = rate;
    const line = `${r.runs} ${r.deadlocks} ${r.found?.seed ?? "-"} ${r.coverage.summary()}`;
    if (summary !== null && line !== summary) throw new Error(`jobs ${jobs} differ: ${line} vs ${summary}`);
    summary = line;
    const cpuS = (cpu.user + cpu.system) / 1e6;
    console.log(
      `${c.race.padEnd(28)} ${col(jobs, 5)} ${col(r.runs, 7)} ${col(wall.toFixed(2), 7)} ${col(cpuS.toFixed(2), 6)} ${col(rate.toFixed(0), 8)} ${col((rate / base).toFixed(2), 8)}x`,
    );
  }
}
