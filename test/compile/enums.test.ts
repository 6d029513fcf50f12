/**
 * C enums as bpftrace has them: variants are constants (C numbering: one more than the one
 * before, 0 first), and a value of the enum's type prints as the variant's name in text
 * (printf %s, print, map keys and values) but as its number with %d, in JSON, and once
 * arithmetic has made it a plain integer.
 */

import { describe, expect, test } from "vitest";
import { runScript } from "./harness.js";

function out(prog: string, format: "text" | "json" = "text"): string {
  const r = runScript(prog, { format });
  expect(r.diagnostics).not.toContain("ERROR");
  return r.stdout;
}

describe("enums", () => {
  test("C numbering, %d and %s of variants, and of a cast to the enum", () => {
    expect(
      out(
        'enum E { A, B, C = 10, D, M = -1, }; begin { printf("%d %d %d %d %d %s %s|%s\\n", A, B, C, D, M, D, (enum E)1, (enum E)7); exit(); }',
      ),
    ).toContain("0 1 10 11 -1 D B|7\n");
  });

  test("variables, tuples, map keys and values keep the enum; arithmetic drops it", () => {
    const text = out(
      "enum { ONE = 1, TWO = 2 }; begin { $t = (ONE, TWO); print($t); @[ONE] = TWO; @n[ONE + 1] = TWO - 1; }",
    );
    expect(text).toContain("(ONE, TWO)\n");
    expect(text).toContain("@[ONE]: TWO\n");
    expect(text).toContain("@n[2]: 1\n");
  });

  test("JSON prints the number", () => {
    expect(out("enum { FOO = 333 }; begin { $f = FOO; print($f); exit(); }", "json")).toContain(
      '"data": 333',
    );
  });
});
