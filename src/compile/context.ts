/**
 * The hit context: what a probe handler sees of the event that fired it. The tracing session
 * owns ONE of these per session and refills it before every call, so a hit allocates nothing.
 */

import type { FrameStyle } from "../runtime/types.js";

/** Simulated user memory as a probe may read it (bpf_probe_read_user); null when unreadable. */
export interface ProbeMemory {
  readCString(addr: number, max: number): string | null | undefined;
  readBytes(addr: number, len: number): Uint8Array | null | undefined;
}

export interface HitContext {
  cpu: number;
  pid: number;
  tid: number;
  /** The parent process's pid (real_parent->tgid). */
  ppid: number;
  comm: string;
  /** The parent's comm (real_parent->comm), as the task holds it at the hit. */
  pcomm: string;
  uid: number;
  gid: number;
  /** Simulated time (ns, safe integer). */
  nsecs: number;
  /** Session start, for `elapsed`. */
  startNs: number;
  /** arg0..arg11: raw u64 argument registers, or a USDT site's operands (length 12, reused array). */
  args: (number | bigint)[];
  /** uretprobe only: the return value register. */
  retval: number | bigint;
  /** The fields of `args` (a tracepoint's fields, fentry/fexit arguments), in declaration order (reused array). */
  fields: (number | bigint | string)[];
  ip: number;
  sp: number;
  /** Concrete probe name, e.g. "uprobe:/usr/bin/shopd:handle_request". */
  probe: string;
  /** Concrete function name (what `func` prints). */
  func: string;
  funcAddr: number;
  /** Up to `limit` frame addresses of the user stack, innermost first (only when a script uses ustack). */
  ustack: (limit: number) => number[];
  /** Up to `limit` kernel frame addresses, innermost first: the traceable functions the task is in. */
  kstack: (limit: number) => number[];
  /** For printing stacks: `sym+off` (perf: `sym+off (file)`) of a frame address, or null. */
  symbolizeFrame(addr: number, style: FrameStyle): string | null;
  memory: ProbeMemory;
  /** For usym(): the symbol holding `addr`, or null. */
  symbolize(addr: number): string | null;
  /** Seeded u32 source. */
  rand: () => number;
}

const NO_MEMORY: ProbeMemory = {
  readCString: () => null,
  readBytes: () => null,
};

/**
 * A context for runs without a simulated process: begin/end blocks, tests and benchmarks.
 * Fields are what bpftrace shows in begin/end (its own pid, comm "bpftrace").
 */
export function createHitContext(overrides: Partial<HitContext> = {}): HitContext {
  let seed = 0x2545f491;
  return {
    cpu: 0,
    pid: 1000,
    tid: 1000,
    ppid: 1,
    comm: "bpftrace",
    // bpftrace's parent is init (ppid 1), whose comm the session gives as systemd.
    pcomm: "systemd",
    uid: 0,
    gid: 0,
    nsecs: 0,
    startNs: 0,
    args: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    retval: 0,
    fields: [0, 0, 0, 0, 0, 0, 0, 0],
    ip: 0,
    sp: 0,
    probe: "begin",
    func: "",
    funcAddr: 0,
    ustack: () => [],
    kstack: () => [],
    symbolizeFrame: () => null,
    memory: NO_MEMORY,
    symbolize: () => null,
    // xorshift32: deterministic, so scripts using `rand` print the same output every run.
    rand: () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return seed >>> 0;
    },
    ...overrides,
  };
}
