import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Int } from "../../src/runtime/int64.js";
import * as I from "../../src/runtime/int64.js";

const S64_MIN = -(1n << 63n);
const S64_MAX = (1n << 63n) - 1n;
const U64_MAX = (1n << 64n) - 1n;

/** Reference: exact BigInt arithmetic wrapped to 64 bits, then normalised. */
function ref(b: bigint, signed: boolean): Int {
  return I.normalize(signed ? BigInt.asIntN(64, b) : BigInt.asUintN(64, b));
}

/** Values that mix small numbers, values near 2^53 and full-range 64-bit values. */
function int64(signed: boolean): fc.Arbitrary<Int> {
  const lo = signed ? S64_MIN : 0n;
  const hi = signed ? S64_MAX : U64_MAX;
  return fc
    .oneof(
      fc.bigInt({ min: signed ? -1000n : 0n, max: 1000n }),
      fc.bigInt({ min: signed ? -(1n << 54n) : 0n, max: 1n << 54n }),
      fc.bigInt({ min: lo, max: hi }),
      fc.constantFrom(lo, hi, 0n, 1n, (1n << 53n) - 1n, 1n << 53n, 1n << 32n, (1n << 31n) - 1n),
    )
    .map((b) => I.normalize(b));
}

function isNormalised(v: Int): boolean {
  if (typeof v === "number") return Number.isSafeInteger(v) && !Object.is(v, -0);
  return v > 9007199254740991n || v < -9007199254740991n;
}

const binary: [string, (a: Int, b: Int, s: boolean) => Int, (a: bigint, b: bigint) => bigint][] = [
  ["add", I.add, (a, b) => a + b],
  ["sub", I.sub, (a, b) => a - b],
  ["mul", I.mul, (a, b) => a * b],
  ["and", I.and, (a, b) => a & b],
  ["or", I.or, (a, b) => a | b],
  ["xor", I.xor, (a, b) => a ^ b],
];

describe("int64 arithmetic against a BigInt reference", () => {
  for (const signed of [true, false]) {
    for (const [name, op, refOp] of binary) {
      it(`${name} (${signed ? "signed" : "unsigned"})`, () => {
        fc.assert(
          fc.property(int64(signed), int64(signed), (a, b) => {
            const r = op(a, b, signed);
            expect(r).toStrictEqual(ref(refOp(I.toBig(a), I.toBig(b)), signed));
            expect(isNormalised(r)).toBe(true);
          }),
          { numRuns: 400 },
        );
      });
    }
    it(`div and mod truncate toward zero (${signed ? "signed" : "unsigned"})`, () => {
      fc.assert(
        fc.property(int64(signed), int64(signed), (a, b) => {
          fc.pre(I.toBig(b) !== 0n);
          expect(I.div(a, b, signed)).toStrictEqual(ref(I.toBig(a) / I.toBig(b), signed));
          expect(I.mod(a, b, signed)).toStrictEqual(ref(I.toBig(a) % I.toBig(b), signed));
        }),
        { numRuns: 400 },
      );
    });
    it(`shifts use the low 6 bits of the count (${signed ? "signed" : "unsigned"})`, () => {
      fc.assert(
        fc.property(int64(signed), fc.integer({ min: 0, max: 200 }), (a, n) => {
          const k = BigInt(n % 64);
          expect(I.shl(a, n, signed)).toStrictEqual(ref(I.toBig(a) << k, signed));
          expect(I.shr(a, n, signed)).toStrictEqual(ref(I.toBig(a) >> k, signed));
        }),
        { numRuns: 400 },
      );
    });
    it(`not, neg and compare (${signed ? "signed" : "unsigned"})`, () => {
      fc.assert(
        fc.property(int64(signed), int64(signed), (a, b) => {
          expect(I.not(a, signed)).toStrictEqual(ref(~I.toBig(a), signed));
          expect(I.neg(a, signed)).toStrictEqual(ref(-I.toBig(a), signed));
          const x = I.toBig(a);
          const y = I.toBig(b);
          expect(I.compare(a, b, signed)).toBe(x < y ? -1 : x > y ? 1 : 0);
        }),
        { numRuns: 400 },
      );
    });
  }

  it("cast truncates and sign-extends like C", () => {
    fc.assert(
      fc.property(int64(true), fc.constantFrom(8, 16, 32, 64), fc.boolean(), (v, bits, signed) => {
        const b = I.toBig(v);
        const expected = I.normalize(signed ? BigInt.asIntN(bits, b) : BigInt.asUintN(bits, b));
        expect(I.cast(v, bits, signed)).toStrictEqual(expected);
      }),
      { numRuns: 600 },
    );
  });
});

