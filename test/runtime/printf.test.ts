import { describe, expect, it } from "vitest";
import {
  checkArgCount,
  type FormatSpec,
  formatPrintf,
  isFormatError,
  MAX_FORMAT_WIDTH,
  parseFormat,
} from "../../src/runtime/printf.js";
import type { Value, ValueType } from "../../src/runtime/types.js";
import { makeRecord } from "../../src/runtime/values.js";

function spec(fmt: string): FormatSpec {
  const r = parseFormat(fmt);
  if (isFormatError(r)) throw new Error(r.error);
  return r;
}

function p(fmt: string, ...args: Value[]): string {
  return formatPrintf(spec(fmt), args);
}

/** C's printf for the same directive, computed independently by Node for simple cases. */
describe("printf conformance cases", () => {
  it("formats the bpftrace runtime test examples", () => {
    expect(p("value: %dms100\n", 100)).toBe("value: 100ms100\n");
    expect(
      p("%dst: %sa; %dnd: %sb;; %drd: %sc;;; %dth: %sd;;;;\n", 1, "a", 2, "ab", 3, "abc", 4, "abcd"),
    ).toBe("1st: aa; 2nd: abb;; 3rd: abcc;;; 4th: abcdd;;;;\n");
    const x = 0x12345678abcdef;
    expect(p("%hhx %hx %x %jx\n", x, x, x, x)).toBe("ef cdef 78abcdef 12345678abcdef\n");
    expect(p("%c%c%c%c\n", 0x41, 0x42, 0x43, 0x44)).toBe("ABCD\n");
    expect(p("%5s %04x", "ba", 2)).toBe("   ba 0002");
    expect(p("%d %lu\n", -2, -2)).toBe("-2 18446744073709551614\n");
    expect(p("_%d_\n", 1)).toBe("_1_\n");
    expect(p("%c is the first letter", 102)).toBe("f is the first letter");
  });
});

describe("printf integer conversions", () => {
  it("converts to 32 bits without a length modifier", () => {
    expect(p("%d", 4294967295)).toBe("-1");
    expect(p("%u", -1)).toBe("4294967295");
    expect(p("%ld", 4294967295)).toBe("4294967295");
    expect(p("%lld %llu", -1, -1)).toBe("-1 18446744073709551615");
    expect(p("%hd %hhd", 65535, 255)).toBe("-1 -1");
    expect(p("%zu %td", -1n, 5)).toBe("18446744073709551615 5");
  });

  it("applies flags, width and precision", () => {
    expect(p("%-5d|", 42)).toBe("42   |");
    expect(p("%+d % d %+d", 5, 5, -5)).toBe("+5  5 -5");
    expect(p("%05d", -42)).toBe("-0042");
    expect(p("%-05d|", 42)).toBe("42   |");
    expect(p("%.3d", 7)).toBe("007");
    expect(p("%8.3d|", -7)).toBe("    -007|");
    expect(p("%08.3d|", 7)).toBe("     007|");
    expect(p("%.0d|", 0)).toBe("|");
    expect(p("%#x %#X %#o %#x", 255, 255, 8, 0)).toBe("0xff 0XFF 010 0");
    expect(p("%#010x", 255)).toBe("0x000000ff");
    expect(p("%o", 8)).toBe("10");
    expect(p("%i", 12)).toBe("12");
  });

  it("takes width and precision from arguments with *", () => {
    const s = spec("%*d|%.*s|%-*d|");
    expect(s.argKinds).toEqual(["int", "int", "int", "any", "int", "int"]);
    expect(formatPrintf(s, [5, 42, 2, "hello", 4, 7])).toBe("   42|he|7   |");
    expect(formatPrintf(spec("%*d|"), [-4, 1])).toBe("1   |");
  });

  it("prints bools as 1 and 0 and pointers in hex", () => {
    expect(p("%d %d", true, false)).toBe("1 0");
    expect(p("%p %p", 0x1000, 0)).toBe("0x1000 (nil)");
    expect(p("%12p|", 0xdead)).toBe("      0xdead|");
  });
});

