/**
 * The bytes of the model's `struct task_struct` (see src/lang/kernel-structs.ts), made on
 * demand when a probe reads `curtask->...`: the task itself is not kept byte by byte, so the
 * image is built from what the session knows of the task. What its `fs` points at (the
 * fs_struct, dentries, mounts) is, in the kernel's memory (src/kernel/kmem.ts).
 */
import type { ProbeMemory } from "../compile/index.js";
import { type KernelMemory, KMEM_BASE } from "../kernel/kmem.js";
import {
  TASK_STRUCT_LAYOUT as L,
  PERCPU_BASE,
  TASK_STRUCT_BASE,
  taskStructAddress,
  taskStructAt,
} from "../lang/kernel-structs.js";

/** What a task_struct image is made of. In the kernel's words `pid` is the thread id. */
export interface TaskFacts {
  tid: number;
  /** The thread group (process) id. */
  tgid: number;
  comm: string;
  /** The parent process's tid (0 for init and the idle task). */
  parent: number;
  /** The task's fs_struct in kernel memory. */
  fs: number;
}

export type TaskLookup = (tid: number) => TaskFacts | null;

/**
 * Process memory, with every known task's task_struct readable above TASK_STRUCT_BASE, the
 * kernel's memory above KMEM_BASE and the per-CPU areas above PERCPU_BASE.
 */
export function withTaskStructs(
  lookup: TaskLookup,
  kmem: KernelMemory,
  user: ProbeMemory,
  /** The per-CPU areas above PERCPU_BASE (percpu_kaddr). */
  percpu: (addr: number, len: number) => Uint8Array | null,
): ProbeMemory {
  return {
    readCString: (addr, max) =>
      addr >= KMEM_BASE
        ? cString(kmem.readUpTo(addr, max))
        : addr >= TASK_STRUCT_BASE
          ? readTaskCString(lookup, addr, max)
          : user.readCString(addr, max),
    readBytes: (addr, len) =>
      addr >= PERCPU_BASE
        ? percpu(addr, len)
        : addr >= KMEM_BASE
          ? kmem.read(addr, len)
          : addr >= TASK_STRUCT_BASE
            ? readTaskStruct(lookup, addr, len)
            : user.readBytes(addr, len),
  };
}

/** `len` bytes at `addr` if it lies in a known task's task_struct slot; null otherwise. */
export function readTaskStruct(lookup: TaskLookup, addr: number, len: number): Uint8Array | null {
  const at = taskStructAt(addr);
  if (at === null) return null;
  const facts = lookup(at.tid);
  if (facts === null) return null;
  const image = taskImage(facts);
  const out = new Uint8Array(len);
  // Past the modelled members the slot reads as zeros, as padding would.
  out.set(image.subarray(Math.min(at.offset, image.length), Math.min(at.offset + len, image.length)));
  return out;
}

/** The NUL-terminated string at `addr` in a task_struct (its `comm`), or null. */
export function readTaskCString(lookup: TaskLookup, addr: number, max: number): string | null {
  return cString(readTaskStruct(lookup, addr, max));
}

/** The string up to the first NUL (all of it without one), or null for unreadable memory. */
function cString(bytes: Uint8Array | null): string | null {
  if (bytes === null) return null;
  const nul = bytes.indexOf(0);
  return new TextDecoder().decode(nul < 0 ? bytes : bytes.subarray(0, nul));
}

function taskImage(t: TaskFacts): Uint8Array {
  const image = new Uint8Array(L.size);
  const view = new DataView(image.buffer);
  view.setInt32(L.pid, t.tid, true);
  view.setInt32(L.tgid, t.tgid, true);
  // TASK_COMM_LEN is 16 with the NUL.
  image.set(new TextEncoder().encode(t.comm).subarray(0, 15), L.comm);
  const parent = BigInt(taskStructAddress(t.parent));
  view.setBigUint64(L.parent, parent, true);
  view.setBigUint64(L.real_parent, parent, true);
  view.setBigUint64(L.group_leader, BigInt(taskStructAddress(t.tgid)), true);
  view.setBigUint64(L.fs, BigInt(t.fs), true);
  return image;
}
