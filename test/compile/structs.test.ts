/**
 * Struct pointers, member reads and `*` through a hand-built process memory: the bytes a
 * handler reads, decoded by the C layout, and what happens when the address is not readable.
 */

import { describe, expect, test } from "vitest";
import type { HitContext, ProbeMemory } from "../../src/compile/context.js";
import { runScript } from "./harness.js";

const BASE = 0x1000;

/** One readable region at BASE, little-endian like x86-64; everything else is unmapped. */
function memoryOf(bytes: number[]): ProbeMemory {
  const region = Uint8Array.from(bytes);
  return {
    readCString: () => null,
    readBytes(addr: number, len: number): Uint8Array | null {
      if (addr < BASE || addr + len > BASE + region.length) return null;
      return region.slice(addr - BASE, addr - BASE + len);
    },
  };
}

function le(value: bigint, bytes: number): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(bytes * 8, value);
  for (let i = 0; i < bytes; i++) {
    out.push(Number(v & 0xffn));
    v >>= 8n;
  }
  return out;
}

/** Runs `text` with its first probe fired once with the given registers and memory. */
function fire(text: string, memory: ProbeMemory, args: (number | bigint)[] = [BASE]): string {
  const r = runScript(`${text} begin { }`, {
    between: (script, ctx: HitContext) => {
      ctx.memory = memory;
      ctx.args = [...args, 0, 0, 0, 0, 0, 0].slice(0, 6);
      ctx.probe = "uprobe:/bin/x:f";
      script.probes[0]!.run(ctx);
    },
  });
  if (r.script === null) throw new Error(r.diagnostics);
  // The exit dump's two blank lines come last.
  return r.stdout.endsWith("\n\n") ? r.stdout.slice(0, -2) : r.stdout;
}

const FOO = "struct Foo { int m; int n; }";
const FOO_BYTES = [...le(2n, 4), ...le(3n, 4)];

describe("the conformance fixture: struct Foo { int m; int n; } = { 2, 3 }", () => {
  test("members through the pointer, with . and ->", () => {
    expect(
      fire(
        `${FOO} uprobe:/bin/x:f { $f = (struct Foo *)arg0; printf("%d %d %d\\n", $f.m, $f->n, ((struct Foo*)arg0)->m); }`,
        memoryOf(FOO_BYTES),
      ),
    ).toBe("2 3 2\n");
  });

  test("a member is an integer in && and ||", () => {
    expect(
      fire(
        `${FOO} uprobe:/bin/x:f { $foo = (struct Foo*)arg0; printf("%d %d %d %d %d\\n", $foo.m, $foo.m && 0, 1 && $foo.m, $foo.m || 0, 0 || $foo.m); }`,
        memoryOf(FOO_BYTES),
      ),
    ).toBe("2 0 1 1 1\n");
  });

  test("*p is the struct value, printed as a record, and keeps its members", () => {
    expect(
      fire(
        `${FOO} uprobe:/bin/x:f { $f = *((struct Foo *) arg0); print($f); print($f.n); }`,
        memoryOf(FOO_BYTES),
      ),
    ).toBe("{ .m = 2, .n = 3 }\n3\n");
  });

  test("a struct value in a map prints as a record at exit; the pointer as an address", () => {
    const r = runScript(
      `${FOO} uprobe:/bin/x:f { @s = *(struct Foo *)arg0; @p = (struct Foo *)arg0; } begin { }`,
      {
        between: (script, ctx) => {
          ctx.memory = memoryOf(FOO_BYTES);
          ctx.args[0] = BASE;
          script.probes[0]!.run(ctx);
        },
      },
    );
    expect(r.stdout).toContain("@p: 0x1000\n");
    expect(r.stdout).toContain("@s: { .m = 2, .n = 3 }\n");
  });
});

