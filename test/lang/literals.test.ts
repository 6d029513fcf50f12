import { describe, expect, test } from "vitest";
import { decodeStringLiteral, parseIntLiteral, U64_MAX } from "../../src/lang/literals.js";

function value(text: string): bigint {
  const r = parseIntLiteral(text);
  if (!r.ok) throw new Error(r.message);
  return r.value;
}
function error(text: string): string {
  const r = parseIntLiteral(text);
  if (r.ok) throw new Error(`expected an error for ${text}`);
  return r.message;
}

describe("integer literals", () => {
  test("decimal, hex and octal", () => {
    expect(value("123")).toBe(123n);
    expect(value("0x1F")).toBe(31n);
    expect(value("0X1f")).toBe(31n);
    expect(value("0775")).toBe(0o775n);
    expect(value("0")).toBe(0n);
  });

  test("digit separators", () => {
    expect(value("1_000_000")).toBe(1_000_000n);
    expect(value("0xff_ff")).toBe(0xffffn);
    expect(error("1_")).toMatch(/digit separator/);
    expect(error("1__0")).toMatch(/digit separator/);
  });

  test("scientific form needs a single coefficient digit 1-9", () => {
    expect(value("1e6")).toBe(1_000_000n);
    expect(value("5e9")).toBe(5_000_000_000n);
    expect(value("1e1_0")).toBe(10_000_000_000n);
    expect(error("10e3")).toMatch(/coefficient/);
    expect(error("0e3")).toMatch(/coefficient/);
  });

  test("C suffixes are accepted and change nothing", () => {
    for (const s of ["u", "l", "ul", "ULL", "ll", "LU"]) expect(value(`42${s}`)).toBe(42n);
    expect(value("0x10ul")).toBe(16n);
  });

  test("duration suffixes convert to nanoseconds", () => {
    expect(value("5ns")).toBe(5n);
    expect(value("3us")).toBe(3_000n);
    expect(value("100ms")).toBe(100_000_000n);
    expect(value("2s")).toBe(2_000_000_000n);
    expect(value("1m")).toBe(60_000_000_000n);
    expect(value("1h")).toBe(3_600_000_000_000n);
    expect(value("1d")).toBe(86_400_000_000_000n);
  });

  test("unknown suffixes and bad digits are errors", () => {
    expect(error("12q")).toBe("invalid integer suffix: q");
    expect(error("10abc")).toBe("invalid integer suffix: abc");
    expect(error("0x")).toMatch(/hex/);
    expect(error("0x1g")).toMatch(/suffix/);
    expect(error("089")).toMatch(/octal/);
  });

  test("u64 max is the limit", () => {
    expect(value("18446744073709551615")).toBe(U64_MAX);
    expect(value("0xffffffffffffffff")).toBe(U64_MAX);
    expect(error("18446744073709551616")).toMatch(/overflows/);
    expect(error("1e20")).toMatch(/overflows/);
    expect(error("300000000d")).toMatch(/overflows/);
  });
});

describe("string literals", () => {
  function decode(text: string): string {
    const r = decodeStringLiteral(text);
    if (!r.ok) throw new Error(r.message);
    return r.value;
  }

  test("simple escapes", () => {
    expect(decode('"a\\nb\\tc\\r\\"\\\\"')).toBe('a\nb\tc\r"\\');
  });

  test("octal and hex escapes give single bytes", () => {
    expect(decode('"\\101\\60\\0x"')).toBe("A0\0x");
    expect(decode('"\\x41\\X4a\\x7"')).toBe("AJ\x07");
    expect(decode('"\\377"')).toBe("\xff");
  });

  test("UTF-8 text is stored as its bytes", () => {
    expect(decode('"é"')).toBe("\xc3\xa9");
  });

  test("invalid escapes are located", () => {
    const r = decodeStringLiteral('"ab\\qc"');
    expect(r).toEqual({ ok: false, message: "invalid escape character '\\q'", offset: 3, length: 2 });
    const big = decodeStringLiteral('"\\400"');
    expect(big.ok).toBe(false);
  });
});
