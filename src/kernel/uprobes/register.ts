/**
 * Registration and unregistration (kernel-model.md 2.3, 2.4, 2.6, 2.7).
 *
 * uprobe_register -> alloc_uprobe -> consumer_add -> register_for_each_vma (dup_mmap_sem,
 * an i_mmap scan, then per mm: mmap_write_lock, re-check, install_breakpoint).
 * Teardown is uprobe_unregister_nosync for each probe and one uprobe_unregister_sync for the
 * batch (as merged in 6.12), or a sync per probe (the old way), or the proposed batch API.
 */
import { traceable } from "../../sim/ftrace.js";
import type { Sub } from "../../sim/machine.js";
import {
  check_stable_address_space,
  MMF_HAS_UPROBES,
  type MmStruct,
  mmput,
  offset_to_vaddr,
  PAGE_SIZE,
  type UprobeInode,
  vaddr_to_offset,
  valid_vma,
  vma_lookup_quiet,
} from "./mm-api.js";
import type { UprobesState } from "./state.js";
import { filter_chain } from "./swbp.js";
import { alloc_uprobe, put_uprobe } from "./tree.js";
import { ConsumerState, type Uprobe, type UprobeConsumer } from "./types.js";
import { install_breakpoint, remove_breakpoint } from "./xol.js";

const FN_UPROBE_REGISTER = traceable("uprobe_register", "struct uprobe *", [
  "struct inode *inode",
  "loff_t offset",
]);
const FN_UPROBE_UNREGISTER_NOSYNC = traceable("uprobe_unregister_nosync", "void", [
  "struct uprobe *uprobe",
  "struct uprobe_consumer *uc",
]);

export class UprobeError extends Error {}

/** uprobe_register: returns the uprobe handle to pass to unregister. */
export function* uprobe_register(
  u: UprobesState,
  inode: UprobeInode,
  offset: number,
  uc: UprobeConsumer,
  ref_ctr_offset = 0,
): Sub<Uprobe> {
  const m = u.m;
  const h = m.ftrace;
  if (h.armed[FN_UPROBE_REGISTER] !== 0 && h.enter(FN_UPROBE_REGISTER))
    return h.exit(
      FN_UPROBE_REGISTER,
      h.entry(FN_UPROBE_REGISTER, inode.i_ino, offset),
      yield* uprobe_register(u, inode, offset, uc, ref_ctr_offset),
    );
  if (uc.handler === null && uc.ret_handler === null) throw new UprobeError("consumer has no handler");
  // The kernel's "obvious mistakes" checks, each -EINVAL (x86 instructions need no alignment).
  if (offset > inode.i_size)
    throw new UprobeError(`${probeAt(inode, offset)} is past the end of the file (EINVAL)`);
  if (ref_ctr_offset % 2 !== 0)
    throw new UprobeError(
      `${probeAt(inode, offset)}: ref_ctr_offset 0x${ref_ctr_offset.toString(16)} is not a short's address (EINVAL)`,
    );
  const uprobe = yield* alloc_uprobe(u, inode, offset, ref_ctr_offset);
  if (uprobe === "EINVAL") throw new UprobeError(`ref_ctr_offset mismatch at ${probeAt(inode, offset)}`);
  yield* uprobe.register_rwsem.downWrite();
  register_seq_begin(u, uprobe);
  yield* consumer_add(u, uprobe, uc);
  const err = yield* register_for_each_vma(u, uprobe, uc);
  register_seq_end(u, uprobe);
  uprobe.register_rwsem.upWrite();
  u.stats.registrations++;
  if (err !== null) {
    yield* uprobe_unregister_nosync(u, uprobe, uc);
    yield* uprobe_unregister_sync(u);
    throw new UprobeError(err);
  }
  uc.state = ConsumerState.Registered;
  uc.registeredAt = m.steps;
  u.registered.set(uc, uprobe);
  m.label = "uprobe_register: done";
  if (m.mustYieldExact()) yield 0;
  return uprobe;
}

/** Where a registration asked for, for its errors: the same form as the uprobe's name. */
function probeAt(inode: UprobeInode, offset: number): string {
  return `${inode.path}+0x${offset.toString(16)}`;
}

/**
 * The register_seq RFC brackets a whole registration or unregistration with
 * raw_write_seqcount_begin/end (under register_rwsem), so a hit whose REMOVE decision
 * overlapped either one sees the sequence odd or moved and leaves the breakpoints alone.
 */
function register_seq_begin(u: UprobesState, uprobe: Uprobe): void {
  if (u.config.remove_recheck === "register-seq") uprobe.register_seq.writeBegin();
}

function register_seq_end(u: UprobesState, uprobe: Uprobe): void {
  if (u.config.remove_recheck === "register-seq") uprobe.register_seq.writeEnd();
}

