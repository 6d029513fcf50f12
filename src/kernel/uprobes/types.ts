/**
 * The uprobes data structures (kernel/events/uprobes.c, include/linux/uprobes.h), with
 * the kernel's field names. Model bookkeeping that has no kernel counterpart (delivery
 * accounting for invariant checks) is grouped and marked as such.
 */
import { CacheLine } from "../../sim/cacheline.js";
import { UNTRACED } from "../../sim/ftrace.js";
import { type Machine, type Sub, type Task, WaitQueue } from "../../sim/machine.js";
import type { NameOwner } from "../../sim/name.js";
import { ObjState, type SlabObject } from "../../sim/slab.js";
import { Refcount } from "../../sim/sync/refcount.js";
import { RwSemaphore } from "../../sim/sync/rwsem.js";
import { Seqcount } from "../../sim/sync/seqcount.js";
import type { File } from "../fs/file.js";
import type { InsnKind } from "../fs/inode.js";
import type { MmStruct, UprobeInode, VmAreaStruct } from "./mm-api.js";

export const UPROBE_HANDLER_REMOVE = 1;
export const UPROBE_HANDLER_IGNORE = 2;
export const MAX_URETPROBE_DEPTH = 64;
/** ri_timer: a lease is converted to a reference after 100 ms. */
export const RI_TIMER_PERIOD_NS = 100_000_000;

export type Int = number | bigint;

/** The user registers at a breakpoint (what handlers see). */
export interface PtRegs {
  ip: number;
  sp: number;
  /** rax: the return value, at a return. */
  ax: Int;
  /** arg0..arg5 (rdi, rsi, rdx, rcx, r8, r9). */
  args: Int[];
  /** The word at [sp]: the return address, which a uretprobe hijacks. */
  ret: number;
}

/** An 8-byte per-call cookie handed from a session consumer's handler to its ret_handler. */
export interface Cookie {
  value: Int;
}

export enum ConsumerState {
  New = 0,
  Registered = 1,
  /** uprobe_unregister_nosync returned: may still be called until a sync returns. */
  Unregistered = 2,
  /** A uprobe_unregister_sync that began after the nosync has returned: never call again. */
  Freed = 3,
}

export interface UprobeConsumer {
  handler: ((uc: UprobeConsumer, regs: PtRegs, data: Cookie) => number) | null;
  ret_handler: ((uc: UprobeConsumer, func: number, regs: PtRegs, data: Cookie) => number) | null;
  filter: ((uc: UprobeConsumer, mm: MmStruct) => boolean) | null;
  /** Assigned by consumer_add from a global counter. */
  id: number;
  // --- model bookkeeping (invariant checks) ---
  state: ConsumerState;
  /** m.steps when uprobe_register returned. */
  registeredAt: number;
  /** Hit sequence number of the last delivery (exactly-once check). */
  lastHit: number;
}

export function newConsumer(
  handler: UprobeConsumer["handler"],
  ret_handler: UprobeConsumer["ret_handler"] = null,
  filter: UprobeConsumer["filter"] = null,
): UprobeConsumer {
  return {
    handler,
    ret_handler,
    filter,
    id: 0,
    state: ConsumerState.New,
    registeredAt: Number.POSITIVE_INFINITY,
    lastHit: -1,
  };
}

export interface ArchUprobe {
  insn: InsnKind;
  /** arch_uprobe_skip_sstep: nop and push are emulated, ret is single-stepped out of line. */
  emulate: boolean;
  /** ARCH_UPROBE_FLAG_CAN_OPTIMIZE: a 5-byte NOP within one page (6.18). */
  can_optimize: boolean;
  /** ARCH_UPROBE_FLAG_OPTIMIZE_FAIL: an attempt failed; never try again. */
  optimize_fail: boolean;
}

