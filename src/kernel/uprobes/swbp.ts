/**
 * The breakpoint hit: handle_swbp and the lookup and dispatch it drives
 * (kernel-model.md 2.8 - 2.11). Every interleaving point kernel-model 6.1 names is a yield
 * here, so the races of section 4 are reachable; everything else is charged as private work.
 */
import { traceable, UNTRACED } from "../../sim/ftrace.js";
import { PENDING, type Pending, type Sub } from "../../sim/machine.js";
import type { TaskStruct } from "../task.js";
import {
  MMF_HAS_UPROBES,
  MMF_RECALC_UPROBES,
  type MmStruct,
  type UprobeInode,
  vaddr_to_offset,
  valid_vma,
  vma_lookup_quiet,
} from "./mm-api.js";
import { arch_uprobe_optimize, should_optimize, sys_uprobe } from "./optimize.js";
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
  ChainPhase,
  ConsumerState,
  type ConsumerWalk,
  type Cookie,
  LookupPhase,
  type ReturnInstance,
  SpecPhase,
  type SpeculativeLookup,
  type SwbpFrame,
  SwbpResult,
  TrapPhase,
  UPROBE_HANDLER_IGNORE,
  UPROBE_HANDLER_REMOVE,
  type Uprobe,
  type UprobeConsumer,
  UtaskState,
} from "./types.js";
import {
  alloc_return_instance,
  prepare_uretprobe,
  prepare_uretprobe_new_area,
  uprobe_handle_trampoline,
} from "./uretprobe.js";
import { get_utask } from "./utask.js";
import {
  get_trampoline_vaddr,
  remove_breakpoint,
  xol_area_of,
  xol_free_insn_slot,
  xol_get_insn_slot,
} from "./xol.js";

// Linux passes handle_swbp the pt_regs; the model passes the address it reads from them.
const FN_HANDLE_SWBP = traceable("handle_swbp", "void", ["unsigned long bp_vaddr"]);
const FN_FIND_ACTIVE_UPROBE_RCU = traceable("find_active_uprobe_rcu", "struct uprobe *", [
  "unsigned long bp_vaddr",
]);
const FN_FIND_ACTIVE_UPROBE_SPECULATIVE = traceable("find_active_uprobe_speculative", "struct uprobe *", [
  "unsigned long bp_vaddr",
]);

/**
 * An int3 at `bp_vaddr` (regs.ip) of the current task, run to its end: the generator face of
 * handle_swbp_resumable for callers that are generators anyway (the race harness, tests).
 * Every trap a thread executes enters here or in the executor's copy of this loop; the
 * kernel's way in is do_int3_user -> notify_die(DIE_INT3) -> uprobe_pre_sstep_notifier,
 * which hands the trap to uprobes (handle_swbp from uprobe_notify_resume) or leaves it an
 * ordinary SIGTRAP.
 */
export function* handle_swbp(u: UprobesState, t: TaskStruct): Sub<SwbpResult> {
  let result: SwbpResult | Pending;
  while ((result = handle_swbp_resumable(u, t)) === PENDING) {
    if (t.swbp.sub === null) yield 0;
    else yield* takeSub(t.swbp);
  }
  return result;
}

/**
 * handle_swbp as a resumable plain function (sim/machine.ts, PENDING): PENDING at each
 * interleaving point, with the generator to run first in `t.swbp.sub` when it handed one
 * over (the locked lookup, a sleeping lock, prepare_uretprobe, the trampoline, the single
 * step). Call it again after yielding, or after running that generator, until it answers.
 */
export function handle_swbp_resumable(u: UprobesState, t: TaskStruct): SwbpResult | Pending {
  const frame = t.swbp;
  const h = u.m.ftrace;
  if (frame.trap === TrapPhase.Begin && h.armed[FN_HANDLE_SWBP] !== 0)
    frame.trapTraced = h.open(FN_HANDLE_SWBP, t.regs.ip);
  const result = swbp_body(u, t, frame);
  if (result === PENDING || frame.trapTraced === UNTRACED) return result;
  const token = frame.trapTraced;
  frame.trapTraced = UNTRACED;
  return h.exit(FN_HANDLE_SWBP, token, result);
}