describe("widths, signedness and layout", () => {
  test("each C integer type reads its own width and sign at its aligned offset", () => {
    // char c @0, short s @2, int i @4, long l @8, unsigned char uc @16, unsigned int ui @20, u64 big @24
    const bytes = [
      ...le(-5n, 1),
      0,
      ...le(-300n, 2),
      ...le(-70000n, 4),
      ...le(-(2n ** 40n), 8),
      ...le(250n, 1),
      0,
      0,
      0,
      ...le(4000000000n, 4),
      ...le(2n ** 64n - 1n, 8),
    ];
    expect(
      fire(
        'struct S { char c; short s; int i; long l; unsigned char uc; unsigned int ui; uint64_t big; } uprobe:/bin/x:f { $p = (struct S *)arg0; printf("%d %d %d %ld %u %u %lu\\n", $p->c, $p->s, $p->i, $p->l, $p->uc, $p->ui, $p->big); }',
        memoryOf(bytes),
      ),
    ).toBe(`-5 -300 -70000 ${-(2 ** 40)} 250 4000000000 18446744073709551615\n`);
  });

  test("64-bit values beyond 2^53 stay exact, signed and unsigned", () => {
    const bytes = [...le(-(2n ** 62n) - 3n, 8), ...le(2n ** 63n + 5n, 8)];
    expect(
      fire(
        'struct W { int64 a; uint64 b; } uprobe:/bin/x:f { $p = (struct W *)arg0; printf("%ld %lu\\n", $p->a, $p->b); }',
        memoryOf(bytes),
      ),
    ).toBe(`${-(2n ** 62n) - 3n} ${2n ** 63n + 5n}\n`);
  });

  test("a nested struct by value, and a pointer member followed to another struct", () => {
    // struct Outer { char tag; struct Foo inner; struct Foo *next; } at BASE: tag @0, inner @4, next @16;
    // the Foo that next points to sits at BASE + 24.
    const bytes = [
      7,
      0,
      0,
      0,
      ...FOO_BYTES,
      0,
      0,
      0,
      0,
      ...le(BigInt(BASE + 24), 8),
      ...le(11n, 4),
      ...le(12n, 4),
    ];
    expect(
      fire(
        `${FOO} struct Outer { char tag; struct Foo inner; struct Foo *next; } uprobe:/bin/x:f { $o = (struct Outer *)arg0; print($o->inner); printf("%d %d %d\\n", $o->tag, $o->inner.n, $o->next->n); print(*$o); }`,
        memoryOf(bytes),
      ),
    ).toBe(`{ .m = 2, .n = 3 }\n7 3 12\n{ .tag = 7, .inner = { .m = 2, .n = 3 }, .next = 0x1018 }\n`);
  });

  test("a union reads every member from the same bytes", () => {
    expect(
      fire(
        'union U { int i; short s; unsigned char b; } uprobe:/bin/x:f { $u = (union U *)arg0; printf("%d %d %d\\n", $u->i, $u->s, $u->b); }',
        memoryOf(le(0x12345678n, 4)),
      ),
    ).toBe(`${0x12345678} ${0x5678} ${0x78}\n`);
  });

  test("*p on integer pointers and on a pointer to a pointer", () => {
    const bytes = [...le(-2n, 4), 0, 0, 0, 0, ...le(BigInt(BASE), 8)];
    expect(
      fire(
        'uprobe:/bin/x:f { printf("%d %u %d\\n", *(int32 *)arg0, *(uint32*)arg0, **(int32 **)arg1); }',
        memoryOf(bytes),
        [BASE, BASE + 8],
      ),
    ).toBe("-2 4294967294 -2\n");
  });

  test("*n of an integer reads the 8 bytes at that address as a uint64, as bpftrace does", () => {
    const bytes = [...le(-2n, 8), ...le(0x1122334455667788n, 8)];
    expect(fire('uprobe:/bin/x:f { printf("%lx %lx\\n", *arg0, *(arg0 + 8)); }', memoryOf(bytes))).toBe(
      "fffffffffffffffe 1122334455667788\n",
    );
  });

  test("char array members read as strings up to the first NUL", () => {
    const bytes = [
      ...le(7n, 4),
      ..."bob\0xy".split("").map((c) => c.charCodeAt(0)),
      ..."full".split("").map((c) => c.charCodeAt(0)),
      0,
      0,
    ];
    // 14 bytes of members, padded to 16 (int alignment): *$p reads all 16.
    expect(
      fire(
        'struct P { int id; char name[6]; char code[4]; } uprobe:/bin/x:f { $p = (struct P *)arg0; printf("%d %s %s\\n", $p->id, $p->name, $p->code); print(*$p); }',
        memoryOf(bytes),
      ),
    ).toBe("7 bob full\n{ .id = 7, .name = bob, .code = full }\n");
  });

  test("bool members read as true/false", () => {
    expect(
      fire("struct B { bool a; bool b; } uprobe:/bin/x:f { print(*(struct B *)arg0); }", memoryOf([1, 0])),
    ).toBe("{ .a = true, .b = false }\n");
  });
});

