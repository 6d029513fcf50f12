/**
 * Address-space operations (mm/mmap.c, mm/vma.c, mm/mprotect.c, mm/mremap.c): mmap, munmap,
 * mprotect and mremap, built from three moves — link a new VMA, split one in two, merge two
 * neighbours into one. Every operation holds mmap_lock for write and write-locks each VMA
 * before touching it, updates the VMA tree with single atomic stores (what an RCU walker
 * sees), keeps the file's i_mmap in step under i_mmap_rwsem, and recycles VMA objects
 * through the slab.
 *
 * Which object survives a split or a merge follows the kernel where it matters to readers:
 * splitting at `addr` with new_below keeps the original object as the upper part (so the
 * original shrinks from below and a new VMA appears in front of it — the shape behind the
 * maps reader's false-gap check); merging keeps the pre-existing neighbour. mprotect splits
 * first and merges after (the kernel tries the merge first; what readers can observe is
 * the same set of old and new forms).
 *
 * Errors are returned as negative errno values, as the syscalls return them.
 */

import type { Sub } from "../../sim/machine.js";
import { File } from "../fs/file.js";
import type { Inode } from "../fs/inode.js";
import {
  calc_vm_prot_bits,
  PAGE_SIZE,
  page_align,
  VM_DONTCOPY,
  VM_DONTEXPAND,
  VM_EXEC,
  VM_MAYEXEC,
  VM_MAYREAD,
  VM_MAYSHARE,
  VM_MAYWRITE,
  VM_READ,
  VM_SHARED,
  VM_WRITE,
} from "./constants.js";
import type { MmStruct } from "./mm-struct.js";
import type { VmAreaStruct, VmSpecialMapping } from "./vma.js";
import {
  vm_area_alloc,
  vm_area_dup,
  vm_area_free,
  vma_assert_no_readers,
  vma_mark_attached,
  vma_mark_detached,
  vma_start_write,
} from "./vma-lock.js";

export const EINVAL = 22;
export const ENOMEM = 12;
export const EFAULT = 14;
export const EPERM = 1;

export interface MmapArgs {
  len: number;
  /** PROT_READ | PROT_WRITE | PROT_EXEC. */
  prot: number;
  /** Map this file (an inode is opened for the mapping). */
  file?: Inode | File | null;
  /** File offset of the mapping, in pages. */
  pgoff?: number;
  /** Place the mapping here, replacing whatever is mapped (MAP_FIXED), unless `hint`. */
  addr?: number;
  /** Treat addr as a hint: use it only if the range is free. */
  hint?: boolean;
  /** MAP_SHARED. */
  shared?: boolean;
  /** madvise(MADV_DONTFORK): not copied into a child on fork. */
  dontcopy?: boolean;
  /** Extra vm_flags bits (VM_IO, VM_HUGETLB, ...). */
  extraFlags?: number;
  /** /proc/pid/maps name for an anonymous mapping ("[heap]", "[stack]"). */
  name?: string;
}

export interface MremapArgs {
  /** MREMAP_FIXED: move to exactly this address (replacing what is there). */
  fixed?: number;
  /** MREMAP_MAYMOVE (default true): move when it cannot grow in place. */
  mayMove?: boolean;
}

// ---------------------------------------------------------------- syscalls

/** mmap(2): returns the address, or a negative errno. */
export function* do_mmap(mm: MmStruct, args: MmapArgs): Sub<number> {
  const len = page_align(args.len);
  if (!(len > 0) || (args.addr !== undefined && args.addr % PAGE_SIZE !== 0)) return -EINVAL;
  yield* mm.mmap_write_lock();
  const addr = yield* mmap_locked(mm, args, len);
  mm.mmap_write_unlock();
  if (mm.m.labelsRead) mm.m.label = `mmap -> ${addr >= 0 ? addr.toString(16) : addr}`;
  yield 0;
  return addr;
}

