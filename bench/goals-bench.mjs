// The hit-path goals of docs/hit-path.md, measured on this build and, when a baseline build
// is given, on that one in the same run: rounds alternate between the two builds and the
// medians, their ratio and the median of the per-round ratios (paired) are printed, so a
// busy shared machine slows both alike. Rates are per CPU-second of this process (steadier
// than wall time when other work runs).
// Run after `npm run build`:
//   node bench/goals-bench.mjs [BASELINE_DIST_DIR] [--rounds N] [--memory]
// e.g. check out the old commit elsewhere, build it, and pass its dist/. --memory adds the
// resident-size goal: a 10 s simulated run at 64 CPUs per build, in a child process each.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const args = process.argv.slice(2);
const roundsAt = args.indexOf("--rounds");
const rounds = roundsAt >= 0 ? Number(args.splice(roundsAt, 2)[1]) : 3;
const memoryAt = args.indexOf("--memory");
if (memoryAt >= 0) args.splice(memoryAt, 1);
const builds = [{ name: "this", dir: `${here}../dist` }];
if (args[0] !== undefined) builds.push({ name: "baseline", dir: args[0] });

// The memory goal runs in a child process of its own (resident size is per process).
if (process.env.PROBELAB_RSS_CHILD !== undefined) {
  await rssChild(process.env.PROBELAB_RSS_CHILD);
  process.exit(0);
}

async function load(dir) {
  const url = (p) => pathToFileURL(`${dir}/${p}`).href;
  return {
    ...(await import(url("kernel/config.js"))),
    ...(await import(url("process/index.js"))),
    ...(await import(url("trace/session.js"))),
    ...(await import(url("trace/detach-bench.js"))),
  };
}

function session(lib, workload, cpus, text) {
  const s = new lib.Session({
    workload: lib.loadWorkload(workload, { cpus, seed: 1 }),
    cpus,
    seed: 1,
    kernelProfile: "latest",
    config: lib.resolveKernelConfig("latest"),
    format: "text",
    out: { write() {} },
    err: { write() {} },
  });
  const { script } = s.load({ name: "bench", text });
  s.start(script);
  return { s, script };
}

function cpuSeconds(fn) {
  const c0 = process.cpuUsage();
  fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
}

/** Simulated hits per CPU-second on the trigger workload, after a 5 ms simulated warm-up. */
function triggerRate(lib, kind, cpus, simNs) {
  const text = `${kind}:/usr/bin/trigger:uprobe_target_nop { @ = count(); }`;
  const { s, script } = session(lib, "trigger", cpus, text);
  s.runUntil(5e6);
  const h0 = script.probes[0].hits();
  const sec = cpuSeconds(() => s.runUntil(5e6 + simNs));
  return (script.probes[0].hits() - h0) / sec / 1e6;
}

/**
 * Simulated seconds per CPU-second: the default workload (4 CPUs) with programs/latency.bt,
 * measured for `simNs` after `warmNs`. After 10 ms most of a 200 ms window is the JIT compiling
 * the model; after 2 s the compiled code runs alone (the rate of a long run).
 */
function latencyRate(lib, warmNs, simNs) {
  const text = readFileSync(`${here}../programs/latency.bt`, "utf8");
  const { s } = session(lib, "default", 4, text);
  s.runUntil(warmNs);
  return simNs / 1e9 / cpuSeconds(() => s.runUntil(warmNs + simNs));
}

/** Real seconds to attach and detach 10,000 uprobes (batched detach, latest). */
function attachDetach(lib) {
  const t0 = performance.now();
  lib.detachBench(10_000, "latest");
  return (performance.now() - t0) / 1000;
}

const GOALS = [
  {
    name: "uprobe hits, 1 CPU",
    unit: "M/CPU-s",
    goal: 3.5,
    more: true,
    run: (l) => triggerRate(l, "uprobe", 1, 100e6),
  },
  {
    name: "uprobe hits, 64 CPUs",
    unit: "M/CPU-s",
    goal: 2,
    more: true,
    run: (l) => triggerRate(l, "uprobe", 64, 3e6),
  },
  {
    name: "uretprobe hits, 1 CPU",
    unit: "M/CPU-s",
    goal: 1.5,
    more: true,
    run: (l) => triggerRate(l, "uretprobe", 1, 50e6),
  },
  {
    name: "default + latency.bt",
    unit: "sim s/CPU-s",
    goal: 10,
    more: true,
    run: (l) => latencyRate(l, 10e6, 200e6),
  },
  {
    name: "latency.bt, after warm-up",
    unit: "sim s/CPU-s",
    goal: 10,
    more: true,
    run: (l) => latencyRate(l, 2e9, 2e9),
  },
  { name: "attach+detach 10k probes", unit: "real s", goal: 0.2, more: false, run: attachDetach },
];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const libs = [];
for (const b of builds) libs.push(await load(b.dir));
console.log(
  `hit-path goals, ${rounds} rounds, builds: ${builds.map((b) => `${b.name} = ${b.dir}`).join(", ")}`,
);
for (const g of GOALS) {
  const samples = builds.map(() => []);
  for (let r = 0; r < rounds; r++) for (let i = 0; i < libs.length; i++) samples[i].push(g.run(libs[i]));
  const mine = median(samples[0]);
  const met = g.more ? mine >= g.goal : mine <= g.goal;
  let line = `${g.name.padEnd(26)} ${mine.toFixed(2).padStart(7)} ${g.unit.padEnd(11)} goal ${g.more ? ">=" : "<="} ${g.goal} ${met ? "met" : "NOT met"}`;
  if (libs.length > 1) {
    const base = median(samples[1]);
    // Each round measures both builds back to back: the median of the per-round ratios is
    // steadier than the ratio of medians when the machine's load moves between rounds.
    const paired = median(samples[0].map((x, r) => (g.more ? x / samples[1][r] : samples[1][r] / x)));
    line += `   baseline ${base.toFixed(2)}, ratio ${(g.more ? mine / base : base / mine).toFixed(2)}x, paired ${paired.toFixed(2)}x`;
  }
  console.log(line);
}
for (const b of memoryAt >= 0 ? builds : []) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url)], {
    env: { ...process.env, PROBELAB_RSS_CHILD: b.dir },
    encoding: "utf8",
  });
  const mb = Number(r.stdout.trim());
  const met = mb <= 200 ? "met" : "NOT met";
  console.log(
    `${"10 s simulated, 64 CPUs".padEnd(26)} ${mb.toFixed(0).padStart(7)} MB resident goal <= 200 ${met} (${b.name})`,
  );
}

/** Peak resident size in MB of a 10 s simulated run of the default workload at 64 CPUs. */
async function rssChild(dir) {
  const lib = await load(dir);
  const text = readFileSync(`${here}../programs/latency.bt`, "utf8");
  const { s } = session(lib, "default", 64, text);
  for (let t = 0; t < 10e9; t += 100e6) s.runUntil(t + 100e6);
  console.log(process.resourceUsage().maxRSS / 1024);
}
