/** User macros at run time: what an expanded call does to the caller's variables and maps. */

import { describe, expect, test } from "vitest";
import { runScript } from "./harness.js";

/** The program's output before the exit dump's two blank lines and the maps. */
function output(text: string): string {
  const r = runScript(text);
  if (r.script === null) throw new Error(r.diagnostics);
  return r.stdout;
}

describe("macros at run time", () => {
  test("a $x parameter is the caller's variable: the conformance case prints 2", () => {
    expect(output("macro inc($x) { $x += 1; } begin { $a = 1; inc($a); print($a);  }")).toBe("2\n\n\n");
  });

  test("mutations through nested macros reach the outermost caller", () => {
    expect(
      output(
        "macro add2($x) { $x += 2; $x } macro add1($x) { $x += 1; add2($x); } begin { $y = 1; add1($y); print($y); }",
      ),
    ).toBe("4\n\n\n");
  });

  test("a macro's value is its trailing expression; expression parameters are evaluated per use", () => {
    expect(
      output(
        'macro twice(e) { e + e } begin { @n = 0; $v = twice(@n++); printf("%d %d\\n", $v, @n); clear(@n); }',
      ),
    ).toBe("1 2\n\n\n");
  });

  test("the macro's own variables do not touch the caller's of the same name", () => {
    expect(output("macro m() { $a = 100; $a + 1 } begin { $a = 1; $b = m(); print(($a, $b)); }")).toBe(
      "(1, 101)\n\n\n",
    );
  });

  test("a map parameter writes the caller's map", () => {
    expect(
      output('macro put(@m, k, v) { @m[k] = v; } begin { put(@seen, "x", 3); put(@seen, "y", 4); }'),
    ).toBe("\n\n@seen[x]: 3\n@seen[y]: 4\n");
  });

  test("a macro in a predicate", () => {
    const r = runScript("macro big(v) { v > 10 } uprobe:/bin/x:f /big(arg0)/ { print(arg0); } begin { }", {
      between: (script, ctx) => {
        for (const a of [5, 50, 7, 11]) {
          ctx.args[0] = a;
          script.probes[0]!.run(ctx);
        }
      },
    });
    expect(r.stdout).toBe("50\n11\n\n\n");
  });

  test("exit() inside a macro body ends the probe", () => {
    expect(output('macro stop() { exit(); } begin { stop(); print("not reached"); }')).toBe("\n\n");
  });

  test("a user macro named like a builtin overrides it; a literal body stays a literal", () => {
    expect(output('macro cpu() { "hi" } begin { printf(cpu()); printf(" %d\\n", ncpus); exit(); }')).toBe(
      "hi 4\n\n\n",
    );
  });
});
