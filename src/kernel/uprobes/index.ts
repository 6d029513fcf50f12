/**
 * The uprobes stack (kernel/events/uprobes.c), as the rest of probelab uses it:
 * - uprobe_register / uprobe_unregister_nosync / uprobe_unregister_sync (+ the batched forms),
 * - handle_swbp (the executor calls it when a thread executes a breakpoint),
 * - the mm hooks (uprobe_mmap, uprobe_munmap, the dup_mmap pair).
 */
export * from "./mm-api.js";
export * from "./mmap.js";
export * from "./register.js";
export * from "./state.js";
export { handle_swbp, SwbpResult } from "./swbp.js";
export * from "./types.js";
export { get_trampoline_vaddr } from "./xol.js";
