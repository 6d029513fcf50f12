/**
 * Reading C values out of the traced process's memory, as bpf_probe_read_user does for a
 * `p->field` or a `*p`: the bytes at an address, decoded little-endian (x86-64) by the C type
 * the checker resolved. A read the process cannot satisfy (unmapped address, a bigint
 * address, no process at all) yields the type's zero, as a failed probe read leaves a zeroed
 * buffer behind.
 */

import type { Bitfield, Type } from "../lang/types.js";
import { elementOffsets, elementsOf, sizeOf } from "../lang/types.js";
import { cast, type Int } from "../runtime/int64.js";
import type { Value } from "../runtime/types.js";
import { makeRecord, zeroValue } from "../runtime/values.js";
import type { HitContext } from "./context.js";
import { CompileError } from "./env.js";
import type { ProgramStack } from "./stack-memory.js";
import type { SymbolNames } from "./value-types.js";
import { toValueType } from "./value-types.js";

/** Decodes one value of a fixed C type from `bytes` at byte offset `at`. */
export type Decode = (bytes: Uint8Array, at: number) => Value;

const TWO_32 = 4294967296;

function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

/** A 64-bit integer: a plain number while it is a safe integer, else a bigint. */
function int64(b: Uint8Array, at: number, signed: boolean): Int {
  const lo = u32(b, at);
  const hi = u32(b, at + 4);
  if (hi < 0x200000) return hi * TWO_32 + lo;
  if (signed && hi > 0xffe00000) return (hi - TWO_32) * TWO_32 + lo;
  return cast((BigInt(hi) << 32n) | BigInt(lo), 64, signed);
}

function intDecoder(bits: number, signed: boolean): Decode {
  switch (bits) {
    case 8:
      return signed ? (b, at) => (b[at]! << 24) >> 24 : (b, at) => b[at]!;
    case 16:
      return signed
        ? (b, at) => ((b[at]! | (b[at + 1]! << 8)) << 16) >> 16
        : (b, at) => b[at]! | (b[at + 1]! << 8);
    case 32:
      return signed ? (b, at) => u32(b, at) | 0 : u32;
    default:
      return (b, at) => int64(b, at, signed);
  }
}

/**
 * A bitfield's value: `bytes` bytes from `at` (little-endian), shifted and masked, as
 * bpftrace extracts one (no sign extension).
 */
function bitfieldDecoder(t: Type, bf: Bitfield): Decode {
  const bool = t.kind === "bool";
  const bits = t.kind === "int" ? t.bits : 8;
  const mask = (1n << BigInt(bf.bits)) - 1n;
  const shift = BigInt(bf.shift);
  const signed = t.kind === "int" && t.signed;
  return (b, at) => {
    let v = 0n;
    for (let i = bf.bytes - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[at + i]!);
    const field = (v >> shift) & mask;
    return bool ? field !== 0n : cast(field, bits, signed);
  };
}

/** The decoder of a C type; structs decode member by member into a record. */
export function decoderFor(t: Type): Decode {
  switch (t.kind) {
    case "int":
      return intDecoder(t.bits, t.signed);
    case "bool":
      return (b, at) => b[at] !== 0;
    case "pointer":
      return (b, at) => int64(b, at, false);
    case "string": {
      // A char array: its bytes up to the first NUL (or all of them).
      const size = t.size;
      return (b, at) => {
        let s = "";
        for (let i = at; i < at + size && b[i] !== 0; i++) s += String.fromCharCode(b[i]!);
        return s;
      };
    }
    case "array": {
      const element = decoderFor(t.element);
      const stride = sizeOf(t.element);
      const n = t.length;
      return (b, at) => {
        const values = new Array<Value>(n);
        for (let i = 0; i < n; i++) values[i] = element(b, at + i * stride);
        return values;
      };
    }
    case "struct": {
      const members = t.fields.map((f) => ({
        offset: f.offset,
        decode: f.bitfield ? bitfieldDecoder(f.type, f.bitfield) : decoderFor(f.type),
      }));
      const n = members.length;
      return (b, at) => {
        const values = new Array<Value>(n);
        for (let i = 0; i < n; i++) values[i] = members[i]!.decode(b, at + members[i]!.offset);
        return makeRecord(values);
      };
    }
    case "tuple":
    case "record": {
      // A tuple on the program's stack (`*&$t`): a C struct of its elements.
      const offsets = elementOffsets(t);
      const elements = elementsOf(t).map(decoderFor);
      const n = elements.length;
      const record = t.kind === "record";
      return (b, at) => {
        const values = new Array<Value>(n);
        for (let i = 0; i < n; i++) values[i] = elements[i]!(b, at + offsets[i]!);
        return record ? makeRecord(values) : values;
      };
    }
    default:
      throw new CompileError(`cannot read a value of type '${t.kind}' from memory`);
  }
}

/** An address a read can use, or -1 (negative or beyond what a number holds exactly). */
function address(v: Int): number {
  return typeof v === "number" && v >= 0 ? v : -1;
}

/**
 * A reader of values of type `t` (or of a bitfield of that type) at `base + offset` in the
 * hit's process. Everything that depends only on the type (size, decoder, zero value) is
 * settled here, once.
 */
export function memoryReader(
  t: Type,
  offset: number,
  symbols: SymbolNames,
  stack: ProgramStack,
  bitfield?: Bitfield,
): (ctx: HitContext, base: Int) => Value {
  const size = bitfield ? bitfield.bytes : sizeOf(t);
  const decode = bitfield ? bitfieldDecoder(t, bitfield) : decoderFor(t);
  const zero = zeroValue(toValueType(t, symbols));
  return (ctx, base) => {
    const addr = address(base);
    if (addr < 0) return zero;
    // The program's own stack (`&$x`) first, then the traced process.
    const bytes = stack.contains(addr)
      ? stack.readBytes(ctx, addr + offset, size)
      : ctx.memory.readBytes(addr + offset, size);
    if (bytes == null || bytes.length < size) return zero;
    return decode(bytes, 0);
  };
}
