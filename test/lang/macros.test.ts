import { describe, expect, test } from "vitest";
import type { Stmt } from "../../src/lang/ast.js";
import { typeName } from "../../src/lang/types.js";
import { messages, ok, run } from "./helpers.js";

function errors(text: string): string[] {
  return messages(text)
    .filter((m) => m.startsWith("error: "))
    .map((m) => m.slice(7));
}

function locals(text: string, probe = 0): string[] {
  return ok(text).probes[probe]!.locals.map((l) => `${l.name}: ${typeName(l.type)}`);
}

describe("macro definitions: parsing", () => {
  test("parameters of the three kinds are recorded as written", () => {
    const p = ok("macro m($x, @map, e) { $x + e } begin { $a = 1; @q = 1; print(m($a, @q, 2)); }");
    expect(p.ast.macros.map((m) => [m.name, m.params.map((x) => `${x.name}:${x.binds}`)])).toEqual([
      ["m", ["$x:variable", "@map:map", "e:expression"]],
    ]);
  });

  test("macros may come before, between and after probes", () => {
    ok("begin { print(one()); } macro one() { 1 } end { print(two()); } macro two() { 2 }");
  });

  test("a builtin's name cannot be a parameter; names must be identifiers", () => {
    expect(errors("macro m(pid) { pid } begin { }")).toEqual([
      "macro parameter 'pid' is the name of a builtin",
    ]);
    expect(errors("macro a.b() { 1 } begin { }")).toEqual(["syntax: invalid macro name 'a.b'"]);
    expect(errors("macro (x) { x } begin { }")).toEqual(["syntax: expected the macro's name"]);
  });

  test("duplicate macros, duplicate parameters and a let shadowing a variable parameter", () => {
    expect(errors("macro m() { 1 } macro m() { 2 } begin { }")).toEqual(["Redefinition of macro: m"]);
    expect(errors("macro m($x, $x) { 1 } begin { }")).toEqual([
      "Variable for macro argument has already been used: $x",
    ]);
    expect(errors("macro m($x) { let $x = 1; $x } begin { $a = 1; print(m($a)); }")).toEqual([
      "Variable declaration shadows macro arg $x",
    ]);
  });
});

describe("expansion", () => {
  test("a statement call becomes a block statement bound to the caller's variable", () => {
    const p = ok("macro inc($x) { $x += 1; } begin { $a = 1; inc($a); print($a); }");
    const stmts = p.ast.probes[0]!.body.statements;
    expect(stmts.map((s) => s.kind)).toEqual(["assign", "blockStmt", "exprStmt"]);
    const inner = (stmts[1] as Stmt & { kind: "blockStmt" }).block.statements[0]!;
    // `$x += 1` became `$a += 1` on the caller's slot.
    expect(
      inner.kind === "assign" && inner.target.kind === "var" && [inner.target.name, inner.target.slot],
    ).toEqual(["$a", 0]);
    expect(locals("macro inc($x) { $x += 1; } begin { $a = 1; inc($a); print($a); }")).toEqual(["$a: int8"]);
  });

  test("a value call becomes a block expression with the body's trailing value", () => {
    const p = ok("macro twice(e) { e * 2 } begin { $y = twice(21); }");
    const assign = p.ast.probes[0]!.body.statements[0]!;
    expect(assign.kind === "assign" && assign.value.kind).toBe("blockExpr");
  });

  test("a macro's own variables are private: same name as the caller's, different slot", () => {
    const text = "macro m() { $a = 5; $a } begin { $a = 1; $b = m(); print($a); }";
    expect(locals(text)).toEqual(["$a: int8", "$a: int8", "$b: int8"]);
    // Two expansions of the same macro get separate locals too.
    expect(locals("macro m() { $t = 1; $t } begin { $x = m() + m(); }")).toHaveLength(3);
  });

  test("the body cannot read the caller's variables that were not passed in", () => {
    expect(errors("macro m() { $a + 1 } begin { $a = 1; print(m()); }")).toEqual([
      "Undefined or undeclared variable: $a",
    ]);
  });

  test("maps must be passed in; a map parameter is renamed to the caller's map", () => {
    expect(errors("macro set() { @x[1] = 1; 1 } begin { @x[0] = 0; set(); }")).toEqual([
      "Unhygienic access to map: @x. Maps must be passed into the macro as arguments",
    ]);
    const p = ok("macro put(@m, k) { @m[k] = 7; } begin { put(@totals, 3); }");
    expect(p.maps.map((m) => m.name)).toEqual(["@totals"]);
  });

  test("expression parameters are substituted at each use and may be the caller's variables", () => {
    ok("macro add1(x) { x + 1 } begin { $y = 1; print(add1($y)); @y = 1; print(add1(@y)); }");
  });

  test("macros call macros; a variable parameter passes through to the inner macro", () => {
    const text =
      "macro add2($x) { $x += 2; $x } macro add1($x) { $x += 1; add2($x); } begin { $y = 1; add1($y); print($y); }";
    expect(locals(text)).toEqual(["$y: int8"]);
  });

  test("zero-parameter macros may be called bare, and user macros shadow functions", () => {
    ok('macro hello() { print("hi"); } begin { hello; hello(); }');
    const p = ok("macro count() { 42 } begin { $c = count(); }");
    expect(p.probes[0]!.locals.map((l) => typeName(l.type))).toEqual(["int8"]);
  });

  test("macros in predicates", () => {
    ok("macro big(v) { v > 10 } uprobe:/bin/x:f /big(arg0)/ { }");
  });
});

