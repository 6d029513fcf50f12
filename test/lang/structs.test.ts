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

  test("other arrays are arrays of their element, aligned like it; a member array needs a length", () => {
    const s = layout("struct A { char c; int v[3]; uint8_t b[3]; struct A *next[2]; }", "struct A");
    expect(offsets(s)).toEqual([
      ["c", 0, "int8"],
      ["v", 4, "int32[3]"],
      ["b", 16, "uint8[3]"],
      ["next", 24, "struct A *[2]"],
    ]);
    expect([s.size, s.align]).toEqual([40, 8]);
    expect(errors("struct A { char v[]; } begin { }")).toEqual([
      "array types (char[]) are not supported by probelab (a member array needs a length)",
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

  test("an integer dereferences as a uint64 address; a string or a void pointer is an error", () => {
    ok('uprobe:/bin/x:f { $v = *arg0; $w = *kaddr("vfs_read"); $t = $v + $w; }');
    expect(errors('uprobe:/bin/x:f { $s = "x"; print(*$s); }')).toEqual([
      "Can not dereference type 'string[2]'. It is not a pointer.",
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

describe("nested definitions", () => {
  test("a tagged nested struct is a type of its own too, and offsetof follows a path into it", () => {
    const text =
      "struct Foo { int x; struct Bar { int x; } bar; } begin { @a = offsetof(struct Foo, bar.x); @b = sizeof(struct Bar); }";
    const p = ok(text);
    const values = p.ast.probes[0]!.body.statements.map(
      (st) => (st as Stmt & { value: { value: bigint } }).value.value,
    );
    expect(values).toEqual([4n, 4n]);
    expect(offsets(layout("struct Foo { int x; struct Bar { int x; } bar; }", "struct Foo"))).toEqual([
      ["x", 0, "int32"],
      ["bar", 4, "struct Bar"],
    ]);
  });

  test("an untagged nested struct types its member; pointers and arrays of it work too", () => {
    const s = layout(
      "struct Foo { struct { int m[1] } y; struct { long n; } *p; union { int i; } u[2]; }",
      "struct Foo",
    );
    expect(s.fields.map((f) => [f.name, f.offset])).toEqual([
      ["y", 0],
      ["p", 8],
      ["u", 16],
    ]);
    expect(typeName(s.fields[2]!.type)).toMatch(/^union \(unnamed at 1:[0-9]+\)\[2\]$/);
    const y = s.fields[0]!.type as StructType;
    expect(y.name).toMatch(/^struct \(unnamed at 1:14\)$/);
    expect(offsets(y)).toEqual([["m", 0, "int32[1]"]]);
  });

  test("an anonymous union or struct lifts its members into the enclosing one", () => {
    const s = layout("struct S { char tag; union { int i; long l; }; struct { short a; }; }", "struct S");
    expect(offsets(s)).toEqual([
      ["tag", 0, "int8"],
      ["i", 8, "int32"],
      ["l", 8, "int64"],
      ["a", 16, "int16"],
    ]);
    expect(errors("struct S { int i; union { int i; }; } begin { }")).toEqual([
      "Duplicate member 'i' in struct S",
    ]);
  });

  test("a nested definition without a member only defines its tag", () => {
    const s = layout("struct S { struct In { int a; }; int b; } struct T { struct In in; }", "struct S");
    expect(offsets(s)).toEqual([["b", 0, "int32"]]);
    expect(
      offsets(layout("struct S { struct In { int a; }; int b; } struct T { struct In in; }", "struct T")),
    ).toEqual([["in", 0, "struct In"]]);
  });

  test("a nested tag that is defined twice is a redefinition; a malformed nested definition is located", () => {
    expect(errors("struct A { struct B { int x; } b; } struct B { int y; } begin { }")).toEqual([
      "Redefinition of struct B",
    ]);
    expect(errors("struct A { int a { } x; } begin { }")).toEqual([
      "syntax: a nested definition is 'struct NAME { ... }' or 'union { ... }'",
    ]);
    expect(errors("struct A { int *; } begin { }")).toEqual(["syntax: this member needs a name"]);
  });
});

describe("bitfields", () => {
  function bits(s: StructType): [string, number, number?, number?][] {
    return s.fields.map((f) => [f.name, f.offset, f.bitfield?.shift, f.bitfield?.bits]);
  }

  test("consecutive bitfields share their unit; the struct takes the type's alignment", () => {
    const s = layout(
      "struct foo { unsigned long long x_0:1; unsigned long long x_1:1; unsigned long long x_2:2; }",
      "struct foo",
    );
    expect(bits(s)).toEqual([
      ["x_0", 0, 0, 1],
      ["x_1", 0, 1, 1],
      ["x_2", 0, 2, 2],
    ]);
    expect([s.size, s.align]).toEqual([8, 8]);
  });

  test("a bitfield that would cross a unit of its type starts the next one; width 0 closes a unit", () => {
    const s = layout(
      "struct B { char a : 7; char b : 2; int c : 30; int d : 4; int : 0; char e; }",
      "struct B",
    );
    expect(bits(s)).toEqual([
      ["a", 0, 0, 7],
      ["b", 1, 0, 2],
      ["c", 4, 0, 30],
      ["d", 8, 0, 4],
      ["e", 12, undefined, undefined],
    ]);
    expect(s.fields[3]!.bitfield!.bytes).toBe(1);
    expect(s.size).toBe(16);
  });

  test("an unnamed bitfield pads without a member and without raising the alignment", () => {
    const s = layout("struct P { char a; long : 4; char b : 3; }", "struct P");
    expect(bits(s)).toEqual([
      ["a", 0, undefined, undefined],
      ["b", 1, 4, 3],
    ]);
    expect([s.size, s.align]).toEqual([2, 1]);
  });

  test("too wide, zero-width named and non-integer bitfields are errors", () => {
    expect(errors("struct A { int x : 33; int y : 0; struct A *p : 2; } begin { }")).toEqual([
      "width of bit-field 'x' (33 bits) exceeds the width of its type (32 bits)",
      "named bit-field 'y' has zero width",
      "bit-field 'p' has non-integral type struct A *",
    ]);
  });
});

describe("struct attributes", () => {
  const sizes = (defs: string) => {
    const s = layout(defs, "struct S");
    return [s.size, s.align, s.fields.map((f) => f.offset)];
  };

  test("packed puts every member at the next byte, aligned(N) raises the alignment", () => {
    expect(sizes("struct S { int x; char y; int z; }")).toEqual([12, 4, [0, 4, 8]]);
    expect(sizes("struct S { int x; char y; int z; } __attribute__((packed))")).toEqual([9, 1, [0, 4, 5]]);
    expect(sizes("struct S { int x; char y; } __attribute__((aligned(16)))")).toEqual([16, 16, [0, 4]]);
    expect(
      sizes("struct S { int x; char y; int z; } __attribute__((packed)) __attribute__((aligned(1)))"),
    ).toEqual([9, 1, [0, 4, 5]]);
    expect(sizes("struct S { char y; long z; } __attribute__((__packed__, aligned(2)));")).toEqual([
      10,
      2,
      [0, 1],
    ]);
  });

  test("bitfields in a packed struct may cross their type's units", () => {
    const s = layout("struct S { char a : 7; char b : 2; } __attribute__((packed))", "struct S");
    expect(s.fields.map((f) => [f.offset, f.bitfield?.shift, f.bitfield?.bytes])).toEqual([
      [0, 0, 1],
      [0, 7, 2],
    ]);
    expect(s.size).toBe(2);
  });
});

describe("casts to arrays", () => {
  function castType(expr: string): string {
    return typeName(printedType(`begin { print(${expr}); }`));
  }

  test("an integer, bool or string becomes an array of its bytes; [] takes the operand's size", () => {
    expect(castType("(int8[8])12345")).toBe("int8[8]");
    expect(castType("(int8[])12345")).toBe("int8[2]");
    expect(castType("(uint16[])(uint64)1")).toBe("uint16[4]");
    expect(castType('(int8[])"hello"')).toBe("int8[6]");
    expect(castType("(bool[2])(uint16)1")).toBe("bool[2]");
    expect(castType("(uint32)(int8[4])(uint32)7")).toBe("uint32");
  });

  test("sizes that do not match, other operands and other elements are errors", () => {
    expect(errors("begin { print((int32[4])0); }")).toEqual([
      "Cannot cast from 'int8' to 'int32[4]': sizes differ (1 and 16 bytes)",
    ]);
    expect(errors('begin { print((int8[2])"hello"); }')).toEqual([
      "Cannot cast from 'string[6]' to 'int8[2]': sizes differ (6 and 2 bytes)",
    ]);
    expect(errors("begin { print((int32[])(int8)1); }")).toEqual([
      "Cannot cast from 'int8' to 'int32[0]': cannot determine the array size, the element size does not divide the operand's",
    ]);
    expect(errors("begin { print((int8[2])(1, 2)); }")).toEqual([
      "Cannot cast from '(int8,int8)' to 'int8[2]'",
    ]);
    expect(errors("begin { print((uint64)(int8[2])(uint16)1); }")).toEqual([
      "Cannot cast from 'int8[2]' to 'uint64'",
    ]);
  });

  test("indexing: the element type, a constant index within bounds", () => {
    expect(castType("((int8[8])12345)[0]")).toBe("int8");
    expect(errors("begin { print(((int8[8])12345)[8]); }")).toEqual([
      "the index 8 is out of bounds for array of size 8",
    ]);
  });
});
