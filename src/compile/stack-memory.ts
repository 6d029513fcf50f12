/**
 * The BPF program's own stack, where bpftrace keeps scratch variables: `&$x` is an address on
 * it, and a read through that address (`*$p`, `((struct S *)&$x)->f`, a byte at a time with an
 * `int8 *`) sees the variable's current value, laid out as C lays its type out (little-endian
 * integers, NUL-padded strings, tuples and records as structs of their elements).
 *
 * The stack lives at model addresses of its own, above every process and task_struct address
 * and below 2^53, so an address is still a plain number. Each variable has a 1 MiB slot, and
 * only that much of a larger one (a string of a huge max_strlen) can be read through a pointer.
 *
 * Just below it is the program's context, what `ctx` points to: x86-64's struct pt_regs filled
 * from the hit's registers (the argument registers, ax, ip and sp; the model keeps no others,
 * which read as zero), as a kprobe or uprobe program sees it. A sampling program's
 * bpf_perf_event_data starts with the same registers.
 */

import type { Type } from "../lang/types.js";
import { elementOffsets, elementsOf, sizeOf } from "../lang/types.js";
import type { Value } from "../runtime/types.js";
import type { HitContext } from "./context.js";

export const STACK_BASE = 0x1f000000000000;
const SLOT_SHIFT = 20;
const SLOT_SIZE = 1 << SLOT_SHIFT;
const CONTEXT = STACK_BASE - SLOT_SIZE;

/** struct pt_regs: 21 registers of 8 bytes; where the ones the model keeps lie. */
const PT_REGS_SIZE = 21 * 8;
const PT_REGS = { r9: 64, r8: 72, ax: 80, cx: 88, dx: 96, si: 104, di: 112, ip: 128, sp: 152 };
/** The argument registers in order: di, si, dx, cx, r8, r9. */
const ARG_OFFSETS = [PT_REGS.di, PT_REGS.si, PT_REGS.dx, PT_REGS.cx, PT_REGS.r8, PT_REGS.r9];
/** bpf_perf_event_data: the registers, then sample_period and addr. */
const CONTEXT_SIZE = PT_REGS_SIZE + 16;

export class ProgramStack {
  /** The type of each variable whose address the program takes, by slot. */
  private readonly types: (Type | undefined)[] = [];
  /** Per slot, the buffer its bytes are laid out in (reused by every read). */
  private readonly buffers: (Uint8Array | undefined)[] = [];

  /** The context's bytes, rebuilt at each read through `ctx`. */
  private readonly context = new Uint8Array(CONTEXT_SIZE);

  constructor(private readonly locals: Value[]) {}

  /** `&$x` of the variable in `slot`, of type `t`. */
  addressOf(slot: number, t: Type): number {
    this.types[slot] = t;
    return STACK_BASE + slot * SLOT_SIZE;
  }

  /** `ctx`: the program's context. */
  contextAddress(): number {
    return CONTEXT;
  }

  contains(addr: number): boolean {
    return addr >= CONTEXT && addr < STACK_BASE + this.types.length * SLOT_SIZE;
  }

  /** `len` bytes at `addr` during the hit `ctx`, or null where nothing lies (as a failed probe read). */
  readBytes(ctx: HitContext, addr: number, len: number): Uint8Array | null {
    if (addr < STACK_BASE) return contextBytes(ctx, addr - CONTEXT, len, this.context);
    const slot = Math.floor((addr - STACK_BASE) / SLOT_SIZE);
    const at = addr - STACK_BASE - slot * SLOT_SIZE;
    const t = this.types[slot];
    if (t === undefined) return null;
    // Writes past the buffer's end are dropped: a slot lays out at most SLOT_SIZE bytes.
    const size = Math.min(sizeOf(t), SLOT_SIZE);
    if (at + len > size) return null;
    let buf = this.buffers[slot];
    if (buf === undefined) this.buffers[slot] = buf = new Uint8Array(size);
    buf.fill(0);
    encode(this.locals[slot]!, t, buf, 0);
    return buf.subarray(at, at + len);
  }
}

/** The context's bytes: the hit's registers where pt_regs keeps them. */
function contextBytes(ctx: HitContext, at: number, len: number, out: Uint8Array): Uint8Array | null {
  if (at + len > CONTEXT_SIZE) return null;
  out.fill(0);
  for (let i = 0; i < ARG_OFFSETS.length; i++) writeInt(ctx.args[i] ?? 0, 8, out, ARG_OFFSETS[i]!);
  writeInt(ctx.retval, 8, out, PT_REGS.ax);
  writeInt(ctx.ip, 8, out, PT_REGS.ip);
  writeInt(ctx.sp, 8, out, PT_REGS.sp);
  return out.subarray(at, at + len);
}

/** Lays `v` of type `t` out at `at` in `out` (which is zeroed). */
function encode(v: Value, t: Type, out: Uint8Array, at: number): void {
  switch (t.kind) {
    case "int":
    case "pointer":
      writeInt(v, t.kind === "int" ? t.bits / 8 : 8, out, at);
      return;
    case "bool":
      out[at] = v === true || (typeof v === "number" && v !== 0) ? 1 : 0;
      return;
    case "string": {
      const s = typeof v === "string" ? v : "";
      const n = Math.min(s.length, t.size - 1);
      for (let i = 0; i < n; i++) out[at + i] = s.charCodeAt(i) & 0xff;
      return;
    }
    case "tuple":
    case "record": {
      const values =
        t.kind === "tuple" ? (v as readonly Value[]) : (v as { record: readonly Value[] }).record;
      const offsets = elementOffsets(t);
      const elements = elementsOf(t);
      for (let i = 0; i < elements.length; i++) encode(values[i]!, elements[i]!, out, at + offsets[i]!);
      return;
    }
    case "array": {
      const values = v as readonly Value[];
      const stride = sizeOf(t.element);
      for (let i = 0; i < t.length; i++) encode(values[i]!, t.element, out, at + i * stride);
      return;
    }
    case "struct": {
      const values = (v as { record: readonly Value[] }).record;
      t.fields.forEach((f, i) => {
        if (f.bitfield === undefined) encode(values[i]!, f.type, out, at + f.offset);
      });
      return;
    }
    default:
      return;
  }
}

/** A two's-complement integer of `bytes` bytes, little-endian. */
function writeInt(v: Value, bytes: number, out: Uint8Array, at: number): void {
  let n = BigInt.asUintN(
    bytes * 8,
    typeof v === "bigint" ? v : BigInt(typeof v === "number" ? v : v ? 1 : 0),
  );
  for (let i = 0; i < bytes; i++) {
    out[at + i] = Number(n & 0xffn);
    n >>= 8n;
  }
}
