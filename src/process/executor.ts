/**
 * Runs a workload thread's flat program on a simulated CPU.
 *
 * A CALL executes the function's first instruction at its address: if a breakpoint sits
 * there, the thread traps into handle_swbp, which may hijack the return address the call
 * just pushed (uretprobes). A RET returns through that saved address: if it is the
 * uretprobe trampoline, the thread traps again. Everything else is user time, charged to the
 * CPU without a yield, except at call and return boundaries, which are interleaving points.
 *
 * This is the per-hit path's outer loop: it allocates nothing per call, builds no strings
 * and creates no closures.
 */
import type { TaskStruct } from "../kernel/task.js";
import type { UprobesState } from "../kernel/uprobes/state.js";
import { takeSub } from "../kernel/uprobes/swbp.js";
import { get_trampoline_vaddr } from "../kernel/uprobes/xol.js";
import { BLOCK, PENDING, type Sub } from "../sim/machine.js";
import {
  type CallOp,
  type DlOp,
  type ForkOp,
  type MmapOp,
  type MprotectOp,
  type MremapOp,
  type MunmapOp,
  Op,
  type Program,
  type RetOp,
  type UsdtOp,
} from "./program.js";
import { CALL_INSN_LEN, type UserStack } from "./user-stack.js";
import { trapAt } from "./user-trap.js";
import {
  type createThreadState,
  endLoop,
  enterLoop,
  evalArgs,
  evalReturn,
  evalSelfTime,
  evalSyscallReturn,
  evalValue,
} from "./values.js";

/** Address-space operations a program can perform (provided by the process/mm glue). */
export interface AddressSpaceOps {
  mmap(t: TaskStruct, region: number, len: number, prot: number, binary: number, pgoff: number): Sub<void>;
  munmap(t: TaskStruct, region: number, from: number, to: number): Sub<void>;
  mprotect(t: TaskStruct, region: number, prot: number, from: number, to: number): Sub<void>;
  mremap(t: TaskStruct, region: number, len: number, mayMove: boolean): Sub<void>;
  dlopen(t: TaskStruct, binary: number): Sub<void>;
  dlclose(t: TaskStruct, binary: number): Sub<void>;
  fork(t: TaskStruct, child: Program, comm: string, state: ThreadStateLike): Sub<void>;
  exitGroup(t: TaskStruct, code: number): void;
  /** A `syscall` step: system call `nr` with the argument registers, its return value and time. */
  syscall(t: TaskStruct, nr: number, regs: Float64Array, ret: number, ns: number): Sub<void>;
  /**
   * A `sleep` step: nanosleep(2), in two plain calls (a sleep is too frequent for a generator
   * of its own): the entry blocks the task, and the thread's step ends with BLOCK; the exit
   * runs when the thread runs again.
   */
  nanosleepEnter(t: TaskStruct, ns: number): void;
  nanosleepExit(t: TaskStruct): void;
  /** The thread's program has ended (do_exit: drop its mm if it was the last user). */
  threadExit(t: TaskStruct): Sub<void>;
  /** Address a binary's text is mapped at (dlopen'ed libraries move with their slot). */
  loadAddress(binary: number): number;
  /** Where the binary's text was placed in the workload layout. */
  layoutAddress(binary: number): number;
}

export type ThreadStateLike = ReturnType<typeof createThreadState>;

/** Where user code returns to when a thread's outermost call returns (inside _start). */
const START_RETURN = 0x400010;
const STACK_TOP = 0x7ffffffde000;

export interface ExecutorEnv {
  u: UprobesState;
  as: AddressSpaceOps;
  /** Ids of function -> entry address in the layout. */
  functionCount: number;
}

/** What the thread does next, as `run` answers it to the generator that drives it. */
export enum Next {
  /** An interleaving point: yield to the scheduler, then call `run` again. */
  Yield = 0,
  /** The kernel handed a generator over in the trap frame (`t.swbp.sub`): run it, then `run` again. */
  Trap = 1,
  /** The op is a generator (`UserThread.sub`: a sleep, a system call, an mmap ...): run it, then `run` again. */
  Sub = 2,
  /** The program has ended (or the process exited). */
  Done = 3,
  /** The thread blocked itself (a sleep): end the step with BLOCK, then `run` again once woken. */
  Block = 4,
}

