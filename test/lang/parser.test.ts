import { describe, expect, test } from "vitest";
import type { Expr } from "../../src/lang/ast.js";
import { ProbelabParser } from "../../src/lang/grammar.js";
import { ast, parsedBody as body, diags, messages, parsed } from "./helpers.js";

/** Renders an expression as fully parenthesised text, to assert structure compactly. */
function show(e: Expr): string {
  switch (e.kind) {
    case "int":
      return String(e.value);
    case "string":
      return JSON.stringify(e.value);
    case "bool":
      return String(e.value);
    case "var":
      return e.name;
    case "builtin":
      return e.name;
    case "map":
      return e.key ? `${e.name}[${show(e.key)}]` : e.name;
    case "binary":
      return `(${show(e.left)} ${e.op} ${show(e.right)})`;
    case "unary":
      return `(${e.op}${show(e.operand)})`;
    case "ternary":
      return `(${show(e.cond)} ? ${e.then ? show(e.then) : ""} : ${show(e.else)})`;
    case "cast":
      return `((${e.to.text})${show(e.operand)})`;
    case "tuple":
      return `tuple(${e.elements.map(show).join(", ")})`;
    case "record":
      return `record(${e.fields.map((f) => `${f.name}=${show(f.value)}`).join(", ")})`;
    case "call":
      return `${e.name}(${e.args.map(show).join(", ")})`;
    case "incdec":
      return e.prefix ? `(${e.op}${show(e.target)})` : `(${show(e.target)}${e.op})`;
    case "field":
      return `${show(e.operand)}.${e.field}`;
    case "tupleIndex":
      return `${show(e.operand)}.${e.index}`;
    case "index":
      return `${show(e.operand)}[${show(e.index)}]`;
    case "blockExpr":
      return `{${e.block.statements.length}; ${e.block.value ? show(e.block.value) : ""}}`;
    case "ifExpr":
      return `if(${show(e.cond)})`;
    case "discard":
      return "_";
    case "sizeof":
      return `sizeof(${e.of.kind === "typeRef" ? e.of.text : show(e.of)})`;
    case "offsetof":
      return `offsetof(${e.struct.text}, ${e.path.join(".")})`;
    case "typeof":
      return `typeof(${e.of.kind === "typeRef" ? e.of.text : show(e.of)})`;
  }
}

/** The expression of `begin { $r = EXPR; }` (a cast-safe holder), shown. */
function expr(text: string): string {
  const stmt = body(`begin { $r = ${text}; }`)[0]!;
  if (stmt.kind !== "assign") throw new Error("not an assignment");
  return show(stmt.value);
}

