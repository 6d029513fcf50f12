/**
 * The bytes of the per-CPU variables percpu_kaddr() points at (src/lang/kernel-structs.ts),
 * made on demand from the model when a probe reads them: process_counts from the kernel's
 * fork counter, and runqueues' struct rq with the CPU's nr_running (the task on it and the
 * ones queued to run there).
 */
import type { Kernel } from "../kernel/kernel.js";
import { PERCPU_BASE, PERCPU_STRIDE, PERCPU_SYMBOLS, RQ_LAYOUT } from "../lang/kernel-structs.js";

/** Bytes of one CPU's area the model describes; past them a read is zeros. */
const AREA = PERCPU_SYMBOLS.runqueues!.offset + RQ_LAYOUT.size;

/** `len` bytes at `addr` in a CPU's per-CPU area; null outside every CPU's. */
export function readPercpu(k: Kernel, addr: number, len: number): Uint8Array | null {
  if (addr < PERCPU_BASE || addr >= PERCPU_BASE + k.m.cpus.length * PERCPU_STRIDE) return null;
  const cpu = Math.floor((addr - PERCPU_BASE) / PERCPU_STRIDE);
  const at = addr - PERCPU_BASE - cpu * PERCPU_STRIDE;
  const image = new Uint8Array(AREA);
  const view = new DataView(image.buffer);
  view.setBigUint64(PERCPU_SYMBOLS.process_counts!.offset, BigInt(k.process_counts[cpu]!), true);
  const c = k.m.cpus[cpu]!;
  const nr_running = c.runq.length + (c.current === null ? 0 : 1);
  view.setUint32(PERCPU_SYMBOLS.runqueues!.offset + RQ_LAYOUT.nr_running, nr_running, true);
  const out = new Uint8Array(len);
  if (at < AREA) out.set(image.subarray(at, Math.min(at + len, AREA)));
  return out;
}