/** Where `run` stands inside the op at `pc` when it answered (an op may stop more than once). */
enum At {
  /** At the op's start. */
  Start = 0,
  /** Executing the trap instruction (a breakpointed CALL or INSN, the trampoline at a RET). */
  Trap = 1,
  /** After the trap: the op's last interleaving point comes next. */
  Trapped = 2,
  /** A SYSCALL's generator has run: its interleaving point comes next. */
  Syscalled = 3,
  /** A SLEEP has blocked: woken, the thread leaves nanosleep. */
  Slept = 4,
}

/**
 * A running thread's registers and stacks. They live in an object, not in the generator's
 * locals, because a generator saves and restores every one of its registers at each
 * resumption, and a thread is resumed at every interleaving point of every hit.
 */
export class UserThread {
  readonly u: UprobesState;
  readonly as: AddressSpaceOps;
  readonly m: UprobesState["m"];
  readonly userLoop: number;
  readonly ops: Program["ops"];
  readonly retStack: Float64Array;
  readonly fnAddrStack: Float64Array;
  /** What ustack unwinds: the same entry addresses, and the depth kept current below. */
  readonly userStack: UserStack;
  readonly argRegs = new Float64Array(6);
  depth = 0;
  sp = STACK_TOP;
  pc = 0;
  at = At.Start;
  /** The trap's address (the breakpoint, or the trampoline a RET returns to). */
  addr = 0;
  /** The generator of the op in progress, for the driver to run (Next.Sub). */
  sub: Sub<void> | null = null;

  constructor(
    env: ExecutorEnv,
    readonly t: TaskStruct,
    program: Program,
    readonly state: ThreadStateLike,
  ) {
    this.u = env.u;
    this.as = env.as;
    this.m = env.u.m;
    this.userLoop = this.m.profile.userLoop;
    this.ops = program.ops;
    const depthMax = program.maxDepth + 1;
    this.retStack = new Float64Array(depthMax);
    this.fnAddrStack = new Float64Array(depthMax);
    this.userStack = { fns: this.fnAddrStack, depth: 0 };
    t.userStack = this.userStack;
  }
}

/**
 * The thread body, as the scheduler runs it: an iterator over the thread's steps that is not
 * a generator. Every op runs in the plain function `run`; a generator is made only for what
 * needs one (the kernel's or an op's, handed over in a `Sub`), and this object steps it as
 * `yield*` would. A generator here would be resumed at every interleaving point of every
 * hit, saving and restoring its frame each time, and would allocate the step's result.
 */
export class ThreadBody implements Sub<void> {
  /** Made at the first step, as a generator's locals would be (a task may be made long before it runs). */
  private x: UserThread | null = null;
  /** The generator being stepped (the kernel's, an op's, or do_exit's at the end), or null. */
  private sub: Sub<void> | null = null;
  /** threadExit's generator has been handed over: when it ends, the thread is done. */
  private exiting = false;
  /** The one result every step answers with (the scheduler reads it before the next step). */
  private readonly result: IteratorResult<number, void> = { value: 0, done: false };

  constructor(
    private readonly env: ExecutorEnv,
    private readonly t: TaskStruct,
    private readonly program: Program,
    private readonly state: ThreadStateLike,
  ) {}

  next(): IteratorResult<number, void> {
    const r = this.result;
    const x = this.x ?? (this.x = new UserThread(this.env, this.t, this.program, this.state));
    for (;;) {
      const sub = this.sub;
      if (sub !== null) {
        const inner = sub.next();
        if (inner.done !== true) {
          r.value = inner.value;
          return r;
        }
        this.sub = null;
        if (this.exiting) {
          r.value = undefined;
          r.done = true;
          return r;
        }
        continue; // as after a yield*: the thread goes on within the same step
      }
      const next = run(x);
      if (next === Next.Yield || next === Next.Block) {
        r.value = next === Next.Yield ? 0 : BLOCK;
        return r;
      }
      if (next === Next.Trap) this.sub = takeSub(this.t.swbp);
      else if (next === Next.Sub) this.sub = takeOpSub(x);
      else {
        this.sub = this.env.as.threadExit(this.t);
        this.exiting = true;
      }
    }
  }

  return(): IteratorResult<number, void> {
    throw new Error("a thread body cannot be returned from");
  }

  throw(e: unknown): IteratorResult<number, void> {
    throw e;
  }

