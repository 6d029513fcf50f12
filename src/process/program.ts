/**
 * Thread bodies compiled into flat arrays of small ops, so an executor runs them with a
 * program counter and a few per-thread arrays: no recursion, no allocation per call.
 *
 * Control flow is laid out in place:
 *   CALL f            enter f: execute f's first instruction (where a uprobe sits), push the return address
 *     INSN f+off      (only for `call: f+OFF`) execute the instruction at that offset
 *     ...body...      steps run inside f
 *     USDT site       (a `usdt` step) run through a USDT site's nop in f, unless its semaphore reads 0
 *   RET f             spend f's own `time`, produce its return value, return (where a uretprobe fires)
 *   LOOP_BEGIN slot   loops[slot] = count (count 0 jumps past LOOP_END)
 *     ...body...
 *   LOOP_END slot     if forever or --loops[slot] > 0 jump to LOOP_BEGIN + 1
 * Falling off the end of the ops ends the thread (the process ends with its last thread);
 * EXIT ends the whole process (exit_group).
 *
 * Values (arguments, return values, times) are indices into the program's value table;
 * `values.ts` evaluates them against a thread's state.
 */

import { knownSyscalls, syscallNumber } from "../kernel/tracepoints.js";
import { didYouMean, errorAt, type Where } from "./errors.js";
import { type ParsedTrace, readTraceFile, replaySteps, TraceError } from "./from-trace.js";
import { type Binary, PAGE_SIZE, resolveTarget } from "./layout.js";
import { encodeCString, encodeLittleEndian, encodeMemBlock, type UserMemory } from "./memory.js";
import { type ConstValueSpec, nestedSteps, type StepSpec, type TimeSpec, type ValueSpec } from "./schema.js";

export const Op = {
  CALL: 0,
  INSN: 1,
  RET: 2,
  WORK: 3,
  SLEEP: 4,
  LOOP_BEGIN: 5,
  LOOP_END: 6,
  MMAP: 7,
  MUNMAP: 8,
  MPROTECT: 9,
  MREMAP: 10,
  DLOPEN: 11,
  DLCLOSE: 12,
  FORK: 13,
  EXIT: 14,
  SYSCALL: 15,
  USDT: 16,
} as const;
export type OpCode = (typeof Op)[keyof typeof Op];
export const OP_NAMES: readonly string[] = Object.keys(Op);

/** Enter a function: its first instruction executes at `addr` (file `offset` of `binary`). */
export interface CallOp {
  op: typeof Op.CALL;
  /** Index into `Workload.functions`. */
  fn: number;
  binary: number;
  offset: number;
  /** Virtual address in the initial layout (dlopen'ed libraries map at their fixed slot). */
  addr: number;
  /** Value ids of arg0..argN. */
  args: Int32Array;
  /** Index of the matching RET op. */
  ret: number;
}

/** Execute the instruction at `offset` inside the current function (an offset probe's spot). */
export interface InsnOp {
  op: typeof Op.INSN;
  fn: number;
  binary: number;
  offset: number;
  addr: number;
}

export interface RetOp {
  op: typeof Op.RET;
  fn: number;
  /** Value id of the return value, -1 for 0. */
  value: number;
  /** Value id of the time spent in the function itself, -1 for none. */
  time: number;
  /** Index of the matching CALL op. */
  call: number;
}

export interface TimeOp {
  op: typeof Op.WORK | typeof Op.SLEEP;
  /** Value id of the duration in ns. */
  time: number;
}

export interface LoopBeginOp {
  op: typeof Op.LOOP_BEGIN;
  /** Index into the thread's loop counters. */
  slot: number;
  /** Iterations, or -1 for forever. */
  count: number;
  /** Index of the matching LOOP_END. */
  end: number;
}

export interface LoopEndOp {
  op: typeof Op.LOOP_END;
  slot: number;
  count: number;
  /** Index of the matching LOOP_BEGIN. */
  begin: number;
}

