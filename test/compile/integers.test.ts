/**
 * Exact 64-bit integer semantics as compiled: wrap-around, signed subtraction, casts that
 * truncate and sign-extend, shifts, unsigned comparisons, division by zero.
 */

import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { runScript } from "./harness.js";

/** The printed lines of a begin-only script (before the exit dump). */
function lines(prog: string): string[] {
  const r = runScript(prog);
  expect(r.diagnostics).not.toContain("ERROR");
  return r.stdout.replace(/\n\n\n.*$/s, "").split("\n");
}

const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/** An int64 literal in script syntax: a negative one as unary minus on a positive literal. */
function lit(v: bigint): string {
  if (v === I64_MIN) return "(int64)0x8000000000000000";
  return v < 0n ? `(int64)(-${-v})` : `(int64)${v}`;
}

describe("wrap-around and signedness", () => {
  test("int64 overflow wraps", () => {
    expect(lines('begin { $a = 0x7fffffffffffffff; $a += 1; printf("%ld %lu\\n", $a, $a); }')).toEqual([
      "-9223372036854775808 9223372036854775808",
    ]);
  });

  test("uint64 subtraction is signed (0.26): 3 - 5 is -2, or 2^64 - 2 as %lu", () => {
    expect(lines('begin { $a = (uint64)3 - (uint64)5; printf("%d %lu\\n", $a, $a); }')).toEqual([
      "-2 18446744073709551614",
    ]);
  });

  test("a uint64 variable decremented below zero wraps to 2^64 - 1", () => {
    expect(lines('begin { $u = (uint64)0; $u -= 1; printf("%lu\\n", $u); print($u); }')).toEqual([
      "18446744073709551615",
      "18446744073709551615",
    ]);
  });

  test("multiplication beyond 2^53 stays exact", () => {
    expect(lines('begin { printf("%ld\\n", (int64)3037000499 * (int64)3037000499); }')).toEqual([
      "9223372030926249001",
    ]);
  });

  test("shifts: 1 << 63, arithmetic >> for signed, logical for unsigned", () => {
    expect(
      lines(
        'begin { $x = 1 << 63; printf("%lu\\n", $x); print(-8 >> 1); printf("%lu\\n", (uint64)0xffffffffffffffff >> 60); }',
      ),
    ).toEqual(["9223372036854775808", "-4", "15"]);
  });

  test("bitwise operators on 64-bit values", () => {
    expect(
      lines(
        'begin { printf("%lx %lx %lx %lx\\n", 0xff00ff00ff00ff00 & 0x0ff00ff00ff00ff0, 0xf0 | 0x0f, 0xff ^ 0x0f, ~(uint64)0); }',
      ),
    ).toEqual(["f000f000f000f00 ff f0 ffffffffffffffff"]);
  });

  test("literals above int64 max are uint64", () => {
    expect(lines("begin { @a[18446744073709551615] = 1; print(@a); }")).toEqual([
      "@a[18446744073709551615]: 1",
    ]);
  });
});

describe("casts", () => {
  test("narrowing truncates, widening sign-extends from the source type", () => {
    expect(
      lines(
        'begin { printf("%d %d %d %d\\n", (int8)300, (uint8)-1, (int16)0x18000, (uint16)-2); printf("%ld %lu\\n", (int32)0xffffffff, (uint32)-1); }',
      ),
    ).toEqual(["44 255 -32768 65534", "-1 4294967295"]);
  });

  test("a negative 32-bit return value: (int32)retval", () => {
    const r = runScript("uretprobe:/bin/x:f { @[(int32)retval] = count(); @raw = max(retval); } begin {}", {
      between: (script, ctx) => {
        ctx.retval = 0xffffff9cn; // -100 in the low 32 bits of a u64 register
        script.probes[0]!.run(ctx);
      },
    });
    expect(r.stdout).toBe("\n\n@[-100]: 1\n@raw: 4294967196\n");
  });

  test("registers handed in as negative numbers read as u64", () => {
    const r = runScript('uprobe:/bin/x:f { printf("%lu %ld\\n", arg0, (int64)arg0); } begin {}', {
      between: (script, ctx) => {
        ctx.args[0] = -1;
        script.probes[0]!.run(ctx);
      },
    });
    expect(r.stdout.split("\n")[0]).toBe("18446744073709551615 -1");
  });

  test("bool casts and bools in arithmetic", () => {
    expect(lines("begin { print((bool)5); print((bool)0); print(true + true); }")).toEqual([
      "true",
      "false",
      "2",
    ]);
  });

  test("let with a declared type narrows like a cast", () => {
    expect(lines("begin { let $x: uint8 = 300; print($x); }")).toEqual(["44"]);
  });
});