/** handle_swbp's body, phase by phase (TrapPhase). */
function swbp_body(u: UprobesState, t: TaskStruct, frame: SwbpFrame): SwbpResult | Pending {
  const m = u.m;
  if (frame.trap === TrapPhase.Begin) {
    const bp_vaddr = t.regs.ip;
    frame.via_syscall = t.mm.optimized_calls.size !== 0 && t.mm.optimized_calls.has(bp_vaddr);
    if (frame.via_syscall) {
      if (!sys_uprobe(u, t.mm, bp_vaddr)) return SwbpResult.Done;
      swbp_enter(u, frame, bp_vaddr); // handle_syscall_uprobe
    } else if (bp_vaddr === get_trampoline_vaddr(t.mm) && u.config.uretprobe_entry === "syscall") {
      m.cost(m.profile.syscall); // sys_uretprobe: no trap, no notifier
      frame.trap = TrapPhase.Trampoline;
    } else {
      m.cost(m.profile.trap);
      if (!uprobe_pre_sstep_notifier(t)) return sigtrap(u, t, bp_vaddr, "R18");
      if (bp_vaddr === get_trampoline_vaddr(t.mm)) frame.trap = TrapPhase.Trampoline;
      else swbp_enter(u, frame, bp_vaddr);
    }
  }
  if (frame.trap === TrapPhase.Trampoline) {
    if (uprobe_handle_trampoline(u, t) === PENDING) return PENDING;
    frame.trap = TrapPhase.Begin;
    return SwbpResult.Done;
  }
  if (frame.trap === TrapPhase.Lookup) {
    const uprobe = find_active_uprobe_rcu(u, t, frame.bp_vaddr);
    if (uprobe === PENDING) return PENDING;
    swbp_found(u, t, frame, uprobe);
  }
  if (frame.trap === TrapPhase.Chain) {
    const uprobe = frame.uprobe!;
    if (handler_chain(u, t, uprobe, frame.hit, frame.hitStart) === PENDING) return PENDING;
    frame.trap = TrapPhase.Skip;
    if (!frame.via_syscall && should_optimize(u, uprobe)) {
      frame.sub = arch_uprobe_optimize(u, t.mm, uprobe, frame.bp_vaddr); // after the first hit
      return PENDING;
    }
    if (m.timingYield()) return PENDING;
  }
  if (frame.trap === TrapPhase.Skip) {
    const uprobe = frame.uprobe!;
    frame.trap = TrapPhase.Leave;
    if (frame.via_syscall) {
      // the trampoline returns past the 5-byte NOP: nothing to emulate or step
    } else if (uprobe.arch.emulate)
      m.cost(m.profile.emulate); // arch_uprobe_skip_sstep
    else {
      frame.sub = pre_ssout(u, t, uprobe, frame.bp_vaddr);
      return PENDING;
    }
  }
  if (frame.trap === TrapPhase.Leave) {
    swbp_leave(u, frame);
    m.label = "handle_swbp: return to user";
    frame.trap = TrapPhase.Return;
    if (m.mustYield()) return PENDING;
  }
  if (frame.trap === TrapPhase.Return && t.utask !== null && t.utask.state === UtaskState.Sstep) {
    frame.sub = uprobe_singlestep(u, t);
    frame.trap = TrapPhase.Stepped;
    return PENDING;
  }
  frame.trap = TrapPhase.Begin;
  return frame.result;
}

/** A uprobe trap: count the hit and enter the consumers' read section. */
function swbp_enter(u: UprobesState, frame: SwbpFrame, bp_vaddr: number): void {
  const config = u.config;
  u.stats.hits++;
  frame.hit = ++u.hitSeq;
  frame.hitStart = u.m.steps;
  frame.bp_vaddr = bp_vaddr;
  frame.srcuIdx = 0;
  if (config.consumers === "tasks-trace") u.tasks_trace.readLock();
  else if (config.consumers === "srcu") frame.srcuIdx = u.uprobes_srcu.readLock();
  frame.trap = TrapPhase.Lookup;
}

