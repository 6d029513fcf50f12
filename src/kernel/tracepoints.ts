/**
 * Static tracepoints of the model's kernel: the sched events of the simulated process and the
 * syscalls tracepoints (syscalls:sys_enter_NAME / sys_exit_NAME, raw_syscalls:sys_enter /
 * sys_exit) for the system calls the workloads make. Fields and their order follow
 * include/trace/events/sched.h and the syscall metadata the kernel generates; a `__data_loc
 * char[]` field is a string here.
 *
 * A site is one flag test when nothing is attached:
 *
 *   if (tps.armed[TP_X] !== 0) { const f = tps.fields; f[0] = ...; tps.emit(TP_X); }
 *
 * `fields` is one reused array, so an event allocates nothing.
 */
import type { SchedHooks } from "../sim/ftrace.js";
import { type Cpu, type Machine, type Task, TaskState } from "../sim/machine.js";
import { TaskStruct } from "./task.js";

export interface TracepointField {
  /** The declaration as tracefs's format file prints it: `char prev_comm[16]`. */
  decl: string;
  name: string;
  kind: "int" | "string";
}

/**
 * One argument of a tracepoint's TP_PROTO, what a raw tracepoint sees. Its value comes from
 * the event's `field` (an index into the emitted fields): as is (`int`), as the task_struct
 * of the pid there (`task`), or, for `current`, a pointer into the current task (its pt_regs,
 * the exec's linux_binprm) given as an opaque handle.
 */
export interface RawTracepointArg {
  /** As BTF prints it: `struct task_struct * prev`. */
  decl: string;
  name: string;
  kind: "int" | "task" | "current";
  field: number;
}

export interface Tracepoint {
  id: number;
  category: string;
  name: string;
  fields: readonly TracepointField[];
  /** The TP_PROTO arguments when the event is also a raw tracepoint (sched and raw_syscalls are; syscalls:* are not). */
  raw?: readonly RawTracepointArg[];
}

export type TracepointHandler = (tp: Tracepoint, fields: readonly (number | string)[]) => void;

const ALL: Tracepoint[] = [];

/** Strings: char arrays, `__data_loc char[]` and `const char *` (a user pointer the model reads for you). */
function field(decl: string): TracepointField {
  const m = /^(.*?)\s*([A-Za-z_][A-Za-z_0-9]*)(\[[0-9]*\])?$/.exec(decl)!;
  const type = m[1]!;
  const isString =
    (type === "char" && m[3] !== undefined) || type.startsWith("__data_loc char") || type === "const char *";
  return { decl, name: m[2]!, kind: isString ? "string" : "int" };
}

function define(category: string, name: string, fields: readonly string[]): number {
  const id = ALL.length;
  ALL.push({ id, category, name, fields: fields.map(field) });
  return id;
}

/** Declares the TP_PROTO of tracepoint `id`: [declaration, kind, field giving its value]. */
function proto(id: number, args: readonly [string, RawTracepointArg["kind"], number][]): void {
  ALL[id]!.raw = args.map(([decl, kind, at]) => ({
    decl,
    name: /([A-Za-z_0-9]+)$/.exec(decl)![1]!,
    kind,
    field: at,
  }));
}

export const TP_SCHED_PROCESS_FORK = define("sched", "sched_process_fork", [
  "char parent_comm[16]",
  "pid_t parent_pid",
  "char child_comm[16]",
  "pid_t child_pid",
]);
export const TP_SCHED_PROCESS_EXEC = define("sched", "sched_process_exec", [
  "__data_loc char[] filename",
  "pid_t pid",
  "pid_t old_pid",
]);
export const TP_SCHED_PROCESS_EXIT = define("sched", "sched_process_exit", [
  "char comm[16]",
  "pid_t pid",
  "int prio",
]);

export const TP_SCHED_SWITCH = define("sched", "sched_switch", [
  "char prev_comm[16]",
  "pid_t prev_pid",
  "int prev_prio",
  "long prev_state",
  "char next_comm[16]",
  "pid_t next_pid",
  "int next_prio",
]);
export const TP_SCHED_WAKEUP = define("sched", "sched_wakeup", [
  "char comm[16]",
  "pid_t pid",
  "int prio",
  "int target_cpu",
]);
export const TP_SCHED_WAKEUP_NEW = define("sched", "sched_wakeup_new", [
  "char comm[16]",
  "pid_t pid",
  "int prio",
  "int target_cpu",
]);

