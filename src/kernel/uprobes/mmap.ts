/**
 * Mapping changes (kernel-model.md 2.13, 2.14): new mappings of a probed file get their
 * breakpoints, unmapped ranges mark the mm for recalculation, fork is excluded from
 * registration by dup_mmap_sem and inherits MMF_HAS_UPROBES.
 */
import type { Sub } from "../../sim/machine.js";
import {
  MMF_HAS_UPROBES,
  MMF_RECALC_UPROBES,
  type MmStruct,
  PAGE_SIZE,
  VM_SHARED,
  VM_WRITE,
  type VmAreaStruct,
  valid_vma,
} from "./mm-api.js";
import { delayed_ref_ctr_inc, delayed_uprobe_remove } from "./ref-ctr.js";
import type { UprobesState } from "./state.js";
import { filter_chain } from "./swbp.js";
import { build_probe_list, put_uprobe, vma_has_uprobes } from "./tree.js";
import { install_breakpoint } from "./xol.js";

/** uprobe_mmap: mmap_lock held for write; install every wanted probe in the new VMA. */
export function* uprobe_mmap(u: UprobesState, vma: VmAreaStruct): Sub<void> {
  if (u.tree.size === 0 || vma.vm_file === null || vma.vm_mm === null) return; // no_uprobe_events
  const mm = vma.vm_mm;
  // A private writable file page may hold USDT semaphores owed a bump (delayed_uprobe_list).
  if ((vma.vm_flags & (VM_WRITE | VM_SHARED)) === VM_WRITE && mm.test_bit(MMF_HAS_UPROBES)) {
    delayed_ref_ctr_inc(u, vma);
  }
  if (!valid_vma(vma, true)) return;
  const start = vma.vm_pgoff * PAGE_SIZE;
  const list = yield* build_probe_list(u, vma.vm_file.f_inode, start, start + (vma.vm_end - vma.vm_start));
  for (const uprobe of list) {
    // A uprobe being unregistered has no consumers left, so filter_chain refuses (R16).
    if (u.faults.mmapSkipFilter || (yield* filter_chain(u, uprobe, mm))) {
      yield* install_breakpoint(u, uprobe, mm, vma, vma.vm_start + uprobe.offset - start);
    }
    put_uprobe(u, uprobe);
  }
}

/** uprobe_munmap: the breakpoint pages go with the mapping; recompute HAS lazily. */
export function uprobe_munmap(u: UprobesState, vma: VmAreaStruct, start: number, end: number): void {
  if (u.tree.size === 0 || !valid_vma(vma, false) || vma.vm_file === null || vma.vm_mm === null) return;
  const mm = vma.vm_mm;
  if (mm.mm_users === 0 || !mm.test_bit(MMF_HAS_UPROBES) || mm.test_bit(MMF_RECALC_UPROBES)) return;
  const first = vma.vm_pgoff * PAGE_SIZE + (start - vma.vm_start);
  if (vma_has_uprobes(u, vma.vm_file.f_inode, first, first + (end - start))) mm.set_bit(MMF_RECALC_UPROBES);
}

/** Fork excludes register/unregister: a child copied mid-registration would miss it (R14). */
export function* uprobe_start_dup_mmap(u: UprobesState): Sub<void> {
  if (!u.faults.forkSkipDupMmapSem) yield* u.dup_mmap_sem.downRead();
}

export function uprobe_end_dup_mmap(u: UprobesState): void {
  if (!u.faults.forkSkipDupMmapSem) u.dup_mmap_sem.upRead();
}

/** uprobe_dup_mmap: the child inherits the breakpoint pages with the VMAs. */
export function uprobe_dup_mmap(_u: UprobesState, oldmm: MmStruct, newmm: MmStruct): void {
  if (oldmm.test_bit(MMF_HAS_UPROBES)) {
    newmm.set_bit(MMF_HAS_UPROBES);
    newmm.set_bit(MMF_RECALC_UPROBES);
  }
}

/** uprobe_clear_state: mm teardown drops the mm's owed semaphore bumps and frees the xol area. */
export function uprobe_clear_state(u: UprobesState, mm: MmStruct): void {
  delayed_uprobe_remove(u, null, mm);
  mm.uprobes_state.xol_area = null;
}
