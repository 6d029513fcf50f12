/**
 * Per-VMA locks (include/linux/mmap_lock.h, mm/mmap_lock.c): how a page fault or the maps
 * reader locks one VMA without mmap_lock, and how writers holding mmap_lock for write
 * exclude them.
 *
 * A writer "write-locks" a VMA by recording the mm's current mm_lock_seq in vm_lock_seq;
 * mmap_write_unlock moves the sequence on and so releases every VMA of the mm at once.
 * Readers compare the two. 6.15+ counts readers in vm_refcnt (0 = detached, 1 = attached,
 * VMA_LOCK_OFFSET = a writer is draining readers); 6.4-6.14 used a per-VMA rwsem and a
 * detached bool. Both forms are here, selected by `design.vmaLock`.
 *
 * Each step of vma_start_read is its own interleaving point so the races of R19-R22 are
 * reachable; each safety check can be removed with a fault switch to show what it stops.
 */

import { traceable } from "../../sim/ftrace.js";
import type { Sub } from "../../sim/machine.js";
import { RwSemaphore } from "../../sim/sync/rwsem.js";
import { EAGAIN, type Eagain, VM_LOCK_SEQ_NONE, VMA_FREEPTR_POISON, VMA_LOCK_OFFSET } from "./constants.js";
import type { MmStruct } from "./mm-struct.js";
import type { VmAreaStruct } from "./vma.js";

const FN_LOCK_VMA_UNDER_RCU = traceable("lock_vma_under_rcu", "struct vm_area_struct *", [
  "struct mm_struct *mm",
  "unsigned long address",
]);
const FN_VMA_START_WRITE = traceable("vma_start_write", "void", ["struct vm_area_struct *vma"]);

// ---------------------------------------------------------------- allocation

/** vm_area_alloc: a detached, never write-locked VMA of `mm` with every field re-initialised. */
export function vm_area_alloc(mm: MmStruct): VmAreaStruct {
  const sys = mm.sys;
  const vma = sys.vm_area_cachep.alloc();
  vma.vm_mm = mm;
  vma.vm_start = 0;
  vma.vm_end = 0;
  vma.vm_pgoff = 0;
  vma.vm_flags = 0;
  vma.vm_file = null;
  vma.anon_vma = false;
  vma.anon_name = "";
  vma.vm_special = null;
  vma_lock_init(vma);
  vma.line.write(mm.m);
  mm.m.cost(mm.m.profile.slabAlloc);
  return vma;
}

/** vma_lock_init: detached, unlocked (vm_area_init_from never copies these). */
function vma_lock_init(vma: VmAreaStruct): void {
  const sys = vma.vm_mm.sys;
  vma.vm_refcnt = 0;
  vma.vm_lock_seq = VM_LOCK_SEQ_NONE;
  vma.detached = true;
  if (sys.design.vmaLock === "rwsem" && vma.vm_lock === null) {
    vma.vm_lock = new RwSemaphore(vma.vm_mm.m, `vma#${vma.id}.vm_lock`);
  }
}

/**
 * vm_area_dup: a copy of `orig` (same mm, range, file with its own reference). The copy
 * starts detached: vm_area_init_from deliberately leaves vm_refcnt alone, since copying it
 * would make a recycled object look attached to an RCU reader that found it earlier (R21).
 */
export function vm_area_dup(orig: VmAreaStruct): VmAreaStruct {
  const mm = orig.vm_mm;
  const vma = vm_area_alloc(mm);
  vma.vm_start = orig.vm_start;
  vma.vm_end = orig.vm_end;
  vma.vm_pgoff = orig.vm_pgoff;
  vma.vm_flags = orig.vm_flags;
  vma.vm_file = orig.vm_file === null ? null : mm.sys.vfs.get_file(orig.vm_file);
  vma.anon_vma = orig.anon_vma;
  vma.anon_name = orig.anon_name;
  vma.vm_special = orig.vm_special;
  if (mm.sys.faults.copyRefcnt) vma.vm_refcnt = orig.vm_refcnt;
  return vma;
}

