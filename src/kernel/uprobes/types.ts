/**
 * The uprobes data structures (kernel/events/uprobes.c, include/linux/uprobes.h), with
 * the kernel's field names. Model bookkeeping that has no kernel counterpart (delivery
 * accounting for invariant checks) is grouped and marked as such.
 */
import { CacheLine } from "../../sim/cacheline.js";
import { type Task, WaitQueue } from "../../sim/machine.js";
import { ObjState, type SlabObject } from "../../sim/slab.js";
import type { Refcount } from "../../sim/sync/refcount.js";
import type { RwSemaphore } from "../../sim/sync/rwsem.js";
import type { Seqcount } from "../../sim/sync/seqcount.js";
import type { InsnKind } from "../fs/inode.js";
import type { MmStruct, UprobeInode } from "./mm-api.js";

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
}

export class Uprobe implements SlabObject {
  objState = ObjState.Live;
  generation = 0;
  /** !RB_EMPTY_NODE(&uprobe->rb_node): linked in uprobes_tree. */
  rb_linked = false;
  /** The RCU-published consumer list (a new array on every change; readers keep a snapshot). */
  consumers: UprobeConsumer[] = [];
  /** UPROBE_COPY_INSN: the original instruction was copied and analysed. */
  copy_insn = false;
  arch: ArchUprobe = { insn: "nop", emulate: true };
  /** The line handle_swbp reads (consumers pointer, flags, arch). */
  readonly line: CacheLine;

  constructor(
    readonly inode: UprobeInode,
    readonly offset: number,
    readonly ref: Refcount,
    readonly register_rwsem: RwSemaphore,
    readonly consumer_rwsem: RwSemaphore,
    readonly ref_ctr_offset: number,
    /** The unmerged register_seq RFC: a write section around every register and unregister. */
    readonly register_seq: Seqcount,
  ) {
    this.line = new CacheLine(`uprobe(${inode.path}+0x${offset.toString(16)})`);
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
