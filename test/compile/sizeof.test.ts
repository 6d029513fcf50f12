/**
 * sizeof and offsetof are compile-time constants: sizeof of a type name (bpftrace's, C's, a
 * struct by value, a pointer) or of an expression's type; offsetof of a member path.
 */

import { describe, expect, test } from "vitest";
import { runScript } from "./harness.js";

function out(prog: string): string {
  const r = runScript(prog);
  expect(r.diagnostics).not.toContain("ERROR");
  return r.stdout;
}

const FOO = "struct Foo { int x; char c; } struct Bar { long l; struct Foo f; }";

describe("sizeof and offsetof", () => {
  test("type names, structs by value and pointers", () => {
    expect(
      out(
        `${FOO} begin { printf("%d %d %d %d %d %d\\n", sizeof(uint8), sizeof(int64), sizeof(short), sizeof(struct Foo), sizeof(struct Bar *), sizeof(struct Bar)); exit(); }`,
      ),
    ).toContain("1 8 2 8 8 16\n");
  });

  test("an expression's type, member reads included", () => {
    expect(
      out(
        `${FOO} begin { $s = "abc"; printf("%d %d %d\\n", sizeof((*(struct Foo *)0).c), sizeof(1 == 1), sizeof($s)); exit(); }`,
      ),
    ).toContain("1 1 4\n");
  });

  test("a tuple is sized as bpftrace lays it out, as a C struct of its elements", () => {
    expect(
      out(
        'begin { $t = ((int8)1, (int64)1, (int8)1); $u = ((int32)1, (int16)1, (int8)1); $v = ((int8)1, "abc"); print((sizeof($t), sizeof($u), sizeof($v))); exit(); }',
      ),
    ).toContain("(24, 8, 5)\n");
  });

  test("offsetof follows a member path into nested structs", () => {
    expect(
      out(
        `${FOO} begin { printf("%d %d %d\\n", offsetof(struct Foo, c), offsetof(struct Bar, f), offsetof(struct Bar, f.c)); exit(); }`,
      ),
    ).toContain("4 8 12\n");
  });

  test("an unknown member or a non-struct is an error naming it", () => {
    expect(runScript(`${FOO} begin { print(offsetof(struct Foo, y)); }`).diagnostics).toContain(
      "ERROR: offsetof: struct Foo has no member 'y'",
    );
    expect(runScript(`${FOO} begin { print(offsetof(struct Foo, x.y)); }`).diagnostics).toContain(
      "ERROR: offsetof: 'int32' is not a struct, so it has no member 'y'",
    );
  });
});
