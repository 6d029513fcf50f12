/**
 * kprobes and kretprobes on the model's own kernel functions (kernel/kprobes.c,
 * arch/x86/kernel/kprobes/core.c, kernel/trace/rethook.c).
 *
 * Every traceable function (src/sim/ftrace.ts) has a kallsyms address. register_kprobe puts a
 * kprobe in kprobe_table, hashed by that address, and arms the function's entry hook; an armed
 * entry is the int3 (or, for an optimised kprobe, the jump) that lands in
 * kprobe_int3_handler, which finds the probes at the address with get_kprobe and runs their
 * pre_handlers. A kretprobe is a kprobe whose pre_handler takes a kretprobe_instance from the
 * kretprobe's own pool of `maxactive` instances (none free: the hit is missed, as in Linux)
 * and hooks the function's return, where the trampoline hands the instance and the return
 * value to the kretprobe's handler and puts the instance back.
 *
 * Hits run synchronously inside the traced function's step: a kprobe handler may not sleep.
 */
import type { FunctionDispatch, FunctionHooks, KernelFrames } from "../../sim/ftrace.js";
import { traceableByName, traceableFunctions } from "../../sim/ftrace.js";
import type { Machine } from "../../sim/machine.js";
import type { KernelConfig } from "../config.js";
// The modules that declare traceable functions, so that every one is registered (and listed)
// whichever part of the kernel the caller imported first.
import "../../sim/sync/srcu.js";
import "../mm/mm-struct.js";
import "../mm/vma-lock.js";
import "../uprobes/register.js";
import "../uprobes/swbp.js";
import "../uprobes/tree.js";
import "../fs/read-write.js";

/** Where the model's kernel text starts, and the distance between two functions' symbols. */
const KERNEL_TEXT = 0xffffffff81000000;
const SYMBOL_STRIDE = 0x1000;

/** kallsyms: the address of a traceable function (exact as a double: multiples of 4096). */
export function kallsyms_lookup_name(name: string): number {
  const fn = traceableByName(name);
  return fn === undefined ? 0 : KERNEL_TEXT + fn.id * SYMBOL_STRIDE;
}

/** kallsyms the other way: the name of the function whose symbol is at `addr`, or null. */
export function kallsyms_name(addr: number): string | null {
  const id = functionAt(addr);
  return id < 0 ? null : traceableFunctions()[id]!.name;
}

/** The function whose text holds `addr` (each symbol's text runs up to the next), or null. */
export function kallsyms_lookup(addr: number): string | null {
  return kallsyms_name(KERNEL_TEXT + Math.floor((addr - KERNEL_TEXT) / SYMBOL_STRIDE) * SYMBOL_STRIDE);
}

/** Kernel frame addresses of a task's traced call path, innermost first (what kstack unwinds). */
export function kernel_stack(frames: KernelFrames | null, limit: number): number[] {
  const out: number[] = [];
  if (frames === null) return out;
  for (let i = Math.min(frames.depth, frames.ids.length) - 1; i >= 0 && out.length < limit; i--)
    out.push(KERNEL_TEXT + frames.ids[i] * SYMBOL_STRIDE);
  return out;
}

/** The function whose symbol is at `addr`, or -1. */
function functionAt(addr: number): number {
  const id = (addr - KERNEL_TEXT) / SYMBOL_STRIDE;
  return Number.isInteger(id) && id >= 0 && id < traceableFunctions().length ? id : -1;
}

export type KprobePreHandler = (p: Kprobe, a0: number, a1: number) => void;

export const KPROBE_FLAG_OPTIMIZED = 4;

export interface Kprobe {
  symbol_name: string;
  /** Set by register_kprobe. */
  addr: number;
  pre_handler: KprobePreHandler | null;
  flags: number;
  /** Hits that could not be handled (a kretprobe with no free instance). */
  nmissed: number;
}

export interface KretprobeInstance {
  rp: Kretprobe;
  /** Entry time, for the entry-to-return latency. */
  entry_ns: number;
  /** The call's first two arguments, for a return handler that reads them (fexit's args). */
  a0: number;
  a1: number;
  /** The next instance of the same call (several kretprobes on one function), or -1. */
  next: number;
  /** This instance's slot in KprobesState.instances. */
  readonly slot: number;
}

export interface Kretprobe {
  kp: Kprobe;
  handler: (ri: KretprobeInstance, retval: number) => void;
  entry_handler: ((ri: KretprobeInstance) => void) | null;
  maxactive: number;
  /** Free instance slots. */
  free: number[];
  registered: boolean;
}

export class KprobeError extends Error {}

export function newKprobe(symbol_name: string, pre_handler: KprobePreHandler | null): Kprobe {
  return { symbol_name, addr: 0, pre_handler, flags: 0, nmissed: 0 };
}

/** The state of kernel/kprobes.c: the probe table and the kretprobe instances. */
export class KprobesState implements FunctionDispatch {
  /** kprobe_table: the probes at each address (Linux hashes addresses into 64 hlists). */
  readonly kprobe_table = new Map<number, Kprobe[]>();
  /** Every kretprobe_instance ever pooled, by slot; the token a return carries is a slot. */
  readonly instances: KretprobeInstance[] = [];
  readonly stats = { hits: 0, missed: 0, returns: 0 };
  /** The chain of instances the current entry's kretprobes took (-1: none). */
  private chain = -1;
  private readonly hooks: FunctionHooks;

  constructor(
    readonly m: Machine,
    readonly config: KernelConfig,
  ) {
    this.hooks = m.ftrace;
    this.hooks.dispatch = this;
  }