/** vm_area_free: only detached VMAs with no readers may go back to the slab (R21). */
export function vm_area_free(vma: VmAreaStruct): void {
  const mm = vma.vm_mm;
  const sys = mm.sys;
  if (sys.design.vmaLock === "refcount" && vma.vm_refcnt !== 0) {
    mm.m.fail(`vm_area_free: ${vma} has vm_refcnt ${vma.vm_refcnt} (must be detached with no readers)`);
  }
  if (vma.__tree_slots !== 0) mm.m.fail(`vm_area_free: ${vma} is still in a VMA tree`);
  if (vma.__holders !== 0)
    mm.m.fail(`vm_area_free: ${vma} is freed while ${vma.__holders} reader(s) hold it`);
  if (vma.vm_file !== null) sys.vfs.fput(vma.vm_file);
  vma.line.write(mm.m);
  sys.vm_area_cachep.free(vma);
  if (sys.design.vmaSlab === "typesafe-by-rcu") {
    // The slab free pointer overlaps vm_start/vm_end (6.15).
    vma.vm_start = VMA_FREEPTR_POISON;
    vma.vm_end = VMA_FREEPTR_POISON;
  }
}

// ---------------------------------------------------------------- state queries

/** The VMA is write-locked: vm_lock_seq equals its mm's current sequence. */
export function __is_vma_write_locked(vma: VmAreaStruct): boolean {
  return vma.vm_lock_seq === vma.vm_mm.mm_lock_seq.sequence;
}

/**
 * Readers that hold the VMA read-locked right now (successful vma_start_read /
 * vma_start_read_locked not yet ended). Transient references of readers that are about to
 * back out are not holders: they never touch the VMA's contents.
 */
export function vma_readers(vma: VmAreaStruct): number {
  return vma.__holders;
}

/** Attached = in a tree (refcount form: vm_refcnt != 0; rwsem form: !detached). */
export function vma_is_attached(vma: VmAreaStruct): boolean {
  return vma.vm_mm.sys.design.vmaLock === "rwsem" ? !vma.detached : vma.vm_refcnt !== 0;
}

/** Fail unless the running task holds the VMA's mm for write and has write-locked the VMA. */
export function vma_assert_write_locked(vma: VmAreaStruct, what: string): void {
  const mm = vma.vm_mm;
  if (!mm.mmap_write_locked() || !__is_vma_write_locked(vma))
    mm.m.fail(`${what}: ${vma} is not write-locked`);
}

/**
 * A writer is about to change a write-locked VMA: no reader may hold it (R22). Called at
 * every modification step, so a reader that slipped in is caught when it matters.
 */
export function vma_assert_no_readers(vma: VmAreaStruct, what: string): void {
  if (vma_readers(vma) > 0) {
    vma.vm_mm.m.fail(`${what}: ${vma} is write-locked but ${vma_readers(vma)} reader(s) hold it`);
  }
}

// ---------------------------------------------------------------- readers

/**
 * vma_start_read(mm, vma): caller is inside rcu_read_lock. Returns the read-locked VMA, null
 * (could not lock: fall back to mmap_lock) or EAGAIN (detached under us: walk again). On
 * failure the RCU read section has been left.
 */