/** consumer_add: publish a new list with `uc` at the head (RCU list insert). */
function* consumer_add(u: UprobesState, uprobe: Uprobe, uc: UprobeConsumer): Sub<void> {
  yield* uprobe.consumer_rwsem.downWrite();
  uc.id = ++u.consumerIds;
  uprobe.consumers = [uc, ...uprobe.consumers];
  uprobe.line.write(u.m);
  uprobe.consumer_rwsem.upWrite();
}

function* consumer_del(u: UprobesState, uprobe: Uprobe, uc: UprobeConsumer): Sub<void> {
  yield* uprobe.consumer_rwsem.downWrite();
  uprobe.consumers = uprobe.consumers.filter((c) => c !== uc);
  uprobe.line.write(u.m);
  uprobe.consumer_rwsem.upWrite();
}

interface MapInfo {
  mm: MmStruct;
  vaddr: number;
}

/**
 * build_map_info: every mm mapping the probed page, from the inode's i_mmap, each pinned with
 * mmget_not_zero so it cannot be torn down before register_for_each_vma reaches it.
 * Unregistration filters with is_register = false: the VMA's flags may have changed since the
 * breakpoint went in (mprotect made the text writable), and the breakpoint must still go.
 */
function* build_map_info(
  u: UprobesState,
  inode: UprobeInode,
  offset: number,
  is_register: boolean,
): Sub<MapInfo[]> {
  yield* inode.i_mapping.i_mmap_lock_read();
  const info: MapInfo[] = [];
  const page = Math.floor(offset / PAGE_SIZE);
  for (const vma of inode.i_mmap_query(page, page)) {
    if (!valid_vma(vma, is_register) || vma.vm_mm === null || !vma.vm_mm.mmget_not_zero()) continue;
    info.push({ mm: vma.vm_mm, vaddr: offset_to_vaddr(vma, offset) });
  }
  inode.i_mapping.i_mmap_unlock_read();
  u.m.label = "build_map_info";
  if (u.m.mustYieldExact()) yield 0;
  return info;
}

/** register_for_each_vma: install (`uc` given) or remove (null) in every mapping mm. */
function* register_for_each_vma(
  u: UprobesState,
  uprobe: Uprobe,
  uc: UprobeConsumer | null,
): Sub<string | null> {
  const m = u.m;
  const is_register = uc !== null;
  yield* u.dup_mmap_sem.downWrite();
  const info = yield* build_map_info(u, uprobe.inode, uprobe.offset, is_register);
  let err: string | null = null;
  for (const { mm, vaddr } of info) {
    if (err === null || !is_register) {
      yield* mm.mmap_write_lock();
      if (!check_stable_address_space(mm)) err = (yield* register_in_mm(u, uprobe, uc, mm, vaddr)) ?? err;
      mm.mmap_write_unlock();
      m.label = "register_for_each_vma: mm done";
      if (m.mustYieldExact()) yield 0;
    }
    yield* mmput(mm);
  }
  u.dup_mmap_sem.upWrite();
  return err;
}

/** One mm of register_for_each_vma, under its mmap_write_lock: the scan is stale, re-check it. */
function* register_in_mm(
  u: UprobesState,
  uprobe: Uprobe,
  uc: UprobeConsumer | null,
  mm: MmStruct,
  vaddr: number,
): Sub<string | null> {
  const vma = vma_lookup_quiet(mm, vaddr);
  if (
    vma === null ||
    !valid_vma(vma, uc !== null) ||
    vma.vm_file === null ||
    vma.vm_file.f_inode !== uprobe.inode ||
    vaddr_to_offset(vma, vaddr) !== uprobe.offset
  ) {
    return null;
  }
  if (uc !== null) {
    if (uc.filter !== null && !uc.filter(uc, mm)) return null;
    const r = yield* install_breakpoint(u, uprobe, mm, vma, vaddr);
    return r === "ok" ? null : `${r}: ${uprobe.describe()} already holds a trap instruction`;
  }
  if (mm.test_bit(MMF_HAS_UPROBES) && !(yield* filter_chain(u, uprobe, mm))) {
    remove_breakpoint(u, uprobe, mm, vma, vaddr);
  }
  return null;
}