  [Symbol.iterator](): Sub<void> {
    return this;
  }
}

/** The thread body for a caller that is a generator (`yield* runProgram(...)`). */
export function runProgram(
  env: ExecutorEnv,
  t: TaskStruct,
  program: Program,
  state: ThreadStateLike,
): Sub<void> {
  return new ThreadBody(env, t, program, state);
}

/** The generator of the op in progress, taken out of the thread. */
function takeOpSub(x: UserThread): Sub<void> {
  const sub = x.sub!;
  x.sub = null;
  return sub;
}

/**
 * Runs the thread's ops up to its next interleaving point (or generator), as a resumable
 * plain function: `x.pc` and `x.at` say where to go on when it is called again.
 */
export function run(x: UserThread): Next {
  const { t, state, ops, m } = x;
  for (;;) {
    // An op in progress runs to its end even if the process exited meanwhile.
    if (x.at === At.Start && (x.pc >= ops.length || t.exited)) return Next.Done;
    const op = ops[x.pc];
    switch (op.op) {
      case Op.CALL: {
        if (x.at === At.Start && callAt(x, op)) x.at = At.Trap;
        if (x.at === At.Trap) {
          if (trapAt(x.u, t, x.addr) === PENDING) return t.swbp.sub === null ? Next.Yield : Next.Trap;
          x.retStack[x.depth - 1] = t.regs.ret; // a uretprobe may have hijacked it
        }
        x.at = At.Start;
        x.pc++;
        m.label = "user: call";
        if (m.mustYield()) return Next.Yield;
        break;
      }
      case Op.INSN:
      case Op.USDT: {
        if (x.at === At.Start) {
          if (op.op === Op.USDT && !usdtSiteRuns(x, op)) {
            x.pc++;
            break;
          }
          trapIfBreakpoint(x, relocate(x.as, op.binary, op.addr));
        }
        if (x.at === At.Trap && trapAt(x.u, t, x.addr) === PENDING)
          return t.swbp.sub === null ? Next.Yield : Next.Trap;
        x.at = At.Start;
        x.pc++;
        break;
      }
      case Op.RET: {
        if (x.at === At.Start && retAt(x, op)) x.at = At.Trap;
        if (x.at === At.Trap) {
          if (trapAt(x.u, t, x.addr) === PENDING) return t.swbp.sub === null ? Next.Yield : Next.Trap;
          checkReturnAddress(x);
        }
        x.at = At.Start;
        x.pc++;
        m.label = "user: return";
        if (m.mustYield()) return Next.Yield;
        break;
      }
      case Op.WORK:
        m.cost(evalValue(state, op.time));
        x.pc++;
        return Next.Yield;
      case Op.SLEEP:
        if (x.at === At.Start) {
          x.as.nanosleepEnter(t, evalValue(state, op.time));
          x.at = At.Slept;
          return Next.Block;
        }
        x.as.nanosleepExit(t);
        x.at = At.Start;
        x.pc++;
        break;
      case Op.LOOP_BEGIN:
        x.pc = enterLoop(state, op, x.pc);
        break;
      case Op.LOOP_END:
        x.pc = endLoop(state, op, x.pc);
        break;
      case Op.EXIT:
        x.as.exitGroup(t, op.code);
        x.pc = ops.length;
        break;
      case Op.SYSCALL: {
        if (x.at === At.Start) {
          evalArgs(state, op, x.argRegs);
          x.sub = x.as.syscall(t, op.nr, x.argRegs, evalSyscallReturn(state, op), evalSelfTime(state, op));
          x.at = At.Syscalled;
          return Next.Sub;
        }
        x.at = At.Start;
        x.pc++;
        if (m.mustYield()) return Next.Yield;
        break;
      }
      default:
        x.sub = addressSpaceOp(x.as, t, op, state);
        x.pc++;
        return Next.Sub;
    }
  }
}

/**
 * A USDT site's code runs, its operands computed, unless a semaphore guards it and no tracer
 * holds the semaphore up: the compiled `if (PROVIDER_NAME_ENABLED())` skips it then.
 */
function usdtSiteRuns(x: UserThread, op: UsdtOp): boolean {
  const t = x.t;
  if (op.semaphore >= 0 && (t.mm.ref_ctrs.get(relocate(x.as, op.binary, op.semaphore)) ?? 0) === 0)
    return false;
  evalArgs(x.state, op, t.usdtOperands);
  return true;
}

