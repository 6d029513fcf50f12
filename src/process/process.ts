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
import { current, TaskStruct } from "../kernel/task.js";
import { dup_xol_work, uprobe_copy_process, uprobe_free_utask } from "../kernel/uprobes/index.js";
import type { Sub, Task } from "../sim/machine.js";
import { type AddressSpaceOps, runProgram } from "./executor.js";
import { lookupAddress } from "./layout.js";
import type { Workload } from "./load.js";
import type { Program } from "./program.js";
import { createThreadState, forkThreadState, type ThreadState } from "./values.js";

export const FIRST_PID = 4100;

export class SimProcess implements AddressSpaceOps {
  readonly pid: number;
  readonly inodes: Inode<VmAreaStruct>[];
  readonly mm: MmStruct;
  readonly threads: TaskStruct[] = [];
  private readonly states = new Map<TaskStruct, ThreadState>();
  private readonly dlCount: number[];
  private running = 0;
  private started = false;
  /** Tasks created at run time (threads, forked children) take the next ids, as Linux hands pids out. */
  private nextTid: number;
  private execed = false;
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
    k.m.task!.ctx = exec;
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
    this.started = true;
    for (const plan of this.w.process.threads) {
      const state = createThreadState(plan.program, this.w.functions.length, plan.seed);
      const tid = this.pid + plan.index;
      this.startThread(plan.comm, plan.program, state, this.mm, plan.pinCpu, this.pid, tid);
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
    const addr = yield* do_mmap(t.mm, { len, prot, file: binary >= 0 ? this.inodes[binary] : null, pgoff });
    const st = this.states.get(t)!;
    st.regionStart[region] = Math.max(addr, 0);
    st.regionLen[region] = addr > 0 ? len : 0;
  }

  *munmap(t: TaskStruct, region: number, from: number, to: number): Sub<void> {
    const st = this.states.get(t)!;
    const start = st.regionStart[region];
    if (start === 0) return;
    const end = to < 0 ? st.regionLen[region] : to;
    yield* do_munmap(t.mm, start + from, end - from);
    if (from === 0 && end >= st.regionLen[region]) st.regionStart[region] = 0;
  }

  *mprotect(t: TaskStruct, region: number, prot: number, from: number, to: number): Sub<void> {
    const st = this.states.get(t)!;
    const start = st.regionStart[region];
    if (start === 0) return;
    const end = to < 0 ? st.regionLen[region] : to;
    yield* do_mprotect(t.mm, start + from, end - from, prot);
  }

  *mremap(t: TaskStruct, region: number, len: number, mayMove: boolean): Sub<void> {
    const st = this.states.get(t)!;
    const start = st.regionStart[region];
    if (start === 0) return;
    const addr = yield* do_mremap(t.mm, start, st.regionLen[region], len, { mayMove });
    if (addr > 0) {
      st.regionStart[region] = addr;
      st.regionLen[region] = len;
    }
  }

  *dlopen(t: TaskStruct, binary: number): Sub<void> {
    if (this.dlCount[binary]++ > 0) return;
    const b = this.w.binaries[binary];
    yield* do_mmap(t.mm, {
      len: b.size,
      prot: 5,
      file: this.inodes[binary],
      pgoff: 0,
      addr: this.loadAddress(binary),
    });
  }

  *dlclose(t: TaskStruct, binary: number): Sub<void> {
    if (this.dlCount[binary] === 0 || --this.dlCount[binary] > 0) return;
    yield* do_munmap(t.mm, this.loadAddress(binary), this.w.binaries[binary].size);
  }

  *fork(t: TaskStruct, child: Program, comm: string, state: ThreadState): Sub<void> {
    const childState = forkThreadState(state, child);
    const tid = this.nextTid++;
    // A new thread keeps its creator's comm (until pthread_setname_np) and shares its mm.
    if (child.newThread) {
      // copy_mm with CLONE_VM: the thread is one more user of the mm (the process's own mm
      // is never put, so only a forked child's needs the reference).
      if (t.mm !== this.mm) t.mm.mmget();
      this.startThread(comm || t.comm, child, childState, t.mm, -1, t.pid, tid);
      return;
    }
    const childMm = yield* dup_mmap(t.mm);
    this.startThread(comm || t.comm, child, childState, childMm, -1, tid, tid, t);
  }

  *threadExit(t: TaskStruct): Sub<void> {
    this.running--;
    yield* uprobe_free_utask(this.k.u, t); // mm_release
    if (t.mm !== this.mm) yield* mmput(t.mm);
  }

  exitGroup(_t: TaskStruct, code: number): void {
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
  symbolizeFrame(addr: number, perf: boolean): string | null {
    const info = lookupAddress(this.w.binaries, this.w.process.mappings, addr);
    const sym = info?.symbol;
    if (info === undefined || sym === undefined) return null;
    const frame = `${sym.name}+${info.offset - sym.offset}`;
    return perf ? `${frame} (${info.binary.path})` : frame;
  }

  currentTask(): TaskStruct {
    return current(this.k.m.task!);
  }
}