// TP_PROTOs from include/trace/events/sched.h. sched_process_exit has the one-argument
// prototype of the kernels whose format (comm, pid, prio) the model's event has. sched_switch's
// `preempt` is a hidden eighth field the site fills.
proto(TP_SCHED_PROCESS_FORK, [
  ["struct task_struct * parent", "task", 1],
  ["struct task_struct * child", "task", 3],
]);
proto(TP_SCHED_PROCESS_EXEC, [
  ["struct task_struct * p", "task", 1],
  ["pid_t old_pid", "int", 2],
  ["struct linux_binprm * bprm", "current", 0],
]);
proto(TP_SCHED_PROCESS_EXIT, [["struct task_struct * p", "task", 1]]);
proto(TP_SCHED_SWITCH, [
  ["bool preempt", "int", 7],
  ["struct task_struct * prev", "task", 1],
  ["struct task_struct * next", "task", 5],
  ["unsigned int prev_state", "int", 3],
]);
proto(TP_SCHED_WAKEUP, [["struct task_struct * p", "task", 1]]);
proto(TP_SCHED_WAKEUP_NEW, [["struct task_struct * p", "task", 1]]);

/** prev_state values: still runnable (preempted), sleeping, dead. */
const TASK_RUNNING = 0;
const TASK_INTERRUPTIBLE = 1;
const TASK_DEAD = 0x80;
const DEFAULT_PRIO = 120;

/** The system calls the workloads make, with their x86-64 numbers and arguments. */
const SYSCALLS: readonly [string, number, readonly string[]][] = [
  ["read", 0, ["unsigned int fd", "char * buf", "size_t count"]],
  ["write", 1, ["unsigned int fd", "const char * buf", "size_t count"]],
  ["open", 2, ["const char * filename", "int flags", "umode_t mode"]],
  ["close", 3, ["unsigned int fd"]],
  [
    "mmap",
    9,
    [
      "unsigned long addr",
      "unsigned long len",
      "unsigned long prot",
      "unsigned long flags",
      "unsigned long fd",
      "unsigned long off",
    ],
  ],
  ["mprotect", 10, ["unsigned long start", "size_t len", "unsigned long prot"]],
  ["munmap", 11, ["unsigned long addr", "size_t len"]],
  [
    "mremap",
    25,
    [
      "unsigned long addr",
      "unsigned long old_len",
      "unsigned long new_len",
      "unsigned long flags",
      "unsigned long new_addr",
    ],
  ],
  ["nanosleep", 35, ["struct __kernel_timespec * rqtp", "struct __kernel_timespec * rmtp"]],
  [
    "clone",
    56,
    [
      "unsigned long clone_flags",
      "unsigned long newsp",
      "int * parent_tidptr",
      "int * child_tidptr",
      "unsigned long tls",
    ],
  ],
  ["execve", 59, ["const char * filename", "const char *const * argv", "const char *const * envp"]],
  ["kill", 62, ["pid_t pid", "int sig"]],
  ["fsync", 74, ["unsigned int fd"]],
  ["mknod", 133, ["const char * filename", "umode_t mode", "unsigned int dev"]],
  ["tkill", 200, ["pid_t pid", "int sig"]],
  ["exit_group", 231, ["int error_code"]],
  ["tgkill", 234, ["pid_t tgid", "pid_t pid", "int sig"]],
  ["openat", 257, ["int dfd", "const char * filename", "int flags", "umode_t mode"]],
  [
    "execveat",
    322,
    ["int fd", "const char * filename", "const char *const * argv", "const char *const * envp", "int flags"],
  ],
];

export const NR_read = 0;
export const NR_write = 1;
export const NR_open = 2;
export const NR_close = 3;
export const NR_mmap = 9;
export const NR_mprotect = 10;
export const NR_munmap = 11;
export const NR_mremap = 25;
export const NR_nanosleep = 35;
export const NR_clone = 56;
export const NR_execve = 59;
export const NR_kill = 62;
export const NR_fsync = 74;
export const NR_mknod = 133;
export const NR_tkill = 200;
export const NR_exit_group = 231;
export const NR_tgkill = 234;
export const NR_openat = 257;
export const NR_execveat = 322;

