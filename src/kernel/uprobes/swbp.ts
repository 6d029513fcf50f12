/**
 * The breakpoint hit: handle_swbp and the lookup and dispatch it drives
 * (kernel-model.md 2.8 - 2.11). Every interleaving point kernel-model 6.1 names is a yield
 * here, so the races of section 4 are reachable; everything else is charged as private work.
 */
import { traceable } from "../../sim/ftrace.js";
import type { Sub } from "../../sim/machine.js";
import type { TaskStruct } from "../task.js";
import {
  MMF_HAS_UPROBES,
  MMF_RECALC_UPROBES,
  type MmStruct,
  vaddr_to_offset,
  valid_vma,
  vma_lookup_quiet,
} from "./mm-api.js";
import type { UprobesState } from "./state.js";
import {
  checkLive,
  find_uprobe_locked,
  find_uprobe_rcu,
  put_uprobe,
  try_get_uprobe,
  vma_has_uprobes,
} from "./tree.js";
import {
  ConsumerState,
  type Cookie,
  type ReturnInstance,
  UPROBE_HANDLER_IGNORE,
  UPROBE_HANDLER_REMOVE,
  type Uprobe,
  type UprobeConsumer,
  UtaskState,
} from "./types.js";
import { alloc_return_instance, prepare_uretprobe, uprobe_handle_trampoline } from "./uretprobe.js";
import { get_utask } from "./utask.js";
import { get_trampoline_vaddr, remove_breakpoint, xol_free_insn_slot, xol_get_insn_slot } from "./xol.js";

// Linux passes handle_swbp the pt_regs; the model passes the address it reads from them.
const FN_HANDLE_SWBP = traceable("handle_swbp", "void", ["unsigned long bp_vaddr"]);
const FN_FIND_ACTIVE_UPROBE_RCU = traceable("find_active_uprobe_rcu", "struct uprobe *", [
  "unsigned long bp_vaddr",
]);
const FN_FIND_ACTIVE_UPROBE_SPECULATIVE = traceable("find_active_uprobe_speculative", "struct uprobe *", [
  "unsigned long bp_vaddr",
]);

/** What the executing thread does after the trap. */
export enum SwbpResult {
  /** Handled: the probed instruction was emulated or stepped; continue after it. */
  Done = 0,
  /** Re-execute the instruction at the breakpoint address (the breakpoint may be gone). */
  Restart = 1,
  /** Not a uprobe's trap: the thread gets SIGTRAP. */
  Sigtrap = 2,
}

/**
 * An int3 at `bp_vaddr` (regs.ip) of the current task. Every trap a thread executes enters
 * here; the kernel's way in is do_int3_user -> notify_die(DIE_INT3) ->
 * uprobe_pre_sstep_notifier, which hands the trap to uprobes (handle_swbp from
 * uprobe_notify_resume) or leaves it an ordinary SIGTRAP.
 */
export function* handle_swbp(u: UprobesState, t: TaskStruct): Sub<SwbpResult> {
  const m = u.m;
  const h = m.ftrace;
  if (h.armed[FN_HANDLE_SWBP] !== 0 && h.enter(FN_HANDLE_SWBP))
    return h.exit(FN_HANDLE_SWBP, h.entry(FN_HANDLE_SWBP, t.regs.ip), yield* handle_swbp(u, t));
  const regs = t.regs;
  const bp_vaddr = regs.ip;
  m.cost(m.profile.trap);
  if (!uprobe_pre_sstep_notifier(t)) return sigtrap(u, t, bp_vaddr, "R18");
  if (bp_vaddr === get_trampoline_vaddr(t.mm)) {
    yield* uprobe_handle_trampoline(u, t);
    return SwbpResult.Done;
  }
  const config = u.config;
  u.stats.hits++;
  const hit = ++u.hitSeq;
  const hitStart = m.steps;

  let srcuIdx = 0;
  if (config.consumers === "tasks-trace") u.tasks_trace.readLock();
  else if (config.consumers === "srcu") srcuIdx = u.uprobes_srcu.readLock();

  const uprobe = yield* find_active_uprobe_rcu(u, t, bp_vaddr);
  let result = SwbpResult.Done;
  if (uprobe === null) {
    result = t.swbp.is_swbp > 0 ? sigtrap(u, t, bp_vaddr, "R6") : SwbpResult.Restart;
  } else if (!uprobe.copy_insn) {
    result = SwbpResult.Restart; // a re-registration at this address has not finished analysis
  } else {
    get_utask(u, t);
    yield* handler_chain(u, t, uprobe, hit, hitStart);
    if (uprobe.arch.emulate)
      m.cost(m.profile.emulate); // arch_uprobe_skip_sstep
    else if (!(yield* pre_ssout(u, t, uprobe, bp_vaddr))) result = SwbpResult.Restart;
  }
  if (uprobe !== null && config.lifetime === "refcount") put_uprobe(u, uprobe);

  if (config.consumers === "tasks-trace") u.tasks_trace.readUnlock();
  else if (config.consumers === "srcu") u.uprobes_srcu.readUnlock(srcuIdx);
  if (result === SwbpResult.Restart) u.stats.restarts++;
  m.label = "handle_swbp: return to user";
  if (m.mustYield()) yield 0;
  if (t.utask !== null && t.utask.state === UtaskState.Sstep) yield* uprobe_singlestep(u, t);
  return result;
}

