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
import { PENDING, type Sub } from "../sim/machine.js";
import { Op, type Program } from "./program.js";
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
  /** A `sleep` step: nanosleep(2). */
  nanosleep(t: TaskStruct, ns: number): Sub<void>;
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

/** The thread body: returns when the program ends (or the process exits). */
export function* runProgram(
  env: ExecutorEnv,
  t: TaskStruct,
  program: Program,
  state: ThreadStateLike,
): Sub<void> {
  const { u, as } = env;
  const m = u.m;
  const userLoop = m.profile.userLoop;
  const ops = program.ops;
  const depthMax = program.maxDepth + 1;
  const retStack = new Float64Array(depthMax);
  const fnAddrStack = new Float64Array(depthMax);
  // What ustack unwinds: the same entry addresses, and the depth kept current below.
  const userStack: UserStack = { fns: fnAddrStack, depth: 0 };
  t.userStack = userStack;
  const argRegs = new Float64Array(6);
  const regs = t.regs;
  // A trap that stops at an interleaving point keeps its place here (see user-trap.ts).
  const frame = t.swbp;
  let depth = 0;
  let sp = STACK_TOP;
  let pc = 0;
  while (pc < ops.length && !t.exited) {
    const op = ops[pc];
    switch (op.op) {
      case Op.CALL: {
        const n = evalArgs(state, op, argRegs);
        const addr = relocate(as, op.binary, op.addr);
        const ret = depth === 0 ? START_RETURN : fnAddrStack[depth - 1] + CALL_INSN_LEN;
        sp -= 8;
        retStack[depth] = ret;
        fnAddrStack[depth] = addr;
        userStack.depth = ++depth;
        m.cost(userLoop);
        if (t.mm.breakpointAt(addr)) {
          setArgs(regs, argRegs, n);
          regs.sp = sp;
          regs.ret = ret;
          regs.ip = addr;
          while (trapAt(u, t, addr) === PENDING) {
            if (frame.sub === null) yield 0;
            else yield* takeSub(frame);
          }
          retStack[depth - 1] = regs.ret; // a uretprobe may have hijacked it
        }
        m.label = "user: call";
        if (m.mustYield()) yield 0;
        pc++;
        break;
      }
      case Op.INSN: {
        const addr = relocate(as, op.binary, op.addr);
        if (t.mm.breakpointAt(addr)) {
          regs.sp = sp;
          regs.ret = retStack[depth - 1];
          regs.ip = addr;
          while (trapAt(u, t, addr) === PENDING) {
            if (frame.sub === null) yield 0;
            else yield* takeSub(frame);
          }
        }
        pc++;
        break;
      }
      case Op.USDT: {
        if (op.semaphore >= 0 && (t.mm.ref_ctrs.get(relocate(as, op.binary, op.semaphore)) ?? 0) === 0) {
          pc++;
          break;
        }
        evalArgs(state, op, t.usdtOperands);
        const addr = relocate(as, op.binary, op.addr);
        if (t.mm.breakpointAt(addr)) {
          regs.sp = sp;
          regs.ret = retStack[depth - 1];
          regs.ip = addr;
          while (trapAt(u, t, addr) === PENDING) {
            if (frame.sub === null) yield 0;
            else yield* takeSub(frame);
          }
        }
        pc++;
        break;
      }
      case Op.RET: {
        const self = evalSelfTime(state, op);
        if (self > 0) m.cost(self);
        const value = evalReturn(state, op);
        userStack.depth = --depth;
        const ret = retStack[depth];
        sp += 8;
        if (ret === get_trampoline_vaddr(t.mm)) {
          regs.ax = toU64(value);
          regs.sp = sp;
          regs.ip = ret;
          while (trapAt(u, t, ret) === PENDING) {
            if (frame.sub === null) yield 0;
            else yield* takeSub(frame);
          }
          if (depth > 0 && regs.ip !== fnAddrStack[depth - 1] + CALL_INSN_LEN) {
            m.fail(
              `uretprobe trampoline restored 0x${regs.ip.toString(16)}, not the caller's return address`,
            );
          }
        }
        m.label = "user: return";
        if (m.mustYield()) yield 0;
        pc++;
        break;
      }
      case Op.WORK:
        yield m.cost(evalValue(state, op.time));
        pc++;
        break;
      case Op.SLEEP:
        yield* as.nanosleep(t, evalValue(state, op.time));
        pc++;
        break;
      case Op.LOOP_BEGIN:
        pc = enterLoop(state, op, pc);
        break;
      case Op.LOOP_END:
        pc = endLoop(state, op, pc);
        break;
      case Op.MMAP:
        yield* as.mmap(t, op.region, op.len, op.prot, op.binary, op.pgoff);
        pc++;
        break;
      case Op.MUNMAP:
        yield* as.munmap(t, op.region, op.from, op.to);
        pc++;
        break;
      case Op.MPROTECT:
        yield* as.mprotect(t, op.region, op.prot, op.from, op.to);
        pc++;
        break;
      case Op.MREMAP:
        yield* as.mremap(t, op.region, op.len, op.mayMove);
        pc++;
        break;
      case Op.DLOPEN:
        yield* as.dlopen(t, op.binary);
        pc++;
        break;
      case Op.DLCLOSE:
        yield* as.dlclose(t, op.binary);
        pc++;
        break;
      case Op.FORK:
        yield* as.fork(t, op.child, op.comm, state);
        pc++;
        break;
      case Op.EXIT:
        as.exitGroup(t, op.code);
        pc = ops.length;
        break;
      case Op.SYSCALL:
        evalArgs(state, op, argRegs);
        yield* as.syscall(t, op.nr, argRegs, evalSyscallReturn(state, op), evalSelfTime(state, op));
        if (m.mustYield()) yield 0;
        pc++;
        break;
    }
  }
  yield* as.threadExit(t);
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
