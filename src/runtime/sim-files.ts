/**
 * The files cat() can read on the simulated machine. Nothing here touches the real file
 * system: each file is made from the simulation's own state when the cat event is read.
 */

/** What a simulated file is made from. */
export interface SimMachineState {
  /** Simulated time of the cat() call (ns since boot). */
  ns: number;
  ncpus: number;
}

type FileMaker = (m: SimMachineState) => string;

function seconds(ns: number): string {
  return (ns / 1e9).toFixed(2);
}

const FILES: ReadonlyMap<string, FileMaker> = new Map<string, FileMaker>([
  // Uptime and idle time; the model keeps no idle accounting, so every CPU counts as idle.
  ["/proc/uptime", (m) => `${seconds(m.ns)} ${seconds(m.ns * m.ncpus)}\n`],
  // The model keeps no load history: averages are zero, one task runnable (the reader).
  ["/proc/loadavg", () => "0.00 0.00 0.00 1/1 4242\n"],
  ["/proc/sys/kernel/hostname", () => "probelab\n"],
  ["/etc/hostname", () => "probelab\n"],
]);

/** The content of `path` at `m`, or null when the simulated machine has no such file. */
export function readSimFile(path: string, m: SimMachineState): string | null {
  const make = FILES.get(path);
  return make ? make(m) : null;
}

/** The paths cat() can read, for the documentation and error hints. */
export const SIM_FILE_PATHS: readonly string[] = [...FILES.keys()];