describe("comparisons", () => {
  test("a uint64 operand makes the comparison unsigned, as in C", () => {
    expect(lines('begin { printf("%d %d %d\\n", (uint64)1 < -1, (int64)1 < -1, (int32)-1 < 0); }')).toEqual([
      "1 0 1",
    ]);
  });

  test("-1 equals 2^64 - 1 when compared as uint64", () => {
    expect(lines('begin { printf("%d\\n", (uint64)18446744073709551615 == -1); }')).toEqual(["1"]);
  });

  test("string comparisons", () => {
    expect(
      lines('begin { $s = "abc"; printf("%d %d %d\\n", $s == "abc", $s != "abd", "abc" == "abc\\0x"); }'),
    ).toEqual(["1 1 1"]);
  });
});

describe("division by zero", () => {
  test("gives 1 and bpftrace's warning at the operator", () => {
    const r = runScript('begin { $z = 0; printf("%d %d\\n", 7 / $z, 7 % $z); }');
    expect(r.stdout.split("\n")[0]).toBe("1 1");
    const warning =
      "WARNING: Divide or modulo by 0 detected. This can lead to unexpected results. 1 is being used as the result.";
    expect(r.stderr).toContain(`stdin:1:35-41: ${warning}`);
    expect(r.stderr).toContain(`stdin:1:43-49: ${warning}`);
  });

  test("signed division truncates toward zero, modulo takes the dividend's sign", () => {
    expect(lines('begin { printf("%d %d %d\\n", -7 / 2, -7 % 2, 7 % -2); }')).toEqual(["-3 -1 1"]);
  });
});

describe("property: compiled int64 arithmetic equals a BigInt reference", () => {
  const wrap = (v: bigint) => BigInt.asIntN(64, v);
  const ops: [string, (a: bigint, b: bigint) => bigint][] = [
    ["+", (a, b) => wrap(a + b)],
    ["-", (a, b) => wrap(a - b)],
    ["*", (a, b) => wrap(a * b)],
    ["/", (a, b) => (b === 0n ? 1n : wrap(a / b))],
    ["%", (a, b) => (b === 0n ? 1n : wrap(a % b))],
    ["&", (a, b) => wrap(a & b)],
    ["|", (a, b) => wrap(a | b)],
    ["^", (a, b) => wrap(a ^ b)],
  ];
  const int64 = fc.oneof(
    fc.bigInt({ min: I64_MIN, max: I64_MAX }),
    fc.bigInt({ min: -1000n, max: 1000n }),
    fc.constantFrom(0n, 1n, -1n, I64_MIN, I64_MAX, 1n << 53n, -(1n << 53n)),
  );

  test("40 random operand pairs per operator, checked in one script", () => {
    const pairs = fc.sample(fc.tuple(int64, int64), { numRuns: 40, seed: 42 });
    const body: string[] = [];
    const want: string[] = [];
    for (const [op, ref] of ops) {
      for (const [a, b] of pairs) {
        body.push(`printf("%ld\\n", ${lit(a)} ${op} ${lit(b)});`);
        want.push(ref(a, b).toString());
      }
    }
    const r = runScript(`begin { ${body.join(" ")} }`, { workBudget: 1_000_000 });
    expect(r.diagnostics).not.toContain("ERROR");
    expect(r.stdout.split("\n").slice(0, want.length)).toEqual(want);
  });
});
