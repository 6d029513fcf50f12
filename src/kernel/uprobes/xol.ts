/**
 * Patching user memory and the per-mm [uprobes] page (kernel-model.md 1.6, 2.5).
 */
import type { Sub } from "../../sim/machine.js";
import {
  _install_special_mapping,
  EPERM,
  get_unmapped_area_hint,
  MMF_HAS_UPROBES,
  MMF_RECALC_UPROBES,
  type MmStruct,
  PAGE_SIZE,
  VM_DONTCOPY,
  VM_EXEC,
  VM_IO,
  VM_MAYEXEC,
  type VmAreaStruct,
  type VmSpecialMapping,
  XOL_AREA_VADDR,
} from "./mm-api.js";
import { can_optimize, swbp_unoptimize } from "./optimize.js";
import { update_ref_ctr } from "./ref-ctr.js";
import type { UprobesState } from "./state.js";
import { UPROBE_XOL_SLOT_BYTES, type Uprobe, type UprobeTask, XolArea } from "./types.js";

/** UINSNS_PER_PAGE: the slots of the one XOL page. */
const UINSNS_PER_PAGE = PAGE_SIZE / UPROBE_XOL_SLOT_BYTES;

/** xol_add_vma's flags: executable, not readable, never copied into a child, not a real page. */
const XOL_VM_FLAGS = VM_EXEC | VM_MAYEXEC | VM_DONTCOPY | VM_IO;

/**
 * xol_mapping: the [uprobes] special mapping. xol_mremap refuses every move, since the kernel
 * keeps using xol_area->vaddr ("uprobes: deny mremap(xol_vma)", 6.13).
 */
const xol_mapping: VmSpecialMapping = {
  name: "[uprobes]",
  mremap: () => -EPERM,
};

/** The mm's xol_area as published (smp_load_acquire), or null before the first need. */
export function xol_area_of(mm: MmStruct): XolArea | null {
  return (mm.uprobes_state.xol_area as XolArea | null) ?? null;
}

/** uprobe_get_trampoline_vaddr: slot 0 of the xol area (-1 when the mm has none yet). */
export function get_trampoline_vaddr(mm: MmStruct): number {
  const area = mm.uprobes_state.xol_area as XolArea | null;
  return area === null || area === undefined ? -1 : area.vaddr;
}

/** get_xol_area: the mm's area, created (__create_xol_area) on first use. */
export function* get_xol_area(u: UprobesState, mm: MmStruct): Sub<XolArea | null> {
  const existing = xol_area_of(mm);
  if (existing !== null) return existing;
  return yield* __create_xol_area(u, mm, 0);
}

/** __create_xol_area: a new area, mapped at `vaddr` (0: as high as possible). */
export function* __create_xol_area(u: UprobesState, mm: MmStruct, vaddr: number): Sub<XolArea | null> {
  return yield* xol_add_vma(u, mm, new XolArea(vaddr, UINSNS_PER_PAGE));
}

/**
 * xol_add_vma: map the [uprobes] page (as high as possible unless `area.vaddr` says where, as
 * for a forked child) and publish the area. Another thread may have won: its area stays.
 */
function* xol_add_vma(u: UprobesState, mm: MmStruct, area: XolArea): Sub<XolArea | null> {
  yield* mm.mmap_write_lock();
  let result = xol_area_of(mm);
  if (result === null) {
    if (area.vaddr === 0) area.vaddr = get_unmapped_area_hint(mm, XOL_AREA_VADDR, PAGE_SIZE);
    const addr =
      area.vaddr < 0
        ? area.vaddr
        : yield* _install_special_mapping(mm, area.vaddr, PAGE_SIZE, XOL_VM_FLAGS, xol_mapping);
    if (addr >= 0) {
      mm.uprobes_state.xol_area = area; // smp_store_release
      result = area;
    }
  }
  mm.mmap_write_unlock();
  u.m.label = "xol_add_vma";
  if (u.m.mustYieldExact()) yield 0;
  return result;
}

/**
 * xol_get_insn_slot: a free slot of the area for the instruction `utask` is about to step,
 * sleeping on area->wq while every slot is taken (xol_take_insn_slot). 0 if there is no area.
 */
export function* xol_get_insn_slot(u: UprobesState, mm: MmStruct, utask: UprobeTask): Sub<number> {
  const area = yield* get_xol_area(u, mm);
  if (area === null) return 0;
  let slot = area.bitmap.indexOf(0);
  while (slot < 0) {
    u.stats.xolSlotWaits++;
    u.m.label = "xol_get_insn_slot: wait_event(area->wq)";
    yield* u.m.wait(area.wq);
    slot = area.bitmap.indexOf(0);
  }
  area.bitmap[slot] = 1; // test_and_set_bit: no yield between the find and the set
  utask.xol_vaddr = area.vaddr + slot * UPROBE_XOL_SLOT_BYTES;
  return utask.xol_vaddr; // arch_uprobe_copy_ixol copies the instruction there
}

