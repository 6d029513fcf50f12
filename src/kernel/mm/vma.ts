/**
 * struct vm_area_struct: one mapping of an address range. Field names are the kernel's.
 *
 * Lifetime (6.15+): VMAs come from a SLAB_TYPESAFE_BY_RCU cache, so an RCU reader may hold a
 * pointer to an object that was freed and re-initialised as a different VMA, possibly in a
 * different mm. While an object sits on the free list its vm_start/vm_end read as the slab
 * free pointer (VMA_FREEPTR_POISON). Before 6.15 VMAs were freed after a grace period.
 */
import { CacheLine } from "../../sim/cacheline.js";
import { ObjState, type SlabObject } from "../../sim/slab.js";
import type { RwSemaphore } from "../../sim/sync/rwsem.js";
import type { File } from "../fs/file.js";
import { PAGE_SIZE, VM_LOCK_SEQ_NONE } from "./constants.js";
import type { MmStruct } from "./mm-struct.js";

let nextVmaId = 1;

/**
 * struct vm_special_mapping: what _install_special_mapping maps (the [uprobes] page). Its
 * optional mremap is asked before the VMA may move; a negative errno refuses the move.
 */
export interface VmSpecialMapping {
  readonly name: string;
  mremap?(new_vma: VmAreaStruct): number;
}

export class VmAreaStruct implements SlabObject {
  objState = ObjState.Live;
  generation = 0;
  /** Identity of the memory, stable across reuse (for traces). */
  readonly id = nextVmaId++;

  vm_start = 0;
  vm_end = 0;
  /** File offset of vm_start, in pages. */
  vm_pgoff = 0;
  vm_file: File | null = null;
  vm_flags = 0;
  vm_mm: MmStruct = null as unknown as MmStruct;
  /** Equals the mm's current mm_lock_seq while the VMA is write-locked. */
  vm_lock_seq = VM_LOCK_SEQ_NONE;
  /** 6.15+: 0 detached, 1 attached, +n readers, +VMA_LOCK_OFFSET while a writer excludes readers. */
  vm_refcnt = 0;
  /** 6.4-6.14: the per-VMA rwsem and the detached flag. */
  vm_lock: RwSemaphore | null = null;
  detached = true;
  /** Non-null in the kernel once a private COW page exists (breakpoint pages included). */
  anon_vma = false;
  /** Name /proc/pid/maps shows for an anonymous VMA ("[heap]", "[stack]", or ""). */
  anon_name = "";
  /** The special mapping behind the VMA (vm_private_data of special_mapping_vmops), else null. */
  vm_special: VmSpecialMapping | null = null;

  /** vm_start, vm_end, vm_pgoff, vm_flags, vm_file, vm_mm. */
  readonly line = new CacheLine("vma");
  /** vm_refcnt and vm_lock_seq (6.15 keeps them on one line). */
  readonly vm_lock_line = new CacheLine("vma.vm_refcnt");

  // ---- model-only bookkeeping: never read by kernel paths, only by invariant checks ----
  /** The mm whose VMA tree holds this object (the truth "attached" is checked against). */
  __tree_mm: MmStruct | null = null;
  /** How many tree slots point at this object. */
  __tree_slots = 0;
  /** Readers that successfully read-locked it and have not yet called vma_end_read. */
  __holders = 0;
  /** True while dup_mmap copies this VMA's page tables (R15). */
  __forking = false;
  /** Page faults in progress under this VMA's read lock (R15). */
  __faulting = 0;

  /** Pages covered. */
  vma_pages(): number {
    return Math.floor((this.vm_end - this.vm_start) / PAGE_SIZE);
  }

  /** File offset of `addr` through this mapping. */
  offsetOf(addr: number): number {
    return this.vm_pgoff * PAGE_SIZE + (addr - this.vm_start);
  }

  /** Address of file `offset` through this mapping. */
  addrOf(offset: number): number {
    return this.vm_start + offset - this.vm_pgoff * PAGE_SIZE;
  }

  toString(): string {
    return `vma#${this.id}.${this.generation}[${this.vm_start.toString(16)}-${this.vm_end.toString(16)}]`;
  }
}