/** munmap(2): 0 or a negative errno. */
export function* do_munmap(mm: MmStruct, start: number, len: number): Sub<number> {
  if (start % PAGE_SIZE !== 0 || !(len > 0)) return -EINVAL;
  yield* mm.mmap_write_lock();
  yield* do_vmi_munmap(mm, start, start + page_align(len));
  mm.mmap_write_unlock();
  if (mm.m.labelsRead) mm.m.label = `munmap ${start.toString(16)} done`;
  yield 0;
  return 0;
}

/** mprotect(2): 0 or a negative errno (ENOMEM when part of the range is unmapped). */
export function* do_mprotect(mm: MmStruct, start: number, len: number, prot: number): Sub<number> {
  if (start % PAGE_SIZE !== 0 || !(len > 0)) return -EINVAL;
  const end = start + page_align(len);
  yield* mm.mmap_write_lock();
  const err = fullyMapped(mm, start, end) ? 0 : -ENOMEM;
  if (err === 0) yield* mprotect_fixup(mm, start, end, prot);
  mm.mmap_write_unlock();
  if (mm.m.labelsRead) mm.m.label = `mprotect ${start.toString(16)} done`;
  yield 0;
  return err;
}

/** mremap(2): the new address, or a negative errno. */
export function* do_mremap(
  mm: MmStruct,
  oldAddr: number,
  oldLen: number,
  newLen: number,
  opts: MremapArgs = {},
): Sub<number> {
  oldLen = page_align(oldLen);
  newLen = page_align(newLen);
  if (oldAddr % PAGE_SIZE !== 0 || !(oldLen > 0) || !(newLen > 0)) return -EINVAL;
  if (opts.fixed !== undefined) {
    const f = opts.fixed;
    if (f % PAGE_SIZE !== 0 || (f < oldAddr + oldLen && oldAddr < f + newLen)) return -EINVAL;
  }
  yield* mm.mmap_write_lock();
  const r = yield* mremap_locked(mm, oldAddr, oldLen, newLen, opts);
  mm.mmap_write_unlock();
  if (mm.m.labelsRead) mm.m.label = `mremap -> ${r >= 0 ? r.toString(16) : r}`;
  yield 0;
  return r;
}

// ---------------------------------------------------------------- mmap

function* mmap_locked(mm: MmStruct, args: MmapArgs, len: number): Sub<number> {
  let addr: number;
  if (args.addr !== undefined && !args.hint) {
    addr = args.addr;
    yield* do_vmi_munmap(mm, addr, addr + len);
  } else if (args.addr !== undefined && isFree(mm, args.addr, args.addr + len)) {
    addr = args.addr;
  } else {
    addr = get_unmapped_area(mm, len);
    if (addr < 0) return -ENOMEM;
  }
  const vm_flags =
    calc_vm_prot_bits(args.prot) |
    VM_MAYREAD |
    VM_MAYWRITE |
    VM_MAYEXEC |
    (args.shared ? VM_SHARED | VM_MAYSHARE : 0) |
    (args.dontcopy ? VM_DONTCOPY : 0) |
    (args.extraFlags ?? 0);
  let file: File | null = null;
  if (args.file instanceof File) file = mm.sys.vfs.get_file(args.file);
  else if (args.file) file = mm.sys.vfs.alloc_file(args.file);
  yield* mmap_region(mm, addr, len, vm_flags, file, args.pgoff ?? 0, args.name ?? "");
  return addr;
}

/**
 * _install_special_mapping: a kernel-made anonymous mapping of `sm` (the [uprobes] page), never
 * grown by mremap (VM_DONTEXPAND). mmap_lock is held for write by the caller; the range must
 * be free. Returns the address, or -ENOMEM when something is mapped there.
 */
export function* _install_special_mapping(
  mm: MmStruct,
  addr: number,
  len: number,
  vm_flags: number,
  sm: VmSpecialMapping,
): Sub<number> {
  if (!isFree(mm, addr, addr + len)) return -ENOMEM;
  const vma = yield* mmap_region(mm, addr, len, vm_flags | VM_DONTEXPAND, null, 0, sm.name);
  vma.vm_special = sm;
  return addr;
}

