/** typeof(T) and typeof(e) where a type is written, and the stdlib macros built on them. */

import { describe, expect, test } from "vitest";
import { runScript } from "./harness.js";

function output(text: string): string {
  const r = runScript(text);
  if (r.script === null) throw new Error(r.diagnostics);
  return r.stdout;
}

function errors(text: string): string {
  const r = runScript(text);
  expect(r.script).toBeNull();
  return r.diagnostics;
}

describe("typeof", () => {
  test("names a type in casts, declarations and sizeof, and never evaluates its expression", () => {
    expect(
      output(
        "begin { $x = (int16)5; let $y: typeof($x) = 3; @n = 0; print((sizeof(typeof(uint64 *)), sizeof($y), sizeof(typeof(@n++)), (typeof($x))70000, @n)); clear(@n); }",
      ),
    ).toBe("(8, 2, 8, 4464, 0)\n\n\n");
  });

  test("a macro parameter given a typeof is a type in the body: T *, T[N], sizeof(T)", () => {
    expect(
      output(
        "struct Foo { char m; } macro sof(a, b) { sizeof(a[2]) + sizeof(b*) + sizeof(b) } begin { print(sof(typeof(uint64*), typeof(struct Foo))); }",
      ),
    ).toBe("25\n\n\n");
    expect(
      output(
        "macro m(t) { sizeof(t) + 2 } macro n(z) { print(m(typeof(z))); } begin { n(typeof(uint64*)); }",
      ),
    ).toBe("10\n\n\n");
    expect(
      output("macro add(x) { let $y: typeof(x); if (true) { $y = 1 } x + $y } begin { print(add(1)); }"),
    ).toBe("2\n\n\n");
  });

  test("a narrow integer cast to a pointer is zero-extended, as bpftrace's inttoptr does", () => {
    expect(
      output("macro cst(a) { (a*)-1 } begin { print(cst(typeof(uint8))); print((uint8 *)(int64)-1); }"),
    ).toBe("0xff\n0xffffffffffffffff\n\n\n");
  });

  test("typeof used as a value is a located error, not a syntax error", () => {
    const d = errors("begin { print(typeof(1)); }");
    expect(d).toContain("stdin:1:15-24: ERROR: typeof(...) is a type, not a value");
    expect(d).not.toContain("syntax");
  });
});

describe("stdlib macros", () => {
  test("ppid(task) reads the task's real parent; bare ppid stays the builtin", () => {
    // The harness maps no task_struct images, so the read gives 0; the CLI conformance case reads 1.
    expect(output('begin { printf("%d %d\\n", ppid(curtask), ppid); }')).toBe("0 1\n\n\n");
  });

  test("container_of steps back from a member to its struct, located at the call on error", () => {
    expect(
      output(
        "struct Foo { int m; int n; } begin { $p = (int32 *)0x1004; print(container_of($p, typeof(struct Foo), n)); }",
      ),
    ).toBe("0x1000\n\n\n");
    expect(errors("struct Foo { int m; } begin { $p = container_of(1, typeof(struct Foo), zz); }")).toMatch(
      /^stdin:1:36-75: ERROR: offsetof/,
    );
  });

  test("a script's own macro of that name wins", () => {
    expect(output("macro ppid(t) { 7 } begin { print(ppid(0)); }")).toBe("7\n\n\n");
  });
});
