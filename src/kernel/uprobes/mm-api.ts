/**
 * What the uprobes layer uses from mm and fs, with the helpers uprobes.c keeps for itself
 * (valid_vma, the address/offset conversions). The mm model lives in kernel/mm and kernel/fs.
 */
import type { Inode } from "../fs/inode.js";
import {
  MMF_HAS_UPROBES,
  MMF_RECALC_UPROBES,
  MMF_UNSTABLE,
  PAGE_SIZE,
  VM_DONTCOPY,
  VM_EXEC,
  VM_HUGETLB,
  VM_IO,
  VM_MAYEXEC,
  VM_MAYSHARE,
  VM_SHARED,
  VM_WRITE,
} from "../mm/constants.js";
import { mmput } from "../mm/fork.js";

export { _install_special_mapping, EPERM, get_unmapped_area_hint } from "../mm/mmap.js";

import type { MmStruct } from "../mm/mm-struct.js";
import type { VmAreaStruct, VmSpecialMapping } from "../mm/vma.js";

export type { MmStruct, VmAreaStruct, VmSpecialMapping };
export type UprobeInode = Inode<VmAreaStruct>;
export {
  MMF_HAS_UPROBES,
  MMF_RECALC_UPROBES,
  mmput,
  PAGE_SIZE,
  VM_DONTCOPY,
  VM_EXEC,
  VM_IO,
  VM_MAYEXEC,
  VM_SHARED,
  VM_WRITE,
};

/** check_stable_address_space: the OOM reaper may have unmapped pages under us. */
export function check_stable_address_space(mm: MmStruct): boolean {
  return mm.test_bit(MMF_UNSTABLE);
}

/** Where the [uprobes] xol page goes (placed as high as possible, below the stack gap). */
export const XOL_AREA_VADDR = 0x7ffff7ff0000;

/** valid_vma: a private, exec-capable, non-hugetlb file mapping (not writable, for installs). */
export function valid_vma(vma: VmAreaStruct, is_register: boolean): boolean {
  let flags = VM_HUGETLB | VM_MAYEXEC | VM_MAYSHARE;
  if (is_register) flags |= VM_WRITE;
  return vma.vm_file !== null && (vma.vm_flags & flags) === VM_MAYEXEC;
}

export function offset_to_vaddr(vma: VmAreaStruct, offset: number): number {
  return vma.vm_start + offset - vma.vm_pgoff * PAGE_SIZE;
}

export function vaddr_to_offset(vma: VmAreaStruct, vaddr: number): number {
  return vma.vm_pgoff * PAGE_SIZE + (vaddr - vma.vm_start);
}

/** The VMA at addr, found without cost or interleaving: for invariant checks only. */
export function vma_lookup_quiet(mm: MmStruct, addr: number): VmAreaStruct | null {
  // O(log n) through the tree: this runs on every hit. Only when the tree and the VMA's own
  // bounds disagree (a writer is mid-update) does it fall back to scanning every VMA.
  const vma = mm.mm_mt.peek(addr);
  if (vma === null || (vma.vm_start <= addr && addr < vma.vm_end)) return vma;
  for (const v of mm.vmas()) if (v.vm_start <= addr && addr < v.vm_end) return v;
  return null;
}
