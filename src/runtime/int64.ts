/**
 * 64-bit integer arithmetic as eBPF programs see it.
 *
 * An `Int` is a JS number whenever the value is a safe integer, and a bigint only outside
 * ±2^53. Every operation names its signedness: an unsigned value is never negative (2^64 - 1
 * is a bigint), a signed one lies in [-2^63, 2^63). Both operands being numbers and the
 * result being safe is the common case, and it runs as plain JS arithmetic with no BigInt
 * and no allocation; anything else falls back to BigInt with explicit 64-bit wrapping.
 *
 * Division and modulo by zero do not trap (the BPF program guards them): the result is 1
 * and `arith.divByZero` is set, so the caller can emit bpftrace's warning.
 */

export type Int = number | bigint;

/**
 * Status of the last operations. `div` and `mod` set `divByZero`; nothing here clears it,
 * so a caller reads it and resets it (one shared object: no allocation per operation).
 */
export const arith = { divByZero: false };

const TWO_32 = 4294967296;
const U64_MAX = (1n << 64n) - 1n;

/** Turns a bigint into the canonical `Int`: a number when it is a safe integer. */
export function normalize(b: bigint): Int {
  return b >= -9007199254740991n && b <= 9007199254740991n ? Number(b) : b;
}

/** The value as a bigint (for the slow path and for exact printing). */
export function toBig(a: Int): bigint {
  return typeof a === "bigint" ? a : BigInt(a);
}

/** Wraps an exact result to 64 bits with the given signedness and normalises it. */
export function wrap64(b: bigint, signed: boolean): Int {
  return normalize(signed ? BigInt.asIntN(64, b) : BigInt.asUintN(64, b));
}

/** Reads an `Int` from a bigint, number or decimal/hex string literal (for tests and tools). */
export function fromLiteral(v: number | bigint | string, signed = true): Int {
  const b = typeof v === "bigint" ? v : typeof v === "number" ? BigInt(v) : BigInt(v);
  return wrap64(b, signed);
}

/** a + b, wrapping at 64 bits. */
export function add(a: Int, b: Int, signed: boolean): Int {
  if (typeof a === "number" && typeof b === "number") {
    const r = a + b;
    if (r <= 9007199254740991 && r >= -9007199254740991 && (signed || r >= 0)) return r;
  }
  return wrap64(toBig(a) + toBig(b), signed);
}

/** a - b, wrapping at 64 bits. */
export function sub(a: Int, b: Int, signed: boolean): Int {
  if (typeof a === "number" && typeof b === "number") {
    const r = a - b;
    if (r <= 9007199254740991 && r >= -9007199254740991 && (signed || r >= 0)) return r;
  }
  return wrap64(toBig(a) - toBig(b), signed);
}

/** a * b, wrapping at 64 bits. */
export function mul(a: Int, b: Int, signed: boolean): Int {
  if (typeof a === "number" && typeof b === "number") {
    const r = a * b;
    // A float product that lands in the safe range is exact (its true value is below 2^53).
    if (r <= 9007199254740991 && r >= -9007199254740991 && (signed || r >= 0)) return r === 0 ? 0 : r;
  }
  return wrap64(toBig(a) * toBig(b), signed);
}

/** a / b truncating toward zero; by zero gives 1 and sets `arith.divByZero`. */
export function div(a: Int, b: Int, signed: boolean): Int {
  if (b === 0 || b === 0n) {
    arith.divByZero = true;
    return 1;
  }
  if (typeof a === "number" && typeof b === "number" && (signed || (a >= 0 && b >= 0))) {
    // a - a % b is an exact multiple of b, so the float division is exact.
    const q = (a - (a % b)) / b;
    return q === 0 ? 0 : q;
  }
  const x = signed ? BigInt.asIntN(64, toBig(a)) : BigInt.asUintN(64, toBig(a));
  const y = signed ? BigInt.asIntN(64, toBig(b)) : BigInt.asUintN(64, toBig(b));
  return wrap64(x / y, signed);
}

/** a % b with the sign of a (C semantics); by zero gives 1 and sets `arith.divByZero`. */
export function mod(a: Int, b: Int, signed: boolean): Int {
  if (b === 0 || b === 0n) {
    arith.divByZero = true;
    return 1;
  }
  if (typeof a === "number" && typeof b === "number" && (signed || (a >= 0 && b >= 0))) {
    const r = a % b;
    return r === 0 ? 0 : r;
  }
  const x = signed ? BigInt.asIntN(64, toBig(a)) : BigInt.asUintN(64, toBig(a));
  const y = signed ? BigInt.asIntN(64, toBig(b)) : BigInt.asUintN(64, toBig(b));
  return wrap64(x % y, signed);
}

/** Shift amount as the BPF JIT applies it: only the low 6 bits count. */
function shiftCount(b: Int): number {
  return typeof b === "number" ? ((b % 64) + 64) % 64 : Number(BigInt.asUintN(6, b));
}

/** a << b, wrapping at 64 bits. */
export function shl(a: Int, b: Int, signed: boolean): Int {
  const n = shiftCount(b);
  if (typeof a === "number") {
    const r = a * 2 ** n;
    if (r <= 9007199254740991 && r >= -9007199254740991 && (signed || r >= 0)) return r;
  }
  return wrap64(toBig(a) << BigInt(n), signed);
}

