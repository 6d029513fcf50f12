/**
 * task_struct, reduced to what the model uses. A simulated thread is a sim Task (the
 * generator the scheduler runs) plus this kernel-side state, kept in `task.ctx`.
 */
import type { Task } from "../sim/machine.js";
import type { MmStruct } from "./uprobes/mm-api.js";
import { type PtRegs, SwbpFrame, type UprobeTask } from "./uprobes/types.js";

export class TaskStruct {
  /** Lazily allocated on the first uprobe hit (uprobe_task). */
  utask: UprobeTask | null = null;
  /** Registers at the current breakpoint. */
  readonly regs: PtRegs = { ip: 0, sp: 0, ax: 0, args: [0, 0, 0, 0, 0, 0], ret: 0 };
  /** handle_swbp's locals (is_swbp, the cookie): this task's own, as a kernel stack frame is. */
  readonly swbp = new SwbpFrame();
  /** Set when a trap was not a uprobe's: the thread would die of SIGTRAP. */
  sigtrap = false;
  /** real_parent->tgid: the process that forked this one (a thread shares its leader's). */
  ppid = 0;
  /** The fs_struct's address in kernel memory (root and pwd); 0 for none. */
  fs = 0;
  /** The thread has exited (exit_group from any thread ends them all). */
  exited = false;
  /**
   * The operands of the USDT site the thread is at. A site's note says where each one is
   * (a register, a stack slot, a constant); the model keeps their values here, and a usdt
   * probe reads them through the note's sizes as libbpf's bpf_usdt_arg does.
   */
  readonly usdtOperands = new Float64Array(12);
  /** The user call nesting, for ustack (set by the workload's executor; null for kernel tasks). */
  userStack: { readonly fns: Float64Array; depth: number } | null = null;

  constructor(
    readonly task: Task,
    readonly pid: number,
    readonly tid: number,
    public comm: string,
    public mm: MmStruct,
  ) {}
}

export function current(task: Task): TaskStruct {
  return task.ctx as TaskStruct;
}