export class Uprobe implements SlabObject, NameOwner {
  objState = ObjState.Live;
  generation = 0;
  /** !RB_EMPTY_NODE(&uprobe->rb_node): linked in uprobes_tree. */
  rb_linked = false;
  /** The RCU-published consumer list (a new array on every change; readers keep a snapshot). */
  consumers: UprobeConsumer[] = [];
  /** UPROBE_COPY_INSN: the original instruction was copied and analysed. */
  copy_insn = false;
  arch: ArchUprobe = { insn: "nop", emulate: true, can_optimize: false, optimize_fail: false };
  /** The line handle_swbp reads (consumers pointer, flags, arch). */
  readonly line: CacheLine;
  readonly ref: Refcount;
  readonly register_rwsem: RwSemaphore;
  readonly consumer_rwsem: RwSemaphore;
  /** The unmerged register_seq RFC: a write section around every register and unregister. */
  readonly register_seq: Seqcount;
  /** nameKey's text, made at the first name read. */
  private key: string | null = null;

  /** alloc_uprobe's part: the object and what it embeds, one reference held (the caller's). */
  constructor(
    m: Machine,
    readonly inode: UprobeInode,
    readonly offset: number,
    readonly ref_ctr_offset: number,
  ) {
    // The first 64 bytes hold rb_node, ref and register_rwsem's count: one line.
    const head = new CacheLine("uprobe", this);
    this.ref = new Refcount(m, "uprobe.ref", 1, head, this);
    this.register_rwsem = new RwSemaphore(m, "register_rwsem", head, this);
    this.consumer_rwsem = new RwSemaphore(m, "consumer_rwsem", undefined, this);
    this.register_seq = new Seqcount(m, "register_seq", 32, this);
    this.line = new CacheLine("uprobe", this);
  }

  /** What its objects' names say it is: "register_rwsem(/usr/bin/shopd+0x1139)" (name.ts). */
  nameKey(): string {
    // Kept once made: where labels are read (race exploration), every lock operation asks.
    return (this.key ??= `${this.inode.path}+0x${this.offset.toString(16)}`);
  }

  describe(): string {
    return `${this.inode.path}:0x${this.offset.toString(16)}`;
  }
}

export enum HprobeState {
  Leased = 0,
  Stable = 1,
  Gone = 2,
  Consumed = 3,
}

/** hprobe: the "hybrid lifetime" uprobe pointer of a return instance. */
export interface Hprobe {
  state: HprobeState;
  srcu_idx: number;
  uprobe: Uprobe | null;
  // --- model bookkeeping: every lease is released exactly once ---
  leaseReleased: boolean;
}

export interface ReturnConsumer {
  id: number;
  cookie: Cookie;
}

export class ReturnInstance {
  readonly hprobe: Hprobe = { state: HprobeState.Consumed, srcu_idx: 0, uprobe: null, leaseReleased: true };
  /** IP at the hit: the probed function's entry. */
  func = 0;
  /** User SP at the hit, for liveness checks. */
  stack = 0;
  orig_ret_vaddr = 0;
  chained = false;
  /** Session records; `cons_cnt` of them are in use (the array is kept for reuse). */
  readonly consumers: ReturnConsumer[] = [];
  cons_cnt = 0;
  next: ReturnInstance | null = null;
  /** Model: which call this instance belongs to (incremented on reuse) — R12 check. */
  serial = 0;
  /** Model: kfree'd with its uprobe_task (R26 check). */
  freed = false;
}

/** What the executing thread does after the trap. */
export enum SwbpResult {
  /** Handled: the probed instruction was emulated or stepped; continue after it. */
  Done = 0,
  /** Re-execute the instruction at the breakpoint address (the breakpoint may be gone). */
  Restart = 1,
  /** Not a uprobe's trap: the thread gets SIGTRAP. */
  Sigtrap = 2,
}

/** Where handle_swbp stands between calls (see PENDING in sim/machine). */
export enum TrapPhase {
  Begin = 0,
  /** The trap is the uretprobe trampoline's: the trap is done once it has run. */
  Trampoline = 1,
  /** The read section is entered: find the uprobe. */
  Lookup = 2,
  /** The uprobe is found and the task has a utask: run the consumers. */
  Chain = 3,
  /** Handlers ran and the instruction was emulated (or pre_ssout handed over): leave. */
  Leave = 4,
  /** The "return to user" point is behind: single-step if pre_ssout set it up. */
  Return = 5,
  /** The single step was handed over: answer once it has run. */
  Stepped = 6,
  /** Handlers ran (and arch_uprobe_optimize, if it was handed over): emulate or step. */
  Skip = 7,
}