/** Map `len` bytes; the start address goes into the thread's `regions[region]`. */
export interface MmapOp {
  op: typeof Op.MMAP;
  region: number;
  len: number;
  prot: number;
  /** Binary index for a file mapping, -1 for anonymous memory. */
  binary: number;
  /** vm_pgoff for a file mapping. */
  pgoff: number;
}

/** Unmap [from, to) bytes of a region (to = -1: up to its current end). */
export interface MunmapOp {
  op: typeof Op.MUNMAP;
  region: number;
  from: number;
  to: number;
}

export interface MprotectOp {
  op: typeof Op.MPROTECT;
  region: number;
  prot: number;
  from: number;
  to: number;
}

export interface MremapOp {
  op: typeof Op.MREMAP;
  region: number;
  len: number;
  mayMove: boolean;
}

/**
 * dlopen/dlclose keep a per-process count per library (the `libs` start at 1): the text is
 * mapped at the library's slot when the count leaves 0 and unmapped when it returns to 0.
 */
export interface DlOp {
  op: typeof Op.DLOPEN | typeof Op.DLCLOSE;
  binary: number;
}

/**
 * Fork a child process (a copy of the address space) whose single thread runs `child`, or,
 * when `child.newThread` is set, start a thread of this process running it (clone with
 * CLONE_VM | CLONE_THREAD, which is what pthread_create does).
 */
export interface ForkOp {
  op: typeof Op.FORK;
  child: Program;
  comm: string;
}

export interface ExitOp {
  op: typeof Op.EXIT;
  code: number;
}

/** A system call of the kernel's table (`nr`), with its argument registers, return value and time. */
export interface SyscallOp {
  op: typeof Op.SYSCALL;
  nr: number;
  /** Value ids of the arguments. */
  args: Int32Array;
  /** Value id of the return value, -1 for 0. */
  value: number;
  /** Value id of the time spent in the kernel, -1 for none. */
  time: number;
}

/**
 * A USDT site of the current function: its operands are evaluated and its nop executed (a
 * usdt probe's breakpoint) unless the site has a semaphore and it reads 0, in which case
 * the program skips the whole site as the USDT_WITH_SEMA macros' `if` does.
 */
export interface UsdtOp {
  op: typeof Op.USDT;
  binary: number;
  /** Virtual address of the site's nop in the initial layout. */
  addr: number;
  /** Virtual address of its semaphore in the initial layout, -1 without one. */
  semaphore: number;
  /** Value ids of the operands. */
  args: Int32Array;
}

export type ProgramOp =
  | UsdtOp
  | CallOp
  | InsnOp
  | RetOp
  | TimeOp
  | LoopBeginOp
  | LoopEndOp
  | MmapOp
  | MunmapOp
  | MprotectOp
  | MremapOp
  | DlOp
  | ForkOp
  | ExitOp
  | SyscallOp;

/** Kinds of value sources. */
export const Val = { CONST: 0, SEQ: 1, PICK: 2, UNIFORM: 3, RET_OF: 4, LOGNORMAL: 5, LAST_CHILD: 6 } as const;
export type ValKind = (typeof Val)[keyof typeof Val];

/**
 * One value site. Fields by kind: CONST a=value; SEQ a=start b=step; PICK items; UNIFORM
 * a=low b=high (inclusive); RET_OF a=function id; LOGNORMAL a=ln(median) b=sigma. `slot` is the site's own counter (SEQ, PICK).
 * One shape for every kind keeps the executor's reads monomorphic.
 */
export interface ValueSource {
  kind: ValKind;
  a: number;
  b: number;
  slot: number;
  items: Float64Array | null;
}

/** The standard normal's 99th percentile. */
const Z_99 = 2.3263478740408408;

export interface Program {
  ops: ProgramOp[];
  values: ValueSource[];
  /** Number of SEQ/PICK counters a thread running this program needs. */
  counterCount: number;
  loopCount: number;
  /** Regions are shared by a thread's program and its fork children (the child inherits them). */
  regionNames: readonly string[];
  /** Deepest call nesting, for sizing an executor's return-address stack. */
  maxDepth: number;
  /** Runs as a new thread sharing its creator's mm (a `thread` step), not as a forked child. */
  newThread: boolean;
}