/** The lookup's answer: no uprobe (SIGTRAP or restart), one not ready yet, or one to run. */
function swbp_found(u: UprobesState, t: TaskStruct, frame: SwbpFrame, uprobe: Uprobe | null): void {
  frame.uprobe = uprobe;
  frame.result = SwbpResult.Done;
  frame.trap = TrapPhase.Leave;
  if (frame.via_syscall && (uprobe === null || !uprobe.copy_insn)) {
    // handle_syscall_uprobe returns quietly: the site is a NOP, there is nothing to restart
  } else if (uprobe === null) {
    frame.result = frame.is_swbp > 0 ? sigtrap(u, t, frame.bp_vaddr, "R6") : SwbpResult.Restart;
  } else if (!uprobe.copy_insn) {
    frame.result = SwbpResult.Restart; // a re-registration at this address has not finished analysis
  } else {
    get_utask(u, t);
    frame.trap = TrapPhase.Chain;
  }
}

/** Drop the lookup's reference and leave the consumers' read section. */
function swbp_leave(u: UprobesState, frame: SwbpFrame): void {
  const config = u.config;
  const uprobe = frame.uprobe;
  frame.uprobe = null;
  if (uprobe !== null && config.lifetime === "refcount") put_uprobe(u, uprobe);
  if (config.consumers === "tasks-trace") u.tasks_trace.readUnlock();
  else if (config.consumers === "srcu") u.uprobes_srcu.readUnlock(frame.srcuIdx);
  if (frame.result === SwbpResult.Restart) u.stats.restarts++;
}

/** The generator a resumable function handed over (SwbpFrame.sub), taken out of the frame. */
export function takeSub(frame: SwbpFrame): Sub<void> {
  const sub = frame.sub!;
  frame.sub = null;
  return sub;
}

/**
 * pre_ssout: set the task up to step the probed instruction out of line: a reference of its
 * own on the uprobe (the read section ends before the step), an XOL slot, UTASK_SSTEP.
 * False (the instruction restarts) when the uprobe is dying or there is no slot.
 */