/**
 * What the kernel keeps on handle_swbp's stack: `is_swbp` (the lookup's out-parameter) and the
 * session cookie a handler fills in. A task is inside at most one trap at a time, so one frame
 * per task serves every call without allocating, and no other task can see it.
 */
export class SwbpFrame {
  /** A trap instruction at the address (1), none (0), unmapped (-1). */
  is_swbp = 0;
  readonly cookie: Cookie = { value: 0 };
  /** What a plain (non-session) ret_handler gets, where the kernel passes NULL. */
  readonly noCookie: Cookie = { value: 0 };
  /** find_active_uprobe_speculative's locals while it is stopped at an interleaving point. */
  readonly spec = new SpeculativeLookup();
  /** find_uprobe_rcu's locals while it is stopped at an interleaving point. */
  readonly walk = new TreeWalk();
  /** handler_chain's locals while it is stopped at an interleaving point. */
  readonly chain = new ConsumerWalk();
  /** uprobe_handle_trampoline's locals while it is stopped at an interleaving point. */
  readonly tramp = new TrampolineWalk();
  /** Where find_active_uprobe_rcu stands, and what its locked fallback found. */
  lookup = LookupPhase.Begin;
  found: Uprobe | null = null;
  /** find_active_uprobe_rcu's function-trace token (sim/ftrace.ts). */
  traced = UNTRACED;
  /** handle_swbp's own place and locals while it is stopped at an interleaving point. */
  trap = TrapPhase.Begin;
  bp_vaddr = 0;
  /** The hit came through an optimized call and the uprobe syscall, not a trap (6.18). */
  via_syscall = false;
  /** The hit's sequence number and the scheduler step it began at (delivery checks). */
  hit = 0;
  hitStart = 0;
  srcuIdx = 0;
  uprobe: Uprobe | null = null;
  result = SwbpResult.Done;
  /** handle_swbp's function-trace token (sim/ftrace.ts). */
  trapTraced = UNTRACED;
  /**
   * A generator a resumable function hands to handle_swbp, which runs it (yield*) before
   * calling again: a lock that may sleep, or a path too rare to be worth writing resumable.
   */
  sub: Sub<void> | null = null;
}

/** Where find_active_uprobe_rcu stands between calls (see PENDING in sim/machine). */
export enum LookupPhase {
  Begin = 0,
  Speculative = 1,
  /** Speculation was off or missed: hand over the lookup under mmap_read_lock. */
  Fallback = 2,
  /** The locked lookup has run: its answer is in `found`. */
  Locked = 3,
}

/** Where handler_chain stands between calls (see PENDING in sim/machine). */
export enum ChainPhase {
  Begin = 0,
  /** register_rwsem is held (or not needed): take the snapshot of the consumer list. */
  Snapshot = 1,
  /** At the interleaving point before consumer `i` (or past the last one). */
  Next = 2,
  /** The interleaving point is behind: call consumer `i`. */
  Call = 3,
  /** Consumers called and the return instance prepared: unlock, then the REMOVE decision. */
  Unlock = 4,
  Done = 5,
}

export class ConsumerWalk {
  phase = ChainPhase.Begin;
  /** The consumer list this walk called (rcu_dereference'd once). */
  list: readonly UprobeConsumer[] = [];
  i = 0;
  registerSeq = 0;
  remove = true;
  has_consumers = false;
  ri: ReturnInstance | null = null;
}

/** Where uprobe_handle_trampoline stands between calls (see PENDING in sim/machine). */
export enum TrampolinePhase {
  Begin = 0,
  /** Take the next chain of instances off the top of the task's stack. */
  NextChain = 1,
  /** Unlink the next instance of the chain (or end the chain). */
  Instance = 2,
  /** handle_uretprobe_chain's read section is entered: snapshot the consumers. */
  Snapshot = 3,
  /** At the interleaving point before return consumer `i` (or past the last one). */
  Next = 4,
  /** The interleaving point is behind: call return consumer `i`. */
  Call = 5,
  /** The instance is handled: release what it held and free it. */
  Release = 6,
  /** Every chain is popped: at the trampoline's last interleaving point. */
  Leave = 7,
  End = 8,
}

