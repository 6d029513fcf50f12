/**
 * A workload becomes a running simulated process: its binaries become inodes, its address
 * space an mm_struct mapped the way the loader would map it, and its threads tasks that run
 * their programs on the simulated CPUs. Address-space steps of the programs (mmap, dlopen,
 * fork, ...) go through the mm model, which calls into uprobes where the kernel does.
 */
import { Inode } from "../kernel/fs/inode.js";
import type { Kernel } from "../kernel/kernel.js";
import { dup_mmap, mmput } from "../kernel/mm/fork.js";
import { MmStruct } from "../kernel/mm/mm-struct.js";
import { do_mmap, do_mprotect, do_mremap, do_munmap } from "../kernel/mm/mmap.js";
import type { VmAreaStruct } from "../kernel/mm/vma.js";
import { do_syscall_64 } from "../kernel/syscall.js";
import { current, TaskStruct } from "../kernel/task.js";
import {
  NR_clone,
  NR_close,
  NR_execve,
  NR_exit_group,
  NR_kill,
  NR_mmap,
  NR_mprotect,
  NR_mremap,
  NR_munmap,
  NR_nanosleep,
  NR_openat,
  NR_read,
  NR_tgkill,
  NR_tkill,
  TP_SCHED_PROCESS_EXEC,
  TP_SCHED_PROCESS_EXIT,
  TP_SCHED_PROCESS_FORK,
} from "../kernel/tracepoints.js";
import { dup_xol_work, uprobe_copy_process, uprobe_free_utask } from "../kernel/uprobes/index.js";
import { type Sub, type Task, TaskState } from "../sim/machine.js";
import { buildIdOf } from "./build-id.js";
import { type AddressSpaceOps, runProgram } from "./executor.js";
import { lookupAddress, PAGE_SIZE } from "./layout.js";
import type { Workload } from "./load.js";
import type { Program } from "./program.js";
import { createThreadState, forkThreadState, type ThreadState } from "./values.js";

export const FIRST_PID = 4100;
const ESRCH = 3;
/** The workload's process is a child of init, in the model. */
const INIT_PID = 1;
/** The flags glibc passes: mmap MAP_PRIVATE (| MAP_ANONYMOUS), clone for pthread_create and fork. */
const MAP_PRIVATE = 0x02;
const MAP_ANONYMOUS = 0x20;
const CLONE_THREAD_FLAGS = 0x3d0f00;
const CLONE_FORK_FLAGS = 0x1200011;
const AT_FDCWD = -100;
/** What the dynamic loader reads of a library before mapping it: its ELF header. */
const ELF_HEADER_READ = 832;
const DEFAULT_PRIO = 120;
const MREMAP_MAYMOVE = 1;

export class SimProcess implements AddressSpaceOps {
  readonly pid: number;
  readonly inodes: Inode<VmAreaStruct>[];
  readonly mm: MmStruct;
  /** The process's fs_struct in kernel memory: root / and pwd the workload's cwd. */
  readonly fs: number;
  readonly threads: TaskStruct[] = [];
  private readonly states = new Map<TaskStruct, ThreadState>();
  private readonly dlCount: number[];
  private running = 0;
  private started = false;
  /** Tasks created at run time (threads, forked children) take the next ids, as Linux hands pids out. */
  private nextTid: number;
  private execed = false;
  /** The next file descriptor open returns (0-2 are the standard streams). */
  private nextFd = 3;
  exitCode = 0;

  constructor(
    readonly k: Kernel,
    readonly w: Workload,
  ) {
    const m = k.m;
    this.pid = FIRST_PID;
    this.inodes = w.binaries.map(
      (b) => new Inode<VmAreaStruct>(m, { ino: b.ino, path: b.path, size: b.size, symbols: b.symbols }),
    );
    this.mm = new MmStruct(m, { subsystem: k.mm });
    this.fs = k.ns.alloc_fs_struct(w.process.cwd);
    this.dlCount = w.binaries.map(() => 0);
    this.nextTid = this.pid + w.process.threads.length;
    for (const lib of [w.process.exe, ...w.process.libs]) this.dlCount[lib] = 1;
  }

  /** exec the program at the simulated time the machine has reached (once). */
  start(): void {
    if (this.execed) return;
    this.execed = true;
    this.k.m.spawn("exec", () => this.exec(), 0);
  }

  /** True once every thread has finished (or the process exited). */
  finished(): boolean {
    return this.started && this.running === 0;
  }

