// The simulated machine's own speed: scheduler steps per real second (1, 8, 64, 128 CPUs),
// memory per simulated task, how responsive a busy 128-CPU machine stays when run in slices
// (as the live view does), exploration runs per second, and the emergent scaling curve of a
// shared vs per-CPU counter line (simulated-time figures).
// Run after `npm run build`: node bench/sched-bench.mjs
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

// Memory figures need a forced GC: re-run under --expose-gc if it is not on.
if (typeof globalThis.gc !== "function") {
  const r = spawnSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url)], {
    stdio: "inherit",
  });
  process.exit(r.status ?? 1);
}

const { CacheLine } = await import("../dist/sim/cacheline.js");
const { Machine } = await import("../dist/sim/machine.js");
const { Mutex } = await import("../dist/sim/sync/spinlock.js");
const { RcuDomain } = await import("../dist/sim/sync/rcu.js");
const { SrcuStruct } = await import("../dist/sim/sync/srcu.js");

const fmt = (n, digits = 2) => n.toFixed(digits).padStart(8);

/** Steps per real second with one task per CPU writing a private or one shared line. */
function stepsPerSecond(cpus, shared) {
  const m = new Machine({ cpus, seed: 1 });
  const sharedLine = new CacheLine("shared");
  for (let i = 0; i < cpus; i++) {
    const own = new CacheLine(`own${i}`);
    m.spawn(`t${i}`, function* () {
      while (true) {
        (shared ? sharedLine : own).write(m);
        yield 5;
      }
    });
  }
  m.runUntil(1_000); // warm up
  const t0 = performance.now();
  const s0 = m.steps;
  m.runUntil(shared ? 20_000_000 : 100_000_000 / cpus);
  const dt = (performance.now() - t0) / 1000;
  return (m.steps - s0) / dt;
}

console.log("scheduler steps per real second (time policy, one task per CPU)");
for (const cpus of [1, 8, 64, 128]) {
  const own = stepsPerSecond(cpus, false);
  const shared = stepsPerSecond(cpus, true);
  console.log(
    `  cpus=${String(cpus).padStart(3)}  private lines: ${fmt(own / 1e6)} M steps/s   one shared line: ${fmt(shared / 1e6)} M steps/s`,
  );
}

// Responsiveness: 128 CPUs x 4 tasks doing private work, a shared counter, an occasional
// mutex and SRCU/RCU readers, run in 1 ms simulated slices. Report real time per slice.
{
  const m = new Machine({ cpus: 128, seed: 1 });
  const nhit = new CacheLine("nhit");
  const mutex = new Mutex(m, "mutex");
  const srcu = new SrcuStruct(m, "srcu");
  const rcu = new RcuDomain(m, "rcu_tasks_trace", 1, 3, () => m.profile.tasksTraceGracePeriod);
  for (let i = 0; i < 512; i++) {
    const own = new CacheLine(`own${i}`);
    m.spawn(`w${i}`, function* () {
      for (let k = 0; ; k++) {
        own.write(m);
        rcu.readLock();
        const idx = srcu.readLock();
        yield 250;
        srcu.readUnlock(idx);
        rcu.readUnlock();
        if (k % 64 === 0) nhit.atomic(m);
        if (k % 4096 === 0) {
          yield* mutex.lock();
          yield 100;
          mutex.unlock();
        }
        yield 30;
      }
    });
  }
  m.spawn("updater", function* () {
    while (true) {
      yield* srcu.synchronize();
      yield* rcu.synchronize();
    }
  });
  // Slices of 100 us simulated, as a live view would run between two repaints.
  const slices = [];
  const s0 = m.steps;
  const t0 = performance.now();
  for (let t = 1; t <= 100; t++) {
    const a = performance.now();
    m.runUntil(t * 100_000);
    slices.push(performance.now() - a);
  }
  const total = (performance.now() - t0) / 1000;
  slices.sort((a, b) => a - b);
  console.log(
    `128 CPUs x 4 tasks, 10 ms simulated in 100 us slices: ${fmt((m.steps - s0) / total / 1e6)} M steps/s, ` +
      `real ms per slice median ${slices[50].toFixed(1)} p95 ${slices[95].toFixed(1)} max ${slices[99].toFixed(1)}; ` +
      `${srcu.stats.gracePeriods} SRCU grace periods, ${Math.round(total * 1000)} ms real in all`,
  );
}

// Exploration: small 3-CPU scenarios under the random policy, runs per real second.
{
  const t0 = performance.now();
  let runs = 0;
  let steps = 0;
  for (let seed = 1; seed <= 2_000; seed++) {
    const m = new Machine({ cpus: 3, seed, policy: "random", traceSteps: 48 });
    const lock = new Mutex(m, "lock");
    for (let t = 0; t < 3; t++) {
      m.spawn(`t${t}`, function* () {
        for (let i = 0; i < 5; i++) {
          yield* lock.lock();
          yield 20;
          lock.unlock();
          yield 10;
        }
      });
    }
    m.runToCompletion();
    runs++;
    steps += m.steps;
  }
  const dt = (performance.now() - t0) / 1000;
  console.log(
    `exploration: ${Math.round(runs / dt)} runs/s (random policy, 3 CPUs, ~${Math.round(steps / runs)} steps each)`,
  );
}

// Emergent scaling (simulated figures): ops per simulated second, shared vs per-CPU line.
{
  const row = (shared) =>
    [1, 2, 4, 8, 16, 32, 64, 128].map((cpus) => {
      const m = new Machine({ cpus });
      const one = new CacheLine("nhit");
      const lines = m.cpus.map((c) => new CacheLine(`nhit[${c.id}]`));
      let ops = 0;
      for (let c = 0; c < cpus; c++) {
        m.spawn(
          `p${c}`,
          function* () {
            while (true) {
              (shared ? one : lines[c]).atomic(m);
              ops++;
              yield m.profile.userLoop;
            }
          },
          c,
        );
      }
      m.runUntil(50_000);
      return `${cpus}:${(ops / 50e-6 / 1e6).toFixed(0)}`;
    });
  console.log(`shared counter line, M ops/s by CPUs:  ${row(true).join("  ")}`);
  console.log(`per-CPU counter lines, M ops/s by CPUs: ${row(false).join("  ")}`);
}

// Memory per simulated task: spawn many sleeping tasks and measure the heap.
{
  globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  const m = new Machine({ cpus: 128, seed: 1 });
  const N = 20_000;
  for (let i = 0; i < N; i++) {
    m.spawn(`t${i}`, function* () {
      yield* m.sleep(1e12);
    });
  }
  m.runUntil(1);
  globalThis.gc();
  const after = process.memoryUsage().heapUsed;
  console.log(
    `memory per simulated task: ~${Math.round((after - before) / N)} bytes (${N} sleeping tasks, 128 CPUs)`,
  );
  if (m.tasks.length !== N) throw new Error("tasks lost");
}