export class TrampolineWalk {
  phase = TrampolinePhase.Begin;
  /** The instance being handled, the first of the next chain, and whether its frame is alive. */
  ri: ReturnInstance | null = null;
  next: ReturnInstance | null = null;
  next_chain: ReturnInstance | null = null;
  valid = false;
  /** The hprobe state hprobe_consume took over from `ri`. */
  old = HprobeState.Consumed;
  uprobe: Uprobe | null = null;
  /** handle_uretprobe_chain's consumer list snapshot, position, cookie cursor and SRCU index. */
  list: readonly UprobeConsumer[] = [];
  i = 0;
  cursor = 0;
  idx = 0;
}

/** Where find_active_uprobe_speculative stands between calls (see PENDING in sim/machine). */
export enum SpecPhase {
  Begin = 0,
  VmaLookup = 1,
  /** The VMA lookup's interleaving point is behind: read its file. */
  Resolve = 2,
  /** READ_ONCE(vma->vm_file) is behind: read the file's inode. */
  ReadInode = 3,
  TreeWalk = 4,
  End = 5,
}

export class SpeculativeLookup {
  phase = SpecPhase.Begin;
  /** mm_lock_seq at mmap_lock_speculate_try_begin (-1: a writer was inside). */
  seq = 0;
  vma: VmAreaStruct | null = null;
  /** vma->vm_file as READ_ONCE read it; it may be freed before its inode is read (R2). */
  file: File | null = null;
  /** The probed file's inode and the breakpoint's offset in it, read once from the VMA. */
  inode: UprobeInode | null = null;
  offset = 0;
  result: Uprobe | null = null;
  /** The function-trace token (sim/ftrace.ts). */
  traced = UNTRACED;
}

/** Where find_uprobe_rcu stands between calls (see PENDING in sim/machine). */
export enum WalkPhase {
  Start = 0,
  /** Read uprobes_seqcount and walk (a pass; a retry starts another). */
  Pass = 1,
  /** The walk's interleaving point is behind: read what the walk reached. */
  Read = 2,
}

export class TreeWalk {
  phase = WalkPhase.Start;
  /** The key looked up: inode number and offset. */
  ino = 0;
  offset = 0;
  /** The node at the key when the lookup began (for the R5 check). */
  atStart: Uprobe | undefined = undefined;
  seq = 0;
  /** The function-trace token (sim/ftrace.ts). */
  traced = UNTRACED;
}

export enum UtaskState {
  Running = 0,
  Sstep = 1,
  SstepAck = 2,
  SstepTrapped = 3,
}

export class UprobeTask {
  state = UtaskState.Running;
  depth = 0;
  return_instances: ReturnInstance | null = null;
  readonly ri_pool: ReturnInstance[] = [];
  /** Simulated time the ri_timer should fire; 0 when not armed. */
  ri_timer_expires = 0;
  ri_timer_queued = false;
  active_uprobe: Uprobe | null = null;
  xol_vaddr = 0;
  vaddr = 0;
  /** A forked child's dup_xol_work: where to map its [uprobes] page (0: nothing queued). */
  dup_xol_addr = 0;

  constructor(
    readonly task: Task,
    readonly ri_seqcount: Seqcount,
  ) {}
}

/** UPROBE_XOL_SLOT_BYTES: one out-of-line instruction slot of the [uprobes] page. */
export const UPROBE_XOL_SLOT_BYTES = 128;

/**
 * xol_area: the per-mm [uprobes] page. Slot 0 is the uretprobe trampoline; the others hold
 * the instructions being single-stepped, one per stepping task, taken from `bitmap`. A task
 * that finds every slot taken sleeps on `wq` until xol_free_insn_slot wakes it.
 */
export class XolArea {
  readonly bitmap: Uint8Array;
  readonly wq = new WaitQueue();

  constructor(
    /** Start of the mapping (kept instead of a VMA pointer: the VMA may vanish). */
    public vaddr: number,
    slots: number,
  ) {
    this.bitmap = new Uint8Array(slots);
    this.bitmap[0] = 1; // the trampoline
  }
}