export function* vma_start_read(mm: MmStruct, vma: VmAreaStruct): Sub<VmAreaStruct | null | Eagain> {
  const m = mm.m;
  const sys = mm.sys;
  const rcu = sys.rcu;
  sys.vm_area_cachep.check(vma, "vma_start_read");

  // 1. Cheap pre-check: write-locked now? Races here only cause spurious failures.
  vma.vm_lock_line.read(m);
  if (vma.vm_lock_seq === mm.mm_lock_seq.read()) {
    rcu.readUnlock();
    return null;
  }
  if (m.labelsRead) m.label = `vma_start_read ${vma}: pre-check passed`;
  yield 0;

  // 2. Take a reference (refcount form) or the rwsem for read (old form).
  if (sys.design.vmaLock === "refcount") {
    vma.vm_lock_line.atomic(m);
    const old = vma.vm_refcnt;
    if (old === 0 || old >= sys.vmaRefLimit) {
      rcu.readUnlock();
      return old === 0 ? EAGAIN : null;
    }
    vma.vm_refcnt = old + 1;
    if (m.labelsRead) m.label = `vma_start_read ${vma}: vm_refcnt ${old} -> ${old + 1}`;
  } else {
    if (!vma.vm_lock!.tryDownRead()) {
      rcu.readUnlock();
      return null;
    }
    if (m.labelsRead) m.label = `vma_start_read ${vma}: down_read_trylock`;
  }
  yield 0;

  // 3. Recycled into another mm? Pin that mm around the put: our put may wake its writer
  //    after which it may exit and free the mm (6.17 fix, R20).
  vma.line.read(m);
  if (!sys.faults.skipMmCheck && vma.vm_mm !== mm) {
    const other = vma.vm_mm;
    if (!sys.faults.skipMmgrab) other.mmgrab();
    if (m.labelsRead) m.label = `vma_start_read ${vma}: vm_mm is ${other}, not ${mm}`;
    yield 0;
    yield* vma_refcount_put(vma);
    if (!sys.faults.skipMmgrab) other.mmdrop();
    rcu.readUnlock();
    return null;
  }
  if (m.labelsRead) m.label = `vma_start_read ${vma}: vm_mm ok`;
  yield 0;

  // 4. Re-check the sequence after the reference (acquire; pairs with vma_end_write_all): a
  //    writer that set the flag and stored vm_lock_seq after our pre-check is seen here.
  if (!sys.faults.skipSeqRecheck) {
    vma.vm_lock_line.read(m);
    if (vma.vm_lock_seq === mm.mm_lock_seq.read()) {
      if (m.labelsRead) m.label = `vma_start_read ${vma}: write-locked since pre-check`;
      yield 0;
      yield* vma_refcount_put(vma);
      rcu.readUnlock();
      return null;
    }
    if (m.labelsRead) m.label = `vma_start_read ${vma}: seq re-check passed`;
    yield 0;
  }

  // 6.4-6.14: detached after we found it? (lock_vma_under_rcu checked this after locking;
  // checking before the sequence re-check would miss a detach that a later unlock hid.)
  if (sys.design.vmaLock === "rwsem") {
    vma.line.read(m);
    if (vma.detached) {
      if (m.labelsRead) m.label = `vma_start_read ${vma}: detached`;
      yield 0;
      yield* vma_refcount_put(vma);
      rcu.readUnlock();
      return EAGAIN;
    }
  }

  // 5. Read-locked and attached to mm.
  vma.__holders++;
  return vma;
}

/**
 * vma_refcount_put: copy vm_mm first (the object may be recycled once our count is gone),
 * decrement, and wake the mm's writer if it is now the only one left.
 */
function* vma_refcount_put(vma: VmAreaStruct): Sub<void> {
  const sys = vma.vm_mm.sys;
  const m = vma.vm_mm.m;
  if (sys.design.vmaLock === "rwsem") {
    vma.vm_lock!.upRead();
    if (m.labelsRead) m.label = `vma_end_read ${vma}: up_read`;
    yield 0;
    return;
  }
  vma.line.read(m);
  const mm = vma.vm_mm;
  if (m.labelsRead) m.label = `vma_refcount_put ${vma}: read vm_mm=${mm}`;
  yield 0;
  vma.vm_lock_line.atomic(m);
  if (vma.vm_refcnt <= 0) m.fail(`vma_refcount_put: ${vma} vm_refcnt underflow`);
  const now = --vma.vm_refcnt;
  if (m.labelsRead) m.label = `vma_refcount_put ${vma}: vm_refcnt -> ${now}`;
  yield 0;
  if ((now & VMA_LOCK_OFFSET) !== 0 && now <= VMA_LOCK_OFFSET + 1) {
    mm.check("vma_refcount_put: wake vma_writer_wait");
    m.wakeAll(mm.vma_writer_wait);
    if (m.labelsRead) m.label = `vma_refcount_put ${vma}: wake ${mm}'s writer`;
    yield 0;
  }
}