describe("expansion errors", () => {
  test("argument count, bare call of a macro with parameters", () => {
    expect(errors("macro set($x) { $x } begin { $a = 1; set($a, 1); }")).toEqual([
      "Call to macro 'set' has the wrong number of arguments. Expected: 1 but got 2",
    ]);
    expect(errors("macro set($x) { $x } begin { $z = set; }")).toEqual([
      "Call to macro 'set' has no arguments. Expected: 1",
    ]);
  });

  test("a variable parameter needs a variable, a map parameter a map", () => {
    expect(errors("macro f($x) { $x } begin { @a = 1; f(@a); }")).toEqual([
      "Mismatched arg to macro call. Macro expects a variable for arg $x but got a map.",
    ]);
    expect(errors("macro f($x) { $x } begin { f(1 + 1); }")).toEqual([
      "Mismatched arg to macro call. Macro expects a variable for arg $x but got an expression.",
    ]);
    expect(errors("macro f(@x) { @x[1] } begin { $a = 0; f($a); }")).toEqual([
      "Mismatched arg to macro call. Macro expects a map for arg @x but got a variable.",
    ]);
  });

  test("a macro without a trailing value used as a value", () => {
    expect(errors("macro add1($x) { $x += 1; } begin { $y = 1; $z = add1($y); }")).toEqual([
      "Macro 'add1' expanded to a block instead of a block expression. Try removing the semicolon from the end of the last statement in the macro body.",
    ]);
  });

  test("recursion, direct or through other macros, is reported with the chain", () => {
    expect(errors("macro f(x) { f(x) } begin { print(f(1)); }")).toEqual([
      "Recursive macro call detected. Call chain: f > f",
    ]);
    expect(
      errors(
        "macro add1(x) { x + add3(x) } macro add2(x) { x + add1(x) } macro add3(x) { x + add2(x) } begin { print(add3(1)); }",
      ),
    ).toEqual(["Recursive macro call detected. Call chain: add3 > add2 > add1 > add3"]);
  });

  test("an exponential expansion is stopped with one error", () => {
    const defs = ["macro m0() { 1 }"];
    for (let i = 1; i <= 16; i++) defs.push(`macro m${i}() { m${i - 1}() + m${i - 1}() }`);
    const r = run(`${defs.join(" ")} begin { print(m16()); }`);
    expect(r.program).toBeNull();
    expect(r.diagnostics.map((d) => d.message)).toEqual([
      "macro expansion too large (more than 10000 expansions)",
    ]);
  });

  test("an unknown name inside a body is left to the checker", () => {
    expect(errors("macro add3(x) { x + add5(x) } begin { print(add3(1)); }")).toEqual([
      "Unknown function: 'add5'",
    ]);
  });
});
