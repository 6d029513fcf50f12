import { describe, expect, test } from "vitest";
import type { CastExpr, Expr, Stmt } from "../../src/lang/ast.js";
import { type StructType, type Type, typeName } from "../../src/lang/types.js";
import { diags, messages, ok } from "./helpers.js";

function errors(text: string): string[] {
  return messages(text)
    .filter((m) => m.startsWith("error: "))
    .map((m) => m.slice(7));
}

/** The struct a `(struct NAME *)0` cast resolves to, after the given definitions. */
function layout(defs: string, name: string): StructType {
  const p = ok(`${defs} begin { $p = (${name} *)0; }`);
  const stmt = p.ast.probes[0]!.body.statements[0]! as Stmt & { value: CastExpr };
  const t = stmt.value.type;
  if (t.kind !== "pointer" || t.to.kind !== "struct") throw new Error(`not a struct pointer: ${typeName(t)}`);
  return t.to;
}

function offsets(s: StructType): [string, number, string][] {
  return s.fields.map((f) => [f.name, f.offset, typeName(f.type)]);
}

/** The type of the value printed by the first statement `print(e)` of the first probe. */
function printedType(text: string): Type {
  const stmt = ok(text).ast.probes[0]!.body.statements.find(
    (s) => s.kind === "exprStmt" && s.expr.kind === "call" && s.expr.name === "print",
  ) as Stmt & { expr: { args: Expr[] } };
  return stmt.expr.args[0]!.type;
}

describe("struct definitions: parsing", () => {
  test("a definition before the probes is parsed with its members in order", () => {
    const p = ok("struct Foo { int m; unsigned long long n; struct Foo *next; char *name; }; begin { }");
    expect(p.ast.structs).toHaveLength(1);
    const def = p.ast.structs[0]!;
    expect(def.name).toBe("struct Foo");
    expect(def.fields.map((f) => [f.name, f.type.text])).toEqual([
      ["m", "int"],
      ["n", "unsigned long long"],
      ["next", "struct Foo *"],
      ["name", "char *"],
    ]);
  });

  test("the trailing semicolon is optional and several definitions may follow each other", () => {
    const p = ok("struct A { int x; } struct B { struct A a; }; union U { int i; char c; } begin { }");
    expect(p.ast.structs.map((s) => [s.name, s.union])).toEqual([
      ["struct A", false],
      ["struct B", false],
      ["union U", true],
    ]);
  });

  test("a definition after a probe is an error", () => {
    expect(errors("begin { } struct Foo { int m; }")).toEqual([
      "syntax: C definitions must appear before probes and macros",
    ]);
  });

  test("a definition without a name says so", () => {
    expect(errors("struct { int m; } begin { }")[0]).toBe("syntax: expected the struct's name");
  });

  test("a member without a type is a syntax error naming it", () => {
    expect(errors("struct Foo { m; } begin { }")).toEqual(["syntax: member 'm' needs a type"]);
  });

  test("#include of a header probelab does not ship names it and lists the shipped ones", () => {
    const [message] = errors("#include <stdio.h>\nstruct Foo { int m; } begin { }");
    expect(message).toMatch(/^header <stdio\.h> is not shipped with probelab; shipped: .*linux\/sched\.h/);
  });

  test("enums: unknown enum in a cast, redefined enum or variant", () => {
    expect(errors("enum E { A, B } begin { print((enum F)1); }")[0]).toMatch(/^Unknown enum: enum F/);
    expect(errors("enum E { A } enum E { B } begin { }")).toEqual(["Redefinition of enum E"]);
    expect(errors("enum E { A } enum { A } begin { }")).toEqual(["Redefinition of enum variant A"]);
  });
});