/** A function a workload can call: one symbol of one binary. */
export interface FunctionRef {
  id: number;
  binary: number;
  name: string;
  offset: number;
  size: number;
}

/** Everything compiling needs to know about the laid-out process. */
export interface CompileEnv {
  binaries: Binary[];
  functions: FunctionRef[];
  /** Function ids by binary index and symbol name. */
  functionIds: Map<string, number>[];
  cwd: string;
  exe: number;
  /** Binary indices in symbol search order for unqualified names: exe, libs, then the rest. */
  searchOrder: number[];
  /** Binaries that are mapped at some point (exe, libs, anything dlopen'ed). */
  mappable: Set<number>;
  /** Load address of each binary's text. */
  placement: number[];
  heap: HeapBuilder;
}

/** Bump allocator for the constants (strings, `mem` blocks) placed in the heap at load. */
export class HeapBuilder {
  private next: number;
  private readonly strings = new Map<string, number>();

  constructor(
    readonly start: number,
    readonly memory: UserMemory,
  ) {
    this.next = start;
  }

  get used(): number {
    return this.next - this.start;
  }

  place(bytes: Uint8Array, align = 16): number {
    const addr = Math.ceil(this.next / align) * align;
    this.memory.writeBytes(addr, bytes);
    this.next = addr + bytes.length;
    return addr;
  }

  /** The strings, then the NULL-terminated array of their addresses (8 bytes each); its address. */
  placeArgv(items: readonly string[]): number {
    const array = new Uint8Array((items.length + 1) * 8);
    for (let i = 0; i < items.length; i++)
      array.set(encodeLittleEndian(this.placeString(items[i]!), 8), i * 8);
    return this.place(array, 8);
  }

  /** Equal strings share one copy, as a linker merges string constants. */
  placeString(text: string): number {
    let addr = this.strings.get(text);
    if (addr === undefined) {
      addr = this.place(encodeCString(text), 1);
      this.strings.set(text, addr);
    }
    return addr;
  }
}

/** Compiles a thread body (and, separately, each fork child's body). */
export function compileThread(body: StepSpec[], env: CompileEnv): Program {
  const regionNames = collectRegions(body);
  return new ProgramBuilder(env, regionNames).build(body);
}

class ProgramBuilder {
  private readonly ops: ProgramOp[] = [];
  private readonly values: ValueSource[] = [];
  private counters = 0;
  private loops = 0;
  private depth = 0;
  private maxDepth = 0;
  /** The functions being called around the step being compiled, innermost last. */
  private readonly callers: number[] = [];

  constructor(
    private readonly env: CompileEnv,
    private readonly regionNames: string[],
  ) {}

  build(body: StepSpec[], newThread = false): Program {
    this.steps(body);
    return {
      ops: this.ops,
      values: this.values,
      counterCount: this.counters,
      loopCount: this.loops,
      regionNames: this.regionNames,
      maxDepth: this.maxDepth,
      newThread,
    };
  }

  private steps(steps: StepSpec[]): void {
    for (const step of steps) this.step(step);
  }