describe("unreadable memory reads as zero, like a failed probe read", () => {
  test("a member of an unmapped pointer is 0 and a struct is all zeros", () => {
    expect(
      fire(
        `${FOO} uprobe:/bin/x:f { $f = (struct Foo *)arg0; printf("%d %d\\n", $f->m, $f->n); print(*$f); }`,
        memoryOf(FOO_BYTES),
        [0x9000],
      ),
    ).toBe("0 0\n{ .m = 0, .n = 0 }\n");
  });

  test("a read that runs past the end of the mapping is unreadable as a whole", () => {
    // Only the first 6 of 8 bytes are mapped at BASE + 2.
    expect(
      fire(`${FOO} uprobe:/bin/x:f { print(*(struct Foo *)arg0); }`, memoryOf(FOO_BYTES), [BASE + 2]),
    ).toBe("{ .m = 0, .n = 0 }\n");
  });

  test("begin blocks have no process: *p is zero there", () => {
    const r = runScript(`${FOO} begin { $p = (struct Foo *)0x1000; print($p->n); print(*$p); }`);
    expect(r.stdout).toBe("0\n{ .m = 0, .n = 0 }\n\n\n");
  });

  test("an address beyond 2^53 (a bigint) or from a negative cast is unreadable, not a crash", () => {
    expect(
      fire(
        `${FOO} uprobe:/bin/x:f { print(((struct Foo *)arg0)->m); print((struct Foo *)(int64)-1); }`,
        memoryOf(FOO_BYTES),
        [2n ** 60n],
      ),
    ).toBe("0\n0xffffffffffffffff\n");
  });
});

describe("JSON output of struct values", () => {
  test("print(*p) is an object with the member names", () => {
    const r = runScript(`${FOO} uprobe:/bin/x:f { print(*(struct Foo *)arg0); } begin { }`, {
      format: "json",
      between: (script, ctx) => {
        ctx.memory = memoryOf(FOO_BYTES);
        ctx.args[0] = BASE;
        script.probes[0]!.run(ctx);
      },
    });
    expect(r.stdout.split("\n")[0]).toBe('{"type": "value", "data": {"m": 2, "n": 3}}');
  });
});