  /** The loader: map the initial address space, then start the threads. */
  private *exec(): Sub<void> {
    const k = this.k;
    const exec = new TaskStruct(k.m.task!, this.pid, this.pid, this.w.process.comm, this.mm);
    exec.ppid = INIT_PID;
    exec.fs = this.fs;
    k.m.task!.ctx = exec;
    const tps = k.tracepoints;
    const filename = this.w.binaries[this.w.process.exe].path;
    tps.syscall_enter(NR_execve, filename, this.w.process.argv);
    for (const map of this.w.process.mappings) {
      yield* do_mmap(this.mm, {
        len: map.end - map.start,
        prot: map.prot,
        file: map.binary >= 0 ? this.inodes[map.binary] : null,
        pgoff: map.pgoff,
        addr: map.start,
        name: map.binary >= 0 ? undefined : map.name,
      });
    }
    if (tps.armed[TP_SCHED_PROCESS_EXEC] !== 0) {
      const f = tps.fields;
      f[0] = filename;
      f[1] = this.pid;
      f[2] = this.pid;
      tps.emit(TP_SCHED_PROCESS_EXEC);
    }
    tps.syscall_exit(NR_execve, 0);
    this.started = true;
    for (const plan of this.w.process.threads) {
      const state = createThreadState(plan.program, this.w.functions.length, plan.seed);
      const tid = this.pid + plan.index;
      this.startThread(
        plan.comm,
        plan.program,
        state,
        this.mm,
        plan.pinCpu,
        this.pid,
        tid,
        INIT_PID,
        null,
        this.fs,
      );
    }
  }

  private startThread(
    comm: string,
    program: Program,
    state: ThreadState,
    mm: MmStruct,
    cpu: number,
    tgid: number,
    tid: number,
    ppid: number,
    /** real_parent (null: init, outside the model). */
    realParent: TaskStruct | null,
    /** The fs_struct (shared by the threads of a process, a copy for a forked child). */
    fs: number,
    /** The forking task, for a child of fork(2) (its uprobe state is copied). */
    parent: TaskStruct | null = null,
  ): TaskStruct {
    const k = this.k;
    let ts: TaskStruct | null = null;
    const env = { u: k.u, as: this as AddressSpaceOps, functionCount: this.w.functions.length };
    k.m.spawn(
      comm,
      (task: Task) => {
        ts = new TaskStruct(task, tgid, tid, comm, mm);
        ts.ppid = ppid;
        ts.realParent = realParent;
        ts.fs = fs;
        task.ctx = ts;
        this.threads.push(ts);
        this.states.set(ts, state);
        this.running++;
        if (parent !== null) uprobe_copy_process(k.u, parent, ts);
        if (ts.utask === null || ts.utask.dup_xol_addr === 0) return runProgram(env, ts, program, state);
        const child = ts;
        return (function* () {
          yield* dup_xol_work(env.u, child); // the task work uprobe_copy_process queued
          yield* runProgram(env, child, program, state);
        })();
      },
      cpu >= 0 ? cpu : undefined,
    );
    return ts!;
  }

  // ---------------------------------------------------------------- AddressSpaceOps

  loadAddress(binary: number): number {
    return this.w.process.placement[binary];
  }

  layoutAddress(binary: number): number {
    return this.w.process.placement[binary];
  }

  *mmap(t: TaskStruct, region: number, len: number, prot: number, binary: number, pgoff: number): Sub<void> {
    const tps = this.k.tracepoints;
    const flags = binary >= 0 ? MAP_PRIVATE : MAP_PRIVATE | MAP_ANONYMOUS;
    tps.syscall_enter(NR_mmap, 0, len, prot, flags);
    const addr = yield* do_mmap(t.mm, { len, prot, file: binary >= 0 ? this.inodes[binary] : null, pgoff });
    tps.syscall_exit(NR_mmap, addr);
    const st = this.states.get(t)!;
    st.regionStart[region] = Math.max(addr, 0);
    st.regionLen[region] = addr > 0 ? len : 0;
  }

  *munmap(t: TaskStruct, region: number, from: number, to: number): Sub<void> {
    const st = this.states.get(t)!;
    const start = st.regionStart[region];
    if (start === 0) return;
    const end = to < 0 ? st.regionLen[region] : to;
    const tps = this.k.tracepoints;
    tps.syscall_enter(NR_munmap, start + from, end - from);
    yield* do_munmap(t.mm, start + from, end - from);
    tps.syscall_exit(NR_munmap, 0);
    if (from === 0 && end >= st.regionLen[region]) st.regionStart[region] = 0;
  }