  private step(s: StepSpec): void {
    const ops = this.ops;
    switch (s.kind) {
      case "call":
        this.call(s);
        return;
      case "work":
        ops.push({ op: Op.WORK, time: this.time(s.time) });
        return;
      case "sleep":
        ops.push({ op: Op.SLEEP, time: this.time(s.time) });
        return;
      case "loop": {
        const slot = this.loops++;
        const count = s.count === "forever" ? -1 : s.count;
        const begin: LoopBeginOp = { op: Op.LOOP_BEGIN, slot, count, end: -1 };
        const beginIndex = ops.length;
        ops.push(begin);
        this.steps(s.body);
        begin.end = ops.length;
        ops.push({ op: Op.LOOP_END, slot, count, begin: beginIndex });
        return;
      }
      case "mmap": {
        const binary = s.file === undefined ? -1 : this.binaryRef(s.file, s.at);
        const region = this.region(s.region, s.at);
        ops.push({ op: Op.MMAP, region, len: s.len, prot: s.prot, binary, pgoff: s.offset / PAGE_SIZE });
        return;
      }
      case "munmap": {
        const [from, to] = s.range ?? [0, -1];
        ops.push({ op: Op.MUNMAP, region: this.region(s.region, s.at), from, to });
        return;
      }
      case "mprotect": {
        const [from, to] = s.range ?? [0, -1];
        ops.push({ op: Op.MPROTECT, region: this.region(s.region, s.at), prot: s.prot, from, to });
        return;
      }
      case "mremap":
        ops.push({ op: Op.MREMAP, region: this.region(s.region, s.at), len: s.len, mayMove: s.mayMove });
        return;
      case "dlopen":
      case "dlclose": {
        const binary = this.binaryRef(s.path, s.at);
        if (binary === this.env.exe) throw errorAt(s.at, `cannot ${s.kind} the executable itself`);
        ops.push({ op: s.kind === "dlopen" ? Op.DLOPEN : Op.DLCLOSE, binary });
        return;
      }
      case "fork":
      case "thread": {
        // The child inherits this thread's regions, so it compiles against the same names.
        const child = new ProgramBuilder(this.env, this.regionNames).build(s.body, s.kind === "thread");
        ops.push({ op: Op.FORK, child, comm: s.comm ?? "" });
        return;
      }
      case "replay":
        this.steps(tracedSteps(s));
        return;
      case "exit":
        ops.push({ op: Op.EXIT, code: s.code });
        return;
      case "syscall":
        this.syscall(s);
        return;
      case "usdt":
        this.usdt(s);
        return;
    }
  }

  /** A site of the function this step is inside: the note of that name in that function. */
  private usdt(s: Extract<StepSpec, { kind: "usdt" }>): void {
    const probe = `${s.provider}:${s.name}`;
    const caller = this.callers[this.callers.length - 1];
    if (caller === undefined) {
      throw errorAt(s.at, `usdt ${probe} must be inside a call of the function its site is in`);
    }
    const fn = this.env.functions[caller]!;
    const binary = this.env.binaries[fn.binary]!;
    const note = binary.usdt.find(
      (u) => u.provider === s.provider && u.name === s.name && u.symbol.name === fn.name,
    );
    if (note === undefined) {
      const here = binary.usdt.filter((u) => u.symbol.name === fn.name).map((u) => `${u.provider}:${u.name}`);
      throw errorAt(
        s.at,
        `${binary.path} has no USDT site ${probe} in ${fn.name}${here.length > 0 ? ` (its sites: ${here.join(", ")})` : ""}`,
      );
    }
    const base = this.env.placement[fn.binary]!;
    const args = Int32Array.from(s.args.map((v) => this.value(v)));
    const semaphore = note.semaphore < 0 ? -1 : base + note.semaphore;
    this.ops.push({ op: Op.USDT, binary: fn.binary, addr: base + note.offset, semaphore, args });
  }

  private syscall(s: Extract<StepSpec, { kind: "syscall" }>): void {
    const nr = syscallNumber(s.name);
    if (nr < 0) {
      throw errorAt(
        s.at,
        `unknown system call "${s.name}"${didYouMean(s.name, knownSyscalls())}; the model's are ${knownSyscalls().join(", ")}`,
      );
    }
    const args = Int32Array.from(s.args.map((v) => this.value(v)));
    const value = s.ret === undefined ? -1 : this.value(s.ret);
    const time = s.time === undefined ? -1 : this.time(s.time);
    this.ops.push({ op: Op.SYSCALL, nr, args, value, time });
  }

