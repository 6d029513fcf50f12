/**
 * What the uprobes layer needs from mm and fs, named as the kernel names it. The mm model
 * (kernel/mm) provides these; keeping the contract here makes the dependency one-way and
 * lets uprobes tests say exactly which mm behaviour they rely on.
 */
import type { Sub } from "../../sim/machine.js";

export type InsnKind = "nop" | "push" | "ret";

export interface InodeLike {
  readonly id: number;
  readonly path: string;
  /** First instruction kind at a file offset (what copy_insn + the arch analyser would see). */
  insnAt(offset: number): InsnKind | "trap";
}

export interface FileLike {
  f_inode: InodeLike;
}

export interface VmAreaLike {
  vm_start: number;
  vm_end: number;
  vm_pgoff: number;
  vm_flags: number;
  vm_file: FileLike | null;
  vm_mm: MmLike | null;
}

export interface MmLike {
  readonly id: number;
  mm_users: number;
  /** MMF_HAS_UPROBES */
  has_uprobes: boolean;
  /** MMF_RECALC_UPROBES */
  recalc_uprobes: boolean;
  uprobes_state: { xol_area: unknown };
  mmap_read_lock(): Sub<void>;
  mmap_read_unlock(): number;
  mmap_write_lock(): Sub<void>;
  mmap_write_unlock(): number;
  /** Snapshot of mm_lock_seq, or -1 when a writer holds the lock (or speculation is off). */
  mmap_lock_speculate_try_begin(): number;
  /** True when a write-lock cycle happened since `seq`. */
  mmap_lock_speculate_retry(seq: number): boolean;
  /** Maple-tree walk: charges the walk, may return a stale VMA under RCU. */
  vma_lookup(addr: number): VmAreaLike | null;
  /** The same lookup without cost or interleaving, for invariant checks. */
  vma_lookup_quiet(addr: number): VmAreaLike | null;
  /** Every VMA of the mm, in address order (no cost; for invariant checks and unapply). */
  vmas(): Iterable<VmAreaLike>;
  /** Patch (install) or restore (remove) the instruction at vaddr; mmap_lock must be held. */
  uprobe_write_opcode(vma: VmAreaLike, vaddr: number, install: boolean): "changed" | "unchanged";
  /** Is there a trap instruction at vaddr now? */
  is_trap_at_addr(vaddr: number): boolean;
  /** A breakpoint installed by uprobes at vaddr (the executor asks on every call). */
  breakpointAt(vaddr: number): boolean;
  /** Map the [uprobes] xol page (special mapping, VM_DONTCOPY), mmap_lock held for write. */
  xol_add_vma(len: number): number;
}

/** The i_mmap side: every VMA (of any mm) mapping a file range. */
export interface IMmapLike {
  /** VMAs mapping file offset `offset` of `inode`. */
  vmasMapping(inode: InodeLike, offset: number): VmAreaLike[];
  i_mmap_read_lock(inode: InodeLike): Sub<void>;
  i_mmap_read_unlock(inode: InodeLike): number;
}

export const PAGE_SIZE = 4096;

/** VM_ flag bits used by valid_vma. */
export const VM_WRITE = 0x2;
export const VM_EXEC = 0x4;
export const VM_SHARED = 0x8;
export const VM_MAYEXEC = 0x40;
export const VM_MAYSHARE = 0x80;
export const VM_HUGETLB = 0x400000;

/** valid_vma: a private, exec-capable, non-hugetlb file mapping (not writable, for installs). */
export function valid_vma(vma: VmAreaLike, is_register: boolean): boolean {
  let flags = VM_HUGETLB | VM_MAYEXEC | VM_MAYSHARE;
  if (is_register) flags |= VM_WRITE;
  return vma.vm_file !== null && (vma.vm_flags & flags) === VM_MAYEXEC;
}

export function offset_to_vaddr(vma: VmAreaLike, offset: number): number {
  return vma.vm_start + offset - vma.vm_pgoff * PAGE_SIZE;
}

export function vaddr_to_offset(vma: VmAreaLike, vaddr: number): number {
  return vma.vm_pgoff * PAGE_SIZE + (vaddr - vma.vm_start);
}
