/** Flag bits and constants of the mm model, spelled as the kernel spells them. */
import { PAGE_SHIFT, PAGE_SIZE } from "../fs/inode.js";

export { PAGE_SHIFT, PAGE_SIZE };

// vm_flags (include/linux/mm.h)
export const VM_READ = 0x1;
export const VM_WRITE = 0x2;
export const VM_EXEC = 0x4;
export const VM_SHARED = 0x8;
export const VM_MAYREAD = 0x10;
export const VM_MAYWRITE = 0x20;
export const VM_MAYEXEC = 0x40;
export const VM_MAYSHARE = 0x80;
export const VM_IO = 0x4000;
export const VM_DONTCOPY = 0x20000;
/** mremap may not grow the mapping (special mappings). */
export const VM_DONTEXPAND = 0x40000;
export const VM_HUGETLB = 0x400000;

// prot bits of mmap(2)/mprotect(2)
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const PROT_EXEC = 4;

// mm->flags bits (include/linux/mm_types.h)
export const MMF_HAS_UPROBES = 1 << 0;
export const MMF_RECALC_UPROBES = 1 << 1;
/** The OOM reaper tore pages out from under the address space (check_stable_address_space). */
export const MMF_UNSTABLE = 1 << 2;

/** vm_refcnt writer flag (6.15; VM_REFCNT_EXCLUDE_READERS_FLAG later). */
export const VMA_LOCK_OFFSET = 0x40000000;
/** Readers may not push vm_refcnt to or past this. */
export const VMA_REF_LIMIT = VMA_LOCK_OFFSET - 1;

/** vm_lock_seq of a VMA never write-locked (UINT_MAX in the kernel). */
export const VM_LOCK_SEQ_NONE = -1;

/**
 * What a freed VMA's vm_start/vm_end read as while on the slab free list (6.15: the free
 * pointer overlaps them): a kernel-looking address no user address is ever inside.
 */
export const VMA_FREEPTR_POISON = 2 ** 52;

/** Returned by vma_start_read when the VMA was detached under the reader. */
export const EAGAIN = "EAGAIN" as const;
export type Eagain = typeof EAGAIN;

export function calc_vm_prot_bits(prot: number): number {
  return (
    (prot & PROT_READ ? VM_READ : 0) | (prot & PROT_WRITE ? VM_WRITE : 0) | (prot & PROT_EXEC ? VM_EXEC : 0)
  );
}

export function page_align(n: number): number {
  return Math.ceil(n / PAGE_SIZE) * PAGE_SIZE;
}

export function pages(len: number): number {
  return Math.ceil(len / PAGE_SIZE);
}
