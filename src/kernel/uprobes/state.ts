/**
 * The global state of kernel/events/uprobes.c (its file-scope statics), as one object the
 * uprobes functions take as their first argument, the way the C code reaches its globals.
 */
import { CacheLine } from "../../sim/cacheline.js";
import type { Machine } from "../../sim/machine.js";
import { PercpuRwSemaphore } from "../../sim/sync/percpu-rwsem.js";
import { RcuDomain } from "../../sim/sync/rcu.js";
import { RwSemaphore } from "../../sim/sync/rwsem.js";
import { Seqcount } from "../../sim/sync/seqcount.js";
import { SrcuStruct } from "../../sim/sync/srcu.js";
import type { KernelConfig } from "../config.js";
import { UprobeFaults } from "../faults.js";
import type { DelayedUprobe } from "./ref-ctr.js";
import type { Uprobe, UprobeConsumer } from "./types.js";

/** Counters the live view and the benches show. */
export class UprobeStats {
  hits = 0;
  speculativeHits = 0;
  speculativeFallbacks = 0;
  restarts = 0;
  sigtraps = 0;
  singleSteps = 0;
  /** Steppers that found every XOL slot taken and slept on the area's wait queue. */
  xolSlotWaits = 0;
  /** dup_xol_work could not map a forked child's [uprobes] page ("dup xol area"). */
  xolAreaFailures = 0;
  breakpointsInstalled = 0;
  breakpointsRemoved = 0;
  /** Sites arch_uprobe_optimize rewrote into a call to [uprobes-trampoline] (6.18). */
  optimizedSites = 0;
  leasesExpired = 0;
  uretprobeHits = 0;
  depthOverflows = 0;
  syncCalls = 0;
  /** Simulated ns spent inside uprobe_unregister_sync. */
  syncTimeNs = 0;
  registrations = 0;
  unregistrations = 0;
}

export class UprobesState {
  readonly faults: UprobeFaults;
  readonly stats = new UprobeStats();

  /** uprobes_tree, ordered by (inode, offset). */
  readonly tree = new UprobesTree();
  /** uprobes_treelock (an rwlock since 6.10), or the June-2024 RFC's percpu rwsem (`tree=percpu-rwsem`). */
  readonly treelock: RwSemaphore | PercpuRwSemaphore;
  /** uprobes_seqcount: lockless readers detect a concurrent insert/erase. */
  readonly uprobes_seqcount: Seqcount;
  /** The tree's upper nodes: every walk reads it, every insert/erase writes it. */
  readonly treeLine = new CacheLine("uprobes_tree");

  /** RCU Tasks Trace: the hot path's read section (6.12+). */
  readonly tasks_trace: RcuDomain;
  /** Classic RCU (maple tree and VMA/file memory; rcu_sync for percpu rwsems). */
  readonly rcu: RcuDomain;
  /** The Aug-2024 design's SRCU domain for the hot path (`consumers=srcu`). */
  readonly uprobes_srcu: SrcuStruct;
  /** uretprobes_srcu: leases of pending return instances (6.13+). */
  readonly uretprobes_srcu: SrcuStruct;
  /** dup_mmap_sem: fork takes it for read, register/unregister for write. */
  readonly dup_mmap_sem: PercpuRwSemaphore;

  /** delayed_uprobe_list: USDT semaphore bumps owed to mms whose data page is not mapped yet. */
  readonly delayed_uprobe_list: DelayedUprobe[] = [];
  /** Global consumer id counter (consumer_add). */
  consumerIds = 0;
  /** Model: hit sequence numbers for exactly-once delivery accounting. */
  hitSeq = 0;
  /** Consumers whose uprobe_unregister_nosync returned and that await a sync. */
  readonly unsynced: UprobeConsumer[] = [];
  /** Model: every consumer whose uprobe_register returned and whose unregister has not begun. */
  readonly registered = new Map<UprobeConsumer, Uprobe>();

  constructor(
    readonly m: Machine,
    readonly config: KernelConfig,
  ) {
    this.faults = new UprobeFaults(m.faults);

    this.uprobes_seqcount = new Seqcount(m, "uprobes_seqcount");
    this.tasks_trace = new RcuDomain(m, "rcu_tasks_trace", 1, 1.5, () => m.profile.tasksTraceGracePeriod);
    this.rcu = new RcuDomain(m, "rcu", 0, 0.5, () => m.profile.rcuGracePeriod);
    this.uprobes_srcu = new SrcuStruct(m, "uprobes_srcu");
    this.uretprobes_srcu = new SrcuStruct(m, "uretprobes_srcu");
    this.dup_mmap_sem = new PercpuRwSemaphore(m, "dup_mmap_sem", this.rcu);
    this.treelock =
      config.tree === "percpu-rwsem"
        ? new PercpuRwSemaphore(m, "uprobes_treelock", this.rcu)
        : new RwSemaphore(m, "uprobes_treelock");
  }

  /** Grace periods completed by the domains uprobes waits on. */
  gracePeriods(): number {
    return (
      this.tasks_trace.stats.gracePeriods +
      this.uprobes_srcu.stats.gracePeriods +
      this.uretprobes_srcu.stats.gracePeriods +
      this.rcu.stats.gracePeriods
    );
  }
}

/**
 * The nodes of uprobes_tree, which the kernel orders by inode and then offset: a map per inode,
 * keyed by offset, in the order the nodes were linked. The walk's cost is charged apart
 * (tree.ts). Both keys are small integers, so a lookup on the hit path allocates nothing (a
 * single key of inode * 2^32 + offset would be a heap number at every lookup).
 */
export class UprobesTree {
  private readonly inodes = new Map<number, Map<number, Uprobe>>();
  /** Nodes in the tree. */
  size = 0;

  get(ino: number, offset: number): Uprobe | undefined {
    return this.inodes.get(ino)?.get(offset);
  }

  /** Link `uprobe` under its own key (the caller has erased whatever was there). */
  link(uprobe: Uprobe): void {
    let nodes = this.inodes.get(uprobe.inode.i_ino);
    if (nodes === undefined) this.inodes.set(uprobe.inode.i_ino, (nodes = new Map()));
    if (!nodes.has(uprobe.offset)) this.size++;
    nodes.set(uprobe.offset, uprobe);
  }

  /** Unlink the node at (ino, offset), whichever it is. */
  unlink(ino: number, offset: number): void {
    if (this.inodes.get(ino)?.delete(offset)) this.size--;
  }

  /** One inode's nodes by offset (build_probe_list and vma_has_uprobes walk them), or undefined. */
  ofInode(ino: number): ReadonlyMap<number, Uprobe> | undefined {
    return this.inodes.get(ino);
  }

  /** Every node, inode by inode. */
  *values(): IterableIterator<Uprobe> {
    for (const nodes of this.inodes.values()) yield* nodes.values();
  }
}