/**
 * pre_ssout: set the task up to step the probed instruction out of line: a reference of its
 * own on the uprobe (the read section ends before the step), an XOL slot, UTASK_SSTEP.
 * False (the instruction restarts) when the uprobe is dying or there is no slot.
 */
function* pre_ssout(u: UprobesState, t: TaskStruct, uprobe: Uprobe, bp_vaddr: number): Sub<boolean> {
  if (!try_get_uprobe(u, uprobe)) return false;
  const utask = t.utask!;
  if ((yield* xol_get_insn_slot(u, t.mm, utask)) === 0) {
    put_uprobe(u, uprobe);
    return false;
  }
  utask.vaddr = bp_vaddr;
  utask.active_uprobe = uprobe;
  utask.state = UtaskState.Sstep;
  return true;
}

/**
 * The step itself, in user mode after handle_swbp returned: the task executes the slot, the
 * debug trap's uprobe_post_sstep_notifier acknowledges it (UTASK_SSTEP_ACK), and
 * uprobe_notify_resume runs handle_singlestep.
 */
function* uprobe_singlestep(u: UprobesState, t: TaskStruct): Sub<void> {
  const m = u.m;
  m.label = "user: single-step in the xol slot";
  yield m.cost(m.profile.singleStep);
  t.utask!.state = UtaskState.SstepAck; // uprobe_post_sstep_notifier
  handle_singlestep(u, t);
}

/** handle_singlestep: finish the step (arch_uprobe_post_xol), drop pre_ssout's reference, free the slot. */
function handle_singlestep(u: UprobesState, t: TaskStruct): void {
  const utask = t.utask!;
  const uprobe = utask.active_uprobe!;
  u.stats.singleSteps++;
  put_uprobe(u, uprobe);
  utask.active_uprobe = null;
  utask.state = UtaskState.Running;
  xol_free_insn_slot(u, t.mm, utask);
}

/**
 * uprobe_pre_sstep_notifier: is this trap uprobes' business? Only if the mm has (or had, until
 * a recalculation) a uprobe breakpoint, or the task has return instances pending (the
 * trampoline). A stale-false MMF_HAS_UPROBES turns a uprobe's trap into a SIGTRAP (R18).
 */
function uprobe_pre_sstep_notifier(t: TaskStruct): boolean {
  if (t.mm.test_bit(MMF_HAS_UPROBES)) return true;
  return t.utask !== null && t.utask.return_instances !== null;
}

/** The trap was not a uprobe's: the thread gets SIGTRAP. `race` names the check that failed. */
function sigtrap(u: UprobesState, t: TaskStruct, bp_vaddr: number, race: "R6" | "R18"): SwbpResult {
  // Only a trap no uprobe installed may kill the thread.
  const vma = vma_lookup_quiet(t.mm, bp_vaddr);
  if (vma !== null && vma.vm_file !== null) {
    const offset = vaddr_to_offset(vma, bp_vaddr);
    if (vma_has_uprobes(u, vma.vm_file.f_inode, offset, offset + 1)) {
      u.m.fail(
        `${race}: SIGTRAP for a uprobe breakpoint at 0x${bp_vaddr.toString(16)} (${vma.vm_file.f_inode.path})${
          race === "R18" ? " with MMF_HAS_UPROBES clear" : ""
        }`,
      );
    }
  }
  u.stats.sigtraps++;
  t.sigtrap = true;
  return SwbpResult.Sigtrap;
}

