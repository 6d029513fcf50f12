/**
 * struct mm_struct: an address space. It holds the VMA tree, mmap_lock (the big rwsem every
 * address-space change takes for write), mm_lock_seq (the sequence per-VMA locks and
 * speculation are built on), the breakpoint pages uprobes patches in, and the MMF_* flags.
 *
 * Everything the mms of one machine share (the VMA slab, RCU, the files, the hooks into
 * uprobes, the design and fault switches) lives in an MmSubsystem.
 */

import { CacheLine } from "../../sim/cacheline.js";
import { traceable } from "../../sim/ftrace.js";
import { type Machine, type Sub, WaitQueue } from "../../sim/machine.js";
import { ObjectCache } from "../../sim/slab.js";
import { RcuDomain } from "../../sim/sync/rcu.js";
import { RwSemaphore } from "../../sim/sync/rwsem.js";
import { Seqcount } from "../../sim/sync/seqcount.js";
import { type Vfs, vfsOf } from "../fs/file.js";
import type { InsnKind } from "../fs/inode.js";
import { PAGE_SIZE, VMA_REF_LIMIT } from "./constants.js";
import { type MmHooks, NO_MM_HOOKS } from "./hooks.js";
import { DEFAULT_MM_DESIGN, type MmDesign, type MmFaults, readMmFaults } from "./options.js";
import { VmAreaStruct } from "./vma.js";
import { VmaIterator } from "./vma-iterator.js";
import { VmaTree } from "./vma-tree.js";

const FN_MMAP_READ_LOCK = traceable("mmap_read_lock", "void", ["struct mm_struct *mm"]);

export interface MmOptions extends Partial<MmDesign> {
  /** Share an existing subsystem (VMA cache, RCU, hooks); default: the machine's own. */
  subsystem?: MmSubsystem;
  /** Classic RCU domain for VMA-tree walks (default: a new one on rcuNest slot 0). */
  rcu?: RcuDomain;
  hooks?: MmHooks;
  vfs?: Vfs;
  /** Top of the area mmap searches down from when no address is given. */
  mmapBase?: number;
  /** Lowest address mmap hands out. */
  mmapMin?: number;
  /** Width of mm_lock_seq in bits (narrow it to make a wrap reachable, R27). */
  mmLockSeqWidth?: number;
  /** VMA_REF_LIMIT: readers may not push vm_refcnt to it (lower it to reach the overflow fallbacks, R24). */
  vmaRefLimit?: number;
}

/** Counters the live view and the benches show. */
export class MmStats {
  /** lock_vma_under_rcu outcomes (the kernel's VMA_LOCK_* vm events). */
  vma_lock_success = 0;
  vma_lock_abort = 0;
  vma_lock_miss = 0;
  /** lock_next_vma fell back to mmap_read_lock. */
  maps_fallbacks = 0;
  /** A maps chunk switched to mmap_read_lock (fallback_to_mmap_lock after a refcount overflow). */
  maps_chunk_fallbacks = 0;
  /** lock_next_vma re-walked because the VMA started after from_addr. */
  maps_gap_rechecks = 0;
}

/** What every mm of one machine shares. */
export class MmSubsystem {
  readonly design: MmDesign;
  readonly faults: MmFaults;
  readonly rcu: RcuDomain;
  readonly vfs: Vfs;
  readonly vm_area_cachep: ObjectCache<VmAreaStruct>;
  readonly stats = new MmStats();
  /** The uprobes layer replaces these; every mm calls through here. */
  hooks: MmHooks;
  readonly mmapBase: number;
  readonly mmapMin: number;
  readonly mmLockSeqWidth: number;
  readonly vmaRefLimit: number;
  private nextMmId = 1;