/** get_unmapped_area with a hint: the hint if [hint, hint+len) is free, else a first fit. */
export function get_unmapped_area_hint(mm: MmStruct, hint: number, len: number): number {
  return isFree(mm, hint, hint + len) ? hint : get_unmapped_area(mm, len);
}

/** get_unmapped_area: top-down first fit below the mm's mmap_base. */
export function get_unmapped_area(mm: MmStruct, len: number): number {
  return mm.mm_mt.freeAreaTopDown(len, mm.sys.mmapMin, mm.mmap_base);
}

/**
 * mmap_region: map [addr, addr+len), which is free. Extends a mergeable neighbour (appending
 * to prev, prepending to next, or bridging both) instead of creating a VMA when it can.
 * Takes ownership of the file reference.
 */
function* mmap_region(
  mm: MmStruct,
  addr: number,
  len: number,
  vm_flags: number,
  file: File | null,
  pgoff: number,
  name: string,
): Sub<VmAreaStruct> {
  const end = addr + len;
  const prev = mm.mm_mt.findBefore(addr);
  const next = mm.mm_mt.findFrom(addr);
  const like = { vm_flags, vm_file: file, anon_name: name };
  const mergePrev =
    prev !== null &&
    prev.vm_end === addr &&
    mergeable(prev, like, prev.vm_pgoff + prev.vma_pages() === pgoff);
  const mergeNext =
    next !== null &&
    next.vm_start === end &&
    mergeable(next, like, pgoff + len / PAGE_SIZE === next.vm_pgoff);
  if (mergePrev || mergeNext) {
    // The mapping's own file reference is not kept: the neighbour already holds one.
    if (file !== null) mm.sys.vfs.fput(file);
    let vma: VmAreaStruct;
    if (mergePrev) {
      vma = prev!;
      yield* vma_set_range(mm, prev!, prev!.vm_start, end, prev!.vm_pgoff, "mmap: append to prev");
      if (mergeNext) yield* vma_merge_pair(mm, prev!, next!, prev!);
    } else {
      vma = next!;
      yield* vma_set_range(mm, next!, addr, next!.vm_end, pgoff, "mmap: prepend to next");
    }
    if (vma.vm_file !== null) yield* mm.hooks.uprobe_mmap(vma);
    return vma;
  }
  const vma = vm_area_alloc(mm);
  vma.vm_start = addr;
  vma.vm_end = end;
  vma.vm_flags = vm_flags;
  vma.vm_file = file;
  vma.vm_pgoff = file !== null ? pgoff : addr / PAGE_SIZE;
  vma.anon_name = name;
  yield* vma_link(mm, vma);
  if (file !== null) yield* mm.hooks.uprobe_mmap(vma);
  return vma;
}

/** vma_link: insert a new, detached VMA into the tree and its file's i_mmap. */
export function* vma_link(mm: MmStruct, vma: VmAreaStruct): Sub<void> {
  const m = mm.m;
  yield* vma_start_write(vma);
  const mapping = vma.vm_file?.f_mapping ?? null;
  if (mapping !== null) {
    yield* mapping.i_mmap_lock_write();
    mapping.i_mmap.insert(vma);
    mapping.i_mmap_unlock_write();
  }
  mm.mm_mt.store(vma.vm_start, vma.vm_end, vma);
  vma_mark_attached(vma);
  mm.line.write(m);
  mm.map_count++;
  if (m.labelsRead) m.label = `vma_link ${vma} into ${mm}`;
  yield 0;
}

// ---------------------------------------------------------------- split and merge

/**
 * __split_vma: split `vma` at `addr`. With new_below the new VMA is the lower part and the
 * original keeps the upper part; otherwise the new VMA is the upper part. Returns the new VMA.
 */