function* pre_ssout(u: UprobesState, t: TaskStruct, uprobe: Uprobe, bp_vaddr: number): Sub<void> {
  if (!try_get_uprobe(u, uprobe)) {
    t.swbp.result = SwbpResult.Restart;
    return;
  }
  const utask = t.utask!;
  if ((yield* xol_get_insn_slot(u, t.mm, utask)) === 0) {
    put_uprobe(u, uprobe);
    t.swbp.result = SwbpResult.Restart;
    return;
  }
  utask.vaddr = bp_vaddr;
  utask.active_uprobe = uprobe;
  utask.state = UtaskState.Sstep;
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

/**
 * find_active_uprobe_rcu: speculation first, then the lookup under mmap_read_lock.
 *
 * A resumable plain function (sim/machine.ts, PENDING): the speculative lookup's
 * interleaving points pass through it, and the locked fallback is a generator it hands to
 * handle_swbp in `frame.sub`, which leaves its answer in `frame.found`.
 */
function find_active_uprobe_rcu(u: UprobesState, t: TaskStruct, bp_vaddr: number): Uprobe | null | Pending {
  const frame = t.swbp;
  const h = u.m.ftrace;
  if (frame.lookup === LookupPhase.Begin && h.armed[FN_FIND_ACTIVE_UPROBE_RCU] !== 0)
    frame.traced = h.open(FN_FIND_ACTIVE_UPROBE_RCU, bp_vaddr);
  const uprobe = find_active_uprobe(u, t, bp_vaddr);
  if (uprobe === PENDING || frame.traced === UNTRACED) return uprobe;
  const token = frame.traced;
  frame.traced = UNTRACED;
  return h.exit(FN_FIND_ACTIVE_UPROBE_RCU, token, uprobe);
}

/** find_active_uprobe_rcu's body. */
function find_active_uprobe(u: UprobesState, t: TaskStruct, bp_vaddr: number): Uprobe | null | Pending {
  const frame = t.swbp;
  if (frame.lookup === LookupPhase.Begin) {
    frame.is_swbp = 0;
    frame.lookup = u.config.vma_lookup === "speculative" ? LookupPhase.Speculative : LookupPhase.Fallback;
  }
  if (frame.lookup === LookupPhase.Speculative) {
    const uprobe = find_active_uprobe_speculative(u, t, bp_vaddr);
    if (uprobe === PENDING) return PENDING;
    if (uprobe !== null) {
      u.stats.speculativeHits++;
      frame.lookup = LookupPhase.Begin;
      return uprobe;
    }
    u.stats.speculativeFallbacks++;
    frame.lookup = LookupPhase.Fallback;
  }
  if (frame.lookup === LookupPhase.Fallback) {
    frame.lookup = LookupPhase.Locked;
    frame.sub = find_active_uprobe_locked(u, t, bp_vaddr);
    return PENDING;
  }
  const uprobe = frame.found;
  frame.found = null;
  frame.lookup = LookupPhase.Begin;
  return uprobe;
}

/** The lookup under mmap_read_lock (find_active_uprobe_rcu's fallback); the answer goes to frame.found. */
function* find_active_uprobe_locked(u: UprobesState, t: TaskStruct, bp_vaddr: number): Sub<void> {
  const mm = t.mm;
  const frame = t.swbp;
  yield* mm.mmap_read_lock();
  let uprobe: Uprobe | null = null;
  const vma = mm.vma_lookup(bp_vaddr);
  if (vma !== null) {
    if (vma.vm_file !== null) {
      const offset = vaddr_to_offset(vma, bp_vaddr);
      uprobe = yield* find_uprobe(u, t, vma.vm_file.f_inode, offset);
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
  frame.found = uprobe;
}

function m_label(u: UprobesState, label: string): void {
  u.m.label = label;
}

/** The tree lookup of the configured design (locked ones also take a reference). */
function* find_uprobe(
  u: UprobesState,
  t: TaskStruct,
  inode: UprobeInode,
  offset: number,
): Sub<Uprobe | null> {
  if (u.config.tree !== "lockless") return yield* find_uprobe_locked(u, inode, offset);
  let uprobe: Uprobe | null | Pending;
  while ((uprobe = find_uprobe_rcu(u, inode, offset, t.swbp.walk)) === PENDING) yield 0;
  if (uprobe !== null && u.config.lifetime === "refcount" && !try_get_uprobe(u, uprobe)) return null;
  return uprobe;
}

/**
 * find_active_uprobe_speculative (6.14): resolve VMA -> file -> inode -> uprobe without
 * mmap_lock, validated by mm_lock_seq. Only positive answers count; every miss falls back.
 *
 * A resumable plain function (sim/machine.ts, PENDING): its interleaving points are after
 * mmap_lock_speculate_try_begin, after the VMA lookup, inside the tree walk and after
 * mmap_lock_speculate_retry; the task's own frame keeps its place between calls.
 */
function find_active_uprobe_speculative(
  u: UprobesState,
  t: TaskStruct,
  bp_vaddr: number,
): Uprobe | null | Pending {
  const s = t.swbp.spec;
  const h = u.m.ftrace;
  if (s.phase === SpecPhase.Begin && h.armed[FN_FIND_ACTIVE_UPROBE_SPECULATIVE] !== 0)
    s.traced = h.open(FN_FIND_ACTIVE_UPROBE_SPECULATIVE, bp_vaddr);
  const uprobe = speculate(u, t, bp_vaddr);
  if (uprobe === PENDING || s.traced === UNTRACED) return uprobe;
  const token = s.traced;
  s.traced = UNTRACED;
  return h.exit(FN_FIND_ACTIVE_UPROBE_SPECULATIVE, token, uprobe);
}

/** find_active_uprobe_speculative's body. */
function speculate(u: UprobesState, t: TaskStruct, bp_vaddr: number): Uprobe | null | Pending {
  const m = u.m;
  const mm = t.mm;
  const s = t.swbp.spec;
  if (s.phase === SpecPhase.Begin) {
    u.rcu.readLock();
    s.result = null;
    s.seq = mm.mmap_lock_speculate_try_begin();
    m.label = "mmap_lock_speculate_try_begin";
    s.phase = s.seq >= 0 ? SpecPhase.VmaLookup : SpecPhase.End;
    if (m.mustYield()) return PENDING;
  }
  if (s.phase === SpecPhase.VmaLookup) {
    s.vma = mm.vma_lookup(bp_vaddr);
    m.label = "speculative: vma_lookup";
    s.phase = SpecPhase.Resolve;
    if (m.mustYield()) return PENDING;
  }
  if (s.phase === SpecPhase.Resolve && speculative_resolve(s, bp_vaddr)) {
    m.label = "speculative: READ_ONCE(vm_file)";
    // the file may be freed, even reused, before f_inode is read (R2)
    if (m.mustYield()) return PENDING;
  }
  if (s.phase === SpecPhase.ReadInode) {
    const file = s.file!;
    s.file = null;
    mm.sys.vfs.files_cachep.check(file, "speculative lookup reads vm_file->f_inode");
    s.inode = file.f_inode;
    s.phase = SpecPhase.TreeWalk;
  }
  if (s.phase === SpecPhase.TreeWalk) {
    const uprobe = find_uprobe_rcu(u, s.inode!, s.offset, t.swbp.walk);
    if (uprobe === PENDING) return PENDING;
    if (uprobe !== null && (u.faults.specSkipRetry || !mm.mmap_lock_speculate_retry(s.seq))) {
      s.result = uprobe;
      checkSpeculation(u, mm, bp_vaddr, uprobe);
    }
    m.label = "mmap_lock_speculate_retry";
    s.phase = SpecPhase.End;
    if (m.mustYield()) return PENDING;
  }
  const result = s.result;
  s.phase = SpecPhase.Begin;
  s.result = null;
  s.inode = null;
  u.rcu.readUnlock();
  if (result !== null && u.config.lifetime === "refcount" && !try_get_uprobe(u, result)) return null;
  return result;
}

/** The VMA -> file step (READ_ONCE(vma->vm_file)): true with a file whose inode to read, false with nothing to walk. */
function speculative_resolve(s: SpeculativeLookup, bp_vaddr: number): boolean {
  const vma = s.vma;
  const file = vma === null ? null : vma.vm_file;
  s.vma = null;
  if (vma === null || file === null) {
    s.phase = SpecPhase.End;
    return false;
  }
  s.file = file;
  s.offset = vaddr_to_offset(vma, bp_vaddr);
  s.phase = SpecPhase.ReadInode;
  return true;
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
 *
 * A resumable plain function (sim/machine.ts, PENDING): its interleaving point is before
 * each consumer and after prepare_uretprobe; register_rwsem (the pre-6.12 designs), the
 * first mapping of the [uprobes] page and the REMOVE path are generators it hands over in
 * `frame.sub`. The task's own frame keeps its
 * place between calls.
 */
function handler_chain(
  u: UprobesState,
  t: TaskStruct,
  uprobe: Uprobe,
  hit: number,
  hitStart: number,
): undefined | Pending {
  const m = u.m;
  const c = t.swbp.chain;
  if (c.phase === ChainPhase.Begin) {
    c.phase = ChainPhase.Snapshot;
    if (u.config.consumers === "rwsem") {
      t.swbp.sub = uprobe.register_rwsem.downRead();
      return PENDING;
    }
  }
  if (c.phase === ChainPhase.Snapshot) chain_snapshot(u, uprobe, c);
  while (c.phase === ChainPhase.Next || c.phase === ChainPhase.Call) {
    if (c.phase === ChainPhase.Next) {
      if (c.i === c.list.length) break;
      m.label = "handler_chain: next consumer";
      c.phase = ChainPhase.Call;
      if (m.mustYield()) return PENDING;
    }
    call_consumer(u, t, uprobe, c, c.list[c.i], hit);
    c.i++;
    c.phase = ChainPhase.Next;
    if (m.timingYield()) return PENDING;
  }
  if (c.phase === ChainPhase.Next) {
    checkDelivery(u, uprobe, c.list, hitStart);
    c.phase = ChainPhase.Unlock;
    if (c.ri !== null && chain_return(u, t, uprobe, c.ri) === PENDING) return PENDING;
  }
  if (c.phase === ChainPhase.Unlock) {
    if (u.config.consumers === "rwsem") uprobe.register_rwsem.upRead();
    c.phase = ChainPhase.Done;
    if (c.remove && c.has_consumers) {
      t.swbp.sub = handle_remove(u, t.mm, uprobe, c.registerSeq);
      return PENDING;
    }
  }
  c.phase = ChainPhase.Begin;
  c.list = NO_CONSUMERS;
  c.ri = null;
  return undefined;
}

const NO_CONSUMERS: readonly UprobeConsumer[] = [];

/**
 * The walk's return instance, pushed by prepare_uretprobe: PENDING at its interleaving
 * point, or with the generator that first maps the mm's [uprobes] page in `t.swbp.sub`.
 */
function chain_return(
  u: UprobesState,
  t: TaskStruct,
  uprobe: Uprobe,
  ri: ReturnInstance,
): undefined | Pending {
  const area = xol_area_of(t.mm);
  if (area === null) {
    t.swbp.sub = prepare_uretprobe_new_area(u, t, uprobe, ri);
    return PENDING;
  }
  if (prepare_uretprobe(u, t, uprobe, ri, area) && u.m.mustYield()) return PENDING;
  return undefined;
}

/** The start of the walk: uprobe->consumers read once; this walk keeps its snapshot. */
function chain_snapshot(u: UprobesState, uprobe: Uprobe, c: ConsumerWalk): void {
  uprobe.line.read(u.m);
  checkLive(u, uprobe, "handler_chain"); // the walk reads uprobe->consumers (R4)
  c.registerSeq = uprobe.register_seq.read(); // raw_read_seqcount: may be odd
  c.list = uprobe.consumers; // rcu_dereference
  c.i = 0;
  c.remove = true;
  c.has_consumers = false;
  c.ri = null;
  c.phase = ChainPhase.Next;
}

/** One consumer of the walk: its handler, and its share of the return instance. */
function call_consumer(
  u: UprobesState,
  t: TaskStruct,
  uprobe: Uprobe,
  c: ConsumerWalk,
  uc: UprobeConsumer,
  hit: number,
): void {
  const m = u.m;
  if (uc.state === ConsumerState.Freed) {
    m.fail(`R9: consumer ${uc.id} called after its unregister and a sync returned (${uprobe.describe()})`);
  }
  const cookie = t.swbp.cookie;
  cookie.value = 0;
  let rc = 0;
  if (uc.handler !== null) {
    if (uc.lastHit === hit) m.fail(`hit delivered twice to consumer ${uc.id}`);
    uc.lastHit = hit;
    rc = uc.handler(uc, t.regs, cookie);
  }
  c.remove &&= rc === UPROBE_HANDLER_REMOVE;
  c.has_consumers = true;
  if (uc.ret_handler === null || rc === UPROBE_HANDLER_REMOVE || rc === UPROBE_HANDLER_IGNORE) return;
  if (c.ri === null) c.ri = alloc_return_instance(u, t.utask!);
  const ri = c.ri;
  if (uc.handler !== null) {
    const rec = ri.consumers[ri.cons_cnt] ?? { id: 0, cookie: { value: 0 } };
    rec.id = uc.id;
    rec.cookie.value = cookie.value;
    ri.consumers[ri.cons_cnt++] = rec;
  }
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
export { SwbpResult };