  constructor(
    readonly m: Machine,
    opts: MmOptions = {},
  ) {
    this.design = {
      vmaLock: opts.vmaLock ?? DEFAULT_MM_DESIGN.vmaLock,
      vmaSlab: opts.vmaSlab ?? DEFAULT_MM_DESIGN.vmaSlab,
      mmLockSeq: opts.mmLockSeq ?? DEFAULT_MM_DESIGN.mmLockSeq,
      mapsReader: opts.mapsReader ?? DEFAULT_MM_DESIGN.mapsReader,
    };
    this.faults = readMmFaults(m);
    this.rcu = opts.rcu ?? new RcuDomain(m, "rcu", 0, 1, () => m.profile.rcuGracePeriod);
    this.vfs = opts.vfs ?? vfsOf(m);
    this.hooks = opts.hooks ?? NO_MM_HOOKS;
    this.mmapBase = opts.mmapBase ?? 0x7f8000000000;
    this.mmapMin = opts.mmapMin ?? 0x10000;
    this.mmLockSeqWidth = this.faults.mmLockSeq2bit ? 2 : (opts.mmLockSeqWidth ?? 32);
    this.vmaRefLimit = opts.vmaRefLimit ?? VMA_REF_LIMIT;
    this.vm_area_cachep = new ObjectCache<VmAreaStruct>(
      m,
      "vm_area_cachep",
      this.design.vmaSlab,
      () => new VmAreaStruct(),
      this.rcu,
    );
  }

  allocMmId(): number {
    return this.nextMmId++;
  }
}

const perMachine = new WeakMap<Machine, MmSubsystem>();

/** The machine's mm subsystem, created from `opts` on first use. */
export function mmSubsystemOf(m: Machine, opts: MmOptions = {}): MmSubsystem {
  let sys = perMachine.get(m);
  if (sys === undefined) {
    sys = new MmSubsystem(m, opts);
    perMachine.set(m, sys);
    return sys;
  }
  for (const key of ["vmaLock", "vmaSlab", "mmLockSeq", "mapsReader"] as const) {
    const want = opts[key];
    if (want !== undefined && want !== sys.design[key]) {
      throw new Error(
        `mm design ${key}=${want} differs from this machine's mm subsystem (${sys.design[key]}): pass a subsystem`,
      );
    }
  }
  return sys;
}

export class MmStruct {
  readonly id: number;
  readonly sys: MmSubsystem;
  readonly mmap_lock: RwSemaphore;
  readonly mm_lock_seq: Seqcount;
  /** rcuwait that VMA writers sleep on until readers leave (6.15+). */
  readonly vma_writer_wait = new WaitQueue();
  readonly mm_mt: VmaTree;
  /** flags, mm_users, mm_count, map_count. */
  readonly line: CacheLine;
  mm_users = 1;
  mm_count = 1;
  map_count = 0;
  flags = 0;
  /** xol_area (the [uprobes] page) and head_tramps (6.18: the [uprobes-trampoline] pages' addresses). */
  readonly uprobes_state: { xol_area: unknown; head_tramps: number[] } = { xol_area: null, head_tramps: [] };
  readonly mmap_base: number;
  /** Set when the last mm_count reference is dropped: any later touch is a use-after-free. */
  freed = false;

  /** Addresses holding a uprobe breakpoint -> the original instruction there. */
  readonly breakpoints = new Map<number, InsnKind>();
  /**
   * Breakpoints 6.18 rewrote into a 5-byte call (arch_uprobe_optimize): address -> the call's
   * target. The site stays in `breakpoints` (its page is still the patched copy), so the
   * executor's one test finds it; handle_swbp tells the call from the trap by this map.
   */
  readonly optimized_calls = new Map<number, number>();
  /** int3s nobody in uprobes wrote (a debugger's PTRACE_POKETEXT, code that traps on purpose). */
  readonly foreign_traps = new Set<number>();
  /** 16-bit words __update_ref_ctr wrote in private data pages (USDT semaphores), by address. */
  readonly ref_ctrs = new Map<number, number>();
  /** Page -> breakpoints in it: pages that were COW-copied for a breakpoint. */
  private readonly bpPages = new Map<number, number>();
  /** Anonymous pages the breakpoints cost (MM_ANONPAGES for them). */
  anon_rss = 0;

