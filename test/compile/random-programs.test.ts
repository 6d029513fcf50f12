/**
 * Random programs from a small grammar of the subset: whatever the front end accepts must
 * compile, and running it must never throw out of a handler nor report an internal error
 * (runaway loops end through the work budget, bad arithmetic through warnings).
 */

import fc from "fast-check";
import { expect, test } from "vitest";
import { runScript } from "./harness.js";

const leaf = fc.oneof(
  fc.constantFrom(
    "$a",
    "$b",
    "@m[1]",
    "@n",
    "pid",
    "nsecs",
    "cpu",
    "0",
    "1",
    "-1",
    "255",
    "0x7fffffffffffffff",
  ),
  fc.constantFrom(
    "18446744073709551615",
    "(int8)300",
    "(uint32)-1",
    "(uint64)7",
    "(int16)$a",
    'strlen("abc")',
  ),
);

const expr: fc.Arbitrary<string> = fc.letrec((tie) => ({
  e: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc
      .tuple(
        tie("e"),
        fc.constantFrom(
          "+",
          "-",
          "*",
          "/",
          "%",
          "&",
          "|",
          "^",
          "<<",
          ">>",
          "<",
          ">=",
          "==",
          "!=",
          "&&",
          "||",
        ),
        tie("e"),
      )
      .map(([a, op, b]) => `(${a} ${op} ${b})`),
    // Branches as integers (bool + 0), so the ternary's two sides always unify.
    fc.tuple(tie("e"), tie("e"), tie("e")).map(([c, a, b]) => `(${c} ? (int64)(${a}) : (int64)(${b}))`),
    fc.tuple(fc.constantFrom("!", "~", "-"), tie("e")).map(([op, a]) => `${op}(${a})`),
    fc
      .tuple(fc.constantFrom("int8", "uint8", "int32", "uint64", "int64"), tie("e"))
      .map(([t, a]) => `(${t})(${a})`),
  ),
})).e as fc.Arbitrary<string>;

const stmt: fc.Arbitrary<string> = fc.oneof(
  expr.map((e) => `$a = (int64)(${e});`),
  expr.map((e) => `$b += ${e};`),
  expr.map((e) => `@m[1] = ${e};`),
  expr.map((e) => `@n = ${e};`),
  expr.map((e) => `@c[${e}] = count();`),
  expr.map((e) => `@h = hist(${e});`),
  expr.map((e) => `@s = stats(${e});`),
  expr.map((e) => `printf("%d %lu %x %s\\n", ${e}, ${e}, ${e}, ${e});`),
  expr.map((e) => `print(${e});`),
  expr.map((e) => `if (${e}) { $a++; } else { $b--; }`),
  expr.map((e) => `while (${e}) { $a = $a + 1; }`),
  expr.map((e) => `for ($i : 0..(${e}) % 50) { @n += $i; }`),
  expr.map((e) => `unroll (3) { $b = $b * 2 + ${e}; }`),
  fc.constant("@m[1]++;"),
  fc.constant("delete(@m, 1);"),
);

test("accepted random programs compile and run without throwing", () => {
  let accepted = 0;
  fc.assert(
    fc.property(fc.array(stmt, { minLength: 1, maxLength: 6 }), (stmts) => {
      const prog = `begin { $a = 1; $b = 2; @m[1] = 0; @n = 0; ${stmts.join(" ")} }`;
      const r = runScript(prog, { workBudget: 5000 });
      if (r.script === null) return; // rejected by the front end: its diagnostics are its business
      accepted++;
      expect(r.stderr).not.toContain("internal error");
    }),
    { numRuns: 150, seed: 20261123 },
  );
  // The generator must mostly produce programs the front end accepts, or the test proves little.
  expect(accepted).toBeGreaterThan(75);
});
