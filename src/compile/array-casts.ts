/**
 * Casts to and from C arrays, as bpftrace compiles them: the operand's bytes reinterpreted.
 * `(int8[8])12345` stores the integer little-endian (x86-64) and reads the bytes back as
 * elements; `(int8[])"hi"` takes a string's bytes, NUL padding included; `(uint32)a` reads
 * an array's bytes back as one integer.
 */

import { type ArrayType, sizeOf, type Type } from "../lang/types.js";
import { type Int, toBig } from "../runtime/int64.js";
import type { Value } from "../runtime/types.js";
import { decoderFor } from "./memory-reads.js";

/** The cast of a value of type `from` to the array type `to` (sizes checked by the checker). */
export function toArray(from: Type, to: ArrayType): (v: Value) => Value {
  const size = sizeOf(to);
  const decode = decoderFor(to);
  const bytes = bytesOf(from, size);
  return (v) => decode(bytes(v), 0);
}

/** The cast of an array of type `from` to the integer type `to` of the same size. */
export function fromArray(from: ArrayType, to: Type): (v: Value) => Value {
  const decode = decoderFor(to);
  const bytes = arrayBytes(from);
  return (v) => decode(bytes(v), 0);
}

/** The bytes an integer or bool array occupies in C memory (what ntop() reads an address from). */
export function arrayBytes(t: ArrayType): (v: Value) => Uint8Array {
  const size = sizeOf(t);
  const stride = sizeOf(t.element);
  return (v) => {
    const out = new Uint8Array(size);
    const items = v as readonly Value[];
    for (let i = 0; i < items.length; i++) writeInt(out, i * stride, stride, toInt(items[i]!));
    return out;
  };
}

/** The `size` bytes a value of type `from` occupies (an integer widened, a string NUL-padded). */
function bytesOf(from: Type, size: number): (v: Value) => Uint8Array {
  if (from.kind === "string") {
    return (v) => {
      const out = new Uint8Array(size);
      const s = v as string;
      for (let i = 0; i < s.length && i < size; i++) out[i] = s.charCodeAt(i) & 0xff;
      return out;
    };
  }
  return (v) => {
    const out = new Uint8Array(size);
    writeInt(out, 0, size, toInt(v));
    return out;
  };
}

function toInt(v: Value): Int {
  return typeof v === "boolean" ? (v ? 1 : 0) : (v as Int);
}

/** `n` little-endian two's-complement bytes of `v` at `at`. */
function writeInt(out: Uint8Array, at: number, n: number, v: Int): void {
  let x = BigInt.asUintN(n * 8, toBig(v));
  for (let i = 0; i < n; i++) {
    out[at + i] = Number(x & 0xffn);
    x >>= 8n;
  }
}