  private call(s: Extract<StepSpec, { kind: "call" }>): void {
    const target = resolveCallTarget(this.env, s.target, s.at);
    const fn = this.env.functions[target.fn]!;
    const addr = this.env.placement[fn.binary]! + fn.offset;
    const args = Int32Array.from(s.args.map((v) => this.value(v)));
    const callIndex = this.ops.length;
    const call: CallOp = {
      op: Op.CALL,
      fn: fn.id,
      binary: fn.binary,
      offset: fn.offset,
      addr,
      args,
      ret: -1,
    };
    this.ops.push(call);
    if (target.insnOffset > 0) {
      const offset = fn.offset + target.insnOffset;
      this.ops.push({ op: Op.INSN, fn: fn.id, binary: fn.binary, offset, addr: addr + target.insnOffset });
    }
    this.maxDepth = Math.max(this.maxDepth, ++this.depth);
    this.callers.push(fn.id);
    this.steps(s.body);
    this.callers.pop();
    this.depth--;
    // Value ids for the return are taken after the body's, so the table reads in program order.
    const value = s.ret === undefined ? -1 : this.value(s.ret);
    const time = s.time === undefined ? -1 : this.time(s.time);
    call.ret = this.ops.length;
    this.ops.push({ op: Op.RET, fn: fn.id, value, time, call: callIndex });
  }

  private value(v: ValueSpec): number {
    switch (v.kind) {
      case "int":
      case "str":
      case "mem":
      case "argv":
        return this.add(Val.CONST, this.constant(v), 0, -1, null);
      case "seq":
        return this.add(Val.SEQ, v.start, v.step, this.counters++, null);
      case "pick":
        return this.add(
          Val.PICK,
          0,
          0,
          this.counters++,
          Float64Array.from(v.items.map((c) => this.constant(c))),
        );
      case "uniform":
        return this.add(Val.UNIFORM, v.lo, v.hi, -1, null);
      case "ret_of":
        return this.add(Val.RET_OF, resolveCallTarget(this.env, v.fn, v.at, false).fn, 0, -1, null);
      case "last_child":
        return this.add(Val.LAST_CHILD, 0, 0, -1, null);
      case "addr_of": {
        // A function pointer (a thread's start routine, a callback): where the function sits.
        const fn = this.env.functions[resolveCallTarget(this.env, v.fn, v.at, false).fn]!;
        return this.add(Val.CONST, this.env.placement[fn.binary]! + fn.offset, 0, -1, null);
      }
    }
  }

  private time(t: TimeSpec): number {
    switch (t.kind) {
      case "fixed":
        return this.add(Val.CONST, t.ns, 0, -1, null);
      case "uniform":
        return this.add(Val.UNIFORM, t.lo, t.hi, -1, null);
      case "lognormal":
        // The 99th percentile of a lognormal lies 2.3263 standard deviations above the median.
        return this.add(Val.LOGNORMAL, Math.log(t.median), Math.log(t.p99 / t.median) / Z_99, -1, null);
    }
  }

  private add(kind: ValKind, a: number, b: number, slot: number, items: Float64Array | null): number {
    this.values.push({ kind, a, b, slot, items });
    return this.values.length - 1;
  }

  /** Integers are themselves; strings and `mem` blocks become pointers into the heap. */
  private constant(c: ConstValueSpec): number {
    if (c.kind === "int") return c.value;
    if (c.kind === "str") return this.env.heap.placeString(c.value);
    if (c.kind === "argv") return this.env.heap.placeArgv(c.items);
    return this.env.heap.place(encodeMemBlock(c), c.width) + c.offset;
  }

  private region(name: string, at: Where): number {
    const i = this.regionNames.indexOf(name);
    if (i < 0)
      throw errorAt(
        at,
        `no mapping named "${name}"${didYouMean(name, this.regionNames)}; name one with mmap's "as"`,
      );
    return i;
  }

  private binaryRef(name: string, at: Where): number {
    return resolveBinaryRef(this.env, name, at);
  }
}

/** The calls one thread of a recorded trace made, as steps (a `replay` step). */
function tracedSteps(s: Extract<StepSpec, { kind: "replay" }>): StepSpec[] {
  let trace: ParsedTrace;
  try {
    trace = readTraceFile(s.trace);
  } catch (err) {
    if (err instanceof TraceError) throw errorAt(s.at, err.message);
    throw err;
  }
  const thread = trace.threads.find((t) => t.tid === s.tid);
  if (thread === undefined) {
    const tids = trace.threads.map((t) => t.tid).join(", ");
    throw errorAt(s.at, `${s.trace} has no thread ${s.tid}; its threads are ${tids}`);
  }
  return replaySteps(thread, s.at);
}