export function* __split_vma(
  mm: MmStruct,
  vma: VmAreaStruct,
  addr: number,
  new_below: boolean,
): Sub<VmAreaStruct> {
  const m = mm.m;
  if (!(addr > vma.vm_start && addr < vma.vm_end) || addr % PAGE_SIZE !== 0) {
    m.fail(`__split_vma: ${addr.toString(16)} is not inside ${vma}`);
  }
  // As in 6.15: duplicate first, then preallocate tree nodes and clone the anon_vma (both
  // may sleep), and only then write-lock the two VMAs.
  const nu = vm_area_dup(vma);
  if (m.labelsRead) m.label = `__split_vma: vm_area_dup(${vma}) -> ${nu}`;
  yield 0;
  const delta = (addr - vma.vm_start) / PAGE_SIZE;
  if (new_below) nu.vm_end = addr;
  else {
    nu.vm_start = addr;
    nu.vm_pgoff = vma.vm_pgoff + delta;
  }
  m.cost(m.profile.slabAlloc);
  if (m.labelsRead) m.label = `__split_vma: vma_iter_prealloc + anon_vma_clone for ${nu}`;
  yield 0;
  yield* vma_start_write(vma);
  yield* vma_start_write(nu);
  const mapping = vma.vm_file?.f_mapping ?? null;
  if (mapping !== null) {
    mm.hooks.uprobe_munmap(vma, vma.vm_start, vma.vm_end); // vma_prepare
    yield* mapping.i_mmap_lock_write();
    mapping.i_mmap.remove(vma);
  }
  vma_assert_no_readers(vma, "__split_vma");
  mm.mm_mt.store(nu.vm_start, nu.vm_end, nu);
  vma_mark_attached(nu);
  vma.line.write(m);
  if (new_below) {
    vma.vm_start = addr;
    vma.vm_pgoff += delta;
  } else {
    vma.vm_end = addr;
  }
  if (mapping !== null) {
    mapping.i_mmap.insert(vma);
    mapping.i_mmap.insert(nu);
    mapping.i_mmap_unlock_write();
  }
  mm.map_count++;
  if (m.labelsRead) m.label = `__split_vma: ${vma} + ${nu}`;
  yield 0;
  if (mapping !== null) {
    yield* mm.hooks.uprobe_mmap(vma); // vma_complete
    yield* mm.hooks.uprobe_mmap(nu);
  }
  return nu;
}

interface MergeShape {
  vm_flags: number;
  vm_file: File | null;
  anon_name: string;
}

function mergeable(vma: MergeShape, like: MergeShape, pgoffContiguous: boolean): boolean {
  return (
    vma.vm_flags === like.vm_flags &&
    vma.vm_file === like.vm_file &&
    vma.anon_name === like.anon_name &&
    (vma.vm_file === null || pgoffContiguous)
  );
}

/** Two neighbouring VMAs that could be one. */
export function can_vma_merge(left: VmAreaStruct, right: VmAreaStruct): boolean {
  return (
    left.vm_end === right.vm_start &&
    mergeable(left, right, left.vm_pgoff + left.vma_pages() === right.vm_pgoff)
  );
}

/**
 * Merge adjacent `left` and `right` into `survivor` (one of them); the other is detached and
 * freed. One tree store covers both ranges.
 */
export function* vma_merge_pair(
  mm: MmStruct,
  left: VmAreaStruct,
  right: VmAreaStruct,
  survivor: VmAreaStruct,
): Sub<VmAreaStruct> {
  const m = mm.m;
  const victim = survivor === left ? right : left;
  yield* vma_start_write(left);
  yield* vma_start_write(right);
  const mapping = survivor.vm_file?.f_mapping ?? null;
  if (mapping !== null) {
    mm.hooks.uprobe_munmap(survivor, survivor.vm_start, survivor.vm_end); // vma_prepare
    yield* mapping.i_mmap_lock_write();
    mapping.i_mmap.remove(left);
    mapping.i_mmap.remove(right);
  }
  vma_assert_no_readers(left, "vma_merge");
  vma_assert_no_readers(right, "vma_merge");
  const start = left.vm_start;
  const end = right.vm_end;
  mm.mm_mt.store(start, end, survivor);
  survivor.line.write(m);
  survivor.vm_pgoff = left.vm_pgoff;
  survivor.vm_start = start;
  survivor.vm_end = end;
  survivor.anon_vma = left.anon_vma || right.anon_vma;
  if (mapping !== null) {
    mapping.i_mmap.insert(survivor);
    mapping.i_mmap_unlock_write();
  }
  if (m.labelsRead) m.label = `vma_merge: ${survivor} absorbs ${victim}`;
  yield 0;
  // vma_complete: uprobe_mmap for the survivor, then the removed VMA is detached and its
  // probes stop being mapped through it (uprobe_munmap marks the mm for recalculation).
  if (mapping !== null) yield* mm.hooks.uprobe_mmap(survivor);
  yield* vma_mark_detached(victim);
  if (mapping !== null) mm.hooks.uprobe_munmap(victim, victim.vm_start, victim.vm_end);
  mm.map_count--;
  vm_area_free(victim);
  return survivor;
}

