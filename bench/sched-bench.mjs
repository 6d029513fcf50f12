// Scheduler steps per real second, and memory per simulated task.
// Run after `npm run build`: node bench/sched-bench.mjs
import { CacheLine } from "../dist/sim/cacheline.js";
import { Machine } from "../dist/sim/machine.js";

function stepsPerSecond(cpus, tasksPerCpu, shared) {
  const m = new Machine({ cpus, seed: 1 });
  const sharedLine = new CacheLine("shared");
  for (let i = 0; i < cpus * tasksPerCpu; i++) {
    const own = new CacheLine(`own${i}`);
    m.spawn(`t${i}`, function* () {
      while (true) {
        (shared ? sharedLine : own).write(m);
        yield 5;
      }
    });
  }
  m.runUntil(1_000);
  const t0 = performance.now();
  const s0 = m.steps;
  m.runUntil(shared ? 20_000_000 : 100_000_000 / cpus);
  const dt = (performance.now() - t0) / 1000;
  return (m.steps - s0) / dt;
}

for (const cpus of [1, 8, 64, 128]) {
  const own = stepsPerSecond(cpus, 1, false);
  const shared = stepsPerSecond(cpus, 1, true);
  console.log(
    `cpus=${String(cpus).padStart(3)}  private lines: ${(own / 1e6).toFixed(2)} M steps/s   one shared line: ${(shared / 1e6).toFixed(2)} M steps/s`,
  );
}

// Memory per simulated task: spawn many sleeping tasks and measure the heap.
globalThis.gc?.();
const before = process.memoryUsage().heapUsed;
const m = new Machine({ cpus: 128, seed: 1 });
const N = 20_000;
for (let i = 0; i < N; i++) {
  m.spawn(`t${i}`, function* () {
    yield* m.sleep(1e12);
  });
}
m.runUntil(1);
globalThis.gc?.();
const after = process.memoryUsage().heapUsed;
console.log(`memory per simulated task: ~${Math.round((after - before) / N)} bytes (${N} tasks)`);
