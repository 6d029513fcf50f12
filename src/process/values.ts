/**
 * Per-thread state of a running program and the evaluation of its value sources. Counters
 * (`seq`, `pick`) belong to one call site of one thread, and `uniform` draws from the
 * thread's own PRNG in program order, so a thread's values never depend on how the
 * scheduler interleaves it with others.
 */
import { deriveSeed, Prng } from "../sim/prng.js";
import {
  type CallOp,
  type LoopBeginOp,
  type LoopEndOp,
  type Program,
  type RetOp,
  type SyscallOp,
  type UsdtOp,
  Val,
  type ValueSource,
} from "./program.js";

export interface ThreadState {
  readonly program: Program;
  readonly seed: number;
  readonly prng: Prng;
  /** One counter per SEQ/PICK site: how many times it has been evaluated. */
  readonly counters: Float64Array;
  /** Last value each function returned in this thread (by function id), 0 before any. */
  readonly lastRet: Float64Array;
  /** Remaining iterations per loop slot. */
  readonly loops: Float64Array;
  /** Start address of each named region (0 = not mapped) and its current length. */
  readonly regionStart: Float64Array;
  readonly regionLen: Float64Array;
  /** Forks done so far: numbers each child's seed. */
  forks: number;
  /** The id of the last task this thread created (a `fork` or `thread` step), 0 before one. */
  lastChild: number;
}

export function createThreadState(program: Program, functionCount: number, seed: number): ThreadState {
  return {
    program,
    seed,
    prng: new Prng(seed),
    counters: new Float64Array(program.counterCount),
    lastRet: new Float64Array(functionCount),
    loops: new Float64Array(program.loopCount),
    regionStart: new Float64Array(program.regionNames.length),
    regionLen: new Float64Array(program.regionNames.length),
    forks: 0,
    lastChild: 0,
  };
}

/**
 * State for the child of a FORK op: fresh counters and its own PRNG stream (derived from the
 * parent's seed and fork number); it inherits the parent's regions and last return values,
 * as a forked process inherits memory.
 */
export function forkThreadState(parent: ThreadState, child: Program): ThreadState {
  const seed = deriveSeed(parent.seed, parent.forks++);
  const state = createThreadState(child, parent.lastRet.length, seed);
  state.lastRet.set(parent.lastRet);
  state.regionStart.set(parent.regionStart);
  state.regionLen.set(parent.regionLen);
  return state;
}

export function evalValue(state: ThreadState, id: number): number {
  const v: ValueSource = state.program.values[id]!;
  switch (v.kind) {
    case Val.CONST:
      return v.a;
    case Val.SEQ: {
      const next = v.a + v.b * state.counters[v.slot]!++;
      if (Number.isSafeInteger(next)) return next;
      // Past 2^53 a double is no longer exact: the sequence starts again rather than round.
      state.counters[v.slot] = 1;
      return v.a;
    }
    case Val.PICK: {
      const items = v.items!;
      const n = state.counters[v.slot]!++;
      return items[n % items.length]!;
    }
    case Val.UNIFORM:
      return state.prng.intBetween(v.a, v.b);
    case Val.RET_OF:
      return state.lastRet[v.a]!;
    case Val.LOGNORMAL:
      return lognormal(state.prng, v.a, v.b);
    case Val.LAST_CHILD:
      return state.lastChild;
  }
  return 0;
}

/** Longest time a lognormal draw gives (about 18 minutes): the far tail stays finite. */
const MAX_LOGNORMAL_NS = 2 ** 40;

/** exp(mu + sigma * z) in whole ns, z standard normal by the Box-Muller transform. */
function lognormal(prng: Prng, mu: number, sigma: number): number {
  const u1 = 1 - prng.nextFloat();
  const u2 = prng.nextFloat();
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  return Math.min(MAX_LOGNORMAL_NS, Math.max(1, Math.round(Math.exp(mu + sigma * z))));
}

/** Writes arg0..argN of a CALL into `regs` (the rest are zeroed); returns N. */
export function evalArgs(state: ThreadState, op: CallOp | SyscallOp | UsdtOp, regs: Float64Array): number {
  const ids = op.args;
  for (let i = 0; i < ids.length; i++) regs[i] = evalValue(state, ids[i]!);
  // A loop, not regs.fill: on the per-hit path the builtin's call costs more than the stores.
  for (let i = ids.length; i < regs.length; i++) regs[i] = 0;
  return ids.length;
}

/** The function's own time in ns for a RET (0 when none was given). */
export function evalSelfTime(state: ThreadState, op: RetOp | SyscallOp): number {
  return op.time < 0 ? 0 : evalValue(state, op.time);
}

/** What a system call step returns (0 when the workload does not say). */
export function evalSyscallReturn(state: ThreadState, op: SyscallOp): number {
  return op.value < 0 ? 0 : evalValue(state, op.value);
}

/** The return value of a RET, remembered for later `ret_of`. */
export function evalReturn(state: ThreadState, op: RetOp): number {
  const value = op.value < 0 ? 0 : evalValue(state, op.value);
  state.lastRet[op.fn] = value;
  return value;
}

/** Runs a LOOP_BEGIN at `pc`; returns the next pc. */
export function enterLoop(state: ThreadState, op: LoopBeginOp, pc: number): number {
  if (op.count === 0) return op.end + 1;
  state.loops[op.slot] = op.count;
  return pc + 1;
}

/** Runs a LOOP_END at `pc`; returns the next pc. */
export function endLoop(state: ThreadState, op: LoopEndOp, pc: number): number {
  if (op.count < 0) return op.begin + 1;
  return --state.loops[op.slot]! > 0 ? op.begin + 1 : pc + 1;
}
