/**
 * Statements and expressions of the subset, exit() semantics and the per-hit work budget.
 */

import { describe, expect, test } from "vitest";
import { runScript } from "./harness.js";

function lines(prog: string): string[] {
  const r = runScript(prog);
  expect(r.diagnostics).not.toContain("ERROR");
  return r.stdout.replace(/\n\n\n.*$/s, "").split("\n");
}

describe("statements", () => {
  test("if / else if / else", () => {
    expect(
      lines(
        "begin { $a = 5; if ($a > 10) { print(1); } else if ($a > 3) { print(2); } else { print(3); } if $a { print(4); } }",
      ),
    ).toEqual(["2", "4"]);
  });

  test("while with break and continue", () => {
    expect(
      lines(
        "begin { $i = 0; while ($i < 10) { $i++; if ($i % 2 == 0) { continue; } if ($i > 7) { break; } print($i); } }",
      ),
    ).toEqual(["1", "3", "5", "7"]);
  });

  test("unroll repeats its body", () => {
    expect(lines("begin { $a = 1; unroll (5) { $a = $a * 2; } print($a); }")).toEqual(["32"]);
  });

  test("for over a range: start inclusive, end exclusive, evaluated once", () => {
    expect(
      lines("begin { $n = 3; for ($i : 1..$n) { $n = 10; print($i); } for ($j : 5..5) { print(99); } }"),
    ).toEqual(["1", "2"]);
  });

  test("for over a map sees (key, value) tuples; multi-key maps nest the key", () => {
    expect(
      lines(
        'begin { @m[1, "a"] = 10; @m[2, "b"] = 20; for ($kv : @m) { printf("%d %s %d\\n", $kv.0.0, $kv.0.1, $kv.1); } }',
      ),
    ).toEqual(["1 a 10", "2 b 20"]);
  });

  test("return leaves the probe; later blocks still run", () => {
    expect(lines("begin { print(1); return; print(2); } begin { print(3); }")).toEqual(["1", "3"]);
  });

  test("compound assignment and ++/-- on variables and maps", () => {
    expect(
      lines(
        "begin { $x = 10; $x += 5; $x -= 3; $x *= 2; $x = $x / 4; $x %= 4; $x <<= 3; $x |= 1; $x ^= 3; $x &= 0xff; print($x);" +
          " @c++; ++@c; @c--; print(@c); $y = 1; print($y++); print(++$y); print(--$y); }",
      ),
    ).toEqual(["18", "@c: 1", "1", "3", "2"]);
  });

  test("let without a value reads as the type's zero; _ = e discards", () => {
    expect(lines('begin { let $a; print($a); _ = printf("x\\n"); }')).toEqual(["0", "x"]);
  });

  test("block and if expressions, ternary and ?:", () => {
    expect(
      lines(
        "begin { $v = { $t = 3; $t * 7 }; print($v); print(if ($v > 20) { 1 } else { 0 }); print($v > 1 ? 5 : 6); print(0 ?: 9); }",
      ),
    ).toEqual(["21", "1", "5", "9"]);
  });

  test("tuples, records, indexing and strings", () => {
    expect(
      lines(
        'begin { $t = (1, "two", (3, 4)); $r = (a=1, b=(c="x")); print($t.2.1); print($r.b.c); print($t[1]);' +
          ' $s = "hey"; printf("%c%c %d\\n", $s[0], $s[2], $s[9]); print(strcontains($s, "ey")); print(strncmp("abc", "abd", 2)); }',
      ),
    ).toEqual(["4", "x", "two", "hy 0", "true", "0"]);
  });

  test("a record literal with the fields in another order takes its slot's order, evaluated as written", () => {
    const r = runScript(
      'begin { $a = (foo={ printf("1"); 1 }, bar={ printf("2"); 2 }); $a = (bar={ printf("3"); 3 }, foo={ printf("4\\n"); 4 });' +
        ' print($a); @m = (x=1, y="a"); @m = (y="b", x=2); print(@m); clear(@m); }',
    );
    expect(r.stdout.trimEnd()).toBe("1234\n{ .foo = 4, .bar = 3 }\n@m: { .x = 2, .y = b }");
  });

  test("map keyed by a tuple variable and by a multi-key access agree", () => {
    expect(
      lines("begin { $k = (1, 2); @m[$k] = 5; @m[1, 2] += 1; print(@m[1, 2]); print(len(@m)); }"),
    ).toEqual(["6", "1"]);
  });
});