describe("expressions", () => {
  test("precedence follows bpftrace's table", () => {
    expect(expr("1 + 2 * 3")).toBe("(1 + (2 * 3))");
    expect(expr("1 + 2 / 2 * 3")).toBe("(1 + ((2 / 2) * 3))");
    expect(expr("1 - 2 - 3")).toBe("((1 - 2) - 3)");
    expect(expr("1 | 2 ^ 3 & 4")).toBe("(1 | (2 ^ (3 & 4)))");
    expect(expr("1 & 2 == 2")).toBe("(1 & (2 == 2))");
    expect(expr("1 < 2 == 3 > 4")).toBe("((1 < 2) == (3 > 4))");
    expect(expr("1 << 2 + 3")).toBe("(1 << (2 + 3))");
    expect(expr("1 || 2 && 3")).toBe("(1 || (2 && 3))");
    expect(expr("(1 + 2) * 3")).toBe("((1 + 2) * 3)");
  });

  test("unary operators bind tighter than binary ones", () => {
    expect(expr("-1 + ~2")).toBe("((-1) + (~2))");
    expect(expr("!1 == 0")).toBe("((!1) == 0)");
  });

  test("ternary, nested right-associatively, and the short form", () => {
    expect(expr("1 ? 2 : 3 ? 4 : 5")).toBe("(1 ? 2 : (3 ? 4 : 5))");
    expect(expr("pid ?: 20")).toBe("(pid ?  : 20)");
  });

  test("casts vs grouping", () => {
    expect(expr("(int32)retval")).toBe("((int32)retval)");
    expect(expr("(uint8)-1")).toBe("((uint8)(-1))");
    expect(expr("(pid)*tid")).toBe("(pid * tid)");
    expect(expr("(int8)(int16)1")).toBe("((int8)((int16)1))");
  });

  test("tuples, the empty tuple, one-tuples, records", () => {
    expect(expr('(1, 2, "s", (4, 5))')).toBe('tuple(1, 2, "s", tuple(4, 5))');
    expect(expr("(1,)")).toBe("tuple(1)");
    expect(expr("()")).toBe("tuple()");
    expect(expr("(1, 2,)")).toBe("tuple(1, 2)");
    expect(expr("(x=1, y=(a=2))")).toBe("record(x=1, y=record(a=2))");
  });

  test("postfix chains apply left to right", () => {
    expect(expr("$t.3.0")).toBe("$t.3.0");
    expect(expr("$r.a.b")).toBe("$r.a.b");
    expect(expr("$s[1 + 1]")).toBe("$s[(1 + 1)]");
    expect(expr("$r->a")).toBe("$r.a");
    expect(expr("$x++")).toBe("($x++)");
    expect(expr("--$x")).toBe("(--$x)");
  });

  test("maps with one key, several keys (a tuple key), and none", () => {
    expect(expr('@m[1, "a"]')).toBe('@m[tuple(1, "a")]');
    expect(expr("@[tid]")).toBe("@[tid]");
    expect(expr("@x")).toBe("@x");
  });

  test("builtins and calls; zero-argument functions may omit ()", () => {
    expect(expr("pid + tid")).toBe("(pid + tid)");
    expect(expr("strlen(comm)")).toBe("strlen(comm)");
    expect(expr("nsecs()")).toBe("nsecs");
  });

  test("block and if expressions", () => {
    expect(expr("{ $a = 1; $a + 1 }")).toBe("{1; ($a + 1)}");
    expect(expr("if (1) { 2 } else { 3 }")).toBe("if(1)");
  });

  test("integer literals keep their exact value and text", () => {
    const stmt = body("begin { $x = 18446744073709551615; }")[0]!;
    expect(stmt.kind === "assign" && stmt.value).toMatchObject({ kind: "int", value: 18446744073709551615n });
    expect(expr("1_000")).toBe("1000");
    expect(expr("10ms")).toBe("10000000");
  });

  test("positional parameters become literals", () => {
    const p = parsed("begin { $a = $1; $b = $2; $c = $#; $d = $3; }", ["42", "hello"]);
    const values = p.probes[0]!.body.statements.map((s) => (s.kind === "assign" ? s.value : null));
    expect(values[0]).toMatchObject({ kind: "int", value: 42n, positional: 1 });
    expect(values[1]).toMatchObject({ kind: "string", value: "hello", positional: 2 });
    expect(values[2]).toMatchObject({ kind: "int", value: 2n });
    expect(values[3]).toMatchObject({ kind: "int", value: 0n, positional: 3 });
  });
});

describe("statements", () => {
  test("assignment forms and compound operators", () => {
    const stmts = body("begin { $x = 1; @m[1] = 2; $x += 3; @m[1] <<= 1; _ = 5; $x++; }");
    expect(stmts.map((s) => s.kind)).toEqual(["assign", "assign", "assign", "assign", "assign", "exprStmt"]);
    expect(stmts[2]).toMatchObject({ op: "+" });
    expect(stmts[3]).toMatchObject({ op: "<<" });
    expect(stmts[4]).toMatchObject({ target: { kind: "discard" } });
  });

  test("let with and without type and value", () => {
    const stmts = body("begin { let $a; let $b: int32 = 1; let $c = 2; }");
    expect(stmts[0]).toMatchObject({ kind: "let", declaredType: null, value: null });
    expect(stmts[1]).toMatchObject({ kind: "let", declaredType: { text: "int32" } });
    expect(stmts[2]).toMatchObject({ kind: "let", declaredType: null, value: { kind: "int" } });
  });

  test("if / else if / else, with or without parentheses", () => {
    const [s] = body("begin { if $x { } else if ($x == 1) { } else { $y = 1 } $x = 1; }");
    expect(s).toMatchObject({ kind: "if", else: { kind: "if", else: { kind: "block" } } });
  });

  test("loops: while, unroll, for over a map and over a range", () => {
    const stmts = body(
      "begin { @m[1] = 1; while (1) { break; } unroll (3) { } for ($kv : @m) { continue; } for $i : 0..5 { } }",
    );
    expect(stmts.map((s) => s.kind)).toEqual(["assign", "while", "unroll", "forMap", "forRange"]);
    expect(stmts[2]).toMatchObject({ countExpr: { kind: "int", value: 3n } });
    expect(stmts[3]).toMatchObject({ map: { name: "@m" } });
  });

  test("';' may be omitted before '}' and after block statements", () => {
    expect(body("begin { $a = 1; if (1) { $a = 2 } $a = 3 }").length).toBe(3);
    expect(messages("begin { $a = 1 $b = 2; }")).toEqual(["error: syntax: unexpected '$b', expected ';'"]);
  });

  test("return, bare blocks and expression statements", () => {
    const stmts = body('begin { { $a = 1; } printf("x"); return; }');
    expect(stmts.map((s) => s.kind)).toEqual(["blockStmt", "exprStmt", "return"]);
  });
});

