/**
 * The user-space side of a uprobe: how a simulated thread runs into a breakpoint, or returns
 * through the uretprobe trampoline, and waits for the kernel to let it past.
 *
 * The executor tests for the breakpoint (or the trampoline) itself and calls `trapAt` only
 * then. `trapAt` is a resumable plain function (sim/machine.ts, PENDING): when nothing can
 * come between the trap's interleaving points, the whole trap runs in one call; when it
 * stops, the executor yields (or runs the generator the kernel handed over in the task's
 * frame, `t.swbp.sub`) and calls it again. No generator is created for the trap itself.
 */
import type { TaskStruct } from "../kernel/task.js";
import type { UprobesState } from "../kernel/uprobes/state.js";
import { handle_swbp_resumable, SwbpResult } from "../kernel/uprobes/swbp.js";
import type { Pending } from "../sim/machine.js";

/**
 * Execute the trap instruction at `addr` (regs.ip, set by the caller) until the kernel lets
 * the thread past. A Restart re-executes the instruction, whose breakpoint may be gone by
 * then; a SIGTRAP is counted and the model lets the thread run on.
 */
export function trapAt(u: UprobesState, t: TaskStruct, addr: number): SwbpResult | Pending {
  for (;;) {
    const result = handle_swbp_resumable(u, t);
    if (result !== SwbpResult.Restart || !t.mm.breakpointAt(addr)) return result;
    t.regs.ip = addr;
  }
}
