// Soak: random attach / detach / reattach / one-liner churn in one live session (the API the
// `top` view drives), with the simulation advancing between operations. Prints the heap after
// a full GC every tenth of the run (it should stay flat) and any simulation violation (there
// should be none). Run after `npm run build`:
//   node --expose-gc bench/soak-bench.mjs [OPERATIONS] [SEED]
import { resolveKernelConfig } from "../dist/kernel/config.js";
import { loadWorkload } from "../dist/process/index.js";
import { LiveTraceSession } from "../dist/trace/live.js";
import { Session } from "../dist/trace/session.js";

const operations = Number(process.argv[2] ?? 100_000);
const seed = Number(process.argv[3] ?? 1);
const cpus = 4;
// Real milliseconds per tick at the live view's default speed (0.01): 200 us simulated.
const TICK_MS = 20;

/** The one-liners a user might type into `top`: uprobes, uretprobes, intervals, exit(). */
const ONE_LINERS = [
  "uprobe:libc:malloc { @m[comm] = count(); }",
  "uprobe:libc:free { @f = count(); }",
  "uretprobe:/usr/bin/shopd:handle_request { @lat = hist(retval); }",
  "uprobe:libc:malloc,uprobe:libc:free { @b[probe] = sum(arg0); }",
  "uprobe:libc:getaddrinfo { @h[str(arg0)] = count(); }",
  "interval:ms:1 { @ticks = count(); }",
  "uprobe:libc:free { @x = count(); if (@x > 50) { exit(); } }",
  'uprobe:libc:malloc /arg0 > 512/ { printf("%d\\n", arg0); }',
];

/** A small deterministic generator (the bench must print the same figures every run). */
let state = seed >>> 0 || 1;
function random(n) {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) % n;
}

const workload = loadWorkload("default", { cpus, seed });
const session = new Session({
  workload,
  cpus,
  seed,
  kernelProfile: "latest",
  config: resolveKernelConfig("latest", []),
  format: "text",
  out: { write: () => {} },
  err: { write: () => {} },
  quiet: true,
});
const log = [];
const live = new LiveTraceSession(session, 0.01, log, false);

const ids = [];
const counts = { attach: 0, detach: 0, reattach: 0, tick: 0 };
let violation = null;
const samples = [];
const t0 = performance.now();

function heapMb() {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

for (let i = 0; i < operations && violation === null; i++) {
  const choice = random(10);
  try {
    if (choice === 0 || ids.length === 0) {
      const r = live.attach(ONE_LINERS[random(ONE_LINERS.length)]);
      if (r.ok) ids.push(...r.probeIds);
      // A user keeps a screenful of probes: the oldest are detached (and their one-liners are
      // then forgotten by the session) as new ones come.
      for (const old of ids.splice(0, Math.max(0, ids.length - 64))) live.detachProbe(old);
      counts.attach++;
    } else if (choice <= 3) {
      live.detachProbe(ids[random(ids.length)]);
      counts.detach++;
    } else if (choice <= 5) {
      live.reattachProbe(ids[random(ids.length)]);
      counts.reattach++;
    } else {
      live.tick(TICK_MS);
      counts.tick++;
    }
  } catch (e) {
    // A simulation violation (refcount underflow, use-after-free, ...) is thrown out of tick().
    violation = e instanceof Error ? e.message : String(e);
  }
  if ((i + 1) % (operations / 10) === 0) samples.push({ ops: i + 1, heap: heapMb(), sim: session.simNow });
}

const realS = (performance.now() - t0) / 1000;
console.log(
  `soak: ${operations} operations (${counts.attach} one-liners attached, ${counts.detach} detaches, ` +
    `${counts.reattach} reattaches, ${counts.tick} ticks) in ${realS.toFixed(1)} s real, ` +
    `${(session.simNow / 1e6).toFixed(1)} ms simulated`,
);
for (const s of samples) {
  console.log(
    `  after ${String(s.ops).padStart(7)} ops: heap ${s.heap.toFixed(1).padStart(6)} MB, simulated ${(s.sim / 1e6).toFixed(1)} ms`,
  );
}
const first = samples[0]?.heap ?? 0;
const last = samples.at(-1)?.heap ?? 0;
console.log(
  `heap growth from the first to the last sample: ${(last - first).toFixed(1)} MB; ` +
    `scripts held: ${session.scripts.length}; violation: ${violation ?? "none"}`,
);
if (violation !== null) process.exitCode = 1;
