/**
 * Fault switches of the uprobes model: each removes one safety check the kernel relies on,
 * so exploration can show the race it prevents (kernel-model.md section 4). With a switch
 * on, exploration must find a violation; with it off, the same exploration finds nothing.
 * The mm and sim layers define their own switches in the same style.
 */
export const UPROBE_FAULTS = {
  "spec-skip-retry": "R1: find_active_uprobe_speculative trusts its result without mmap_lock_speculate_retry",
  "free-skip-gp":
    "R4: a dying uprobe is freed at once instead of after the SRCU and Tasks Trace grace periods",
  "tree-skip-seq-retry": "R5: find_uprobe_rcu returns a miss without re-checking uprobes_seqcount",
  "swbp-trap-check-unlocked": "R6: is_trap_at_addr runs after mmap_read_unlock, so a new install can slip in",
  "free-erase-unconditionally":
    "R7: the deferred free erases the tree node even when a newer uprobe replaced it",
  "remove-skip-recheck":
    "R8: UPROBE_HANDLER_REMOVE unapplies without re-checking the filters under register_rwsem",
  "unregister-skip-sync": "R9: uprobe_unregister_sync returns without waiting for a grace period",
  "hprobe-no-cmpxchg": "R11: the ri_timer and the owner both release a lease (no cmpxchg/xchg arbitration)",
  "mmap-skip-filter": "R16: uprobe_mmap installs breakpoints without asking filter_chain",
  "uretprobe-chain-call-strict":
    "R13: cleanup_return_instances uses the strict call test for a chained (tail) call too",
  "fork-skip-dup-mmap-sem": "R14: dup_mmap does not take dup_mmap_sem, so fork overlaps register/unregister",
  "install-has-after-swbp":
    "R18: install_breakpoint sets MMF_HAS_UPROBES after writing the breakpoint instead of before",
  "ri-reuse-during-timer-walk":
    "R12: free_ret_instance puts an instance back in ri_pool for reuse even while ri_timer walks the list",
  "nhit-shared-increment":
    "R25: trace_uprobe counts hits with one shared nhit++ (a load and a store) instead of per-CPU nhits",
  "free-utask-before-clear":
    "R26: uprobe_free_utask frees the return instances before clearing task->utask (the pre-6.13 order)",
  "ref-ctr-skip-verify-opcode":
    "R28: a USDT semaphore is bumped on every install or remove, even when verify_opcode finds the instruction already in place",
} as const;

export type UprobeFault = keyof typeof UPROBE_FAULTS;

/** The switches that are on, read once when the model is built (never per hit). */
export class UprobeFaults {
  readonly specSkipRetry: boolean;
  readonly freeSkipGp: boolean;
  readonly treeSkipSeqRetry: boolean;
  readonly swbpTrapCheckUnlocked: boolean;
  readonly freeEraseUnconditionally: boolean;
  readonly removeSkipRecheck: boolean;
  readonly unregisterSkipSync: boolean;
  readonly hprobeNoCmpxchg: boolean;
  readonly mmapSkipFilter: boolean;
  readonly uretprobeChainCallStrict: boolean;
  readonly forkSkipDupMmapSem: boolean;
  readonly installHasAfterSwbp: boolean;
  readonly freeUtaskBeforeClear: boolean;
  readonly riReuseDuringTimerWalk: boolean;
  readonly refCtrSkipVerifyOpcode: boolean;

  constructor(on: ReadonlySet<string>) {
    this.specSkipRetry = on.has("spec-skip-retry");
    this.freeSkipGp = on.has("free-skip-gp");
    this.treeSkipSeqRetry = on.has("tree-skip-seq-retry");
    this.swbpTrapCheckUnlocked = on.has("swbp-trap-check-unlocked");
    this.freeEraseUnconditionally = on.has("free-erase-unconditionally");
    this.removeSkipRecheck = on.has("remove-skip-recheck");
    this.unregisterSkipSync = on.has("unregister-skip-sync");
    this.hprobeNoCmpxchg = on.has("hprobe-no-cmpxchg");
    this.mmapSkipFilter = on.has("mmap-skip-filter");
    this.uretprobeChainCallStrict = on.has("uretprobe-chain-call-strict");
    this.forkSkipDupMmapSem = on.has("fork-skip-dup-mmap-sem");
    this.installHasAfterSwbp = on.has("install-has-after-swbp");
    this.freeUtaskBeforeClear = on.has("free-utask-before-clear");
    this.riReuseDuringTimerWalk = on.has("ri-reuse-during-timer-walk");
    this.refCtrSkipVerifyOpcode = on.has("ref-ctr-skip-verify-opcode");
  }
}