/** find_active_uprobe_rcu: speculation first, then the lookup under mmap_read_lock. */
function* find_active_uprobe_rcu(u: UprobesState, t: TaskStruct, bp_vaddr: number): Sub<Uprobe | null> {
  const h = u.m.ftrace;
  if (h.armed[FN_FIND_ACTIVE_UPROBE_RCU] !== 0 && h.enter(FN_FIND_ACTIVE_UPROBE_RCU))
    return h.exit(
      FN_FIND_ACTIVE_UPROBE_RCU,
      h.entry(FN_FIND_ACTIVE_UPROBE_RCU, bp_vaddr),
      yield* find_active_uprobe_rcu(u, t, bp_vaddr),
    );
  const mm = t.mm;
  const frame = t.swbp;
  frame.is_swbp = 0;
  if (u.config.vma_lookup === "speculative") {
    const uprobe = yield* find_active_uprobe_speculative(u, mm, bp_vaddr);
    if (uprobe !== null) {
      u.stats.speculativeHits++;
      return uprobe;
    }
    u.stats.speculativeFallbacks++;
  }
  yield* mm.mmap_read_lock();
  let uprobe: Uprobe | null = null;
  const vma = mm.vma_lookup(bp_vaddr);
  if (vma !== null) {
    if (vma.vm_file !== null) {
      const offset = vaddr_to_offset(vma, bp_vaddr);
      uprobe = yield* find_uprobe(u, vma.vm_file.f_inode, offset);
    }
    if (uprobe === null && !u.faults.swbpTrapCheckUnlocked)
      frame.is_swbp = mm.is_trap_at_addr(bp_vaddr) ? 1 : 0;
  } else {
    frame.is_swbp = -1;
  }
  if (uprobe === null && mm.test_bit(MMF_RECALC_UPROBES)) {
    mm.clear_bit(MMF_RECALC_UPROBES);
    mmf_recalc_uprobes(u, mm);
  }
  mm.mmap_read_unlock();
  m_label(u, "find_active_uprobe: mmap_read_unlock");
  if (u.m.mustYield()) yield 0;
  if (uprobe === null && vma !== null && u.faults.swbpTrapCheckUnlocked) {
    // The fault: the trap check runs outside the lookup's locked section, where an install
    // can slip in (R6). Reading the instruction may need get_user_pages, which takes
    // mmap_lock again: a writer that queued meanwhile (an mmap whose uprobe_mmap installs,
    // a registration) goes first.
    yield* mm.mmap_read_lock();
    frame.is_swbp = mm.is_trap_at_addr(bp_vaddr) ? 1 : 0;
    mm.mmap_read_unlock();
  }
  return uprobe;
}

function m_label(u: UprobesState, label: string): void {
  u.m.label = label;
}

/** The tree lookup of the configured design (locked ones also take a reference). */
function* find_uprobe(u: UprobesState, inode: MmInode, offset: number): Sub<Uprobe | null> {
  if (u.config.tree !== "lockless") return yield* find_uprobe_locked(u, inode, offset);
  const uprobe = yield* find_uprobe_rcu(u, inode, offset);
  if (uprobe !== null && u.config.lifetime === "refcount" && !try_get_uprobe(u, uprobe)) return null;
  return uprobe;
}

type MmInode = Parameters<typeof find_uprobe_rcu>[1];

/**
 * find_active_uprobe_speculative (6.14): resolve VMA -> file -> inode -> uprobe without
 * mmap_lock, validated by mm_lock_seq. Only positive answers count; every miss falls back.
 */