describe("int64 specific cases", () => {
  it("keeps safe results as numbers and big ones as bigints", () => {
    expect(I.add(1, 2, true)).toBe(3);
    expect(I.add(9007199254740991, 1, true)).toBe(9007199254740992n);
    expect(I.mul(1 << 30, 1 << 30, false)).toBe(1152921504606846976n);
    expect(I.sub(I.I64_MIN_INT, 1, true)).toBe(S64_MAX);
    expect(I.add(I.U64_MAX_INT, 1, false)).toBe(0);
  });

  it("uint64 subtraction underflow reads as -2 signed and 2^64-2 unsigned", () => {
    const r = I.sub(3, 5, true);
    expect(r).toBe(-2);
    expect(I.toUnsigned64(r)).toBe(18446744073709551614n);
    expect(I.sub(3, 5, false)).toBe(18446744073709551614n);
  });

  it("division and modulo by zero give 1 and raise the flag", () => {
    I.arith.divByZero = false;
    expect(I.div(5, 0, true)).toBe(1);
    expect(I.arith.divByZero).toBe(true);
    I.arith.divByZero = false;
    expect(I.mod(5n << 60n, 0n, false)).toBe(1);
    expect(I.arith.divByZero).toBe(true);
    I.arith.divByZero = false;
    expect(I.div(7, 2, true)).toBe(3);
    expect(I.arith.divByZero).toBe(false);
  });

  it("signed division truncates toward zero; INT64_MIN / -1 wraps", () => {
    expect(I.div(-7, 2, true)).toBe(-3);
    expect(I.mod(-7, 2, true)).toBe(-1);
    expect(I.div(I.I64_MIN_INT, -1, true)).toBe(S64_MIN);
    expect(Object.is(I.div(-1, 2, true), 0)).toBe(true);
  });

  it("shifts right arithmetically when signed and logically when unsigned", () => {
    expect(I.shr(-8, 1, true)).toBe(-4);
    expect(I.shr(I.toUnsigned64(-8), 1, false)).toBe(9223372036854775804n);
    expect(I.shl(1, 63, true)).toBe(S64_MIN);
    expect(I.shl(1, 64, true)).toBe(1);
  });

  it("unsigned compare reads negative inputs as two's complement", () => {
    expect(I.compare(-1, 1, false)).toBe(1);
    expect(I.compare(-1, 1, true)).toBe(-1);
    expect(I.compare(U64_MAX, -1, true)).toBe(0);
  });

  it("casts the printf example value", () => {
    const x = 0x12345678abcdef;
    expect(I.cast(x, 8, false)).toBe(0xef);
    expect(I.cast(x, 16, false)).toBe(0xcdef);
    expect(I.cast(x, 32, false)).toBe(0x78abcdef);
    expect(I.cast(-1, 32, false)).toBe(4294967295);
    expect(I.cast(0xff, 8, true)).toBe(-1);
  });

  it("prints exact decimal and hex text", () => {
    expect(I.toDecimal(U64_MAX)).toBe("18446744073709551615");
    expect(I.toHex(-1)).toBe("ffffffffffffffff");
    expect(I.toHex(255, true)).toBe("FF");
    expect(I.bitLength(0)).toBe(0);
    expect(I.bitLength(1)).toBe(1);
    expect(I.bitLength(2 ** 40)).toBe(41);
    expect(I.bitLength(1n << 62n)).toBe(63);
  });
});