/** a >> b: arithmetic for signed values, logical for unsigned ones. */
export function shr(a: Int, b: Int, signed: boolean): Int {
  const n = shiftCount(b);
  if (typeof a === "number" && (signed || a >= 0)) {
    // Division by a power of two is exact; floor gives the arithmetic shift for negatives.
    const r = Math.floor(a / 2 ** n);
    return r === 0 ? 0 : r;
  }
  const x = signed ? BigInt.asIntN(64, toBig(a)) : BigInt.asUintN(64, toBig(a));
  return wrap64(x >> BigInt(n), signed);
}

/** True when both values fit 32-bit two's complement, where JS bit operators are exact. */
function bothInt32(a: Int, b: Int): boolean {
  return (
    typeof a === "number" &&
    typeof b === "number" &&
    a >= -2147483648 &&
    a <= 2147483647 &&
    b >= -2147483648 &&
    b <= 2147483647
  );
}

/** a & b. */
export function and(a: Int, b: Int, signed: boolean): Int {
  if (bothInt32(a, b)) return (a as number) & (b as number);
  return wrap64(toBig(a) & toBig(b), signed);
}

/** a | b. */
export function or(a: Int, b: Int, signed: boolean): Int {
  if (bothInt32(a, b)) return (a as number) | (b as number);
  return wrap64(toBig(a) | toBig(b), signed);
}

/** a ^ b. */
export function xor(a: Int, b: Int, signed: boolean): Int {
  if (bothInt32(a, b)) return (a as number) ^ (b as number);
  return wrap64(toBig(a) ^ toBig(b), signed);
}

/** ~a. */
export function not(a: Int, signed: boolean): Int {
  if (signed && typeof a === "number" && a < 9007199254740991) return -a - 1;
  return wrap64(~toBig(a), signed);
}

/** -a, wrapping (so -(-2^63) stays -2^63 and unsigned negation is 2^64 - a). */
export function neg(a: Int, signed: boolean): Int {
  if (typeof a === "number" && (signed || a === 0)) return 0 - a;
  return wrap64(-toBig(a), signed);
}

/** -1, 0 or 1. Unsigned comparison reads negative inputs as their 64-bit two's complement. */
export function compare(a: Int, b: Int, signed: boolean): number {
  if (!signed) {
    if (a < 0) a = toUnsigned64(a);
    if (b < 0) b = toUnsigned64(b);
  } else {
    if (typeof a === "bigint" && a > 9223372036854775807n) a = toSigned64(a);
    if (typeof b === "bigint" && b > 9223372036854775807n) b = toSigned64(b);
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Equality of two normalised values (numbers and bigints never overlap). */
export function eq(a: Int, b: Int): boolean {
  return a === b;
}

/** Truncates to `bits` and sign- or zero-extends back to 64 bits, as a C cast does. */
export function cast(v: Int, bits: number, signed: boolean): Int {
  if (typeof v === "number") {
    switch (bits) {
      case 64:
        if (signed || v >= 0) return v;
        return normalize(BigInt.asUintN(64, BigInt(v)));
      case 32:
        return signed ? v | 0 : v >>> 0;
      case 16:
        return signed ? (v << 16) >> 16 : v & 0xffff;
      case 8:
        return signed ? (v << 24) >> 24 : v & 0xff;
      case 1:
        return v & 1;
    }
  }
  const b = toBig(v);
  return normalize(signed ? BigInt.asIntN(bits, b) : BigInt.asUintN(bits, b));
}

/** The value reinterpreted as uint64. */
export function toUnsigned64(v: Int): Int {
  return cast(v, 64, false);
}

/** The value reinterpreted as int64. */
export function toSigned64(v: Int): Int {
  return cast(v, 64, true);
}

/** Zero test without allocation (for predicates and `if`). */
export function isZero(v: Int): boolean {
  return v === 0 || v === 0n;
}

/** Exact decimal text. */
export function toDecimal(v: Int): string {
  return typeof v === "number" ? String(v) : v.toString();
}

/** The value's low 32 bits split in two numbers would be faster, but printing is off the hot path. */
export function toHex(v: Int, upper = false): string {
  const s = typeof v === "number" && v >= 0 ? v.toString(16) : BigInt.asUintN(64, toBig(v)).toString(16);
  return upper ? s.toUpperCase() : s;
}

/** Largest unsigned 64-bit value. */
export const U64_MAX_INT: Int = U64_MAX;
/** Smallest and largest signed 64-bit values. */
export const I64_MIN_INT: Int = -(1n << 63n);
export const I64_MAX_INT: Int = (1n << 63n) - 1n;

/** Number of bits needed to hold a non-negative value (position of its highest set bit + 1). */
export function bitLength(v: Int): number {
  if (typeof v === "number") {
    if (v < TWO_32) return 32 - Math.clz32(v);
    return 64 - Math.clz32(Math.floor(v / TWO_32));
  }
  return v === 0n ? 0 : v.toString(2).length;
}

/** The low `bits` bits of `v` with their byte order reversed, as an unsigned value. */
export function bswap(v: Int, bits: number): Int {
  if (bits === 8) return Number(cast(v, 8, false));
  if (bits === 16) {
    const x = Number(cast(v, 16, false));
    return ((x & 0xff) << 8) | (x >>> 8);
  }
  if (bits === 32) {
    const x = Number(cast(v, 32, false));
    return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
  }
  let x = BigInt.asUintN(64, toBig(v));
  let r = 0n;
  for (let i = 0; i < 8; i++) {
    r = (r << 8n) | (x & 0xffn);
    x >>= 8n;
  }
  return normalize(r);
}
