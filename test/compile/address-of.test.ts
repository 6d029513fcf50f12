/**
 * `&$x`: a scratch variable's address on the program's stack. Reads through it see the
 * variable's current value laid out as its C type, whatever pointer type they read it as.
 */
import { describe, expect, test } from "vitest";
import { runScript } from "./harness.js";

function out(text: string): string {
  const r = runScript(text);
  return r.stdout.trimEnd();
}

describe("address-of a scratch variable", () => {
  test("is a pointer to the variable: *p reads its value, as it is when read", () => {
    expect(out("begin { $a = 1; $b = &$a; print(($b, *$b)); $a = 7; print(*$b); }")).toBe(
      "(0x1f000000000000, 1)\n7",
    );
  });

  test("a tuple, a string and a builtin's value read back through their pointers", () => {
    expect(out('begin { $a = (1, "hello", 2); print(*(&$a)); }')).toBe("(1, hello, 2)");
    expect(out('begin { $a = "hello"; $b = (int8 *)&$a; printf("%c %c\\n", *$b, *++$b); }')).toBe("h e");
    expect(out('begin { $a = username; $b = &$a; printf("%s\\n", *$b); }')).toBe("root");
  });

  test("the bytes are the C layout: an integer read as a struct of bitfields", () => {
    const text =
      "struct foo { unsigned long long x_0:1; unsigned long long x_1:1; unsigned long long x_2:2; }" +
      " begin { $val = (uint64)0x1e; $f = *(struct foo *)(&$val); print($f); }";
    expect(out(text)).toBe("{ .x_0 = 0, .x_1 = 1, .x_2 = 3 }");
    // Little-endian: the low byte first; past the variable's end a read is zero.
    expect(out("begin { $v = (uint64)0x1234; $p = (uint8 *)&$v; print((*$p, *($p + 1), *($p + 9))); }")).toBe(
      "(52, 18, 0)",
    );
  });

  test("a variable larger than its slot is read only as far as the slot goes, never allocated whole", () => {
    const text =
      'config = { max_strlen = 100000000 } begin { $s = str("abc"); $p = (int8 *)&$s; print((*$p, *($p + 2000000))); }';
    expect(out(text)).toBe("(97, 0)");
  });

  test("only a scratch variable has an address", () => {
    expect(runScript("begin { @m = 1; $p = &@m; }").diagnostics).toContain(
      "address-of (&) takes a scratch variable ($x) in probelab: maps and other expressions have no address",
    );
    expect(runScript("begin { $p = &(1 + 2); }").diagnostics).toContain(
      "address-of (&) takes a scratch variable",
    );
  });
});