function collectRegions(body: StepSpec[]): string[] {
  const names: string[] = [];
  const visit = (steps: StepSpec[]): void => {
    for (const s of steps) {
      if (s.kind === "mmap" && !names.includes(s.region)) names.push(s.region);
      visit(nestedSteps(s));
    }
  };
  visit(body);
  return names;
}

/** A binary named by path, file name or library name (`libc`), which must be unambiguous. */
export function resolveBinaryRef(env: Pick<CompileEnv, "binaries" | "cwd">, name: string, at: Where): number {
  const found = resolveTarget(env.binaries, env.cwd, name);
  if (found.length === 1) return found[0]!.index;
  if (found.length > 1) {
    throw errorAt(
      at,
      `"${name}" could be any of ${found.map((b) => b.path).join(", ")}; write the full path`,
    );
  }
  const names = env.binaries.flatMap((b) => [b.path, b.basename]);
  throw errorAt(
    at,
    `unknown binary "${name}"${didYouMean(name, names)}; binaries are listed under "binaries"`,
  );
}

export interface CallTarget {
  fn: number;
  /** Bytes into the function for `FN+OFF`, 0 otherwise. */
  insnOffset: number;
}

/**
 * `FN`, `FN+OFF`, `BINARY:FN` or `BINARY:FN+OFF`. An unqualified name is looked up in the
 * executable, then the libraries in order, then libraries that are only dlopen'ed, the way
 * the dynamic linker's search order would find it.
 */
export function resolveCallTarget(env: CompileEnv, text: string, at: Where, allowOffset = true): CallTarget {
  const colon = text.lastIndexOf(":");
  const binaryPart = colon >= 0 ? text.slice(0, colon) : undefined;
  let fnPart = colon >= 0 ? text.slice(colon + 1) : text;
  let insnOffset = 0;
  const plus = fnPart.indexOf("+");
  if (plus >= 0) {
    if (!allowOffset) throw errorAt(at, `"${text}": a function name here, without +OFFSET`);
    const off = /^(0x[0-9a-fA-F]+|\d+)$/.exec(fnPart.slice(plus + 1));
    if (!off) throw errorAt(at, `bad offset in "${text}": write FN+16 or FN+0x10`);
    insnOffset = Number(off[1]);
    fnPart = fnPart.slice(0, plus);
  }
  const candidates =
    binaryPart === undefined || binaryPart === "" ? env.searchOrder : [resolveBinaryRef(env, binaryPart, at)];
  for (const b of candidates) {
    const id = env.functionIds[b]!.get(fnPart);
    if (id === undefined) continue;
    const fn = env.functions[id]!;
    if (insnOffset >= fn.size) {
      throw errorAt(at, `offset ${insnOffset} is outside function "${fn.name}" (size ${fn.size})`);
    }
    if (!env.mappable.has(b)) {
      const path = env.binaries[b]!.path;
      throw errorAt(
        at,
        `"${fnPart}" is in ${path}, which is never mapped: add it to process.libs or dlopen it`,
      );
    }
    return { fn: id, insnOffset };
  }
  const names = candidates.flatMap((b) => env.binaries[b]!.symbols.map((s) => s.name));
  const where = binaryPart ? ` in ${env.binaries[candidates[0]!]!.path}` : "";
  throw errorAt(at, `unknown function "${fnPart}"${where}${didYouMean(fnPart, names)}`);
}

/** Builds the function table: every symbol of every binary, in binary then file order. */
export function functionTable(binaries: Binary[]): {
  functions: FunctionRef[];
  functionIds: Map<string, number>[];
} {
  const functions: FunctionRef[] = [];
  const functionIds = binaries.map((b) => {
    const ids = new Map<string, number>();
    for (const s of b.symbols) {
      ids.set(s.name, functions.length);
      functions.push({ id: functions.length, binary: b.index, name: s.name, offset: s.offset, size: s.size });
    }
    return ids;
  });
  return { functions, functionIds };
}