  constructor(
    readonly m: Machine,
    opts: MmOptions = {},
  ) {
    this.sys = opts.subsystem ?? mmSubsystemOf(m, opts);
    this.id = this.sys.allocMmId();
    this.mmap_lock = new RwSemaphore(m, `mm${this.id}.mmap_lock`);
    this.mm_lock_seq = new Seqcount(m, `mm${this.id}.mm_lock_seq`, this.sys.mmLockSeqWidth);
    this.mm_mt = new VmaTree(m, this);
    this.line = new CacheLine(`mm${this.id}`);
    this.mmap_base = opts.mmapBase ?? this.sys.mmapBase;
  }

  get hooks(): MmHooks {
    return this.sys.hooks;
  }

  toString(): string {
    return `mm${this.id}`;
  }

  // ---------------------------------------------------------------- VMA tree

  /** The VMA containing addr (by the tree's ranges), or null. Safe under RCU; may be stale. */
  vma_lookup(addr: number): VmAreaStruct | null {
    return this.mm_mt.load(addr);
  }

  /** The first VMA ending above addr, or null. */
  find_vma(addr: number): VmAreaStruct | null {
    return this.mm_mt.findFrom(addr);
  }

  /** An iterator starting at addr (vma_iter_init). */
  vma_iter(addr = 0): VmaIterator {
    return new VmaIterator(this, addr);
  }

  /** Every VMA in address order (a snapshot; hold mmap_lock for a stable one). */
  vmas(): VmAreaStruct[] {
    return this.mm_mt.toArray();
  }

  // ---------------------------------------------------------------- mmap_lock

  *mmap_read_lock(): Sub<void> {
    const h = this.m.ftrace;
    if (h.armed[FN_MMAP_READ_LOCK] !== 0 && h.enter(FN_MMAP_READ_LOCK))
      return h.exit(FN_MMAP_READ_LOCK, h.entry(FN_MMAP_READ_LOCK, this.id), yield* this.mmap_read_lock());
    this.check("mmap_read_lock");
    yield* this.mmap_lock.downRead();
  }

  mmap_read_trylock(): boolean {
    return this.mmap_lock.tryDownRead();
  }

  mmap_read_unlock(): number {
    return this.mmap_lock.upRead();
  }

  /** Take the lock for write, then open the mm_lock_seq write section (6.14+). */
  *mmap_write_lock(): Sub<void> {
    this.check("mmap_write_lock");
    yield* this.mmap_lock.downWrite();
    if (this.sys.design.mmLockSeq === "seqcount") {
      this.mm_lock_seq.writeBegin();
      if (this.m.labelsRead) this.m.label = `${this}: mm_lock_seqcount_begin`;
      yield 0;
    }
  }

  mmap_write_unlock(): number {
    this.vma_end_write_all();
    return this.mmap_lock.upWrite();
  }

  mmap_write_downgrade(): number {
    this.vma_end_write_all();
    return this.mmap_lock.downgrade();
  }

  /** True when the running task holds mmap_lock for write. */
  mmap_write_locked(): boolean {
    return this.mmap_lock.writer !== null && this.mmap_lock.writer === this.m.task;
  }

  /**
   * Release every VMA write lock of this mm at once by moving the sequence on: closes the
   * write section (6.14+) or bumps the plain counter (<=6.13).
   */
  vma_end_write_all(): number {
    return this.mm_lock_seq.writeEnd();
  }

  /** Snapshot for speculation, or -1 while write-locked (always -1 before 6.14). */
  mmap_lock_speculate_try_begin(): number {
    if (this.sys.design.mmLockSeq !== "seqcount") return -1;
    return this.mm_lock_seq.tryBegin();
  }

