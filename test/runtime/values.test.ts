import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatStrftime } from "../../src/runtime/strftime.js";
import type { Value, ValueType } from "../../src/runtime/types.js";
import {
  compareKeys,
  encodeKey,
  jsonKey,
  jsonValue,
  makeRecord,
  makeString,
  renderKey,
  renderValue,
  zeroValue,
} from "../../src/runtime/values.js";

const I64: ValueType = { kind: "int", bits: 64, signed: true };
const STR: ValueType = { kind: "string", size: 16 };

describe("strings", () => {
  it("cut at NUL and truncate with the trailer", () => {
    expect(makeString("abc\0def", 64)).toBe("abc");
    expect(makeString("hello world", 6)).toBe("hello..");
    expect(makeString("hello", 6)).toBe("hello");
    expect(makeString("hello world", 6, "~")).toBe("hello~");
  });
});

describe("text rendering (docs/language.md, Output)", () => {
  it("ints, bools, strings, tuples", () => {
    expect(renderValue(-5, I64)).toBe("-5");
    expect(renderValue(18446744073709551615n)).toBe("18446744073709551615");
    expect(renderValue([true, false])).toBe("(true, false)");
    expect(renderValue([0, ""])).toBe("(0, )");
    expect(renderValue("abc\0def", STR)).toBe("abc");
    expect(renderValue([1, 2, "string", [4, 5]])).toBe("(1, 2, string, (4, 5))");
  });

  it("records, nested and empty", () => {
    const inner: ValueType = {
      kind: "record",
      fields: [
        { name: "x", type: I64 },
        { name: "y", type: I64 },
      ],
    };
    const t: ValueType = {
      kind: "record",
      fields: [
        { name: "a", type: I64 },
        { name: "b", type: I64 },
        { name: "c", type: STR },
        { name: "d", type: { kind: "tuple", elements: [I64, I64] } },
        { name: "e", type: inner },
      ],
    };
    const v = makeRecord([0, 1, "str", [5, 6], makeRecord([1, 2])]);
    expect(renderValue(v, t)).toBe("{ .a = 0, .b = 1, .c = str, .d = (5, 6), .e = { .x = 1, .y = 2 } }");
    expect(renderValue(makeRecord([]), { kind: "record", fields: [] })).toBe("{}");
  });

  it("symbols, stacks, pointers, buffers, timestamps", () => {
    const resolve = (a: Value) => (a === 0x1000 ? "main" : a === 0x2001 ? "f+1" : undefined);
    expect(renderValue(0x1000, { kind: "usym", resolve })).toBe("main");
    expect(renderValue(0x1, { kind: "usym" })).toBe("0x1");
    expect(renderValue([0x2001, 0x3000], { kind: "ustack", resolve })).toBe(
      "\n        f+1\n        0x3000\n",
    );
    expect(renderValue(255, { kind: "pointer" })).toBe("0xff");
    expect(renderValue(new Uint8Array([0x41, 0x00, 0x7f]), { kind: "buffer" })).toBe("A\\x00\\x7f");
    expect(renderValue(1_000_000_000, { kind: "timestamp", format: "%H:%M:%S" })).toBe("00:00:01");
    expect(renderKey([0x2001], { kind: "ustack", resolve })).toBe("\n        f+1\n");
    expect(renderKey([[0x2001], 9], { kind: "tuple", elements: [{ kind: "ustack", resolve }, I64] })).toBe(
      "\n        f+1\n, 9",
    );
  });

  it("zero values", () => {
    expect(zeroValue(I64)).toBe(0);
    expect(zeroValue({ kind: "tuple", elements: [I64, STR, { kind: "bool" }] })).toEqual([0, "", false]);
    expect(zeroValue({ kind: "record", fields: [{ name: "a", type: I64 }] })).toEqual(makeRecord([0]));
  });
});

describe("JSON rendering", () => {
  it("emits bpftrace's shapes", () => {
    expect(jsonValue(5)).toBe("5");
    expect(jsonValue([1, 2, "string"])).toBe('[1,2,"string"]');
    expect(jsonValue(18446744073709551615n)).toBe('"18446744073709551615"');
    expect(jsonValue(-(1n << 63n))).toBe("-9223372036854775808");
    expect(jsonValue(new Uint8Array([1, 255]), { kind: "buffer" })).toBe("[1,-1]");
    expect(jsonValue("a\nb\u001f")).toBe('"a\\nb\\u001f"');
    expect(jsonKey(["a b", 2])).toBe('"ab,2"');
  });
});

describe("key encoding", () => {
  const keyArb: fc.Arbitrary<Value> = fc.letrec<{ k: Value }>((tie) => ({
    k: fc.oneof(
      { depthSize: "small" },
      fc.integer({ min: -1000, max: 1000 }),
      fc.string({ maxLength: 4 }),
      fc.boolean(),
      fc.array(tie("k"), { maxLength: 3 }),
    ),
  })).k;

  it("is injective: equal encodings only for equal keys", () => {
    fc.assert(
      fc.property(keyArb, keyArb, (a, b) => {
        const same = JSON.stringify(a) === JSON.stringify(b);
        expect(encodeKey(a) === encodeKey(b)).toBe(same);
      }),
      { numRuns: 500 },
    );
  });

  it("orders keys as bpftrace sorts them", () => {
    expect(compareKeys(18446744073709551615n, 0, { kind: "int", bits: 64, signed: false })).toBe(-1);
    expect(compareKeys(200, 100, { kind: "int", bits: 8, signed: false })).toBe(-1);
    expect(compareKeys("ab", "b", STR)).toBe(-1);
    const t: ValueType = { kind: "tuple", elements: [{ kind: "bool" }, I64] };
    expect(compareKeys([true, 1], [false, 2], t)).toBe(-1);
  });
});

describe("strftime", () => {
  const ns = 1_700_000_123_456_789_000n; // 2023-11-14 22:15:23.456789 UTC
  it("formats common conversions in UTC", () => {
    expect(formatStrftime("%Y-%m-%d %H:%M:%S", ns)).toBe("2023-11-14 22:15:23");
    expect(formatStrftime("%H:%M:%S.%f", ns)).toBe("22:15:23.456789");
    expect(formatStrftime("%a %A %b %B %e %j %p %I %y %C", ns)).toBe(
      "Tue Tuesday Nov November 14 318 PM 10 23 20",
    );
    expect(formatStrftime("%F %T %D %R %s %%", ns)).toBe("2023-11-14 22:15:23 11/14/23 22:15 1700000123 %");
    expect(formatStrftime("%c|%Z|%z|%u|%w", ns)).toBe("Tue Nov 14 22:15:23 2023|UTC|+0000|2|2");
    expect(formatStrftime("%H:%M %z", ns, 90)).toBe("23:45 +0130");
    expect(formatStrftime("%Q", ns)).toBe("%Q");
  });
  it("accepts number timestamps", () => {
    expect(formatStrftime("%H:%M:%S", 3_723_000_000_000)).toBe("01:02:03");
  });
});