/** After `vma` changed, merge it into a mergeable neighbour; returns the VMA now covering it. */
export function* vma_try_merge(mm: MmStruct, vma: VmAreaStruct): Sub<VmAreaStruct> {
  const prev = mm.mm_mt.findBefore(vma.vm_start);
  const next = mm.mm_mt.findFrom(vma.vm_end);
  const withPrev = prev !== null && prev !== vma && can_vma_merge(prev, vma);
  const withNext = next !== null && next !== vma && can_vma_merge(vma, next);
  if (withPrev) {
    const merged = yield* vma_merge_pair(mm, prev!, vma, prev!);
    if (withNext) return yield* vma_merge_pair(mm, merged, next!, merged);
    return merged;
  }
  if (withNext) return yield* vma_merge_pair(mm, vma, next!, next!);
  return vma;
}

/**
 * Move a VMA's bounds (expand or shrink in place), keeping tree and i_mmap in step. Pages
 * leaving the range take their breakpoints with them.
 */
export function* vma_set_range(
  mm: MmStruct,
  vma: VmAreaStruct,
  start: number,
  end: number,
  pgoff: number,
  why: string,
): Sub<void> {
  const m = mm.m;
  yield* vma_start_write(vma);
  const mapping = vma.vm_file?.f_mapping ?? null;
  if (mapping !== null) {
    mm.hooks.uprobe_munmap(vma, vma.vm_start, vma.vm_end);
    yield* mapping.i_mmap_lock_write();
    mapping.i_mmap.remove(vma);
  }
  vma_assert_no_readers(vma, why);
  const oldStart = vma.vm_start;
  const oldEnd = vma.vm_end;
  if (start > oldStart) mm.mm_mt.store(oldStart, start, null);
  if (end < oldEnd) mm.mm_mt.store(end, oldEnd, null);
  mm.mm_mt.store(start, end, vma);
  vma.line.write(m);
  vma.vm_start = start;
  vma.vm_end = end;
  vma.vm_pgoff = pgoff;
  if (start > oldStart) mm.zap_breakpoints(oldStart, start);
  if (end < oldEnd) mm.zap_breakpoints(end, oldEnd);
  if (mapping !== null) {
    mapping.i_mmap.insert(vma);
    mapping.i_mmap_unlock_write();
  }
  if (m.labelsRead) m.label = `${why}: ${vma}`;
  yield 0;
}

// ---------------------------------------------------------------- munmap

/** do_vmi_munmap: unmap [start, end) (mmap_lock held for write). */
export function* do_vmi_munmap(mm: MmStruct, start: number, end: number): Sub<void> {
  const m = mm.m;
  let vma = mm.mm_mt.findFrom(start);
  if (vma === null || vma.vm_start >= end) return;
  if (vma.vm_start < start) {
    yield* __split_vma(mm, vma, start, true); // the original continues as the upper part
  }
  // Gather: write-lock every VMA in the range, splitting the last one at `end`.
  const doomed: VmAreaStruct[] = [];
  vma = mm.mm_mt.findFrom(start);
  while (vma !== null && vma.vm_start < end) {
    if (vma.vm_end > end) yield* __split_vma(mm, vma, end, false); // vma keeps the lower part
    yield* vma_start_write(vma);
    if (vma.vm_file !== null) mm.hooks.uprobe_munmap(vma, vma.vm_start, vma.vm_end);
    doomed.push(vma);
    vma = mm.mm_mt.findFrom(vma.vm_end);
  }
  if (doomed.length === 0) return;
  // One store clears the range for walkers; then detach (waiting out transient readers).
  mm.mm_mt.store(start, end, null);
  if (m.labelsRead) m.label = `munmap: clear [${start.toString(16)}, ${end.toString(16)}) from ${mm}'s tree`;
  yield 0;
  yield* detach_vmas(mm, doomed, "munmap");
  mm.zap_breakpoints(start, end); // unmap_region: breakpoint pages go with the mapping
  for (const v of doomed) vm_area_free(v);
  if (m.labelsRead) m.label = `munmap: freed ${doomed.length} VMA(s) of ${mm}`;
  yield 0;
}