/** uprobe_unregister_nosync: unlink the consumer and remove breakpoints; no waiting. */
export function* uprobe_unregister_nosync(u: UprobesState, uprobe: Uprobe, uc: UprobeConsumer): Sub<void> {
  const h = u.m.ftrace;
  if (h.armed[FN_UPROBE_UNREGISTER_NOSYNC] !== 0 && h.enter(FN_UPROBE_UNREGISTER_NOSYNC))
    return h.exit(
      FN_UPROBE_UNREGISTER_NOSYNC,
      h.entry(FN_UPROBE_UNREGISTER_NOSYNC, uprobe.offset, uc.id),
      yield* uprobe_unregister_nosync(u, uprobe, uc),
    );
  u.registered.delete(uc);
  yield* uprobe.register_rwsem.downWrite();
  register_seq_begin(u, uprobe);
  yield* consumer_del(u, uprobe, uc);
  const err = yield* register_for_each_vma(u, uprobe, null);
  register_seq_end(u, uprobe);
  uprobe.register_rwsem.upWrite();
  uc.state = ConsumerState.Unregistered;
  u.unsynced.push(uc);
  u.stats.unregistrations++;
  // A failed removal leaks the uprobe so the remaining breakpoints still resolve.
  if (err === null) put_uprobe(u, uprobe);
  u.m.label = "uprobe_unregister_nosync: done";
  if (u.m.mustYieldExact()) yield 0;
}

/**
 * uprobe_unregister_sync: a Tasks Trace grace period (every handle_swbp that might still
 * see a removed consumer finishes), then a uretprobes_srcu grace period.
 */
export function* uprobe_unregister_sync(u: UprobesState): Sub<void> {
  const m = u.m;
  const start = m.now();
  const covered = u.unsynced.splice(0);
  u.stats.syncCalls++;
  if (!u.faults.unregisterSkipSync) {
    if (u.config.consumers === "srcu") yield* u.uprobes_srcu.synchronize();
    else if (u.config.consumers === "tasks-trace") yield* u.tasks_trace.synchronize();
    if (u.config.uretprobe === "srcu-lease") yield* u.uretprobes_srcu.synchronize();
  }
  for (const uc of covered) uc.state = ConsumerState.Freed;
  u.stats.syncTimeNs += m.now() - start;
  m.label = "uprobe_unregister_sync: done";
  if (m.mustYieldExact()) yield 0;
}

export interface Registration {
  uprobe: Uprobe;
  uc: UprobeConsumer;
}

/** Detach a set of registrations the way the configured kernel does. */
export function* uprobe_unregister_all(u: UprobesState, regs: readonly Registration[]): Sub<void> {
  if (u.config.unregister === "sync-per-probe") {
    for (const r of regs) {
      yield* uprobe_unregister_nosync(u, r.uprobe, r.uc);
      yield* uprobe_unregister_sync(u);
    }
    return;
  }
  if (u.config.unregister === "batch-api") {
    yield* uprobe_unregister_batch(u, regs);
    return;
  }
  for (const r of regs) yield* uprobe_unregister_nosync(u, r.uprobe, r.uc);
  if (regs.length > 0) yield* uprobe_unregister_sync(u);
}

/**
 * The June-2024 proposal: uprobe_unregister_batch takes dup_mmap_sem once for the whole
 * batch and then syncs once (not merged; kept to compare).
 */
export function* uprobe_unregister_batch(u: UprobesState, regs: readonly Registration[]): Sub<void> {
  for (const r of regs) {
    u.registered.delete(r.uc);
    yield* r.uprobe.register_rwsem.downWrite();
    register_seq_begin(u, r.uprobe);
    yield* consumer_del(u, r.uprobe, r.uc);
  }
  for (const r of regs) {
    const err = yield* register_for_each_vma(u, r.uprobe, null);
    register_seq_end(u, r.uprobe);
    r.uprobe.register_rwsem.upWrite();
    r.uc.state = ConsumerState.Unregistered;
    u.unsynced.push(r.uc);
    u.stats.unregistrations++;
    if (err === null) put_uprobe(u, r.uprobe);
  }
  if (regs.length > 0) yield* uprobe_unregister_sync(u);
}

/** uprobe_register_batch (the same proposal): register every (inode, offset, consumer). */
export function* uprobe_register_batch(
  u: UprobesState,
  items: readonly { inode: UprobeInode; offset: number; uc: UprobeConsumer }[],
): Sub<Registration[]> {
  const out: Registration[] = [];
  for (const it of items)
    out.push({ uprobe: yield* uprobe_register(u, it.inode, it.offset, it.uc), uc: it.uc });
  return out;
}

/** uprobe_apply: re-run installation or removal for `uc` after its filter changed. */
export function* uprobe_apply(u: UprobesState, uprobe: Uprobe, uc: UprobeConsumer, add: boolean): Sub<void> {
  yield* uprobe.register_rwsem.downWrite();
  u.tasks_trace.readLock();
  const present = uprobe.consumers.includes(uc);
  u.tasks_trace.readUnlock();
  if (present) yield* register_for_each_vma(u, uprobe, add ? uc : null);
  uprobe.register_rwsem.upWrite();
}