/** xol_free_insn_slot: give the task's slot back and wake one sleeper per freed slot. */
export function xol_free_insn_slot(u: UprobesState, mm: MmStruct, utask: UprobeTask): void {
  const area = xol_area_of(mm);
  if (area === null || utask.xol_vaddr === 0) return;
  const slot = (utask.xol_vaddr - area.vaddr) / UPROBE_XOL_SLOT_BYTES;
  if (area.bitmap[slot] !== 1) u.m.fail(`xol_free_insn_slot: slot ${slot} of ${mm} was not taken`);
  area.bitmap[slot] = 0;
  utask.xol_vaddr = 0;
  if (area.wq.waiters.length > 0) u.m.wakeAll(area.wq); // wake_up: each re-checks the bitmap
}

/**
 * prepare_uprobe (first install only): copy and analyse the original instruction, under
 * consumer_rwsem, then publish UPROBE_COPY_INSN.
 */
function* prepare_uprobe(u: UprobesState, uprobe: Uprobe): Sub<"ok" | "ENOTSUPP"> {
  if (uprobe.copy_insn) return "ok";
  yield* uprobe.consumer_rwsem.downWrite();
  const result: "ok" | "ENOTSUPP" = "ok";
  if (!uprobe.copy_insn) {
    const insn = uprobe.inode.insnAt(uprobe.offset);
    // nop and push are emulated; ret and any other instruction are stepped out of line. The
    // 6.18 series also emulates a 5-byte NOP, the instruction it optimizes.
    const nop5 = u.config.uprobe_optimize === "nop5" && insn === "nop5";
    uprobe.arch = {
      insn,
      emulate: insn === "nop" || insn === "push" || nop5,
      can_optimize: nop5 && can_optimize(insn, uprobe.offset),
      optimize_fail: false,
    };
    uprobe.line.write(u.m);
    uprobe.copy_insn = true; // after smp_wmb: arch is visible before the flag
  }
  uprobe.consumer_rwsem.upWrite();
  return result;
}

/** install_breakpoint: mmap_lock held for write by the caller. */
export function* install_breakpoint(
  u: UprobesState,
  uprobe: Uprobe,
  mm: MmStruct,
  vma: VmAreaStruct,
  vaddr: number,
): Sub<"ok" | "ENOTSUPP"> {
  const prepared = yield* prepare_uprobe(u, uprobe);
  if (prepared !== "ok") return prepared;
  const first = !mm.test_bit(MMF_HAS_UPROBES);
  const late = u.faults.installHasAfterSwbp;
  if (!late) mm.set_bit(MMF_HAS_UPROBES); // before patching: a thread may trap the instant the page changes
  const r = set_swbp(u, uprobe, mm, vma, vaddr);
  if (late) {
    u.m.label = "install_breakpoint: set_swbp done, MMF_HAS_UPROBES not yet";
    if (u.m.mustYieldExact()) yield 0;
    mm.set_bit(MMF_HAS_UPROBES);
  }
  if (r === "changed") u.stats.breakpointsInstalled++;
  mm.clear_bit(MMF_RECALC_UPROBES);
  if (first && !mm.breakpointAt(vaddr)) mm.clear_bit(MMF_HAS_UPROBES);
  u.m.label = "install_breakpoint";
  if (u.m.mustYieldExact()) yield 0;
  return "ok";
}

/** remove_breakpoint: mmap_lock held by the caller. */
export function remove_breakpoint(
  u: UprobesState,
  uprobe: Uprobe,
  mm: MmStruct,
  vma: VmAreaStruct,
  vaddr: number,
): void {
  mm.set_bit(MMF_RECALC_UPROBES);
  if (set_orig_insn(u, uprobe, mm, vma, vaddr) === "changed") u.stats.breakpointsRemoved++;
}

/** set_swbp: write the breakpoint (uprobe_write_opcode with is_register). */
function set_swbp(u: UprobesState, uprobe: Uprobe, mm: MmStruct, vma: VmAreaStruct, vaddr: number) {
  return uprobe_write_opcode(u, uprobe, mm, vma, vaddr, true);
}

/** set_orig_insn: put the original instruction back (an optimized call goes back to int3 first). */
function set_orig_insn(u: UprobesState, uprobe: Uprobe, mm: MmStruct, vma: VmAreaStruct, vaddr: number) {
  if (uprobe.arch.can_optimize) swbp_unoptimize(u, mm, vaddr);
  return uprobe_write_opcode(u, uprobe, mm, vma, vaddr, false);
}

/**
 * uprobe_write_opcode: verify_opcode first (nothing to do if the instruction is already the
 * wanted one), then the USDT semaphore, then the page. The semaphore moves only with a real
 * change, which keeps it at one per mm however many registrations install the same probe.
 */
function uprobe_write_opcode(
  u: UprobesState,
  uprobe: Uprobe,
  mm: MmStruct,
  vma: VmAreaStruct,
  vaddr: number,
  is_register: boolean,
): "changed" | "unchanged" {
  const needed = mm.originalInsnAt(vaddr) === undefined ? is_register : !is_register;
  if (uprobe.ref_ctr_offset !== 0 && (needed || u.faults.refCtrSkipVerifyOpcode)) {
    update_ref_ctr(u, uprobe, mm, is_register ? 1 : -1);
  }
  return needed ? mm.uprobe_write_opcode(vma, vaddr, is_register) : "unchanged";
}
