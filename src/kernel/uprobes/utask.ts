/**
 * A task's uprobe state across fork, exit and exec (kernel-model.md 1.5, R14, R26):
 * uprobe_copy_process gives a forked child copies of its parent's pending return instances
 * (dup_utask: references, not leases, since the child holds no SRCU section of its own) and
 * queues dup_xol_work, which maps the child's [uprobes] page at the parent's address before
 * the child runs user code (fork did not copy it: VM_DONTCOPY), so the inherited hijacked
 * return addresses still lead to a trampoline. uprobe_free_utask, from mm_release on exit
 * and exec, clears task->utask before freeing anything.
 */
import type { Sub } from "../../sim/machine.js";
import { Seqcount } from "../../sim/sync/seqcount.js";
import type { TaskStruct } from "../task.js";
import type { UprobesState } from "./state.js";
import { HprobeState, ReturnInstance, UprobeTask } from "./types.js";
import { hprobe_consume, hprobe_expire, hprobe_finalize } from "./uretprobe.js";
import { __create_xol_area, xol_area_of } from "./xol.js";

/** get_utask: the task's uprobe_task, allocated on first need. */
export function get_utask(u: UprobesState, t: TaskStruct): UprobeTask {
  if (t.utask === null) t.utask = new UprobeTask(t.task, new Seqcount(u.m, `ri_seqcount(${t.tid})`));
  return t.utask;
}

/**
 * uprobe_copy_process (copy_process, in the parent): only a child with another mm (or a
 * vfork child) inherits return instances; a thread of the same mm starts with none.
 */
export function uprobe_copy_process(
  u: UprobesState,
  parent: TaskStruct,
  child: TaskStruct,
  vfork = false,
): void {
  child.utask = null;
  const utask = parent.utask;
  if (utask === null || utask.return_instances === null) return;
  if (parent.mm === child.mm && !vfork) return;
  dup_utask(u, parent, child);
  const area = xol_area_of(parent.mm);
  if (area === null || parent.mm === child.mm) return;
  child.utask!.dup_xol_addr = area.vaddr; // task_work_add(dup_xol_work, TWA_RESUME)
}

/** dup_utask: copy the return stack; each copy owns a reference, or is GONE if the uprobe died. */
function dup_utask(u: UprobesState, parent: TaskStruct, child: TaskStruct): void {
  const src = parent.utask!;
  const dst = get_utask(u, child);
  const idx = u.uretprobes_srcu.readLock(); // guard(srcu): the parent's leases stay valid meanwhile
  let tail: ReturnInstance | null = null;
  for (let ri = src.return_instances; ri !== null; ri = ri.next) {
    const copy = new ReturnInstance();
    copy.func = ri.func;
    copy.stack = ri.stack;
    copy.orig_ret_vaddr = ri.orig_ret_vaddr;
    copy.chained = ri.chained;
    for (let k = 0; k < ri.cons_cnt; k++) {
      copy.consumers.push({ id: ri.consumers[k].id, cookie: { value: ri.consumers[k].cookie.value } });
    }
    copy.cons_cnt = ri.cons_cnt;
    const uprobe = hprobe_expire(u, ri.hprobe, true);
    copy.hprobe.uprobe = uprobe;
    copy.hprobe.state = uprobe === null ? HprobeState.Gone : HprobeState.Stable;
    copy.hprobe.leaseReleased = true;
    if (tail === null) dst.return_instances = copy;
    else tail.next = copy;
    tail = copy;
    dst.depth++;
  }
  u.uretprobes_srcu.readUnlock(idx);
}

/** dup_xol_work: the child, before its first user instruction, maps [uprobes] where the parent had it. */
export function* dup_xol_work(u: UprobesState, t: TaskStruct): Sub<void> {
  const utask = t.utask;
  if (utask === null || utask.dup_xol_addr === 0) return;
  const addr = utask.dup_xol_addr;
  utask.dup_xol_addr = 0;
  if ((yield* __create_xol_area(u, t.mm, addr)) === null) u.stats.xolAreaFailures++;
}

/**
 * uprobe_free_utask (mm_release, on exit and exec): clear task->utask first, so a concurrent
 * reader of it (a perf user-stack unwind, R26) never reaches freed memory, then stop the
 * ri_timer and release every pending instance.
 */
export function* uprobe_free_utask(u: UprobesState, t: TaskStruct): Sub<void> {
  const utask = t.utask;
  if (utask === null) return;
  const late = u.faults.freeUtaskBeforeClear;
  if (!late) t.utask = null;
  utask.ri_timer_expires = 0; // timer_delete_sync
  let ri = utask.return_instances;
  while (ri !== null) {
    const next = ri.next;
    hprobe_finalize(u, ri.hprobe, hprobe_consume(ri.hprobe));
    ri.freed = true; // kfree
    u.m.cost(u.m.profile.slabAlloc); // a kfree costs about what a slab allocation does
    ri = next;
  }
  if (late) {
    u.m.label = "uprobe_free_utask: instances freed, task->utask still set";
    yield 0;
    t.utask = null;
  }
}