describe("struct layout follows x86-64 C rules", () => {
  test("members are aligned to their size and the struct padded to its largest alignment", () => {
    const s = layout("struct S { char c; int i; short h; long l; char t; }", "struct S");
    expect(offsets(s)).toEqual([
      ["c", 0, "int8"],
      ["i", 4, "int32"],
      ["h", 8, "int16"],
      ["l", 16, "int64"],
      ["t", 24, "int8"],
    ]);
    expect([s.size, s.align]).toEqual([32, 8]);
  });

  test("C integer spellings, fixed-width typedefs and bpftrace names", () => {
    const s = layout(
      "struct T { unsigned char a; signed char b; unsigned short c; unsigned d; long long e; uint32_t f; u8 g; __s16 h; int64 i; bool j; size_t k; const int l; }",
      "struct T",
    );
    expect(s.fields.map((f) => typeName(f.type))).toEqual([
      "uint8",
      "int8",
      "uint16",
      "uint32",
      "int64",
      "uint32",
      "uint8",
      "int16",
      "int64",
      "bool",
      "uint64",
      "int32",
    ]);
  });

  test("pointers are 8 bytes; a nested struct by value takes its size and alignment", () => {
    const s = layout(
      "struct In { char a; short b; } struct Out { char x; struct In in; void *p; }",
      "struct Out",
    );
    expect(offsets(s)).toEqual([
      ["x", 0, "int8"],
      ["in", 2, "struct In"],
      ["p", 8, "void *"],
    ]);
    expect(s.size).toBe(16);
  });

  test("a union puts every member at offset 0 and is as big as its largest", () => {
    const s = layout("union U { char c; long l; int i; }", "union U");
    expect(offsets(s).map(([, o]) => o)).toEqual([0, 0, 0]);
    expect(s.size).toBe(8);
  });

  test("a struct may point to itself or to a struct defined later", () => {
    const s = layout(
      "struct Node { struct Node *next; struct Later *l; int v; } struct Later { int x; }",
      "struct Node",
    );
    expect(offsets(s)).toEqual([
      ["next", 0, "struct Node *"],
      ["l", 8, "struct Later *"],
      ["v", 16, "int32"],
    ]);
  });

  test("the struct fixture of bpftrace's tests: { int m; int n; } is 8 bytes, n at 4", () => {
    const s = layout("struct Foo { int m; int n; }", "struct Foo");
    expect(offsets(s)).toEqual([
      ["m", 0, "int32"],
      ["n", 4, "int32"],
    ]);
    expect(s.size).toBe(8);
  });
});

describe("struct definition errors", () => {
  test("a by-value member needs a complete type: itself or a later struct are errors", () => {
    expect(errors("struct A { struct A a; } begin { }")).toEqual([
      "struct A contains itself; a member of struct type needs a complete type",
    ]);
    expect(errors("struct A { struct B b; } struct B { int x; } begin { }")).toEqual([
      "struct A uses struct B before its definition; a member of struct type needs a complete type",
    ]);
  });

  test("unknown member types get a did-you-mean hint", () => {
    expect(diags("struct A { uint33 x; } begin { }")).toContain("ERROR: Unknown type: uint33");
    expect(diags("struct A { uint33 x; } begin { }")).toContain("HINT: did you mean 'uint32'?");
  });

  test("duplicate members and duplicate definitions", () => {
    expect(errors("struct A { int x; int x; } begin { }")).toEqual(["Duplicate member 'x' in struct A"]);
    expect(errors("struct A { int x; } struct A { int y; } begin { }")).toEqual(["Redefinition of struct A"]);
  });

  test("arrays other than char arrays are reported as unsupported", () => {
    expect(errors("struct A { int v[4]; } begin { }")).toEqual([
      "array types (int[4]) are not supported by probelab (only char arrays in structs, read as strings)",
    ]);
    expect(errors("struct A { char v[]; } begin { }")).toEqual([
      "array types (char[]) are not supported by probelab (needs a length)",
    ]);
  });

  test("a char array member is a string of its length, byte-aligned", () => {
    const s = layout("struct T { char tag; char name[5]; int n; }", "struct T");
    expect(offsets(s)).toEqual([
      ["tag", 0, "int8"],
      ["name", 1, "string[5]"],
      ["n", 8, "int32"],
    ]);
    expect(s.size).toBe(12);
  });
});