function* find_active_uprobe_speculative(
  u: UprobesState,
  mm: MmStruct,
  bp_vaddr: number,
): Sub<Uprobe | null> {
  const m = u.m;
  const h = m.ftrace;
  if (h.armed[FN_FIND_ACTIVE_UPROBE_SPECULATIVE] !== 0 && h.enter(FN_FIND_ACTIVE_UPROBE_SPECULATIVE))
    return h.exit(
      FN_FIND_ACTIVE_UPROBE_SPECULATIVE,
      h.entry(FN_FIND_ACTIVE_UPROBE_SPECULATIVE, bp_vaddr),
      yield* find_active_uprobe_speculative(u, mm, bp_vaddr),
    );
  u.rcu.readLock();
  let result: Uprobe | null = null;
  const seq = mm.mmap_lock_speculate_try_begin();
  m.label = "mmap_lock_speculate_try_begin";
  if (m.mustYield()) yield 0;
  if (seq >= 0) {
    const vma = mm.vma_lookup(bp_vaddr);
    m.label = "speculative: vma_lookup";
    if (m.mustYield()) yield 0;
    const file = vma === null ? null : vma.vm_file;
    if (vma !== null && file !== null) {
      const offset = vaddr_to_offset(vma, bp_vaddr);
      const uprobe = yield* find_uprobe_rcu(u, file.f_inode, offset);
      if (uprobe !== null && (u.faults.specSkipRetry || !mm.mmap_lock_speculate_retry(seq))) {
        result = uprobe;
        checkSpeculation(u, mm, bp_vaddr, uprobe);
      }
      m.label = "mmap_lock_speculate_retry";
      if (m.mustYield()) yield 0;
    }
  }
  u.rcu.readUnlock();
  if (result !== null && u.config.lifetime === "refcount" && !try_get_uprobe(u, result)) return null;
  return result;
}

/** R1: a speculative answer must be what the locked path would compute now. */
function checkSpeculation(u: UprobesState, mm: MmStruct, bp_vaddr: number, uprobe: Uprobe): void {
  const vma = vma_lookup_quiet(mm, bp_vaddr);
  const file = vma === null ? null : vma.vm_file;
  if (
    vma === null ||
    file === null ||
    file.f_inode !== uprobe.inode ||
    vaddr_to_offset(vma, bp_vaddr) !== uprobe.offset
  ) {
    u.m.fail(
      `R1: speculative lookup returned ${uprobe.describe()} for 0x${bp_vaddr.toString(16)}, which now maps ${
        vma === null || file === null
          ? "nothing probed"
          : `${file.f_inode.path}+0x${vaddr_to_offset(vma, bp_vaddr).toString(16)}`
      }`,
    );
  }
}

/**
 * handler_chain: call every consumer's handler, collect session cookies for the return,
 * and act on a unanimous UPROBE_HANDLER_REMOVE (after re-checking under register_rwsem).
 */
function* handler_chain(
  u: UprobesState,
  t: TaskStruct,
  uprobe: Uprobe,
  hit: number,
  hitStart: number,
): Sub<void> {
  const m = u.m;
  const config = u.config;
  if (config.consumers === "rwsem") yield* uprobe.register_rwsem.downRead();
  uprobe.line.read(m);
  checkLive(u, uprobe, "handler_chain"); // the walk reads uprobe->consumers (R4)
  const registerSeq = uprobe.register_seq.read(); // raw_read_seqcount: may be odd
  const list = uprobe.consumers; // rcu_dereference: this walk keeps its snapshot
  const cookie = t.swbp.cookie;
  let remove = true;
  let has_consumers = false;
  let ri: ReturnInstance | null = null;
  for (let i = 0; i < list.length; i++) {
    const uc = list[i];
    m.label = "handler_chain: next consumer";
    if (m.mustYield()) yield 0;
    if (uc.state === ConsumerState.Freed) {
      m.fail(`R9: consumer ${uc.id} called after its unregister and a sync returned (${uprobe.describe()})`);
    }
    cookie.value = 0;
    let rc = 0;
    if (uc.handler !== null) {
      if (uc.lastHit === hit) m.fail(`hit delivered twice to consumer ${uc.id}`);
      uc.lastHit = hit;
      rc = uc.handler(uc, t.regs, cookie);
    }
    remove &&= rc === UPROBE_HANDLER_REMOVE;
    has_consumers = true;
    if (uc.ret_handler === null || rc === UPROBE_HANDLER_REMOVE || rc === UPROBE_HANDLER_IGNORE) continue;
    if (ri === null) ri = alloc_return_instance(u, t.utask!);
    if (uc.handler !== null) {
      const rec = ri.consumers[ri.cons_cnt] ?? { id: 0, cookie: { value: 0 } };
      rec.id = uc.id;
      rec.cookie.value = cookie.value;
      ri.consumers[ri.cons_cnt++] = rec;
    }
  }
  checkDelivery(u, uprobe, list, hitStart);
  if (ri !== null) yield* prepare_uretprobe(u, t, uprobe, ri);
  if (config.consumers === "rwsem") uprobe.register_rwsem.upRead();
  if (remove && has_consumers) yield* handle_remove(u, t.mm, uprobe, registerSeq);
}