  /** True when the address space may have changed since `seq` (then don't trust what was read). */
  mmap_lock_speculate_retry(seq: number): boolean {
    if (this.sys.design.mmLockSeq !== "seqcount" || seq < 0) return true;
    return this.mm_lock_seq.retry(seq);
  }

  // ---------------------------------------------------------------- flags

  test_bit(bit: number): boolean {
    this.line.read(this.m);
    return (this.flags & bit) !== 0;
  }

  set_bit(bit: number): void {
    this.line.atomic(this.m);
    this.flags |= bit;
  }

  clear_bit(bit: number): void {
    this.line.atomic(this.m);
    this.flags &= ~bit;
  }

  /** test_and_clear_bit: true when it was set. */
  test_and_clear_bit(bit: number): boolean {
    this.line.atomic(this.m);
    const was = (this.flags & bit) !== 0;
    this.flags &= ~bit;
    return was;
  }

  // ---------------------------------------------------------------- references

  /** mmget: the caller already holds a user reference. */
  mmget(): void {
    this.check("mmget");
    this.line.atomic(this.m);
    this.mm_users++;
  }

  /** mmget_not_zero: fails once the address space is being torn down. */
  mmget_not_zero(): boolean {
    this.check("mmget_not_zero");
    this.line.atomic(this.m);
    if (this.mm_users === 0) return false;
    this.mm_users++;
    return true;
  }

  /** mmgrab: pin the struct (not the address space). */
  mmgrab(): void {
    this.check("mmgrab");
    this.line.atomic(this.m);
    this.mm_count++;
  }

  /** mmdrop: the last reference frees the struct. */
  mmdrop(): void {
    this.check("mmdrop");
    this.line.atomic(this.m);
    if (--this.mm_count === 0) {
      this.check_mm();
      this.freed = true;
    }
  }

  /**
   * check_mm (__mmdrop): every page counted against the mm must be gone by now; a leftover
   * breakpoint page is one no page table maps any more (R17's "Bad rss-counter state").
   */
  private check_mm(): void {
    if (this.anon_rss !== 0) {
      this.m.fail(
        `R17: Bad rss-counter state: ${this} freed with ${this.anon_rss} breakpoint page(s) counted`,
      );
    }
  }

  /** Fail the run if the struct was freed (R20). */
  check(what: string): void {
    if (this.freed) this.m.fail(`use-after-free: ${what} on freed ${this}`);
  }

  // ---------------------------------------------------------------- breakpoint pages

  /** The hot-path question of every simulated call: is there a trap instruction at vaddr? O(1). */
  breakpointAt(vaddr: number): boolean {
    return (
      (this.breakpoints.size !== 0 && this.breakpoints.has(vaddr)) ||
      (this.foreign_traps.size !== 0 && this.foreign_traps.has(vaddr))
    );
  }

  /** A debugger writes an int3 at vaddr (PTRACE_POKETEXT): a trap no uprobe owns. */
  poke_int3(vaddr: number): void {
    this.foreign_traps.add(vaddr);
  }

  /** The instruction a breakpoint replaced, if one is at vaddr. */
  originalInsnAt(vaddr: number): InsnKind | undefined {
    return this.breakpoints.get(vaddr);
  }

  /** is_trap_at_addr: read the instruction at vaddr (caller holds mmap_lock). */
  is_trap_at_addr(vaddr: number): boolean {
    this.m.cost(this.m.profile.cacheHit);
    return this.breakpoints.has(vaddr) || this.foreign_traps.has(vaddr);
  }