describe("casts, member access and dereference: types", () => {
  const FOO = "struct Foo { int m; unsigned long n; struct Foo *next; }";

  test("(struct Foo *) and (struct Foo*) make a pointer; .f and ->f read members", () => {
    expect(typeName(printedType(`${FOO} uprobe:/bin/x:f { $p = (struct Foo*)arg0; print($p); }`))).toBe(
      "struct Foo *",
    );
    expect(typeName(printedType(`${FOO} uprobe:/bin/x:f { print(((struct Foo *)arg0)->n); }`))).toBe(
      "uint64",
    );
    expect(typeName(printedType(`${FOO} uprobe:/bin/x:f { $p = (struct Foo *)arg0; print($p.m); }`))).toBe(
      "int32",
    );
    expect(
      typeName(printedType(`${FOO} uprobe:/bin/x:f { $p = (struct Foo *)arg0; print($p->next->next); }`)),
    ).toBe("struct Foo *");
  });

  test("*p on a struct pointer is the struct value; its members are plain fields", () => {
    expect(typeName(printedType(`${FOO} uprobe:/bin/x:f { $f = *(struct Foo *)arg0; print($f); }`))).toBe(
      "struct Foo",
    );
    expect(typeName(printedType(`${FOO} uprobe:/bin/x:f { $f = *(struct Foo *)arg0; print($f.n); }`))).toBe(
      "uint64",
    );
  });

  test("*p on integer pointers reads the integer; pointers to pointers nest", () => {
    expect(typeName(printedType("uprobe:/bin/x:f { print(*(int32 *)arg0); }"))).toBe("int32");
    expect(typeName(printedType("uprobe:/bin/x:f { print(*(uint8*)arg0); }"))).toBe("uint8");
    expect(typeName(printedType("uprobe:/bin/x:f { print(*(int64 **)arg0); }"))).toBe("int64 *");
  });

  test("struct members and pointers follow integer rules in && || and conditions", () => {
    ok(`${FOO} uprobe:/bin/x:f { $p = (struct Foo *)arg0; if ($p && $p->m || !$p->n) { print(1); } }`);
    ok(`${FOO} uprobe:/bin/x:f { $p = (struct Foo *)arg0; printf("%d %d\\n", $p->m && 0, $p != 0); }`);
  });

  test("pointers and struct values can be stored in maps", () => {
    const p = ok(`${FOO} uprobe:/bin/x:f { @p = (struct Foo *)arg0; @s[1] = *(struct Foo *)arg0; }`);
    expect(p.maps.map((m) => [m.name, typeName(m.valueType)])).toEqual([
      ["@p", "struct Foo *"],
      ["@s", "struct Foo"],
    ]);
  });
});

describe("casts, member access and dereference: diagnostics", () => {
  const FOO = "struct Foo { int m; int n; }";

  test("an unknown struct gets a did-you-mean hint", () => {
    const text = `${FOO} uprobe:/bin/x:f { $p = (struct Fo *)arg0; }`;
    expect(errors(text)).toEqual(["Unknown struct: struct Fo"]);
    expect(diags(text)).toContain("HINT: did you mean 'struct Foo'?");
  });

  test("an unknown member gets a did-you-mean hint", () => {
    const text = `${FOO} uprobe:/bin/x:f { $p = (struct Foo *)arg0; print($p->mm); }`;
    expect(errors(text)).toEqual(["Struct/union of type 'struct Foo' does not contain a field named 'mm'"]);
    expect(diags(text)).toContain("HINT: did you mean 'm'?");
  });

  test("a struct by value cannot be a cast target", () => {
    expect(errors(`${FOO} uprobe:/bin/x:f { $p = (struct Foo)arg0; }`)).toEqual([
      "Cannot use struct Foo by value here; use a pointer (struct Foo *) and dereference it",
    ]);
  });

  test("dereferencing a non-pointer or a void pointer is an error", () => {
    expect(errors("uprobe:/bin/x:f { print(*arg0); }")).toEqual([
      "Can not dereference type 'uint64': cast it to a pointer first, e.g. *(int32 *)arg0",
    ]);
    expect(errors("uprobe:/bin/x:f { print(*(void *)arg0); }")).toEqual([
      "Can not dereference a void pointer: cast it to a typed pointer first",
    ]);
  });

  test("a struct pointer takes + and - of an integer, not *", () => {
    ok(`${FOO} uprobe:/bin/x:f { $p = (struct Foo *)arg0; $q = $p + 1; $n = $q - $p; }`);
    expect(errors(`${FOO} uprobe:/bin/x:f { $p = (struct Foo *)arg0; $q = $p * 2; }`)[0]).toMatch(
      /^Type mismatch for '\*': struct Foo \* and/,
    );
  });

  test("a struct value is not a condition; mixing struct and pointer types is a mismatch", () => {
    expect(errors(`${FOO} uprobe:/bin/x:f { $f = *(struct Foo *)arg0; if ($f) { } }`)).toEqual([
      "Invalid condition in if: struct Foo",
    ]);
    expect(errors(`${FOO} uprobe:/bin/x:f { $p = (struct Foo *)arg0; $p = (int32 *)arg0; }`)[0]).toMatch(
      /Type mismatch for \$p: trying to assign value of type 'int32 \*'/,
    );
  });

  test("the struct name in a cast is checked against definitions even without a probe using it", () => {
    expect(errors("begin { $x = (struct Foo *)0; }")).toEqual(["Unknown struct: struct Foo"]);
  });
});