/**
 * Exactly once: every consumer registered before the hit began and still listed was in the
 * snapshot this walk called (each snapshot entry once). Judged against the snapshot, not a
 * per-consumer "last hit" mark, which another thread's concurrent walk overwrites.
 */
function checkDelivery(
  u: UprobesState,
  uprobe: Uprobe,
  list: readonly UprobeConsumer[],
  hitStart: number,
): void {
  const now = uprobe.consumers;
  if (now === list) return; // nobody attached or detached during the walk
  for (let i = 0; i < now.length; i++) {
    const uc = now[i];
    if (
      uc.handler !== null &&
      uc.registeredAt < hitStart &&
      uc.state === ConsumerState.Registered &&
      !list.includes(uc)
    ) {
      u.m.fail(`hit missed consumer ${uc.id}, attached for the whole hit (${uprobe.describe()})`);
    }
  }
}

/** The REMOVE decision, re-checked so a concurrent registration is not undone (R8). */
function* handle_remove(u: UprobesState, mm: MmStruct, uprobe: Uprobe, registerSeq: number): Sub<void> {
  yield* uprobe.register_rwsem.downRead();
  let unapply: boolean;
  if (u.faults.removeSkipRecheck) unapply = true;
  else if (u.config.remove_recheck === "register-seq") unapply = !uprobe.register_seq.retry(registerSeq);
  else unapply = !(yield* filter_chain(u, uprobe, mm));
  if (unapply) yield* unapply_uprobe(u, uprobe, mm);
  uprobe.register_rwsem.upRead();
}

/** filter_chain: does any current consumer want `mm`? (no filter = wants every mm) */
export function* filter_chain(_u: UprobesState, uprobe: Uprobe, mm: MmStruct): Sub<boolean> {
  yield* uprobe.consumer_rwsem.downRead();
  let wanted = false;
  for (const uc of uprobe.consumers) {
    if (uc.filter === null || uc.filter(uc, mm)) {
      wanted = true;
      break;
    }
  }
  uprobe.consumer_rwsem.upRead();
  return wanted;
}

/**
 * unapply_uprobe: remove this uprobe's breakpoints from `mm`, under mmap_read_lock up to 6.17
 * and mmap_write_lock since 6.18 (whose optimized uprobes rewrite more than one byte).
 */
function* unapply_uprobe(u: UprobesState, uprobe: Uprobe, mm: MmStruct): Sub<void> {
  const write = u.config.unapply_lock === "write";
  if (write) yield* mm.mmap_write_lock();
  else yield* mm.mmap_read_lock();
  for (const vma of mm.vmas()) {
    if (!valid_vma(vma, false) || vma.vm_file === null || vma.vm_file.f_inode !== uprobe.inode) continue;
    const start = vma.vm_pgoff * 4096;
    const end = start + (vma.vm_end - vma.vm_start);
    if (uprobe.offset < start || uprobe.offset >= end) continue;
    remove_breakpoint(u, uprobe, mm, vma, vma.vm_start + uprobe.offset - start);
  }
  if (write) mm.mmap_write_unlock();
  else mm.mmap_read_unlock();
  u.m.label = "unapply_uprobe";
  if (u.m.mustYield()) yield 0;
}

/** mmf_recalc_uprobes: clear MMF_HAS_UPROBES unless some VMA still maps a probe. */
function mmf_recalc_uprobes(u: UprobesState, mm: MmStruct): void {
  for (const vma of mm.vmas()) {
    if (!valid_vma(vma, false) || vma.vm_file === null) continue;
    const start = vma.vm_pgoff * 4096;
    if (vma_has_uprobes(u, vma.vm_file.f_inode, start, start + (vma.vm_end - vma.vm_start))) return;
  }
  mm.clear_bit(MMF_HAS_UPROBES);
}

export type { Cookie };
