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
  /**
   * real_parent itself, for its comm at the time of a hit (pcomm): the thread that forked
   * this process, or for a thread its creator's real_parent, as clone sets it. null when the
   * parent is a task outside the model, init for the workload's process (see parentComm).
   */
  realParent: TaskStruct | null = null;
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

/** init's comm: the parent of the workload's process (ppid 1), and of bpftrace itself. */
export const INIT_COMM = "systemd";
/** The idle task's comm (pid 0), the parent the model gives kernel threads (ppid 0). */
export const IDLE_COMM = "swapper/0";

/** real_parent->comm of a task: its parent's current comm (a later exec there shows). */
export function parentComm(t: TaskStruct): string {
  if (t.realParent !== null) return t.realParent.comm;
  return t.ppid === 0 ? IDLE_COMM : INIT_COMM;
}

export function current(task: Task): TaskStruct {
  return task.ctx as TaskStruct;
}