describe("programs", () => {
  test("config block, map declarations and probes in order", () => {
    const p = ast(
      'config = { max_map_keys = 100; BPFTRACE_MAX_STRLEN = 32 missing_probes = "warn" } let @m = lruhash(10); begin { @m[1] = 1; } end { }',
    );
    expect(p.config.map((c) => [c.key, c.value])).toEqual([
      ["max_map_keys", 100n],
      ["max_strlen", 32n],
      ["missing_probes", "warn"],
    ]);
    expect(p.mapDecls).toMatchObject([{ name: "@m", mapKind: "lruhash", maxEntries: 10 }]);
    expect(p.probes.map((x) => x.attachPoints[0]!.provider)).toEqual(["begin", "end"]);
  });

  test("several attach points, a trailing comma, and a predicate kept separately", () => {
    const p = ast("uprobe:/usr/bin/shopd:main, uprobe:libc:free, /pid > 1/ { }");
    expect(p.probes[0]!.attachPoints.map((a) => a.func)).toEqual(["main", "free"]);
    expect(p.probes[0]!.predicate).toMatchObject({ kind: "binary", op: ">" });
  });

  test("a predicate may divide", () => {
    const p = ast("begin /10 / 2 == 5/ { }");
    expect(p.probes[0]!.predicate).toMatchObject({ op: "==", left: { op: "/" } });
  });

  test("spans are 1-based with an exclusive end", () => {
    const p = ast("begin {\n  $x = 1 + 22;\n}");
    const stmt = p.probes[0]!.body.statements[0]!;
    expect(stmt.span).toEqual({ line: 2, col: 3, endLine: 2, endCol: 14 });
    if (stmt.kind !== "assign") throw new Error();
    expect(stmt.value.span).toEqual({ line: 2, col: 8, endLine: 2, endCol: 14 });
    expect(p.probes[0]!.span).toEqual({ line: 1, col: 1, endLine: 3, endCol: 2 });
  });
});

describe("syntax errors", () => {
  test("the unclosed predicate message matches bpftrace", () => {
    expect(diags("begin /pid == 1 { 0; }")).toBe(
      "stdin:1:17-18: ERROR: syntax: expected '/' to close predicate\nbegin /pid == 1 { 0; }\n                ~\n",
    );
  });

  test("several syntax errors are reported in one run", () => {
    const m = messages("begin { $x = ; }\nend { $y = 1 +; }\ni:s:1 { if { } }");
    expect(m.length).toBeGreaterThanOrEqual(3);
    expect(m.every((x) => x.startsWith("error: syntax: "))).toBe(true);
  });

  test("a stray '}' between probes", () => {
    expect(messages("begin { } } end { }")).toEqual(["error: syntax: unexpected '}'"]);
  });

  test("end of input inside a block", () => {
    expect(messages("begin { $x = 1;")).toEqual(["error: syntax: unexpected end of file, expected '}'"]);
  });

  test("invalid assignment targets and literal errors", () => {
    expect(messages("begin { 1 = 2; }")).toEqual([
      "error: syntax: can only assign to a variable ($x), a map (@m, @m[k]) or _",
    ]);
    expect(messages("begin { $x = 12q; }")).toEqual(["error: syntax: invalid integer suffix: q"]);
    expect(diags('begin { printf("\\q"); }')).toBe(
      "stdin:1:17-19: ERROR: syntax: invalid escape character '\\q'\nbegin { printf(\"\\q\"); }\n                ~~\n",
    );
  });

  test("unterminated strings and unexpected characters", () => {
    expect(messages('begin { printf("abc); }')[0]).toBe("error: syntax: unterminated string literal");
    expect(messages("begin { $x = 1 ` 2; }")[0]).toBe("error: syntax: unexpected character '`'");
  });
});