  /**
   * uprobe_write_opcode: install or remove a breakpoint at vaddr in vma (mmap_lock held).
   * Installing COW-copies the page, so the VMA gains an anon_vma; removing the last
   * breakpoint of a page gives the page back (6.16 restores the page-cache page).
   */
  uprobe_write_opcode(vma: VmAreaStruct, vaddr: number, install: boolean): "changed" | "unchanged" {
    const m = this.m;
    if (vma.vm_mm !== this || vaddr < vma.vm_start || vaddr >= vma.vm_end) {
      m.fail(`uprobe_write_opcode: ${vaddr.toString(16)} is not inside ${vma} of ${this}`);
    }
    const has = this.breakpoints.has(vaddr);
    if (install === has) return "unchanged";
    const page = Math.floor(vaddr / PAGE_SIZE);
    if (install) {
      const inode = vma.vm_file?.f_inode;
      this.breakpoints.set(vaddr, inode ? inode.insnAt(vma.offsetOf(vaddr)) : "other");
      vma.anon_vma = true;
      this.notePageBreakpoints(page, +1);
    } else {
      this.breakpoints.delete(vaddr);
      this.notePageBreakpoints(page, -1);
    }
    m.cost(m.profile.slabAlloc + 2 * m.profile.lineTransfer); // get the page, copy/patch it
    return "changed";
  }

  /** Breakpoints in [start, end) vanish with the mapping (unmap_region / zap). */
  zap_breakpoints(start: number, end: number): void {
    for (const addr of this.foreign_traps) if (addr >= start && addr < end) this.foreign_traps.delete(addr);
    for (const addr of this.ref_ctrs.keys()) if (addr >= start && addr < end) this.ref_ctrs.delete(addr);
    for (const addr of this.optimized_calls.keys())
      if (addr >= start && addr < end) this.optimized_calls.delete(addr);
    if (this.breakpoints.size === 0) return;
    for (const addr of [...this.breakpoints.keys()]) {
      if (addr >= start && addr < end) {
        this.breakpoints.delete(addr);
        this.notePageBreakpoints(Math.floor(addr / PAGE_SIZE), -1);
      }
    }
  }

  /** move_page_tables: breakpoints in [start, end) move by delta. */
  move_breakpoints(start: number, end: number, delta: number): void {
    if (delta === 0) return;
    const counters = [...this.ref_ctrs].filter(([a]) => a >= start && a < end);
    for (const [a] of counters) this.ref_ctrs.delete(a);
    for (const [a, v] of counters) this.ref_ctrs.set(a + delta, v);
    // A call is rel32: moved with its page, it points `delta` away from its trampoline.
    const calls = [...this.optimized_calls].filter(([a]) => a >= start && a < end);
    for (const [a] of calls) this.optimized_calls.delete(a);
    for (const [a, target] of calls) this.optimized_calls.set(a + delta, target + delta);
    if (this.breakpoints.size === 0) return;
    const moving = [...this.breakpoints].filter(([a]) => a >= start && a < end);
    for (const [a] of moving) {
      this.breakpoints.delete(a);
      this.notePageBreakpoints(Math.floor(a / PAGE_SIZE), -1);
    }
    for (const [a, insn] of moving) {
      this.breakpoints.set(a + delta, insn);
      this.notePageBreakpoints(Math.floor((a + delta) / PAGE_SIZE), +1);
    }
  }

  /**
   * copy_page_range for breakpoint pages: the child inherits them (fork). An optimized site
   * is inherited as its breakpoint only: the child has no [uprobes-trampoline] (VM_DONTCOPY)
   * and an empty head_tramps, so its first hit traps and optimizes into its own page.
   */
  copy_breakpoints_to(child: MmStruct, start: number, end: number): void {
    for (const [a, v] of this.ref_ctrs) if (a >= start && a < end) child.ref_ctrs.set(a, v);
    for (const [a, insn] of this.breakpoints) {
      if (a >= start && a < end && !child.breakpoints.has(a)) {
        child.breakpoints.set(a, insn);
        child.notePageBreakpoints(Math.floor(a / PAGE_SIZE), +1);
      }
    }
  }

  private notePageBreakpoints(page: number, delta: number): void {
    const n = (this.bpPages.get(page) ?? 0) + delta;
    if (n <= 0) {
      if (this.bpPages.delete(page)) this.anon_rss--;
    } else {
      if (!this.bpPages.has(page)) this.anon_rss++;
      this.bpPages.set(page, n);
    }
  }
}