// ---------------------------------------------------------------- mprotect

function* mprotect_fixup(mm: MmStruct, start: number, end: number, prot: number): Sub<void> {
  const m = mm.m;
  const want = calc_vm_prot_bits(prot);
  let addr = start;
  while (addr < end) {
    let vma = mm.mm_mt.findFrom(addr)!;
    const newflags = (vma.vm_flags & ~(VM_READ | VM_WRITE | VM_EXEC)) | want;
    if (newflags !== vma.vm_flags) {
      if (vma.vm_start < addr) yield* __split_vma(mm, vma, addr, true);
      if (vma.vm_end > end) yield* __split_vma(mm, vma, end, false);
      yield* vma_start_write(vma);
      vma_assert_no_readers(vma, "mprotect");
      vma.line.write(m);
      vma.vm_flags = newflags;
      if (m.labelsRead) m.label = `mprotect: ${vma} flags ${newflags.toString(16)}`;
      yield 0;
      vma = yield* vma_try_merge(mm, vma);
    }
    addr = Math.min(vma.vm_end, end);
  }
}

// ---------------------------------------------------------------- mremap

function* mremap_locked(
  mm: MmStruct,
  oldAddr: number,
  oldLen: number,
  newLen: number,
  opts: MremapArgs,
): Sub<number> {
  const vma = mm.mm_mt.load(oldAddr);
  if (vma === null || vma.vm_end < oldAddr + oldLen) return -EFAULT;
  if (newLen > oldLen && (vma.vm_flags & VM_DONTEXPAND) !== 0) return -EFAULT; // resize_is_valid
  if (opts.fixed === undefined) {
    if (newLen <= oldLen) {
      if (newLen < oldLen) yield* do_vmi_munmap(mm, oldAddr + newLen, oldAddr + oldLen);
      return oldAddr;
    }
    // Grow in place when the range ends the VMA and the space after it is free.
    if (oldAddr + oldLen === vma.vm_end && isFree(mm, vma.vm_end, oldAddr + newLen)) {
      yield* vma_set_range(mm, vma, vma.vm_start, oldAddr + newLen, vma.vm_pgoff, "mremap: expand");
      if (vma.vm_file !== null) yield* mm.hooks.uprobe_mmap(vma); // vma_expand -> vma_complete
      return oldAddr;
    }
    if (opts.mayMove === false) return -ENOMEM;
  }
  let newAddr: number;
  if (opts.fixed !== undefined) {
    newAddr = opts.fixed;
    yield* do_vmi_munmap(mm, newAddr, newAddr + newLen);
  } else {
    newAddr = get_unmapped_area(mm, newLen);
    if (newAddr < 0) return -ENOMEM;
  }
  if (newLen < oldLen) {
    yield* do_vmi_munmap(mm, oldAddr + newLen, oldAddr + oldLen);
    oldLen = newLen;
  }
  // vm_ops->mremap: the kernel asks after moving and moves the page tables back on a refusal;
  // asking first leaves the same address space behind.
  const refused = vma.vm_special?.mremap?.(vma) ?? 0;
  if (refused < 0) return refused;
  yield* move_vma(mm, oldAddr, oldLen, newAddr, newLen);
  return newAddr;
}