  *mprotect(t: TaskStruct, region: number, prot: number, from: number, to: number): Sub<void> {
    const st = this.states.get(t)!;
    const start = st.regionStart[region];
    if (start === 0) return;
    const end = to < 0 ? st.regionLen[region] : to;
    const tps = this.k.tracepoints;
    tps.syscall_enter(NR_mprotect, start + from, end - from, prot);
    yield* do_mprotect(t.mm, start + from, end - from, prot);
    tps.syscall_exit(NR_mprotect, 0);
  }

  *mremap(t: TaskStruct, region: number, len: number, mayMove: boolean): Sub<void> {
    const st = this.states.get(t)!;
    const start = st.regionStart[region];
    if (start === 0) return;
    const tps = this.k.tracepoints;
    tps.syscall_enter(NR_mremap, start, st.regionLen[region], len, mayMove ? MREMAP_MAYMOVE : 0);
    const addr = yield* do_mremap(t.mm, start, st.regionLen[region], len, { mayMove });
    tps.syscall_exit(NR_mremap, addr);
    if (addr > 0) {
      st.regionStart[region] = addr;
      st.regionLen[region] = len;
    }
  }

  *dlopen(t: TaskStruct, binary: number): Sub<void> {
    if (this.dlCount[binary]++ > 0) return;
    const b = this.w.binaries[binary];
    // The loader's system calls: open the file, read its header, map it, close it.
    const tps = this.k.tracepoints;
    const fd = this.nextFd++;
    tps.syscall_enter(NR_openat, AT_FDCWD, b.path, 0x80000);
    tps.syscall_exit(NR_openat, fd);
    tps.syscall_enter(NR_read, fd, 0, ELF_HEADER_READ);
    tps.syscall_exit(NR_read, ELF_HEADER_READ);
    tps.syscall_enter(NR_mmap, 0, b.dataSegment, 5, MAP_PRIVATE);
    const addr = yield* do_mmap(t.mm, {
      len: b.dataSegment,
      prot: 5,
      file: this.inodes[binary],
      pgoff: 0,
      addr: this.loadAddress(binary),
    });
    tps.syscall_exit(NR_mmap, addr);
    if (b.dataSegment < b.size) {
      // The private writable data segment (where a USDT semaphore is), after the text.
      const len = b.size - b.dataSegment;
      tps.syscall_enter(NR_mmap, addr + b.dataSegment, len, 3, MAP_PRIVATE);
      const data = yield* do_mmap(t.mm, {
        len,
        prot: 3,
        file: this.inodes[binary],
        pgoff: b.dataSegment / PAGE_SIZE,
        addr: addr + b.dataSegment,
      });
      tps.syscall_exit(NR_mmap, data);
    }
    tps.syscall_enter(NR_close, fd);
    tps.syscall_exit(NR_close, 0);
  }

  *dlclose(t: TaskStruct, binary: number): Sub<void> {
    if (this.dlCount[binary] === 0 || --this.dlCount[binary] > 0) return;
    const tps = this.k.tracepoints;
    tps.syscall_enter(NR_munmap, this.loadAddress(binary), this.w.binaries[binary].size);
    yield* do_munmap(t.mm, this.loadAddress(binary), this.w.binaries[binary].size);
    tps.syscall_exit(NR_munmap, 0);
  }

  *fork(t: TaskStruct, child: Program, comm: string, state: ThreadState): Sub<void> {
    const childState = forkThreadState(state, child);
    const tid = this.nextTid++;
    state.lastChild = tid;
    const tps = this.k.tracepoints;
    tps.syscall_enter(NR_clone, child.newThread ? CLONE_THREAD_FLAGS : CLONE_FORK_FLAGS);
    // A new thread keeps its creator's comm (until pthread_setname_np) and shares its mm.
    if (child.newThread) {
      // copy_mm with CLONE_VM: the thread is one more user of the mm (the process's own mm
      // is never put, so only a forked child's needs the reference).
      if (t.mm !== this.mm) t.mm.mmget();
      // CLONE_THREAD: the new thread's real_parent is its creator's (the process's parent).
      this.startThread(comm || t.comm, child, childState, t.mm, -1, t.pid, tid, t.ppid, t.realParent, t.fs);
      this.forked(t, comm || t.comm, tid);
      return;
    }
    const childMm = yield* dup_mmap(t.mm);
    const childFs = this.k.ns.copy_fs_struct(t.fs);
    this.k.process_counts[this.k.m.cpu.id]++; // copy_process: a new thread group
    // A forked child's real_parent is the thread that called fork.
    this.startThread(comm || t.comm, child, childState, childMm, -1, tid, tid, t.pid, t, childFs, t);
    this.forked(t, comm || t.comm, tid);
  }