describe("arrays, nested structs and bitfields read from memory", () => {
  test("an int array member reads every element; indexing picks one, past the end reads 0", () => {
    // struct Foo { int a; char b[10]; int c[3]; } = { 123, "hello", { 1, 2, 3 } }
    const bytes = [...le(123n, 4), ..."hello\0\0\0\0\0".split("").map((c) => c.charCodeAt(0)), 0, 0];
    bytes.push(...le(1n, 4), ...le(2n, 4), ...le(3n, 4));
    expect(
      fire(
        'struct Foo { int a; char b[10]; int c[3]; } uprobe:/bin/x:f { $f = (struct Foo *)arg0; $i = 3; print($f->c); printf("%d %d\\n", $f->c[2], $f->c[$i]); print(*$f); }',
        memoryOf(bytes),
      ),
    ).toBe("[1,2,3]\n3 0\n{ .a = 123, .b = hello, .c = [1,2,3] }\n");
  });

  test("a uint8_t array is an array of bytes, as bpftrace keeps only char arrays as strings", () => {
    expect(
      fire(
        'struct Foo { int a; uint8_t b[3]; } uprobe:/bin/x:f { $f = (struct Foo *)arg0; print($f->b); printf("%c\\n", $f->b[1]); }',
        memoryOf([...le(1n, 4), 104, 105, 0, 0]),
      ),
    ).toBe("[104,105,0]\ni\n");
  });

  test("nested and anonymous members decode at their offsets", () => {
    const text =
      "struct Foo { struct { int m[1] } y; struct { int n } a; union { int u; short s; }; } uprobe:/bin/x:f { $f = *((struct Foo *)arg0); print($f); print($f.a.n + $f.s); }";
    expect(fire(text, memoryOf([...le(2n, 4), ...le(3n, 4), ...le(-1n, 4)]))).toBe(
      "{ .y = { .m = [2] }, .a = { .n = 3 }, .u = -1, .s = -1 }\n2\n",
    );
  });

  test("bitfields are shifted and masked out of their bytes, through a pointer and in a value", () => {
    // 0x1e = 0b11110: x_0 = 0, x_1 = 1, x_2 = 0b11; y straddles bytes 0 and 1 (bits 4..11);
    // z (bits 12..14, within its int's unit) is all ones, yet not sign-extended, as bpftrace.
    const text =
      'struct foo { unsigned long long x_0:1; unsigned long long x_1:1; unsigned long long x_2:2; unsigned long long y:8; int z:3; } uprobe:/bin/x:f { $p = (struct foo *)arg0; print(*$p); printf("%d %d\\n", $p->x_2, $p->y); }';
    expect(fire(text, memoryOf([0x1e | 0x50, 0x7a, 0, 0, 0, 0, 0, 0]))).toBe(
      "{ .x_0 = 0, .x_1 = 1, .x_2 = 3, .y = 165, .z = 7 }\n3 165\n",
    );
  });
});

describe("ntop() of array members", () => {
  test("the address bytes as they lie in memory, 4 for IPv4 and 16 for IPv6", () => {
    const v6 = [0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1];
    expect(
      fire(
        'struct A { uint8_t v4[4]; uint32_t v6[4]; } uprobe:/bin/x:f { $p = (struct A *)arg0; printf("%s %s\\n", ntop($p->v4), ntop(10, $p->v6)); }',
        memoryOf([127, 0, 0, 1, ...v6]),
      ),
    ).toBe("127.0.0.1 2001:db8::1\n");
  });
});

describe("casts to and from arrays", () => {
  function out(body: string): string {
    const r = runScript(`begin { ${body} }`);
    if (r.script === null) throw new Error(r.diagnostics);
    return r.stdout.replace(/\n\n\n$/, "\n");
  }

  test("an integer's bytes little-endian, widened to the array; a string's bytes with its NUL", () => {
    expect(out('printf("%x\\n", ((int8[8])12345)[0]); print((int8[8])12345); print((int8[])"hello");')).toBe(
      "39\n[57,48,0,0,0,0,0,0]\n[104,101,108,108,111,0]\n",
    );
    expect(out("print((uint16[])(int64)-2); print((bool[2])(uint16)1);")).toBe(
      "[65534,65535,65535,65535]\n[true,false]\n",
    );
  });

  test("an array read back as an integer, and arrays compared element by element", () => {
    expect(out("print((uint32)(uint8[4])(uint32)0x01020304);")).toBe(`${0x01020304}\n`);
    expect(
      out("$a = (int8[2])(uint16)258; print($a == (int8[2])(int16)258); print($a != (int8[])(uint16)1);"),
    ).toBe("true\ntrue\n");
  });

  test("arrays in maps print at exit; JSON prints them as lists", () => {
    const r = runScript("begin { @a = (bool[2])(uint16)1; @b[(int8[2])(uint16)3] = 1; }");
    expect(r.stdout).toBe("\n\n@a: [true,false]\n@b[[3,0]]: 1\n");
    const j = runScript("begin { print((int8[])(int16)-1); }", { format: "json" });
    expect(j.stdout.split("\n")[0]).toBe('{"type": "value", "data": [-1,-1]}');
  });
});
