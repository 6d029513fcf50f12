/**
 * BPF uprobe_multi links (kernel/trace/bpf_trace.c, since 6.6): the way bpftrace attaches
 * uprobes, uretprobes and usdt probes on a kernel that has them. A link holds one consumer per
 * probed offset (a `bpf_uprobe`); what the link adds to a plain consumer is its target:
 *
 * - with a pid (`-p PID`), every consumer gets `uprobe_multi_link_filter`, so registration
 *   installs breakpoints only in the target's mm, and `uprobe_prog_run` runs the program only
 *   for a task of the target's thread group. A child forked from the target inherits its
 *   breakpoints (dup_mmap copies the patched pages): it traps, and the program is skipped.
 * - a session link (BPF_TRACE_UPROBE_SESSION, 6.13) has one program for entry and return; its
 *   entry run decides whether the return runs: non-zero asks for UPROBE_HANDLER_IGNORE.
 *
 * Registration and release go through the ordinary uprobe_register and the nosync/sync pair
 * (bpf_uprobe_unregister): the caller batches them, as bpf_uprobe_multi_link_attach does.
 */
import type { Machine } from "../../sim/machine.js";
import { current } from "../task.js";
import type { MmStruct } from "../uprobes/mm-api.js";
import {
  type Cookie,
  newConsumer,
  type PtRegs,
  UPROBE_HANDLER_IGNORE,
  type UprobeConsumer,
} from "../uprobes/types.js";

/** What a link keeps of the task its pid named (link->task): its thread group and its mm. */
export interface UprobeMultiTarget {
  /** The tgid. */
  readonly pid: number;
  /** Read when a filter runs, as link->task->mm is. */
  readonly mm: MmStruct;
}

export interface BpfUprobeMultiLink {
  /** The pid filter's task; null when the link traces every process mapping the file. */
  readonly task: UprobeMultiTarget | null;
  /** A session link: the entry program's answer decides whether the return runs. */
  readonly session: boolean;
}

/** The program a link runs at an entry: the probe's compiled body. Non-zero only matters to a session. */
export type UprobeEntryProgram = (regs: PtRegs, data: Cookie) => number;
/** The program a link runs at a return; `func` is the probed function's address. */
export type UprobeReturnProgram = (func: number, regs: PtRegs, data: Cookie) => number;

export function bpf_uprobe_multi_link(task: UprobeMultiTarget | null, session = false): BpfUprobeMultiLink {
  return { task, session };
}

/**
 * The consumer of one of the link's uprobes, as bpf_uprobe_multi_link_attach fills it in: an
 * entry handler unless the link is return-only, a return handler for a uretprobe or a session,
 * and the pid filter when the link has a target. The closures are made once per consumer.
 */
export function bpf_uprobe_consumer(
  m: Machine,
  link: BpfUprobeMultiLink,
  entry: UprobeEntryProgram | null,
  ret: UprobeReturnProgram | null,
): UprobeConsumer {
  const target = link.task;
  const session = link.session;
  // uprobe_multi_link_handler and uprobe_multi_link_ret_handler. Each first does what
  // uprobe_prog_run does: a task outside the target's thread group runs nothing. The
  // closures are specialised once, so a link without a pid pays no test per hit.
  let handler: UprobeConsumer["handler"] = null;
  if (entry !== null && target === null)
    handler = (_uc, regs, data) => {
      const rc = entry(regs, data);
      return session && rc !== 0 ? UPROBE_HANDLER_IGNORE : 0;
    };
  else if (entry !== null && target !== null)
    handler = (_uc, regs, data) => {
      if (current(m.task!).pid !== target.pid) return 0;
      const rc = entry(regs, data);
      return session && rc !== 0 ? UPROBE_HANDLER_IGNORE : 0;
    };
  let ret_handler: UprobeConsumer["ret_handler"] = null;
  if (ret !== null && target === null) ret_handler = (_uc, func, regs, data) => ret(func, regs, data);
  else if (ret !== null && target !== null)
    ret_handler = (_uc, func, regs, data) =>
      current(m.task!).pid !== target.pid ? 0 : ret(func, regs, data);
  // uprobe_multi_link_filter: breakpoints only in the target's mm.
  const filter: UprobeConsumer["filter"] = target === null ? null : (_uc, mm) => mm === target.mm;
  return newConsumer(handler, ret_handler, filter);
}
