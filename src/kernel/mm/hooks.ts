/**
 * Where the uprobes layer plugs into the mm: the calls mm/mmap.c, mm/vma.c and kernel/fork.c
 * make into kernel/events/uprobes.c. The uprobes layer is written separately; until it
 * installs its hooks every call is a no-op.
 */
import type { Sub } from "../../sim/machine.js";
import type { MmStruct } from "./mm-struct.js";
import type { VmAreaStruct } from "./vma.js";

export interface MmHooks {
  /** After mmap / split / merge / expand of a file VMA; mmap_lock held for write. */
  uprobe_mmap(vma: VmAreaStruct): Sub<void>;
  /** Before [start, end) of a file VMA stops being mapped (or is re-shaped). */
  uprobe_munmap(vma: VmAreaStruct, start: number, end: number): void;
  /** fork: percpu read of dup_mmap_sem, before the parent's mmap_lock. */
  uprobe_start_dup_mmap(): Sub<void>;
  uprobe_end_dup_mmap(): void;
  /** fork, with the parent write-locked and the child not yet: propagate MMF_HAS_UPROBES. */
  uprobe_dup_mmap(oldmm: MmStruct, newmm: MmStruct): void;
  /** mm teardown (last mmput): free the xol area, drop delayed USDT entries. */
  uprobe_clear_state(mm: MmStruct): void;
}

function* nothing(): Sub<void> {}

export const NO_MM_HOOKS: Readonly<MmHooks> = Object.freeze({
  uprobe_mmap: () => nothing(),
  uprobe_munmap: () => {},
  uprobe_start_dup_mmap: () => nothing(),
  uprobe_end_dup_mmap: () => {},
  uprobe_dup_mmap: () => {},
  uprobe_clear_state: () => {},
});