const MAX_NR = 512;
/** Per syscall number: its sys_enter_NAME and sys_exit_NAME tracepoint ids (-1: none). */
const ENTER_BY_NR = new Int32Array(MAX_NR).fill(-1);
const EXIT_BY_NR = new Int32Array(MAX_NR).fill(-1);
for (const [name, nr, args] of SYSCALLS) {
  ENTER_BY_NR[nr] = define("syscalls", `sys_enter_${name}`, ["int __syscall_nr", ...args]);
  EXIT_BY_NR[nr] = define("syscalls", `sys_exit_${name}`, ["int __syscall_nr", "long ret"]);
}
/** The number of the system call `name` (as in unistd_64.h), or -1 for one the model lacks. */
export function syscallNumber(name: string): number {
  return SYSCALL_NRS.get(name) ?? -1;
}

/** Names of the system calls the model has, by number ("" where it has none). */
export function syscallNames(): readonly string[] {
  return SYSCALL_NAMES;
}

/** The names of the system calls the model has, for a did-you-mean. */
export function knownSyscalls(): string[] {
  return [...SYSCALL_NRS.keys()];
}

const SYSCALL_NRS = new Map(SYSCALLS.map(([name, nr]) => [name, nr]));
const SYSCALL_NAMES: string[] = new Array<string>(MAX_NR).fill("");
for (const [name, nr] of SYSCALLS) SYSCALL_NAMES[nr] = name;

export const TP_RAW_SYS_ENTER = define("raw_syscalls", "sys_enter", ["long id"]);
export const TP_RAW_SYS_EXIT = define("raw_syscalls", "sys_exit", ["long id", "long ret"]);
// include/trace/events/syscalls.h.
proto(TP_RAW_SYS_ENTER, [
  ["struct pt_regs * regs", "current", 0],
  ["long id", "int", 0],
]);
proto(TP_RAW_SYS_EXIT, [
  ["struct pt_regs * regs", "current", 0],
  ["long ret", "int", 1],
]);

/** Every tracepoint, by id. */
export function tracepoints(): readonly Tracepoint[] {
  return ALL;
}

/** The tracepoint `category:name`, or undefined. */
export function findTracepoint(category: string, name: string): Tracepoint | undefined {
  return ALL.find((tp) => tp.category === category && tp.name === name);
}

/** How a string argument of a system call is read from the calling process. */
export interface UserStrings {
  readCString(addr: number, max: number): string | null;
}

/** The longest user string a syscall tracepoint reads (PATH_MAX). */
const USER_STRING_MAX = 4096;

/** The attached handlers of one kernel's tracepoints. */
export class TracepointState implements SchedHooks {
  readonly armed = new Uint8Array(ALL.length);
  /** The event being emitted: filled by the site, read by the handlers. */
  readonly fields: (number | string)[] = new Array<number | string>(8).fill(0);
  private readonly handlers: TracepointHandler[][] = ALL.map(() => []);
  /** Per CPU: the task it last switched to (the next sched_switch's prev), or null (idle). */
  private readonly lastOnCpu: (Task | null)[];

  constructor(readonly m: Machine) {
    this.lastOnCpu = m.cpus.map(() => null);
  }

  /** tracepoint_probe_register: `handler` runs on every event of `tp`. */
  register(tp: Tracepoint, handler: TracepointHandler): void {
    this.handlers[tp.id].push(handler);
    this.armed[tp.id] = 1;
    this.hookScheduler();
  }

  unregister(tp: Tracepoint, handler: TracepointHandler): void {
    const list = this.handlers[tp.id];
    const i = list.indexOf(handler);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.armed[tp.id] = 0;
    this.hookScheduler();
  }

  /** The machine calls the sched hooks only while one of their tracepoints is attached. */
  private hookScheduler(): void {
    const a = this.armed;
    const on = a[TP_SCHED_SWITCH] !== 0 || a[TP_SCHED_WAKEUP] !== 0 || a[TP_SCHED_WAKEUP_NEW] !== 0;
    this.m.sched = on ? this : null;
  }

