/**
 * The uprobes stack (kernel/events/uprobes.c), as the rest of probelab uses it:
 * - uprobe_register / uprobe_unregister_nosync / uprobe_unregister_sync (+ the batched forms),
 * - handle_swbp (the executor calls it when a thread executes a breakpoint),
 * - the mm hooks (uprobe_mmap, uprobe_munmap, the dup_mmap pair),
 * - uprobes_invariant_sweep (what must hold once a run has settled; exploration calls it).
 */
export { type SweepOptions, uprobes_invariant_sweep } from "./invariants.js";
export * from "./mm-api.js";
export * from "./mmap.js";
export * from "./register.js";
export * from "./state.js";
export { handle_swbp, handle_swbp_resumable, SwbpResult } from "./swbp.js";
export * from "./types.js";
export { dup_xol_work, uprobe_copy_process, uprobe_free_utask } from "./utask.js";
export { get_trampoline_vaddr } from "./xol.js";