/**
 * move_vma: copy_vma to the destination (merging into a neighbour there when possible —
 * without the uprobe_mmap that merge would normally run, the 6.16 fix for R17), move the
 * page tables (breakpoints move with their pages), then unmap the source.
 */
function* move_vma(
  mm: MmStruct,
  oldAddr: number,
  oldLen: number,
  newAddr: number,
  newLen: number,
): Sub<void> {
  const m = mm.m;
  let vma = mm.mm_mt.load(oldAddr)!;
  if (vma.vm_start < oldAddr) {
    yield* __split_vma(mm, vma, oldAddr, true);
    vma = mm.mm_mt.load(oldAddr)!;
  }
  if (vma.vm_end > oldAddr + oldLen) yield* __split_vma(mm, vma, oldAddr + oldLen, false);
  yield* vma_start_write(vma);
  const pgoff = vma.vm_pgoff;
  const newEnd = newAddr + newLen;
  const prev = mm.mm_mt.findBefore(newAddr);
  const next = mm.mm_mt.findFrom(newAddr);
  let dest: VmAreaStruct;
  let merged = true;
  if (
    prev !== null &&
    prev.vm_end === newAddr &&
    mergeable(prev, vma, prev.vm_pgoff + prev.vma_pages() === pgoff)
  ) {
    dest = prev;
    yield* vma_set_range(mm, prev, prev.vm_start, newEnd, prev.vm_pgoff, "mremap: copy_vma merges into prev");
  } else if (
    next !== null &&
    next.vm_start === newEnd &&
    mergeable(next, vma, pgoff + newLen / PAGE_SIZE === next.vm_pgoff)
  ) {
    dest = next;
    yield* vma_set_range(mm, next, newAddr, next.vm_end, pgoff, "mremap: copy_vma merges into next");
  } else {
    merged = false;
    dest = vm_area_dup(vma);
    dest.vm_start = newAddr;
    dest.vm_end = newEnd;
    dest.vm_pgoff = vma.vm_file !== null ? pgoff : newAddr / PAGE_SIZE;
    if (m.labelsRead) m.label = `mremap: copy_vma ${vma} -> ${dest}`;
    yield 0;
    yield* vma_link(mm, dest);
  }
  // 6.16 ("mm: fix uprobe pte be overwritten when expanding vma"): a merge here skips
  // uprobe_mmap (skip_vma_uprobe), since the breakpoints arrive with the moved page tables.
  if (merged && mm.sys.faults.mremapMergeUprobeMmap) yield* mm.hooks.uprobe_mmap(dest);
  // move_page_tables
  dest.anon_vma = dest.anon_vma || vma.anon_vma;
  mm.move_breakpoints(oldAddr, oldAddr + oldLen, newAddr - oldAddr);
  if (m.labelsRead) m.label = `mremap: move_page_tables ${oldAddr.toString(16)} -> ${newAddr.toString(16)}`;
  yield 0;
  yield* do_vmi_munmap(mm, oldAddr, oldAddr + oldLen);
}

// ---------------------------------------------------------------- helpers

function isFree(mm: MmStruct, start: number, end: number): boolean {
  const v = mm.mm_mt.findFrom(start);
  return v === null || v.vm_start >= end;
}

function fullyMapped(mm: MmStruct, start: number, end: number): boolean {
  let addr = start;
  while (addr < end) {
    const v = mm.mm_mt.load(addr);
    if (v === null) return false;
    addr = v.vm_end;
  }
  return true;
}

/**
 * Detach VMAs already cleared from the tree (waiting out transient readers) and unlink them
 * from their files' i_mmap: the common tail of munmap and exit_mmap before the VMAs are freed.
 */
export function* detach_vmas(mm: MmStruct, vmas: readonly VmAreaStruct[], caller: string): Sub<void> {
  for (const v of vmas) {
    vma_assert_no_readers(v, caller);
    yield* vma_mark_detached(v);
    const mapping = v.vm_file?.f_mapping ?? null;
    if (mapping !== null) {
      yield* mapping.i_mmap_lock_write();
      mapping.i_mmap.remove(v);
      mapping.i_mmap_unlock_write();
    }
    mm.map_count--;
  }
}
