/**
 * exec (fs/exec.c), reduced to what the uprobes and mm models need. begin_new_exec's
 * exec_mmap first releases the old mm from the task (exec_mm_release -> mm_release, which
 * frees the task's uprobe_task: return instances pushed by the old program must not outlive
 * it, nor keep their leases), then switches the task to a fresh mm and drops the old one
 * with mmput. de_thread is not modelled: the caller is the only thread of its mm.
 */
import type { Sub } from "../sim/machine.js";
import { exec_mmap } from "./mm/fork.js";
import type { TaskStruct } from "./task.js";
import type { UprobesState } from "./uprobes/state.js";
import { uprobe_free_utask } from "./uprobes/utask.js";

export function* begin_new_exec(u: UprobesState, t: TaskStruct): Sub<void> {
  yield* uprobe_free_utask(u, t); // exec_mm_release -> mm_release
  t.mm = yield* exec_mmap(t.mm);
}