describe("unsupported features get a diagnostic naming them", () => {
  test.each([
    ["#line 5\nbegin { }", "the preprocessor directive #line is not supported by probelab"],
    ['import "lib.bt"; begin { }', "imports are not supported by probelab"],
    ["fn f($a: int64): int64 { return $a; } begin { }", "subprograms (fn) are not supported by probelab"],
    [
      "begin { $x = typeof($y); }",
      "typeof(...) is a type, not a value: use it in a cast, a declaration or sizeof",
    ],
    [
      "watchpoint:0x1000:8:rw { }",
      "watchpoint probes are not supported by probelab (supported: uprobe, uretprobe, usdt, kprobe, kretprobe, fentry, fexit, tracepoint, rawtracepoint, software, profile, begin, end, interval)",
    ],
    [
      "begin { let $x: int8[4]; }",
      "array types (int8[4]) are not supported by probelab (in declarations; cast a value to the array type instead)",
    ],
    [
      "begin { @y = 1; $x = &@y; }",
      "address-of (&) takes a scratch variable ($x) in probelab: maps and other expressions have no address",
    ],
    ["begin { print(cpid); }", "The cpid builtin is not supported by probelab"],
    ['begin { system("ls"); }', "system() is an unsafe function being used in safe mode (run with --unsafe)"],
  ])("%s", (text, message) => {
    expect(messages(text)).toContain(`error: ${message}`);
  });
});

describe("error recovery does not cascade", () => {
  test("the leftovers of a broken probe are not reported again", () => {
    expect(messages("begin { $x = ) ; $y = 2; } end { }")).toEqual([
      "error: syntax: unexpected ')', expected an expression",
    ]);
    expect(messages("begin { @ = (; } end { }")).toEqual(["error: syntax: unexpected ';', expected ')'"]);
  });

  test("a run of stray tokens is one error; a later run is another", () => {
    expect(messages("begin {} }}} end {} } ")).toEqual([
      "error: syntax: unexpected '}'",
      "error: syntax: unexpected '}'",
    ]);
  });

  test("errors are listed in source order, end of input last", () => {
    const m = messages("begin { $x = ; } end { $y = 1 +; } i:s:1 { if (1) {");
    expect(m[0]).toMatch(/unexpected ';'/);
    expect(m.at(-1)).toMatch(/end of file/);
  });
});

describe("probes are built while the parser runs", () => {
  test("a probe's diagnostics are dropped when a later probe has a syntax error", () => {
    expect(messages("i:s:1 { print($1); }\ni:s:2 { @x = ; }")).toEqual([
      "error: syntax: unexpected ';', expected an expression",
    ]);
  });

  test("probe diagnostics still follow those of the items before the probes", () => {
    expect(messages("i:s:1 { print($1); }\nlet @m = treemap(4);")).toEqual([
      "error: unknown map type 'treemap' (expected hash, lruhash, percpuhash or percpulruhash)",
      'warning: Positional parameter $1 is not set; it reads as 0 (or "" as a string)',
    ]);
  });

  test("probes keep their order and indexes", () => {
    const probes = ast("i:s:1 { 1 }\ni:s:2 { 2 }\ni:s:3 { 3 }").probes;
    expect(probes.map((p) => [p.index, p.attachPoints[0]!.span.line])).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
  });
});

test("the grammar passes Chevrotain's validations (the run's parser skips them)", () => {
  // performSelfAnalysis throws on an ambiguous alternative, left recursion or a duplicate rule.
  expect(() => new ProbelabParser(true)).not.toThrow();
});
