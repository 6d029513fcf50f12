/**
 * fork, exit and exec as the mm sees them (kernel/fork.c, mm/mmap.c).
 *
 * dup_mmap copies the parent's VMAs into a new mm with both mms write-locked, and since
 * 6.5 write-locks each parent VMA first: without that, a parent thread could take a page
 * fault under a VMA read lock while fork write-protects the VMA's page tables for COW (the
 * 6.4 memory-corruption regression, R15).
 *
 * exit_mmap detaches every VMA before freeing any (6.15): a VMA returned to the
 * typesafe-by-RCU slab must have vm_refcnt 0, or a stale reader elsewhere could lock it.
 */

import type { Sub } from "../../sim/machine.js";
import { VM_DONTCOPY } from "./constants.js";
import { MmStruct } from "./mm-struct.js";
import { detach_vmas } from "./mmap.js";
import type { VmAreaStruct } from "./vma.js";
import { vm_area_dup, vm_area_free, vma_mark_attached, vma_start_write } from "./vma-lock.js";

/** dup_mmap(oldmm): the child's address space, a copy of the parent's. */
export function* dup_mmap(oldmm: MmStruct): Sub<MmStruct> {
  const m = oldmm.m;
  const sys = oldmm.sys;
  const hooks = oldmm.hooks;
  yield* hooks.uprobe_start_dup_mmap();
  yield* oldmm.mmap_write_lock();
  const mm = new MmStruct(m, { subsystem: sys, mmapBase: oldmm.mmap_base });
  hooks.uprobe_dup_mmap(oldmm, mm);
  yield* mm.mmap_write_lock(); // nested: nobody else can know the new mm yet
  for (const mpnt of oldmm.mm_mt.toArray()) {
    // Every parent VMA is write-locked, the ones fork does not copy too.
    if (!sys.faults.forkSkipVmaWriteLock) yield* vma_start_write(mpnt);
    if ((mpnt.vm_flags & VM_DONTCOPY) !== 0) continue;
    const tmp = vm_area_dup(mpnt);
    tmp.vm_mm = mm;
    if (m.labelsRead) m.label = `dup_mmap: vm_area_dup(${mpnt}) -> ${tmp}`;
    yield 0;
    yield* vma_start_write(tmp);
    const mapping = tmp.vm_file?.f_mapping ?? null;
    if (mapping !== null) {
      yield* mapping.i_mmap_lock_write();
      mapping.i_mmap.insert(tmp);
      mapping.i_mmap_unlock_write();
    }
    mm.mm_mt.store(tmp.vm_start, tmp.vm_end, tmp);
    vma_mark_attached(tmp);
    mm.map_count++;
    if (m.labelsRead) m.label = `dup_mmap: ${tmp} linked into ${mm}`;
    yield 0;
    if (mpnt.anon_vma) yield* copy_page_range(mm, mpnt);
  }
  mm.mmap_write_unlock();
  oldmm.mmap_write_unlock();
  hooks.uprobe_end_dup_mmap();
  if (m.labelsRead) m.label = `dup_mmap: ${oldmm} -> ${mm} done`;
  yield 0;
  return mm;
}

/**
 * copy_page_range: write-protect the parent's PTEs for COW and copy them (breakpoint pages
 * included). Two steps, so a page fault on the same VMA can be caught overlapping it (R15).
 */
function* copy_page_range(dst: MmStruct, src: VmAreaStruct): Sub<void> {
  const m = dst.m;
  checkNoFault(src);
  src.__forking = true;
  if (m.labelsRead) m.label = `copy_page_range ${src}: write-protect parent PTEs`;
  yield 0;
  checkNoFault(src);
  src.vm_mm.copy_breakpoints_to(dst, src.vm_start, src.vm_end);
  src.__forking = false;
  if (m.labelsRead) m.label = `copy_page_range ${src}: copied`;
  yield 0;
}

function checkNoFault(vma: VmAreaStruct): void {
  if (vma.__faulting > 0) {
    vma.vm_mm.m.fail(`dup_mmap copies ${vma}'s page tables while a page fault runs under its VMA lock (R15)`);
  }
}

/**
 * A page fault handled under a VMA read lock (the caller got `vma` from lock_vma_under_rcu
 * or holds mmap_lock): allocates the anon_vma on a write fault. Two steps, so fork's page
 * table copy can be caught overlapping it (R15).
 */
export function* handle_mm_fault(vma: VmAreaStruct, address: number, write: boolean): Sub<void> {
  const m = vma.vm_mm.m;
  if (vma.__holders === 0 && !vma.vm_mm.mmap_lock.readers && !vma.vm_mm.mmap_write_locked()) {
    m.fail(`handle_mm_fault: ${vma} is not locked`);
  }
  vma.__faulting++;
  if (vma.__forking) m.fail(`page fault on ${vma} while dup_mmap copies its page tables (R15)`);
  if (m.labelsRead) m.label = `handle_mm_fault ${address.toString(16)}: walk page tables`;
  yield 0;
  if (vma.__forking) m.fail(`page fault on ${vma} while dup_mmap copies its page tables (R15)`);
  if (write && !vma.anon_vma) vma.anon_vma = true; // anon_vma_prepare
  m.cost(m.profile.slabAlloc);
  vma.__faulting--;
  if (m.labelsRead) m.label = `handle_mm_fault ${address.toString(16)}: done`;
  yield 0;
}

/** exit_mmap: tear down every mapping of an mm whose last user is gone. */
export function* exit_mmap(mm: MmStruct): Sub<void> {
  const m = mm.m;
  yield* mm.mmap_write_lock();
  const all = mm.mm_mt.toArray();
  for (const v of all) yield* vma_start_write(v);
  mm.mm_mt.destroy();
  if (m.labelsRead) m.label = `exit_mmap ${mm}: tree destroyed`;
  yield 0;
  yield* detach_vmas(mm, all, "exit_mmap");
  mm.zap_breakpoints(0, Number.POSITIVE_INFINITY);
  for (const v of all) vm_area_free(v);
  mm.mmap_write_unlock();
  if (m.labelsRead) m.label = `exit_mmap ${mm}: ${all.length} VMA(s) freed`;
  yield 0;
}

/** mmput: drop a user reference; the last one tears the address space down. */
export function* mmput(mm: MmStruct): Sub<void> {
  mm.check("mmput");
  mm.line.atomic(mm.m);
  if (mm.mm_users <= 0) mm.m.fail(`mmput: ${mm} has no users`);
  if (--mm.mm_users !== 0) return;
  mm.hooks.uprobe_clear_state(mm);
  yield* exit_mmap(mm);
  mm.mmdrop();
}

/** exec: a fresh, empty mm for the new program; the old one is released with mmput. */
export function* exec_mmap(oldmm: MmStruct): Sub<MmStruct> {
  const mm = new MmStruct(oldmm.m, { subsystem: oldmm.sys });
  yield* mmput(oldmm);
  return mm;
}
