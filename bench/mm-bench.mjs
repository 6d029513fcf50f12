// VMA lookup and lock_vma_under_rcu rates on a 128-CPU machine with a 10,000-VMA process
// while one writer churns the address space (mprotect splits and merges).
// Run after `npm run build`: node bench/mm-bench.mjs
import { do_mmap, do_mprotect, lock_vma_under_rcu, MmStruct, vma_end_read } from "../dist/kernel/mm/index.js";
import { Machine } from "../dist/sim/machine.js";
import { Prng } from "../dist/sim/prng.js";

const P = 4096;
const BASE = 0x100000000;
const NVMAS = 10_000;
const CPUS = 128;

function populate(m, mm) {
  // Alternating protections so neighbours never merge: 10,000 one-page VMAs, two pages apart.
  m.spawn("populate", function* () {
    for (let i = 0; i < NVMAS; i++)
      yield* do_mmap(mm, { addr: BASE + 2 * i * P, len: P, prot: i % 2 ? 1 : 3 });
  });
  m.runToCompletion();
}

function run(kind) {
  const m = new Machine({ cpus: CPUS, seed: 1 });
  const mm = new MmStruct(m);
  populate(m, mm);
  let ops = 0;
  let ok = 0;
  let stop = false;
  m.spawn(
    "writer",
    function* () {
      const rng = new Prng(99);
      while (!stop) {
        const at = BASE + 2 * rng.below(NVMAS) * P;
        yield* do_mprotect(mm, at, P, 7);
        yield* do_mprotect(mm, at, P, at % (4 * P) === 0 ? 3 : 1);
      }
    },
    0,
  );
  for (let c = 1; c < CPUS; c++) {
    m.spawn(
      `reader${c}`,
      function* () {
        const rng = new Prng(c);
        while (!stop) {
          const addr = BASE + 2 * rng.below(NVMAS) * P + 16;
          if (kind === "lookup") {
            const v = mm.vma_lookup(addr);
            if (v !== null) ok++;
            ops++;
            yield 0;
          } else {
            const v = yield* lock_vma_under_rcu(mm, addr);
            ops++;
            if (v !== null) {
              ok++;
              yield* vma_end_read(v);
            }
          }
        }
      },
      c,
    );
  }
  const simNs = 200_000; // 0.2 ms of simulated time after populating
  for (const c of m.cpus) c.clock = Math.max(c.clock, m.cpus[0].clock);
  const t0 = performance.now();
  m.runUntil(m.cpus[0].clock + simNs);
  const dt = (performance.now() - t0) / 1000;
  stop = true;
  return { ops, ok, dt, simNs, stats: mm.sys.stats, depth: mm.mm_mt.depth() };
}

for (const kind of ["lookup", "lock_vma_under_rcu"]) {
  const r = run(kind);
  console.log(
    `${kind.padEnd(18)} ${CPUS} CPUs, ${NVMAS} VMAs (tree depth ${r.depth}), writer churning: ` +
      `${(r.ops / r.dt / 1e6).toFixed(2)} M ops per real second, ` +
      `${(r.ops / (r.simNs / 1e9) / 1e6).toFixed(1)} M ops per simulated second, ` +
      `${((100 * r.ok) / Math.max(1, r.ops)).toFixed(1)}% succeeded` +
      (kind === "lock_vma_under_rcu"
        ? ` (success ${r.stats.vma_lock_success}, abort ${r.stats.vma_lock_abort}, miss ${r.stats.vma_lock_miss})`
        : ""),
  );
}