  /** sched_switch, in the context of prev (the task that ran before on this CPU), as Linux fires it. */
  sched_switch(cpu: Cpu, next: Task): void {
    const prev = this.lastOnCpu[cpu.id];
    this.lastOnCpu[cpu.id] = next;
    if (this.armed[TP_SCHED_SWITCH] === 0) return;
    const f = this.fields;
    f[0] = prev === null ? `swapper/${cpu.id}` : commOf(prev);
    f[1] = prev === null ? 0 : pidOf(prev);
    f[2] = DEFAULT_PRIO;
    f[3] =
      prev === null || prev.state === TaskState.Runnable
        ? TASK_RUNNING
        : prev.state === TaskState.Done
          ? TASK_DEAD
          : TASK_INTERRUPTIBLE;
    f[4] = commOf(next);
    f[5] = pidOf(next);
    f[6] = DEFAULT_PRIO;
    f[7] = f[3] === TASK_RUNNING ? 1 : 0;
    const m = this.m;
    m.task = prev;
    m.switchingFromIdle = prev === null;
    this.emit(TP_SCHED_SWITCH);
    m.switchingFromIdle = false;
    m.task = next;
  }

  sched_wakeup(task: Task, isNew: boolean): void {
    const tp = isNew ? TP_SCHED_WAKEUP_NEW : TP_SCHED_WAKEUP;
    if (this.armed[tp] === 0) return;
    const f = this.fields;
    f[0] = commOf(task);
    f[1] = pidOf(task);
    f[2] = DEFAULT_PRIO;
    f[3] = task.cpu.id;
    this.emit(tp);
  }

  /** Runs the handlers of an armed tracepoint on `fields` (the site checked `armed`). */
  emit(id: number): void {
    const list = this.handlers[id];
    const tp = ALL[id];
    for (let i = 0; i < list.length; i++) list[i](tp, this.fields);
  }

  /** A system call's entry: syscalls:sys_enter_NAME and raw_syscalls:sys_enter. */
  syscall_enter(
    nr: number,
    a0: number | string = 0,
    a1: number | string = 0,
    a2: number | string = 0,
    a3: number | string = 0,
  ): void {
    const tp = ENTER_BY_NR[nr];
    if (tp >= 0 && this.armed[tp] !== 0) {
      const f = this.fields;
      f[0] = nr;
      f[1] = a0;
      f[2] = a1;
      f[3] = a2;
      f[4] = a3;
      f[5] = 0;
      f[6] = 0;
      this.emit(tp);
    }
    this.raw_sys_enter(nr);
  }

  /**
   * The entry of a system call a workload step makes, its arguments as registers: a `const
   * char *` field is read from the caller's memory, as the tracepoint's user pointer would be
   * read by a probe.
   */
  syscall_enter_regs(nr: number, regs: Float64Array, mem: UserStrings): void {
    const tp = ENTER_BY_NR[nr];
    if (tp >= 0 && this.armed[tp] !== 0) {
      const f = this.fields;
      const fields = ALL[tp].fields;
      f[0] = nr;
      for (let i = 1; i < fields.length; i++) {
        const v = regs[i - 1];
        f[i] = fields[i].kind === "string" ? (mem.readCString(v, USER_STRING_MAX) ?? "") : v;
      }
      this.emit(tp);
    }
    this.raw_sys_enter(nr);
  }

  private raw_sys_enter(nr: number): void {
    if (this.armed[TP_RAW_SYS_ENTER] !== 0) {
      this.fields[0] = nr;
      this.emit(TP_RAW_SYS_ENTER);
    }
  }

  /** A system call's return: syscalls:sys_exit_NAME and raw_syscalls:sys_exit. */
  syscall_exit(nr: number, ret: number): void {
    const tp = EXIT_BY_NR[nr];
    const f = this.fields;
    if (tp >= 0 && this.armed[tp] !== 0) {
      f[0] = nr;
      f[1] = ret;
      this.emit(tp);
    }
    if (this.armed[TP_RAW_SYS_EXIT] !== 0) {
      f[0] = nr;
      f[1] = ret;
      this.emit(TP_RAW_SYS_EXIT);
    }
  }
}

/** A task's comm: the workload thread's, or the model task's name (bpftrace, kernel helpers). */
function commOf(task: Task): string {
  return task.ctx instanceof TaskStruct ? task.ctx.comm : task.name;
}

/** The pid tracepoints report: the thread id (0 for the model's own tasks). */
function pidOf(task: Task): number {
  return task.ctx instanceof TaskStruct ? task.ctx.tid : 0;
}