  /** An armed entry: the trap (or jump), then kprobe_int3_handler. Returns the kretprobe chain. */
  entry(fn: number, a0: number, a1: number): number {
    const m = this.m;
    m.cost(this.config.kprobes === "optimized" ? m.profile.kprobeJump : m.profile.kprobeTrap);
    this.chain = -1;
    kprobe_int3_handler(this, KERNEL_TEXT + fn * SYMBOL_STRIDE, a0, a1);
    return this.chain;
  }

  /** The return of a call whose entry took kretprobe instances: the trampoline. */
  exit(fn: number, token: number, result: unknown): void {
    if (token < 0) return;
    trampoline_handler(this, token, retvalOf(fn, result));
  }

  /** Called by pre_handler_kretprobe: link an instance into the current call's chain. */
  linkInstance(ri: KretprobeInstance): void {
    ri.next = this.chain;
    this.chain = ri.slot;
  }
}

/** register_kprobe: resolve the symbol, add the probe at its address, arm the entry. */
export function register_kprobe(kps: KprobesState, p: Kprobe): void {
  const addr = kallsyms_lookup_name(p.symbol_name);
  if (addr === 0) throw new KprobeError(`kprobe: could not find symbol ${p.symbol_name}`);
  p.addr = addr;
  if (kps.config.kprobes === "optimized") p.flags |= KPROBE_FLAG_OPTIMIZED;
  const list = kps.kprobe_table.get(addr);
  // add_new_kprobe links a probe at the head of the aggregated list: the newest runs first.
  if (list === undefined) kps.kprobe_table.set(addr, [p]);
  else list.unshift(p);
  kps.m.ftrace.setProbed(functionAt(addr), true);
}

/** unregister_kprobe: remove the probe; the entry is disarmed when its address has none left. */
export function unregister_kprobe(kps: KprobesState, p: Kprobe): void {
  const list = kps.kprobe_table.get(p.addr);
  if (list === undefined) return;
  const i = list.indexOf(p);
  if (i >= 0) list.splice(i, 1);
  if (list.length > 0) return;
  kps.kprobe_table.delete(p.addr);
  kps.m.ftrace.setProbed(functionAt(p.addr), false);
}

/** get_kprobe: the probes at `addr` (a hash-bucket walk), or undefined. */
export function get_kprobe(kps: KprobesState, addr: number): Kprobe[] | undefined {
  const m = kps.m;
  m.cost(m.profile.cacheHit * 2);
  return kps.kprobe_table.get(addr);
}

/** kprobe_int3_handler: run every pre_handler of the probes at the trapped address. */
export function kprobe_int3_handler(kps: KprobesState, addr: number, a0: number, a1: number): void {
  const list = get_kprobe(kps, addr);
  if (list === undefined) return;
  kps.stats.hits++;
  for (let i = 0; i < list.length; i++) {
    const p = list[i];
    if (p.pre_handler !== null) p.pre_handler(p, a0, a1);
  }
}

/** register_kretprobe: pool `maxactive` instances (Linux's default: max(10, 2 * CPUs)). */
export function register_kretprobe(kps: KprobesState, rp: Kretprobe): void {
  if (rp.maxactive <= 0) rp.maxactive = Math.max(10, 2 * kps.m.cpus.length);
  for (let i = 0; i < rp.maxactive; i++) {
    const slot = kps.instances.length;
    kps.instances.push({ rp, entry_ns: 0, a0: 0, a1: 0, next: -1, slot });
    rp.free.push(slot);
  }
  rp.kp.pre_handler = (_p, a0, a1) => pre_handler_kretprobe(kps, rp, a0, a1);
  rp.registered = true;
  register_kprobe(kps, rp.kp);
}

/** unregister_kretprobe: instances still out come back to a pool nobody uses again. */
export function unregister_kretprobe(kps: KprobesState, rp: Kretprobe): void {
  rp.registered = false;
  unregister_kprobe(kps, rp.kp);
}

export function newKretprobe(
  symbol_name: string,
  handler: Kretprobe["handler"],
  entry_handler: Kretprobe["entry_handler"] = null,
): Kretprobe {
  return {
    kp: newKprobe(symbol_name, null),
    handler,
    entry_handler,
    maxactive: 0,
    free: [],
    registered: false,
  };
}

/** pre_handler_kretprobe: take an instance for this call, or count a miss. */
function pre_handler_kretprobe(kps: KprobesState, rp: Kretprobe, a0: number, a1: number): void {
  const slot = rp.free.pop();
  if (slot === undefined) {
    rp.kp.nmissed++;
    kps.stats.missed++;
    return;
  }
  const ri = kps.instances[slot];
  ri.entry_ns = kps.m.now();
  ri.a0 = a0;
  ri.a1 = a1;
  if (rp.entry_handler !== null) rp.entry_handler(ri);
  kps.linkInstance(ri);
}

/** trampoline_handler: each instance of the returning call to its handler, then back to its pool. */
function trampoline_handler(kps: KprobesState, first: number, retval: number): void {
  const m = kps.m;
  m.cost(m.profile.kretprobeReturn);
  kps.stats.returns++;
  for (let slot = first; slot >= 0; ) {
    const ri = kps.instances[slot];
    slot = ri.next;
    if (ri.rp.registered) ri.rp.handler(ri, retval);
    ri.rp.free.push(ri.slot);
  }
}

/**
 * The return register as a probe sees it. A pointer is an opaque non-zero handle (the object's
 * id, or 1) and NULL is 0; booleans are 1 and 0; void is 0.
 */
function retvalOf(fn: number, result: unknown): number {
  const ret = traceableFunctions()[fn]?.ret ?? "void";
  if (ret === "void" || result === null || result === undefined) return 0;
  if (typeof result === "number") return result;
  if (typeof result === "boolean") return result ? 1 : 0;
  const id = (result as { id?: unknown }).id;
  return typeof id === "number" && id > 0 ? id : 1;
}