/** vma_end_read: drop a read lock taken by vma_start_read or vma_start_read_locked. */
export function* vma_end_read(vma: VmAreaStruct): Sub<void> {
  if (vma.__holders <= 0) vma.vm_mm.m.fail(`vma_end_read: ${vma} is not read-locked`);
  vma.__holders--;
  yield* vma_refcount_put(vma);
}

/** vma_start_read_locked: with mmap_lock held for read no writer can interfere; fails only on overflow. */
export function vma_start_read_locked(vma: VmAreaStruct): boolean {
  const m = vma.vm_mm.m;
  if (vma.vm_mm.sys.design.vmaLock === "rwsem") {
    if (!vma.vm_lock!.tryDownRead()) return false;
  } else {
    vma.vm_lock_line.atomic(m);
    const old = vma.vm_refcnt;
    if (old === 0 || old >= vma.vm_mm.sys.vmaRefLimit) return false;
    vma.vm_refcnt = old + 1;
  }
  vma.__holders++;
  return true;
}

/**
 * lock_vma_under_rcu(mm, address): the page-fault fast path. Returns a read-locked VMA that
 * is attached to mm and covers address, or null ("retry under mmap_read_lock").
 */
export function* lock_vma_under_rcu(mm: MmStruct, address: number): Sub<VmAreaStruct | null> {
  const m = mm.m;
  const h = m.ftrace;
  if (h.armed[FN_LOCK_VMA_UNDER_RCU] !== 0 && h.enter(FN_LOCK_VMA_UNDER_RCU))
    return h.exit(
      FN_LOCK_VMA_UNDER_RCU,
      h.entry(FN_LOCK_VMA_UNDER_RCU, mm.id, address),
      yield* lock_vma_under_rcu(mm, address),
    );
  const sys = mm.sys;
  const rcu = sys.rcu;
  while (true) {
    rcu.readLock();
    const vma = mm.mm_mt.load(address);
    if (m.labelsRead) m.label = `lock_vma_under_rcu ${address.toString(16)}: walk -> ${vma ?? "none"}`;
    yield 0;
    if (vma === null) {
      rcu.readUnlock();
      sys.stats.vma_lock_abort++;
      return null;
    }
    const got = yield* vma_start_read(mm, vma);
    if (got === EAGAIN) {
      sys.stats.vma_lock_miss++; // the VMA was replaced: walk again
      continue;
    }
    if (got === null) {
      sys.stats.vma_lock_abort++;
      return null;
    }
    // The reference pins the object; only now are its fields this VMA's (3.4 case 3).
    vma.line.read(m);
    if (address < vma.vm_start || address >= vma.vm_end) {
      if (m.labelsRead) m.label = `lock_vma_under_rcu: ${vma} no longer covers ${address.toString(16)}`;
      yield 0;
      yield* vma_end_read(vma);
      rcu.readUnlock();
      sys.stats.vma_lock_abort++;
      return null;
    }
    rcu.readUnlock();
    sys.stats.vma_lock_success++;
    if (m.labelsRead) m.label = `lock_vma_under_rcu: locked ${vma}`;
    yield 0;
    return vma;
  }
}

// ---------------------------------------------------------------- writers

/**
 * vma_start_write: exclude readers from `vma` until the mm is write-unlocked. The caller holds
 * mmap_lock for write.
 */
