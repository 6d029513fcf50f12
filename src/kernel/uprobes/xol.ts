/**
 * Patching user memory and the per-mm [uprobes] page (kernel-model.md 1.6, 2.5).
 */
import type { Sub } from "../../sim/machine.js";
import {
  MMF_HAS_UPROBES,
  MMF_RECALC_UPROBES,
  type MmStruct,
  type VmAreaStruct,
  XOL_AREA_VADDR,
} from "./mm-api.js";
import type { UprobesState } from "./state.js";
import { type Uprobe, XolArea } from "./types.js";

const XOL_SLOTS = 4096 / 128; // UPROBE_XOL_SLOT_BYTES = 128

export function get_xol_area(mm: MmStruct): XolArea | null {
  return (mm.uprobes_state.xol_area as XolArea | null) ?? null;
}

/** The uretprobe trampoline: slot 0 of the xol area (0 when the mm has none yet). */
export function get_trampoline_vaddr(mm: MmStruct): number {
  const area = mm.uprobes_state.xol_area as XolArea | null;
  return area === null || area === undefined ? -1 : area.vaddr;
}

/** __create_xol_area + xol_add_vma: map the [uprobes] page on first use. */
export function* get_or_create_xol_area(u: UprobesState, mm: MmStruct): Sub<XolArea> {
  const existing = get_xol_area(mm);
  if (existing !== null) return existing;
  yield* mm.mmap_write_lock();
  let area = get_xol_area(mm);
  if (area === null) {
    area = new XolArea(XOL_AREA_VADDR, XOL_SLOTS);
    mm.uprobes_state.xol_area = area; // smp_store_release
  }
  mm.mmap_write_unlock();
  u.m.label = "xol_add_vma";
  yield 0;
  return area;
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
    // nop and push are emulated; ret and any other instruction are stepped out of line
    uprobe.arch = { insn, emulate: insn === "nop" || insn === "push" };
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
  const r = mm.uprobe_write_opcode(vma, vaddr, true);
  if (late) {
    u.m.label = "install_breakpoint: set_swbp done, MMF_HAS_UPROBES not yet";
    yield 0;
    mm.set_bit(MMF_HAS_UPROBES);
  }
  if (r === "changed") u.stats.breakpointsInstalled++;
  mm.clear_bit(MMF_RECALC_UPROBES);
  if (first && !mm.breakpointAt(vaddr)) mm.clear_bit(MMF_HAS_UPROBES);
  u.m.label = "install_breakpoint";
  yield 0;
  return "ok";
}

/** remove_breakpoint: mmap_lock held by the caller. */
export function remove_breakpoint(
  u: UprobesState,
  _uprobe: Uprobe,
  mm: MmStruct,
  vma: VmAreaStruct,
  vaddr: number,
): void {
  mm.set_bit(MMF_RECALC_UPROBES);
  if (mm.uprobe_write_opcode(vma, vaddr, false) === "changed") u.stats.breakpointsRemoved++;
}