/**
 * An instruction at `addr` that a uprobe replaced traps: the registers a handler reads are
 * set, and the op moves on to its trap.
 */
function trapIfBreakpoint(x: UserThread, addr: number): void {
  const t = x.t;
  if (!t.mm.breakpointAt(addr)) return;
  const regs = t.regs;
  regs.sp = x.sp;
  regs.ret = x.retStack[x.depth - 1];
  regs.ip = addr;
  x.addr = addr;
  x.at = At.Trap;
}

/** A CALL up to its trap: the arguments, the pushed return address; true when a breakpoint is there. */
function callAt(x: UserThread, op: CallOp): boolean {
  const n = evalArgs(x.state, op, x.argRegs);
  const addr = relocate(x.as, op.binary, op.addr);
  const depth = x.depth;
  const ret = depth === 0 ? START_RETURN : x.fnAddrStack[depth - 1] + CALL_INSN_LEN;
  x.sp -= 8;
  x.retStack[depth] = ret;
  x.fnAddrStack[depth] = addr;
  x.userStack.depth = x.depth = depth + 1;
  x.m.cost(x.userLoop);
  if (!x.t.mm.breakpointAt(addr)) return false;
  const regs = x.t.regs;
  setArgs(regs, x.argRegs, n);
  regs.sp = x.sp;
  regs.ret = ret;
  regs.ip = addr;
  x.addr = addr;
  return true;
}

/** A RET up to its trap: the function's own time and value, the pop; true when it returns to the trampoline. */
function retAt(x: UserThread, op: RetOp): boolean {
  const state = x.state;
  const self = evalSelfTime(state, op);
  if (self > 0) x.m.cost(self);
  const value = evalReturn(state, op);
  const depth = --x.depth;
  x.userStack.depth = depth;
  const ret = x.retStack[depth];
  x.sp += 8;
  if (ret !== get_trampoline_vaddr(x.t.mm)) return false;
  const regs = x.t.regs;
  regs.ax = toU64(value);
  regs.sp = x.sp;
  regs.ip = ret;
  x.addr = ret;
  return true;
}

/** After the trampoline: the thread must be back at its caller's return address. */
function checkReturnAddress(x: UserThread): void {
  const ip = x.t.regs.ip;
  if (x.depth > 0 && ip !== x.fnAddrStack[x.depth - 1] + CALL_INSN_LEN) {
    x.m.fail(`uretprobe trampoline restored 0x${ip.toString(16)}, not the caller's return address`);
  }
}

/** The ops that change the address space or the process: each is a generator of its own. */
function addressSpaceOp(
  as: AddressSpaceOps,
  t: TaskStruct,
  op: MmapOp | MunmapOp | MprotectOp | MremapOp | DlOp | ForkOp,
  state: ThreadStateLike,
): Sub<void> {
  switch (op.op) {
    case Op.MMAP:
      return as.mmap(t, op.region, op.len, op.prot, op.binary, op.pgoff);
    case Op.MUNMAP:
      return as.munmap(t, op.region, op.from, op.to);
    case Op.MPROTECT:
      return as.mprotect(t, op.region, op.prot, op.from, op.to);
    case Op.MREMAP:
      return as.mremap(t, op.region, op.len, op.mayMove);
    case Op.DLOPEN:
    case Op.DLCLOSE:
      return op.op === Op.DLOPEN ? as.dlopen(t, op.binary) : as.dlclose(t, op.binary);
    case Op.FORK:
      return as.fork(t, op.child, op.comm, state);
  }
}

function relocate(as: AddressSpaceOps, binary: number, addr: number): number {
  const base = as.loadAddress(binary);
  const layout = as.layoutAddress(binary);
  return base === layout ? addr : addr - layout + base;
}

function setArgs(regs: TaskStruct["regs"], argRegs: Float64Array, n: number): void {
  const args = regs.args;
  for (let i = 0; i < 6; i++) args[i] = i < n ? toU64(argRegs[i]) : 0;
}

/** Registers hold u64: a negative value is its two's complement (a bigint past 2^53). */
function toU64(v: number): number | bigint {
  return v >= 0 ? v : BigInt.asUintN(64, BigInt(v));
}
