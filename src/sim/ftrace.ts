/**
 * Function entry hooks: what makes the model's kernel functions traceable.
 *
 * A function that kprobes, kretprobes, fentry and fexit may attach to declares itself once,
 * next to its definition, with `traceable(name, ret, args)` (its C signature, as BTF would
 * describe it), and starts with one guarded line:
 *
 *   if (h.armed[FN] !== 0 && h.enter(FN)) return h.exit(FN, h.entry(FN, a0, a1), yield* fn(...));
 *
 * Unarmed, that is one typed-array load per call. Armed, the outer call runs the entry side
 * (`entry`: the kprobe handlers, a kretprobe instance), then calls the function again: `entry`
 * leaves a one-shot bypass mark that the inner call's own guard consumes, so the body runs
 * once, and `exit` runs the return side with the body's result. No wrapper function and no
 * closure exist per call, and the body stays where it was.
 *
 * A resumable function (a plain one that returns PENDING and is called again until it
 * answers, see sim/machine.ts) has no inner call to bypass: it calls `open` when it begins,
 * keeps the token in its task's frame, and hands it to `exit` with its answer. A function
 * that was not armed when it began keeps UNTRACED and is not traced on its way out.
 *
 * The dispatch behind `entry`/`exit` is the kernel's (src/kernel/kprobes): this layer only
 * holds the switchboard, because some traceable functions (synchronize_srcu) live in src/sim.
 */
import type { Cpu, Task } from "./machine.js";

/**
 * The scheduler's tracepoints (sched_switch, sched_wakeup, sched_wakeup_new). The machine
 * calls them only while `Machine.sched` is set, which the kernel does while one is attached.
 */
export interface SchedHooks {
  /** `cpu` switches to `next` (it is the running task; the hook knows who ran before). */
  sched_switch(cpu: Cpu, next: Task): void;
  /** `task` became runnable: woken, or (`isNew`) just created. */
  sched_wakeup(task: Task, isNew: boolean): void;
}

/** One argument of a traceable function: its C type and name. */
export interface TraceableArg {
  name: string;
  type: string;
}

/** A kernel function of the model that probes may attach to. */
export interface TraceableFunction {
  id: number;
  name: string;
  /** Return type, "void" when none; pointers print as `struct x *`. */
  ret: string;
  args: readonly TraceableArg[];
}

/** Capacity of the hook arrays; `traceable` fails past it. */
export const MAX_TRACEABLE = 64;

const REGISTRY: TraceableFunction[] = [];
const BY_NAME = new Map<string, TraceableFunction>();

/**
 * Declares a traceable function, once, at module load. The args are "type name" strings
 * (`"unsigned long bp_vaddr"`); the last word is the name.
 */
export function traceable(name: string, ret: string, args: readonly string[] = []): number {
  if (BY_NAME.has(name)) throw new Error(`traceable function ${name} declared twice`);
  if (REGISTRY.length >= MAX_TRACEABLE) throw new Error(`more than ${MAX_TRACEABLE} traceable functions`);
  const fn: TraceableFunction = { id: REGISTRY.length, name, ret, args: args.map(splitArg) };
  REGISTRY.push(fn);
  BY_NAME.set(name, fn);
  return fn.id;
}

function splitArg(decl: string): TraceableArg {
  const at = decl.search(/[A-Za-z_0-9]+$/);
  return { name: decl.slice(at), type: decl.slice(0, at).trim() };
}

/** Every traceable function, in declaration order (ids are indexes). */
export function traceableFunctions(): readonly TraceableFunction[] {
  return REGISTRY;
}

export function traceableByName(name: string): TraceableFunction | undefined {
  return BY_NAME.get(name);
}

/** What runs at an armed function's entry and return (the kprobes side implements it). */
export interface FunctionDispatch {
  /** The entry side; returns a token for `exit` (a kretprobe instance slot, or -1). */
  entry(fn: number, a0: number, a1: number): number;
  /** The return side, with the function's result. */
  exit(fn: number, token: number, result: unknown): void;
}

/** The kernel call path of one task: ids of the traceable functions it is inside, innermost last. */
export interface KernelFrames {
  ids: Int32Array;
  depth: number;
}

const MAX_KERNEL_DEPTH = 32;

/** The token of a resumable function that was not armed when it began. */
export const UNTRACED = -2;

/** One machine's switchboard: which functions are armed, and who handles them. */
export class FunctionHooks {
  /** Per function id: non-zero when the entry hook must run. */
  readonly armed = new Uint8Array(MAX_TRACEABLE);
  dispatch: FunctionDispatch | null = null;
  /** When on, every function is armed so that each task's kernel frames are kept (kstack). */
  private framesOn = false;
  private readonly frames = new Map<Task, KernelFrames>();
  private bypass = -1;
  /** Functions some probe is attached to (the rest are armed only for frames). */
  private readonly probed = new Uint8Array(MAX_TRACEABLE);

  constructor(private readonly current: () => Task | null) {}

  /** False exactly once after `entry`: the re-entered call runs its body. */
  enter(fn: number): boolean {
    if (this.bypass !== fn) return true;
    this.bypass = -1;
    return false;
  }

  entry(fn: number, a0 = 0, a1 = 0): number {
    const token = this.open(fn, a0, a1);
    this.bypass = fn;
    return token;
  }

  /** The entry side of a resumable function: `entry` without the bypass mark. */
  open(fn: number, a0 = 0, a1 = 0): number {
    if (this.framesOn) this.push(fn);
    return this.probed[fn] !== 0 && this.dispatch !== null ? this.dispatch.entry(fn, a0, a1) : -1;
  }

  exit<T>(fn: number, token: number, result: T): T {
    if (this.framesOn) this.pop();
    if (this.probed[fn] !== 0 && this.dispatch !== null) this.dispatch.exit(fn, token, result);
    return result;
  }

  /** A probe on `fn` was added (+1) or removed (-1). */
  setProbed(fn: number, probed: boolean): void {
    this.probed[fn] = probed ? 1 : 0;
    this.rearm();
  }

  /** Keep kernel frames for kstack (while any kernel-stack reader is attached). */
  setFrames(on: boolean): void {
    this.framesOn = on;
    if (!on) this.frames.clear();
    this.rearm();
  }

  private rearm(): void {
    for (let i = 0; i < MAX_TRACEABLE; i++) this.armed[i] = this.framesOn || this.probed[i] !== 0 ? 1 : 0;
  }

  /** The kernel frames of `task` (empty when frames are off or it is in no traced function). */
  framesOf(task: Task | null): KernelFrames | null {
    return task === null ? null : (this.frames.get(task) ?? null);
  }

  private push(fn: number): void {
    const task = this.current();
    if (task === null) return;
    let f = this.frames.get(task);
    if (f === undefined) {
      f = { ids: new Int32Array(MAX_KERNEL_DEPTH), depth: 0 };
      this.frames.set(task, f);
    }
    if (f.depth < MAX_KERNEL_DEPTH) f.ids[f.depth] = fn;
    f.depth++;
  }

  private pop(): void {
    const task = this.current();
    const f = task === null ? undefined : this.frames.get(task);
    if (f !== undefined && f.depth > 0) f.depth--;
  }
}
