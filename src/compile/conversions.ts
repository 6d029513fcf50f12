/**
 * Conversions decided at compile time from the checked types: truth tests, implicit integer
 * conversions on stores (a value written into a narrower or differently signed slot wraps
 * as in C), and equality. Each returns a small specialised function, or null when the value
 * passes through unchanged, so the hot path never inspects types.
 */

import type { Type } from "../lang/types.js";
import { cast, compare, type Int, isZero } from "../runtime/int64.js";
import type { RecordValue, Value } from "../runtime/types.js";

export type Convert = (v: Value) => Value;

/** The truth test of a value of type `t` (conditions, predicates, `!`, `&&`, `||`). */
export function truthTest(t: Type): (v: Value) => boolean {
  switch (t.kind) {
    case "bool":
      return (v) => v === true;
    case "string":
      return (v) => (v as string).length > 0;
    case "tuple":
    case "array":
    case "record":
    case "struct":
    case "ustack":
    case "buffer":
      return () => true;
    default:
      return (v) => (typeof v === "boolean" ? v : !isZero(v as Int));
  }
}

/** True for the unsigned 64-bit types (addresses included), which make C comparisons unsigned. */
export function isU64(t: Type): boolean {
  return (t.kind === "int" && t.bits === 64 && !t.signed) || t.kind === "count" || t.kind === "pointer";
}

/** Whether an integer of type `from` is already a valid value of type `to`. */
function intFits(from: Type, to: { bits: number; signed: boolean }): boolean {
  if (from.kind !== "int") return false;
  if (from.signed === to.signed) return from.bits <= to.bits;
  return !from.signed && to.signed && from.bits < to.bits;
}

/**
 * How a value of type `from` becomes a value of type `to` when stored, or null if unchanged.
 * Variables and map slots are 64 bits wide (the checker's type is the first assignment's,
 * and integers may widen later), so a store only reinterprets the sign at 64 bits; narrowing
 * happens on explicit casts and on `let $x: T` (pass `exact`).
 */
export function conversion(from: Type, to: Type, exact = false): Convert | null {
  if (to.kind === "int") {
    const bits = exact ? to.bits : 64;
    const signed = to.signed;
    if (from.kind === "bool") return (v) => cast(v ? 1 : 0, bits, signed);
    if (from.kind === "int" && intFits(from, { bits, signed })) return null;
    if (from.kind === "error" || from.kind === "none") return null;
    return (v) => (typeof v === "number" || typeof v === "bigint" ? cast(v, bits, signed) : v);
  }
  if (to.kind === "tuple" && from.kind === "tuple" && from.elements.length === to.elements.length) {
    const parts = to.elements.map((t, i) => conversion(from.elements[i]!, t));
    if (parts.every((p) => p === null)) return null;
    return (v) => {
      const items = v as readonly Value[];
      const out = new Array<Value>(items.length);
      for (let i = 0; i < items.length; i++) {
        const convert = parts[i];
        out[i] = convert ? convert(items[i]!) : items[i]!;
      }
      return out;
    };
  }
  return null;
}

/** Equality of two values of types `a` and `b` (`==`, `!=`). */
export function equality(a: Type, b: Type): (x: Value, y: Value) => boolean {
  if (
    a.kind === "tuple" ||
    b.kind === "tuple" ||
    a.kind === "array" ||
    a.kind === "record" ||
    b.kind === "record" ||
    a.kind === "struct"
  ) {
    return deepEqual;
  }
  if (a.kind === "string" || b.kind === "string") return (x, y) => x === y;
  if (a.kind === "buffer") return sameBytes;
  // An unsigned 64-bit operand makes C compare both as uint64 (-1 == 2^64-1).
  if (isU64(a) !== isU64(b) && (a.kind === "int" || b.kind === "int")) {
    return (x, y) => compare(toInt(x), toInt(y), false) === 0;
  }
  return (x, y) => x === y || toInt(x) === toInt(y);
}

/** Buffers are equal when their bytes are, lengths included. */
function sameBytes(x: Value, y: Value): boolean {
  const a = x as Uint8Array;
  const b = y as Uint8Array;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function toInt(v: Value): Int {
  return typeof v === "boolean" ? (v ? 1 : 0) : (v as Int);
}

function deepEqual(x: Value, y: Value): boolean {
  if (x === y) return true;
  if (Array.isArray(x) && Array.isArray(y)) {
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!deepEqual(x[i], y[i])) return false;
    return true;
  }
  if (typeof x === "object" && typeof y === "object" && "record" in x && "record" in y) {
    return deepEqual((x as RecordValue).record, (y as RecordValue).record);
  }
  if (typeof x === "boolean" || typeof y === "boolean") return toInt(x) === toInt(y);
  return false;
}