describe("unwinding out of block expressions", () => {
  test("break inside a block expression ends only the loop", () => {
    expect(
      lines(
        "begin { $i = 0; while ($i < 5) { $i++; $x = { if ($i == 3) { break; } 1 }; print($i); } print(100 + $i); }",
      ),
    ).toEqual(["1", "2", "103"]);
  });

  test("continue inside an if expression skips to the next iteration", () => {
    expect(
      lines(
        "begin { for ($i : 0..4) { $v = if ($i == 1) { continue; 0 } else { $i * 10 }; print($v); } print(9); }",
      ),
    ).toEqual(["0", "20", "30", "9"]);
  });
});

describe("positional parameters", () => {
  test("$1 as a number, $2 as a string, $# the count", () => {
    const r = runScript('begin { printf("%d %s %d\\n", $1 + 1, str($2), $#); }', { args: ["41", "hello"] });
    expect(r.stdout).toBe("42 hello 2\n\n\n");
  });
});

describe("exit()", () => {
  test("ends the current probe at once, end blocks still run, the code is reported", () => {
    const r = runScript('begin { printf("a\\n"); exit(3); printf("never\\n"); } end { printf("end\\n"); }');
    expect(r.stdout).toBe("a\nend\n\n\n");
    expect(r.exit).toEqual({ code: 3 });
  });

  test("exit() without a code is 0; only the first request counts", () => {
    const r = runScript("begin { exit(); } begin { exit(7); }");
    expect(r.exit).toEqual({ code: 0 });
  });

  test("exit inside a block expression abandons the hit", () => {
    const r = runScript("begin { $x = { exit(); 1 }; print(5); }");
    expect(r.stdout).toBe("\n\n");
    expect(r.exit).toEqual({ code: 0 });
  });

  test("no exit, no request", () => {
    expect(runScript("begin { print(1); }").exit).toBeNull();
  });

  test("a uprobe that exits stops its own hit, not the next one (the session decides)", () => {
    const r = runScript("uprobe:/bin/x:f { @hits = count(); exit(); @after = count(); } begin {}", {
      between: (script, ctx) => {
        script.probes[0]!.run(ctx);
        script.probes[0]!.run(ctx);
      },
    });
    expect(r.stdout).toBe("\n\n@hits: 2\n");
  });
});

describe("the per-hit work budget", () => {
  test("a runaway while loop stops with an error naming the probe, through the output", () => {
    const r = runScript("uprobe:/usr/bin/shopd:main { $i = 0; while (1) { $i++; } @after = 1; } begin {}", {
      workBudget: 1000,
      between: (script, ctx) => {
        ctx.probe = "uprobe:/usr/bin/shopd:main";
        expect(() => script.probes[0]!.run(ctx)).not.toThrow();
      },
    });
    expect(r.stderr).toBe(
      "Attached 2 probes\nstdin:1:1-27: ERROR: probe uprobe:/usr/bin/shopd:main exceeded the per-hit work budget (1000 steps)\n",
    );
    expect(r.stdout).toBe("\n\n");
  });

  test("the default budget is 1,000,000 steps and resets every hit", () => {
    const r = runScript(
      "begin { $i = 0; while ($i < 300000) { $i++; } print($i); } begin { $j = 0; while ($j < 300000) { $j++; } print($j); }",
    );
    expect(r.stdout).toBe("300000\n300000\n\n\n");
    expect(r.stderr).toBe("Attached 2 probes\n");
  });

  test("nested unrolls and for-loops are charged too", () => {
    const r = runScript("begin { unroll (100) { unroll (100) { for ($i : 0..1000) { @n++; } } } }", {
      workBudget: 50_000,
    });
    expect(r.stderr).toContain("exceeded the per-hit work budget (50000 steps)");
  });
});

describe("handlers never throw", () => {
  test("an exception inside a handler (here: the memory reader) becomes an error event", () => {
    const r = runScript('uprobe:/bin/x:f { printf("%s\\n", str(arg0)); @after = 1; } begin {}', {
      between: (script, ctx) => {
        ctx.probe = "uprobe:/bin/x:f";
        ctx.memory = {
          readCString: () => {
            throw new Error("page fault");
          },
          readBytes: () => null,
        };
        expect(() => script.probes[0]!.run(ctx)).not.toThrow();
      },
    });
    expect(r.stderr).toContain(
      "stdin:1:1-16: ERROR: probe uprobe:/bin/x:f stopped: internal error: page fault",
    );
    expect(r.stdout).toBe("\n\n");
  });
});
