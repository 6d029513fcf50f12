import { describe, expect, test } from "vitest";
import { type Diagnostic, formatDiagnostics } from "../../src/lang/index.js";
import { diags, messages } from "./helpers.js";

const src = { name: "stdin", text: 'begin { print(kaddr("asdfzzzzzzz")) }' };

describe("bpftrace's diagnostic format", () => {
  test("one-line span: location, source line, '~' under [col, endCol)", () => {
    const d: Diagnostic = {
      severity: "error",
      message: "Failed to resolve kernel symbol: asdfzzzzzzz",
      span: { line: 1, col: 15, endLine: 1, endCol: 35 },
      hints: [],
    };
    expect(formatDiagnostics([d], src)).toBe(
      [
        "stdin:1:15-35: ERROR: Failed to resolve kernel symbol: asdfzzzzzzz",
        'begin { print(kaddr("asdfzzzzzzz")) }',
        "              ~~~~~~~~~~~~~~~~~~~~",
        "",
      ].join("\n"),
    );
  });

  test("multi-line span: FILE:L1-L2 and every line, no marker", () => {
    const text = "begin {\n  $x = 1;\n}\n";
    const d: Diagnostic = {
      severity: "error",
      message: "m",
      span: { line: 1, col: 7, endLine: 3, endCol: 2 },
      hints: [],
    };
    expect(formatDiagnostics([d], { name: "a.bt", text })).toBe(
      "a.bt:1-3: ERROR: m\nbegin {\n  $x = 1;\n}\n",
    );
  });

  test("errors before warnings, hints after their diagnostic, no span = bare line", () => {
    const list: Diagnostic[] = [
      { severity: "warning", message: "w", span: { line: 1, col: 1, endLine: 1, endCol: 6 }, hints: [] },
      { severity: "error", message: "e", hints: ["did you mean 'x'?"] },
    ];
    expect(formatDiagnostics(list, src)).toBe(
      "ERROR: e\nHINT: did you mean 'x'?\nstdin:1:1-6: WARNING: w\n" +
        'begin { print(kaddr("asdfzzzzzzz")) }\n~~~~~\n',
    );
  });

  test("tabs are expanded to 4 spaces in the line and the marker", () => {
    const d: Diagnostic = {
      severity: "error",
      message: "m",
      span: { line: 1, col: 3, endLine: 1, endCol: 5 },
      hints: [],
    };
    expect(formatDiagnostics([d], { name: "stdin", text: "\t\t$x" })).toBe(
      "stdin:1:3-5: ERROR: m\n        $x\n        ~~\n",
    );
  });

  test("colour only when asked", () => {
    const d: Diagnostic = { severity: "error", message: "m", hints: ["h"] };
    expect(formatDiagnostics([d], src, { color: true })).toBe(
      "\x1b[1;31mERROR:\x1b[0m m\n\x1b[1;36mHINT:\x1b[0m h\n",
    );
  });
});

describe("golden diagnostics of whole programs", () => {
  test("uprobe argument count", () => {
    expect(diags("uprobe:f { 1 }")).toBe(
      "stdin:1:1-9: ERROR: uprobe probe type requires 2 or 3 arguments, found 1\nuprobe:f { 1 }\n~~~~~~~~\n",
    );
  });

  test("bad config key", () => {
    expect(diags("config = { bad_config=raw } begin {}")).toBe(
      "stdin:1:12-26: ERROR: bad_config: not a known configuration option\n" +
        "config = { bad_config=raw } begin {}\n" +
        "           ~~~~~~~~~~~~~~\n",
    );
  });

  test("unroll maximum", () => {
    expect(diags("i:ms:1 {$a = 1; unroll (101) { $a = $a + 2; } }")).toBe(
      "stdin:1:25-28: ERROR: unroll maximum value is 100\n" +
        "i:ms:1 {$a = 1; unroll (101) { $a = $a + 2; } }\n" +
        "                        ~~~\n",
    );
  });

  test("unknown identifier with its hint", () => {
    expect(diags("begin { @ = cout(); }")).toBe(
      "stdin:1:13-19: ERROR: Unknown function: 'cout'\nbegin { @ = cout(); }\n            ~~~~~~\nHINT: did you mean 'count'?\n",
    );
  });

  test("several syntax errors, each with its line", () => {
    expect(diags("begin { $x = ; }\nend { @y = 1 +; }")).toBe(
      "stdin:1:14-15: ERROR: syntax: unexpected ';', expected an expression\n" +
        "begin { $x = ; }\n" +
        "             ~\n" +
        "stdin:2:15-16: ERROR: syntax: unexpected ';', expected an expression\n" +
        "end { @y = 1 +; }\n" +
        "              ~\n",
    );
  });

  test("type mismatch on a map", () => {
    expect(diags('begin { @x = 1; @x = "a"; }')).toBe(
      "stdin:1:17-25: ERROR: Type mismatch for @x: trying to assign value of type 'string[2]' when map already has a type 'int8'\n" +
        'begin { @x = 1; @x = "a"; }\n' +
        "                ~~~~~~~~\n",
    );
  });
});