  /** The end of clone: sched_process_fork, then the parent's return with the child's id. */
  private forked(parent: TaskStruct, childComm: string, childTid: number): void {
    const tps = this.k.tracepoints;
    if (tps.armed[TP_SCHED_PROCESS_FORK] !== 0) {
      const f = tps.fields;
      f[0] = parent.comm;
      f[1] = parent.tid;
      f[2] = childComm;
      f[3] = childTid;
      tps.emit(TP_SCHED_PROCESS_FORK);
    }
    tps.syscall_exit(NR_clone, childTid);
  }

  nanosleepEnter(_t: TaskStruct, ns: number): void {
    this.k.tracepoints.syscall_enter(NR_nanosleep);
    this.k.m.sleepBegin(ns);
  }

  nanosleepExit(_t: TaskStruct): void {
    this.k.tracepoints.syscall_exit(NR_nanosleep, 0);
  }

  *threadExit(t: TaskStruct): Sub<void> {
    this.running--;
    const tps = this.k.tracepoints;
    if (tps.armed[TP_SCHED_PROCESS_EXIT] !== 0) {
      const f = tps.fields;
      f[0] = t.comm;
      f[1] = t.tid;
      f[2] = DEFAULT_PRIO;
      tps.emit(TP_SCHED_PROCESS_EXIT);
    }
    yield* uprobe_free_utask(this.k.u, t); // mm_release
    if (t.mm !== this.mm) yield* mmput(t.mm);
  }

  *syscall(t: TaskStruct, nr: number, regs: Float64Array, ret: number, ns: number): Sub<void> {
    const kill = nr === NR_kill || nr === NR_tkill || nr === NR_tgkill;
    const result = kill ? this.killResult(nr, regs) : ret;
    yield* do_syscall_64(this.k, t, nr, regs, result, ns, this);
  }

  /**
   * What kill, tkill and tgkill return, from the process table (find_task_by_vpid): 0 when
   * the target is alive, -ESRCH when it has exited or never existed. The model delivers no
   * signal: the call is only seen.
   */
  private killResult(nr: number, regs: Float64Array): number {
    const [a, b] = regs;
    const target = (th: TaskStruct): boolean =>
      nr === NR_kill ? th.pid === a : nr === NR_tkill ? th.tid === a : th.pid === a && th.tid === b;
    const alive = this.threads.some((th) => target(th) && !th.exited && th.task.state !== TaskState.Done);
    return alive ? 0 : -ESRCH;
  }

  exitGroup(_t: TaskStruct, code: number): void {
    this.k.tracepoints.syscall_enter(NR_exit_group, code);
    this.exitCode = code;
    for (const th of this.threads) th.exited = true;
  }

  // ---------------------------------------------------------------- for probes

  readCString(addr: number, max: number): string | null {
    return this.w.process.memory.readCString(addr, max) ?? null;
  }

  readBytes(addr: number, len: number): Uint8Array | null {
    return this.w.process.memory.readBytes(addr, len) ?? null;
  }

  /** usym(): the function containing addr, or null. */
  symbolize(addr: number): string | null {
    const info = lookupAddress(this.w.binaries, this.w.process.mappings, addr);
    return info?.symbol?.name ?? null;
  }

  /**
   * A stack frame as bpftrace names it: `sym+off` (decimal offset into the symbol), and in
   * perf mode ` (file)` after it; null when no symbol holds the address.
   */
  /** A stack frame as `style` names it (the runtime's FrameStyle). */
  symbolizeFrame(addr: number, style: "bpftrace" | "perf" | "build_id"): string | null {
    const info = lookupAddress(this.w.binaries, this.w.process.mappings, addr);
    if (info === undefined) return null;
    // build_id mode names the file and the offset in it, whether or not a symbol holds it.
    if (style === "build_id")
      return `${buildIdOf(info.binary)} 0x${info.offset.toString(16).padStart(2, "0")}`;
    const sym = info.symbol;
    if (sym === undefined) return null;
    const frame = `${sym.name}+${info.offset - sym.offset}`;
    return style === "perf" ? `${frame} (${info.binary.path})` : frame;
  }

  currentTask(): TaskStruct {
    return current(this.k.m.task!);
  }
}
