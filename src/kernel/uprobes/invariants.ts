/**
 * The invariants of kernel-model.md section 4 that can only be judged once a run has
 * settled: every registration, hit, return and grace period finished. The in-line checks
 * (poisoned uprobes, exactly-once delivery, R1/R5/R6/R9/R11/R12) catch a race the moment it
 * happens; this sweep catches the ones whose damage is a state left behind — a uprobe missing
 * from the tree (R7), a breakpoint removed that a consumer still wants (R8), one that no
 * consumer explains any more (R16), a lease or a reference never given back (R11).
 *
 * It fails the run through m.fail like every other check, so a violation carries the
 * interleaving that led to it.
 */

import { ObjState } from "../../sim/slab.js";
import {
  type MmStruct,
  offset_to_vaddr,
  PAGE_SIZE,
  vaddr_to_offset,
  valid_vma,
  vma_lookup_quiet,
} from "./mm-api.js";
import type { UprobesState } from "./state.js";
import { ConsumerState, type Uprobe } from "./types.js";

export interface SweepOptions {
  /** The address spaces whose breakpoints to inspect. */
  mms: readonly MmStruct[];
  /**
   * Every task has left the uprobes paths and returned from its instrumented calls, so no
   * transient reference or lease may remain: refcounts must equal the consumer counts.
   */
  quiescent?: boolean;
}

/** uprobes_invariant_sweep: check everything that must hold after a settled run. */
export function uprobes_invariant_sweep(u: UprobesState, opts: SweepOptions): void {
  check_tree(u);
  check_registered(u);
  for (const mm of opts.mms) {
    if (mm.mm_users === 0) continue; // torn down: its breakpoints went with its pages
    check_breakpoints_explained(u, mm);
    check_wanted_installed(u, mm);
  }
  if (opts.quiescent) check_quiescent(u);
}

/** Every node is a live, linked uprobe, under its own key. */
function check_tree(u: UprobesState): void {
  const m = u.m;
  for (const uprobe of u.tree.values()) {
    if (uprobe.objState === ObjState.Poisoned) m.fail(`uprobes_tree holds freed uprobe ${uprobe.describe()}`);
    if (!uprobe.rb_linked || u.tree.get(uprobe.inode.i_ino, uprobe.offset) !== uprobe) {
      m.fail(`uprobes_tree node ${uprobe.describe()} is not linked under its own key`);
    }
  }
}

/** R7: every registered consumer's uprobe is the tree's node for its key, alive and counted. */
function check_registered(u: UprobesState): void {
  const m = u.m;
  const perUprobe = new Map<Uprobe, number>();
  for (const [uc, uprobe] of u.registered) {
    perUprobe.set(uprobe, (perUprobe.get(uprobe) ?? 0) + 1);
    if (uprobe.objState === ObjState.Poisoned) {
      m.fail(`R7: consumer ${uc.id} is registered on freed uprobe ${uprobe.describe()}`);
    }
    if (!uprobe.rb_linked || u.tree.get(uprobe.inode.i_ino, uprobe.offset) !== uprobe) {
      m.fail(
        `R7: consumer ${uc.id} is registered on ${uprobe.describe()}, which is no longer in uprobes_tree`,
      );
    }
    if (!uprobe.consumers.includes(uc)) {
      m.fail(`consumer ${uc.id} is registered but missing from ${uprobe.describe()}'s consumer list`);
    }
  }
  for (const [uprobe, n] of perUprobe) {
    if (uprobe.ref.value < n) {
      m.fail(`R7: ${uprobe.describe()} has refcount ${uprobe.ref.value} for ${n} registered consumers`);
    }
  }
}

/**
 * R16 (and the additional invariant of section 4): a breakpoint in an mm belongs to a uprobe
 * in the tree that still has a registered consumer. After the last consumer's unregister and
 * sync have returned, none may survive.
 */
function check_breakpoints_explained(u: UprobesState, mm: MmStruct): void {
  const m = u.m;
  for (const addr of mm.breakpoints.keys()) {
    const where = `0x${addr.toString(16)} in ${mm}`;
    const vma = vma_lookup_quiet(mm, addr);
    const file = vma === null ? null : vma.vm_file;
    if (vma === null || file === null) {
      m.fail(`breakpoint at ${where} lies outside any file mapping`);
      continue;
    }
    const inode = file.f_inode;
    const offset = vaddr_to_offset(vma, addr);
    const uprobe = u.tree.get(inode.i_ino, offset);
    const owned = uprobe?.consumers.some((uc) => uc.state === ConsumerState.Registered) ?? false;
    if (!owned) {
      m.fail(
        `R16: breakpoint at ${where} (${inode.path}+0x${offset.toString(16)}) survives with no registered consumer`,
      );
    }
  }
}

/**
 * R8: every mm some registered consumer's filter wants has the breakpoint in every mapping
 * of the probed page that an install would accept.
 */
function check_wanted_installed(u: UprobesState, mm: MmStruct): void {
  const m = u.m;
  for (const [uc, uprobe] of u.registered) {
    if (uc.filter !== null && !uc.filter(uc, mm)) continue;
    for (const vma of mm.vmas()) {
      if (!valid_vma(vma, true) || vma.vm_file?.f_inode !== uprobe.inode) continue;
      const first = vma.vm_pgoff * PAGE_SIZE;
      if (uprobe.offset < first || uprobe.offset >= first + (vma.vm_end - vma.vm_start)) continue;
      const addr = offset_to_vaddr(vma, uprobe.offset);
      if (!mm.breakpointAt(addr)) {
        m.fail(
          `R8: ${mm} is wanted by consumer ${uc.id} of ${uprobe.describe()} but has no breakpoint at 0x${addr.toString(16)}`,
        );
      }
    }
  }
}

/** R11 and lifetime: with nothing in flight, every lease is released and no reference leaked. */
function check_quiescent(u: UprobesState): void {
  const m = u.m;
  const leases = u.uretprobes_srcu.activeReaders();
  if (leases !== 0) m.fail(`R11: ${leases} uretprobes_srcu read lock(s) never released`);
  for (const uprobe of u.tree.values()) {
    if (uprobe.ref.value !== uprobe.consumers.length) {
      m.fail(
        `${uprobe.describe()} has refcount ${uprobe.ref.value} with ${uprobe.consumers.length} consumers and nothing in flight`,
      );
    }
  }
}