describe("printf strings and other values", () => {
  it("pads and truncates strings", () => {
    expect(p("%-5s|", "ab")).toBe("ab   |");
    expect(p("%.2s|", "abcdef")).toBe("ab|");
    expect(p("%%%s%%", "x")).toBe("%x%");
    expect(p("%c|%3c|", 0x141, 0x41)).toBe("A|  A|");
  });

  it("prints any value with %s in its text form", () => {
    expect(p("%s %s", 5, true)).toBe("5 true");
    expect(p("%s", [1, 2, "string", [4, 5]])).toBe("(1, 2, string, (4, 5))");
    expect(p("%s", 18446744073709551615n)).toBe("18446744073709551615");
    const rec: ValueType = {
      kind: "record",
      fields: [
        { name: "m", type: { kind: "int", bits: 32, signed: true } },
        { name: "n", type: { kind: "int", bits: 32, signed: true } },
      ],
    };
    expect(formatPrintf(spec("%s"), [makeRecord([2, 3])], [rec])).toBe("{ .m = 2, .n = 3 }");
    const usym: ValueType = { kind: "usym", resolve: (a) => (a === 0x400 ? "main" : undefined) };
    expect(formatPrintf(spec("func: '%s' '%s'"), [0x400, 0x999], [usym, usym])).toBe("func: 'main' '0x999'");
  });

  it("prints buffers with %r, %rx and %rh", () => {
    const buf = new Uint8Array([0x68, 0x69, 0x0a, 0xfe]);
    expect(p("%r", buf)).toBe("hi\\x0a\\xfe");
    expect(p("%rx", buf)).toBe("\\x68\\x69\\x0a\\xfe");
    expect(p("%rh", buf)).toBe("68 69 0a fe");
    expect(spec("%r %rx %rh").argKinds).toEqual(["buffer", "buffer", "buffer"]);
  });
});

describe("printf validation", () => {
  it("lists argument kinds", () => {
    expect(spec("%d %s %x %c %p").argKinds).toEqual(["int", "any", "int", "int", "int"]);
    expect(spec("no args %%").argKinds).toEqual([]);
  });

  it("rejects unsupported and incomplete specifiers", () => {
    expect(parseFormat("%f")).toEqual({ error: "unsupported format specifier: f" });
    expect(parseFormat("%5.2e")).toEqual({ error: "unsupported format specifier: e" });
    const r = parseFormat("abc %");
    expect(isFormatError(r) && r.error).toMatch(/incomplete/);
  });

  it("reports argument count mismatches", () => {
    const s = spec("%d %d");
    expect(checkArgCount(s, 1)).toBe("not enough arguments for format string (1 supplied, 2 expected)");
    expect(checkArgCount(s, 3)).toBe("too many arguments for format string (3 supplied, 2 expected)");
    expect(checkArgCount(s, 2)).toBeUndefined();
  });

  it("parses once and formats the same spec repeatedly", () => {
    const s = spec("%d-%s\n");
    expect(formatPrintf(s, [1, "a"])).toBe("1-a\n");
    expect(formatPrintf(s, [2, "b"])).toBe("2-b\n");
  });
});

describe("%gr: gfp_t flags by name", () => {
  it("names composite masks before the bits they hold, leftovers in hex, 0 as 0", () => {
    expect(p("%gr", 0x1)).toBe("GFP_DMA");
    expect(p("%gr", 0xcc0)).toBe("GFP_KERNEL");
    expect(p("%gr", 0xdc0)).toBe("GFP_KERNEL|__GFP_ZERO");
    expect(p("%gr", 0x400cc0)).toBe("GFP_KERNEL_ACCOUNT");
    expect(p("%gr", 0x800 | 0x20)).toBe("GFP_ATOMIC");
    expect(p("%gr", 0x200)).toBe("0x200");
    expect(p("%gr", 0)).toBe("0");
    expect(p("[%-12gr]", 0x1)).toBe("[GFP_DMA     ]");
  });

  it("takes one integer argument", () => {
    expect(spec("%gr %s").argKinds).toEqual(["int", "any"]);
  });
});

describe("width and precision limits", () => {
  it("refuses a literal width or precision past MAX_FORMAT_WIDTH", () => {
    for (const fmt of ["%999999999s", "%-99999999999999999999d", "%0999999999d", "%.5000s"]) {
      const r = parseFormat(fmt);
      expect(isFormatError(r) && r.error).toMatch(/too large \(at most 4096\)/);
    }
    expect(p("%4096d", 1).length).toBe(4096);
  });

  it("clamps a width or precision taken from traced data", () => {
    expect(p("%*d|", 10_000_000_000, 1).length).toBe(MAX_FORMAT_WIDTH + 1);
    expect(p("%*d|", -10_000_000_000, 1)).toBe(`1${" ".repeat(MAX_FORMAT_WIDTH - 1)}|`);
    expect(p("%.*s|", 2 ** 40, "abc")).toBe("abc|");
    expect(p("%*d|", -(2n ** 63n), 7).length).toBe(MAX_FORMAT_WIDTH + 1);
  });
});
