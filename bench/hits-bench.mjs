// Simulated uprobe hits processed per REAL second: the trigger workload, `latest` profile,
// a counting consumer (@ = count()), measured after a 5 ms simulated warm-up.
// Prints wall and CPU-time rates (the CPU figure is steadier on a shared machine).
// Run after `npm run build`: node bench/hits-bench.mjs
import { resolveKernelConfig } from "../dist/kernel/config.js";
import { loadWorkload } from "../dist/process/index.js";
import { Session } from "../dist/trace/session.js";

function measure(kind, cpus, simNs) {
  const w = loadWorkload("trigger", { cpus, seed: 1 });
  const s = new Session({
    workload: w,
    cpus,
    seed: 1,
    kernelProfile: "latest",
    config: resolveKernelConfig("latest"),
    format: "text",
    out: { write() {} },
    err: { write() {} },
  });
  const { script } = s.load({
    name: "bench",
    text: `${kind}:/usr/bin/trigger:uprobe_target_nop { @ = count(); }`,
  });
  s.start(script);
  s.runUntil(5e6);
  const h0 = script.probes[0].hits();
  const steps0 = s.m.steps;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  s.runUntil(5e6 + simNs);
  const cpu = process.cpuUsage(c0);
  const wall = (performance.now() - t0) / 1000;
  const hits = script.probes[0].hits() - h0;
  const cpuS = (cpu.user + cpu.system) / 1e6;
  console.log(
    `${kind.padEnd(9)} cpus=${String(cpus).padStart(2)}: ${hits} hits, ${(hits / wall / 1e6).toFixed(2)} M/real s, ` +
      `${(hits / cpuS / 1e6).toFixed(2)} M/CPU-s, ${((s.m.steps - steps0) / hits).toFixed(1)} scheduler steps per hit`,
  );
}

measure("uprobe", 1, 100e6);
measure("uretprobe", 1, 100e6);
measure("uprobe", 64, 3e6);
