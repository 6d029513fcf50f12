/**
 * What `run -v` adds on stderr: the simulated set-up before the run (workload, CPUs, kernel,
 * every probe with the file offset its breakpoint sits at) and the kernel's side of it after
 * (hits, how lookups were resolved, grace periods, breakpoints). Simulated figures only, so a
 * verbose run stays deterministic.
 */

import type { Session } from "../trace/session.js";
import { formatDuration } from "../tui/format.js";

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** The lines printed once the script's probes are resolved, before the process starts. */
export function verboseSetup(session: Session, seed: number): string {
  const { opts } = session;
  const w = opts.workload;
  const where = w === null ? "no process (begin/end/interval only)" : `workload ${w.name} (${w.source})`;
  const lines = [`${where}, ${opts.cpus} CPUs, kernel ${opts.kernelProfile}, seed ${seed}`];
  const probes: [number, string][] = [
    ...session.probes.map((p): [number, string] => {
      const c = p.concrete;
      return [p.id, `${c.kind}:${c.binary.path}:${c.func} at file offset ${hex(c.offset)}`];
    }),
    ...session.intervals.map((iv): [number, string] => [iv.id, iv.spec]),
  ];
  for (const [id, text] of probes.sort((a, b) => a[0] - b[0])) lines.push(`probe ${id}: ${text}`);
  return lines.map((l) => `probelab: ${l}\n`).join("");
}

/** The lines printed after the run: what the kernel model did. */
export function verboseSummary(session: Session): string {
  const u = session.kernel.u;
  const s = u.stats;
  const lines = [
    `ran ${formatDuration(session.simNow)} of simulated time`,
    `${s.hits} breakpoint hits, ${s.uretprobeHits} uretprobe returns; vma lookups: ${s.speculativeHits} speculative, ${s.speculativeFallbacks} under mmap_lock`,
    `${s.registrations} registrations, ${s.unregistrations} unregistrations, ${u.gracePeriods()} grace periods, ${formatDuration(s.syncTimeNs)} in synchronize`,
    `breakpoints: ${s.breakpointsInstalled} installed, ${s.breakpointsRemoved} removed; ${s.leasesExpired} uretprobe leases expired, ${s.sigtraps} SIGTRAPs`,
  ];
  return lines.map((l) => `probelab: ${l}\n`).join("");
}
