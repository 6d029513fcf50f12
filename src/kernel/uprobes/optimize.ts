/**
 * The x86-64 fast paths (kernel-model.md 1b): 6.18's optimized uprobes. A probe on a 5-byte
 * NOP is emulated on its first hit, then arch_uprobe_optimize rewrites the site into a call
 * to a per-mm [uprobes-trampoline] page whose code makes the uprobe syscall: later hits pay a
 * syscall instead of a trap, and nothing is emulated or stepped.
 */
import type { Sub } from "../../sim/machine.js";
import { VM_DONTCOPY, VM_EXEC, VM_IO, VM_MAYEXEC, VM_MAYREAD, VM_READ } from "../mm/constants.js";
import {
  _install_special_mapping,
  EPERM,
  type MmStruct,
  PAGE_SIZE,
  type VmSpecialMapping,
  vma_lookup_quiet,
} from "./mm-api.js";
import type { UprobesState } from "./state.js";
import type { Uprobe } from "./types.js";

/** tramp_mapping: the [uprobes-trampoline] special mapping; tramp_mremap refuses every move. */
const tramp_mapping: VmSpecialMapping = {
  name: "[uprobes-trampoline]",
  mremap: () => -EPERM,
};

const TRAMP_VM_FLAGS = VM_READ | VM_EXEC | VM_MAYEXEC | VM_MAYREAD | VM_DONTCOPY | VM_IO;

/** A rel32 call reaches +-2 GB. */
const CALL_REACH = 2 ** 31;

/** should_optimize: the probe may be optimized and no earlier attempt failed. */
export function should_optimize(u: UprobesState, uprobe: Uprobe): boolean {
  return u.config.uprobe_optimize === "nop5" && uprobe.arch.can_optimize && !uprobe.arch.optimize_fail;
}

/** can_optimize: a 5-byte NOP that does not cross a page (no cross-page atomic writes). */
export function can_optimize(insn: string, offset: number): boolean {
  return insn === "nop5" && PAGE_SIZE - (offset % PAGE_SIZE) >= 5;
}

/**
 * arch_uprobe_optimize, after the handlers of a trap: under mmap_write_lock, re-check that
 * the site still holds the breakpoint (another thread may have optimized it, or it was
 * removed), find or map a reachable trampoline and rewrite the site. A failure is final.
 */
export function* arch_uprobe_optimize(
  u: UprobesState,
  mm: MmStruct,
  uprobe: Uprobe,
  vaddr: number,
): Sub<void> {
  yield* mm.mmap_write_lock();
  if (mm.breakpoints.has(vaddr) && !mm.optimized_calls.has(vaddr)) {
    const tramp = yield* get_uprobe_trampoline(mm, vaddr);
    if (tramp < 0) uprobe.arch.optimize_fail = true;
    else swbp_optimize(u, mm, vaddr, tramp);
  }
  mm.mmap_write_unlock();
  u.m.label = "arch_uprobe_optimize";
  yield 0;
}

/** get_uprobe_trampoline: a trampoline of head_tramps within call reach, or a new one. */
function* get_uprobe_trampoline(mm: MmStruct, vaddr: number): Sub<number> {
  for (const tramp of mm.uprobes_state.head_tramps) if (Math.abs(tramp - vaddr) < CALL_REACH) return tramp;
  // find_nearest_trampoline: the highest free page the call can reach
  const low = Math.max(mm.sys.mmapMin, vaddr - CALL_REACH + PAGE_SIZE);
  const high = Math.min(mm.mmap_base, vaddr + CALL_REACH - PAGE_SIZE);
  const addr = mm.mm_mt.freeAreaTopDown(PAGE_SIZE, low, high);
  if (addr < 0) return -1;
  const mapped = yield* _install_special_mapping(mm, addr, PAGE_SIZE, TRAMP_VM_FLAGS, tramp_mapping);
  if (mapped < 0) return -1;
  mm.uprobes_state.head_tramps.unshift(addr); // hlist_add_head
  return addr;
}

/**
 * swbp_optimize: int3_update's three writes (the int3 is already there; the call's last four
 * bytes; the call opcode over the int3), each followed by smp_text_poke_sync_each_cpu. The
 * first byte stays int3 until the last write, so a thread in between still traps.
 */
function swbp_optimize(u: UprobesState, mm: MmStruct, vaddr: number, tramp: number): void {
  int3_update(u);
  mm.optimized_calls.set(vaddr, tramp);
  u.stats.optimizedSites++;
}

/** int3_update's price: two page writes (the first byte's is the caller's) and a sync IPI to every CPU after each. */
function int3_update(u: UprobesState): void {
  const m = u.m;
  m.cost(2 * (m.profile.slabAlloc + 2 * m.profile.lineTransfer) + 2 * m.cpus.length * m.profile.lineTransfer);
}

/**
 * swbp_unoptimize (set_orig_insn of an optimized site): int3 over the call opcode first, then
 * the NOP's bytes; the caller's uprobe_write_opcode then restores the first byte.
 */
export function swbp_unoptimize(u: UprobesState, mm: MmStruct, vaddr: number): void {
  if (!mm.optimized_calls.delete(vaddr)) return;
  int3_update(u);
}

/**
 * The uprobe syscall, entered from the trampoline the call at `vaddr` went to: the kernel
 * first checks that the caller is inside a [uprobes-trampoline] (in_uprobe_trampoline), else
 * SIGILL; a call whose target is not mapped never gets there (SIGSEGV). Charges the call,
 * the trampoline's register saves and the syscall entry.
 */
export function sys_uprobe(u: UprobesState, mm: MmStruct, vaddr: number): boolean {
  const m = u.m;
  m.cost(m.profile.syscall + m.profile.userLoop + 4 * m.profile.cacheHit);
  const target = mm.optimized_calls.get(vaddr)!;
  const vma = vma_lookup_quiet(mm, target);
  if (vma === null || vma.vm_special !== tramp_mapping) {
    m.fail(
      `optimized uprobe at 0x${vaddr.toString(16)} calls 0x${target.toString(16)}, which is no [uprobes-trampoline] (${vma === null ? "SIGSEGV" : "SIGILL"})`,
    );
    return false;
  }
  return true;
}
