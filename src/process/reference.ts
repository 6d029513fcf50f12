/**
 * A reference walk of a compiled program, without time or scheduling: it follows the ops the
 * way an executor must (loops, calls, returns, values) and describes each step as a line of
 * text. Tests use it to pin down the semantics; `probelab` can use it to show what a thread
 * does. It never follows a FORK into the child.
 */
import { syscallNames } from "../kernel/tracepoints.js";
import type { Workload } from "./load.js";
import { Op, type Program } from "./program.js";
import {
  createThreadState,
  endLoop,
  enterLoop,
  evalArgs,
  evalReturn,
  evalSelfTime,
  evalSyscallReturn,
  evalValue,
} from "./values.js";

const PROTS = ["none", "r", "w", "rw", "x", "rx", "wx", "rwx"];

/** The first `limit` steps of thread `index` as text lines. */
export function describeThread(w: Workload, index: number, limit: number): string[] {
  const plan = w.process.threads[index];
  if (!plan) throw new RangeError(`no thread ${index}`);
  return walkProgram(w, plan.program, plan.seed, limit);
}

export function walkProgram(w: Workload, program: Program, seed: number, limit: number): string[] {
  const state = createThreadState(program, w.functions.length, seed);
  const regs = new Float64Array(6);
  const out: string[] = [];
  const fname = (id: number) => w.functions[id]!.name;
  const region = (id: number) => program.regionNames[id]!;
  let pc = 0;
  while (pc < program.ops.length && out.length < limit) {
    const op = program.ops[pc]!;
    switch (op.op) {
      case Op.CALL: {
        const n = evalArgs(state, op, regs);
        out.push(`call ${fname(op.fn)}(${Array.from(regs.subarray(0, n)).join(", ")})`);
        break;
      }
      case Op.INSN:
        out.push(`insn ${fname(op.fn)}+${op.offset - w.functions[op.fn]!.offset}`);
        break;
      case Op.RET: {
        const self = evalSelfTime(state, op);
        out.push(`ret ${fname(op.fn)} = ${evalReturn(state, op)}${self > 0 ? ` after ${self}ns` : ""}`);
        break;
      }
      case Op.WORK:
      case Op.SLEEP:
        out.push(`${op.op === Op.WORK ? "work" : "sleep"} ${evalValue(state, op.time)}ns`);
        break;
      case Op.LOOP_BEGIN:
        pc = enterLoop(state, op, pc);
        continue;
      case Op.LOOP_END:
        pc = endLoop(state, op, pc);
        continue;
      case Op.MMAP:
        out.push(`mmap ${region(op.region)} ${op.len} ${PROTS[op.prot]}`);
        break;
      case Op.MUNMAP:
        out.push(`munmap ${region(op.region)} [${op.from}, ${op.to < 0 ? "end" : op.to})`);
        break;
      case Op.MPROTECT:
        out.push(
          `mprotect ${region(op.region)} [${op.from}, ${op.to < 0 ? "end" : op.to}) ${PROTS[op.prot]}`,
        );
        break;
      case Op.MREMAP:
        out.push(`mremap ${region(op.region)} ${op.len}`);
        break;
      case Op.DLOPEN:
      case Op.DLCLOSE:
        out.push(`${op.op === Op.DLOPEN ? "dlopen" : "dlclose"} ${w.binaries[op.binary]!.path}`);
        break;
      case Op.FORK:
        out.push(`fork (${op.child.ops.length} ops)`);
        break;
      case Op.EXIT:
        out.push(`exit ${op.code}`);
        return out;
      case Op.SYSCALL: {
        const n = evalArgs(state, op, regs);
        const args = Array.from(regs.subarray(0, n)).join(", ");
        out.push(`syscall ${syscallNames()[op.nr]}(${args}) = ${evalSyscallReturn(state, op)}`);
        break;
      }
      case Op.USDT: {
        const operands = new Float64Array(12);
        const n = evalArgs(state, op, operands);
        out.push(`usdt 0x${op.addr.toString(16)}(${Array.from(operands.subarray(0, n)).join(", ")})`);
        break;
      }
    }
    pc++;
  }
  return out;
}
