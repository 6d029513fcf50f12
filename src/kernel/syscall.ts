/**
 * System calls a workload step makes (a `syscall:` step): the way in and out of the kernel
 * (arch/x86/entry/common.c do_syscall_64), with the tracepoints on both sides, and for the
 * file calls the VFS function each reaches (ksys_read -> vfs_read, do_sys_openat2 ->
 * vfs_open, do_fsync -> vfs_fsync, do_mknodat -> vfs_create). What a call does beyond that
 * is the workload's to say: it gives the return value and the time spent inside.
 *
 * An execve that succeeds renames the task after the program's file, as exec does
 * (__set_task_comm with the basename), and fires sched_process_exec.
 */
import type { Sub } from "../sim/machine.js";
import { vfs_create, vfs_fsync, vfs_open, vfs_read, vfs_write } from "./fs/read-write.js";
import type { Kernel } from "./kernel.js";
import type { TaskStruct } from "./task.js";
import {
  NR_execve,
  NR_execveat,
  NR_fsync,
  NR_mknod,
  NR_open,
  NR_openat,
  NR_read,
  NR_write,
  TP_SCHED_PROCESS_EXEC,
  type UserStrings,
} from "./tracepoints.js";

/** TASK_COMM_LEN less the NUL. */
const COMM_MAX = 15;

/** One system call: `regs` are its arguments, `ret` and `ns` what the workload says it returns and takes. */
export function* do_syscall_64(
  k: Kernel,
  t: TaskStruct,
  nr: number,
  regs: Float64Array,
  ret: number,
  ns: number,
  mem: UserStrings,
): Sub<number> {
  const m = k.m;
  const tps = k.tracepoints;
  tps.syscall_enter_regs(nr, regs, mem);
  m.cost(m.profile.syscall);
  let result = ret;
  switch (nr) {
    case NR_read:
      result = yield* vfs_read(m, regs[0], regs[1], ns, ret);
      break;
    case NR_write:
      result = yield* vfs_write(m, regs[0], regs[1], ns, ret);
      break;
    case NR_open:
    case NR_openat:
      // The path is open's first argument and openat's second; the call returns the descriptor.
      yield* vfs_open(m, regs[nr === NR_open ? 0 : 1], ret, ns);
      break;
    case NR_fsync:
      result = yield* vfs_fsync(m, regs[0], ns, ret);
      break;
    case NR_mknod:
      result = yield* vfs_create(m, regs[0], regs[1], ns, ret);
      break;
    case NR_execve:
    case NR_execveat:
      if (ns > 0) yield m.cost(ns);
      if (ret === 0) exec_rename(k, t, mem.readCString(regs[nr === NR_execve ? 0 : 1], 4096) ?? "");
      break;
    default:
      if (ns > 0) yield m.cost(ns);
  }
  tps.syscall_exit(nr, result);
  return result;
}

/** The task takes the name of the program it now runs; sched_process_exec reports it. */
function exec_rename(k: Kernel, t: TaskStruct, filename: string): void {
  const slash = filename.lastIndexOf("/");
  t.comm = filename.slice(slash + 1, slash + 1 + COMM_MAX);
  const tps = k.tracepoints;
  if (tps.armed[TP_SCHED_PROCESS_EXEC] === 0) return;
  const f = tps.fields;
  f[0] = filename;
  f[1] = t.tid;
  f[2] = t.tid;
  tps.emit(TP_SCHED_PROCESS_EXEC);
}