export function* vma_start_write(vma: VmAreaStruct): Sub<void> {
  const mm = vma.vm_mm;
  const m = mm.m;
  const h = m.ftrace;
  if (h.armed[FN_VMA_START_WRITE] !== 0 && h.enter(FN_VMA_START_WRITE))
    return h.exit(FN_VMA_START_WRITE, h.entry(FN_VMA_START_WRITE, vma.id), yield* vma_start_write(vma));
  if (!mm.mmap_write_locked()) m.fail(`vma_start_write: ${mm}'s mmap_lock is not held for write`);
  const seq = mm.mm_lock_seq.sequence;
  if (vma.vm_lock_seq === seq) return;
  if (mm.sys.design.vmaLock === "rwsem") {
    yield* vma.vm_lock!.downWrite();
    vma.vm_lock_line.write(m);
    vma.vm_lock_seq = seq;
    vma.vm_lock!.upWrite();
    if (m.labelsRead) m.label = `vma_start_write ${vma}: vm_lock_seq=${seq}`;
    yield 0;
    return;
  }
  const locked = yield* __vma_enter_locked(vma, false);
  vma.vm_lock_line.write(m);
  vma.vm_lock_seq = seq;
  if (locked) vma.vm_refcnt -= VMA_LOCK_OFFSET; // __vma_exit_locked
  if (m.labelsRead) m.label = `vma_start_write ${vma}: vm_lock_seq=${seq}`;
  yield 0;
}

/**
 * __vma_enter_locked: add the writer flag (only if attached) and wait until the only
 * references left are ours (flag + 1 for a writer, flag alone for a detacher).
 */
function* __vma_enter_locked(vma: VmAreaStruct, detaching: boolean): Sub<boolean> {
  const mm = vma.vm_mm;
  const m = mm.m;
  vma.vm_lock_line.atomic(m);
  if (vma.vm_refcnt === 0) return false;
  vma.vm_refcnt += VMA_LOCK_OFFSET;
  const target = detaching ? VMA_LOCK_OFFSET : VMA_LOCK_OFFSET + 1;
  if (m.labelsRead)
    m.label = `__vma_enter_locked ${vma}: writer flag set, vm_refcnt=${vma.vm_refcnt - VMA_LOCK_OFFSET}+flag`;
  yield 0;
  while (true) {
    vma.vm_lock_line.read(m);
    if (vma.vm_refcnt === target) break;
    if (m.labelsRead) m.label = `__vma_enter_locked ${vma}: wait for readers`;
    yield* m.wait(mm.vma_writer_wait);
  }
  return true;
}

/** vma_mark_attached: publish a fully initialised, write-locked, detached VMA (release). */
export function vma_mark_attached(vma: VmAreaStruct): void {
  const m = vma.vm_mm.m;
  vma_assert_write_locked(vma, "vma_mark_attached");
  vma.vm_lock_line.write(m);
  if (vma.vm_mm.sys.design.vmaLock === "rwsem") vma.detached = false;
  else vma.vm_refcnt = 1;
}

/** vma_mark_detached: drop the tree's reference and wait out transient readers. */
export function* vma_mark_detached(vma: VmAreaStruct): Sub<void> {
  const m = vma.vm_mm.m;
  vma_assert_write_locked(vma, "vma_mark_detached");
  if (vma.vm_mm.sys.design.vmaLock === "rwsem") {
    vma.line.write(m);
    vma.detached = true;
    if (m.labelsRead) m.label = `vma_mark_detached ${vma}`;
    yield 0;
    return;
  }
  vma.vm_lock_line.atomic(m);
  if (vma.vm_refcnt <= 0) m.fail(`vma_mark_detached: ${vma} is not attached`);
  vma.vm_refcnt--;
  if (m.labelsRead) m.label = `vma_mark_detached ${vma}: vm_refcnt -> ${vma.vm_refcnt}`;
  yield 0;
  if (vma.vm_refcnt !== 0 && (yield* __vma_enter_locked(vma, true))) {
    vma.vm_lock_line.atomic(m);
    vma.vm_refcnt -= VMA_LOCK_OFFSET;
    if (vma.vm_refcnt !== 0) m.fail(`vma_mark_detached: ${vma} still has vm_refcnt ${vma.vm_refcnt}`);
    yield 0;
  }
}