describe("warnings", () => {
  test("signed division warns; unsigned or literal operands do not; the program still checks", () => {
    const text = "begin { $a = (int32)-7; $b = $a / 2; $c = (uint64)7 / 2; $d = 7 % 2; }";
    expect(diags(text)).toBe(
      "stdin:1:30-36: WARNING: signed operands for '/' can lead to undefined behavior (cast to unsigned to silence warning)\n" +
        text +
        "\n" +
        "                             ~~~~~~\n",
    );
  });

  test("signed division of two operands of one signed type is quiet, as bpftrace's type resolver has it", () => {
    expect(diags("begin { $a = (int64)5; $b = (int64)7; @c = $b / $a; @d = $a % 5000000000; }")).toBe("");
    const mixed = "begin { @x = (uint64)1; @y = -1 / @x; }";
    expect(diags(mixed)).toContain("stdin:1:30-37: WARNING: signed operands for '/'");
    expect(diags("begin { @t = nsecs; @v = (nsecs - @t) / 1000; }")).toContain("WARNING: signed operands");
  });

  test("an unset positional parameter warns and reads as 0", () => {
    expect(diags("begin { print($2); }", ["a"])).toBe(
      'stdin:1:15-17: WARNING: Positional parameter $2 is not set; it reads as 0 (or "" as a string)\n' +
        "begin { print($2); }\n" +
        "              ~~\n",
    );
  });

  test("errors come first even when a warning is found earlier", () => {
    const out = diags("begin { $a = (int32)1; $b = $a / 2; $c = nope; }");
    expect(out.indexOf("ERROR")).toBeLessThan(out.indexOf("WARNING"));
  });
});

describe("spans of parenthesised expressions", () => {
  test("statement parentheses are not part of the condition", () => {
    expect(diags('begin { if ("s") { } }')).toBe(
      'stdin:1:13-16: ERROR: Invalid condition in if: string[2]\nbegin { if ("s") { } }\n            ~~~\n',
    );
  });

  test("grouping parentheses are part of the operand", () => {
    expect(diags('begin { $x = ("a") + 1; }')).toBe(
      "stdin:1:14-23: ERROR: Type mismatch for '+': comparing string[2] with int8\n" +
        'begin { $x = ("a") + 1; }\n' +
        "             ~~~~~~~~~\n",
    );
  });
});

describe("constructs the grammar does not take are named, not a bare syntax error", () => {
  test.each([
    [
      "struct foo { int x __attribute__((aligned(8))); } begin { }",
      "struct attributes (__attribute__((...)))",
    ],
    ["struct __attribute__((packed)) foo { int x; } begin { }", "struct attributes (__attribute__((...)))"],
    ["struct foo { struct { int a, b; } s; } begin { }", "several members in one declaration"],
    ["struct foo { int a[2][3]; } begin { }", "multi-dimensional arrays"],
    ["macro m(x) { typeinfo(x) } begin { }", "typeinfo is not supported by probelab"],
  ])("%s", (text, feature) => {
    const got = messages(text);
    expect(
      got.some((m) => m.startsWith(`error: ${feature}`) && m.includes("not supported by probelab")),
    ).toBe(true);
    expect(got.some((m) => m.includes("syntax:"))).toBe(false);
  });

  test("struct attributes after the closing brace other than packed and aligned(N) are named", () => {
    expect(messages("struct foo { int x; } __attribute__((deprecated)) begin { }")).toEqual([
      "error: struct attribute 'deprecated' is not supported by probelab (packed and aligned(N) are)",
    ]);
    expect(messages("struct foo { int x; } __attribute__((aligned(3))) begin { }")).toEqual([
      "error: requested alignment is not a power of 2",
    ]);
  });

  test("the last struct member may go without its ';'", () => {
    expect(messages("struct A { int a; char c[28] } struct B { long x } begin { }")).toEqual([]);
  });
});
