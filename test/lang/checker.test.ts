import { describe, expect, test } from "vitest";
import { typeName } from "../../src/lang/types.js";
import { messages, ok, run } from "./helpers.js";

function errors(text: string): string[] {
  return messages(text)
    .filter((m) => m.startsWith("error: "))
    .map((m) => m.slice(7));
}

function mapTypes(text: string): Record<string, string> {
  const p = ok(text);
  return Object.fromEntries(
    p.maps.map((m) => [m.name, `${m.keyType ? typeName(m.keyType) : "scalar"} -> ${typeName(m.valueType)}`]),
  );
}

describe("variables and scopes", () => {
  test("each variable of a probe gets its own slot; reads resolve to it", () => {
    const p = ok('begin { $a = 1; $b = "x"; $a = $a + 1; } end { $z = 2; }');
    expect(p.probes[0]!.locals.map((l) => [l.slot, l.name, typeName(l.type)])).toEqual([
      [0, "$a", "int64"],
      [1, "$b", "string[2]"],
    ]);
    expect(p.probes[1]!.locals.map((l) => l.name)).toEqual(["$z"]);
    const stmt = p.ast.probes[0]!.body.statements[2]!;
    expect(stmt.kind === "assign" && stmt.target.kind === "var" && stmt.target.slot).toBe(0);
  });

  test("a variable first assigned in an inner block is not visible outside it", () => {
    expect(errors("begin { if (1) { $x = 1; } print($x); }")).toEqual([
      "Undefined or undeclared variable: $x",
    ]);
  });

  test("same name in sibling blocks: two slots", () => {
    const p = ok('begin { if (1) { $x = 1; } else { $x = "s"; } }');
    expect(p.probes[0]!.locals.map((l) => typeName(l.type))).toEqual(["int8", "string[2]"]);
  });

  test("integers widen, strings grow, other changes are errors", () => {
    const p = ok('begin { $i = 1; $i = 100000; $s = "a"; $s = "abcd"; }');
    expect(p.probes[0]!.locals.map((l) => typeName(l.type))).toEqual(["int32", "string[5]"]);
    expect(errors('begin { $x = 1; $x = "s"; }')).toEqual([
      "Type mismatch for $x: trying to assign value of type 'string[2]' when variable already contains a value of type 'int8'",
    ]);
  });

  test("let: declared variables, redeclaration, declared types", () => {
    ok("begin { let $a; if ($a) { $a = 1; } @b = $a; }");
    expect(errors("begin { let $a = 1; let $a = 2; }")).toEqual([
      "Variable $a was already declared in this scope",
    ]);
    expect(errors('begin { let $a: int32 = "x"; }')[0]).toMatch(/Type mismatch for \$a/);
  });

  test("++ needs an assigned variable", () => {
    expect(errors("begin { $x++; }")[0]).toMatch(/Undefined or undeclared variable: \$x/);
    ok("begin { $x = 0; $x++; --$x; }");
  });
});

describe("maps", () => {
  test("key and value types are fixed by use and widened", () => {
    expect(mapTypes('begin { @a[1] = 2; @a[100000] = 3; @s["k"] = "v"; @t[1, "x"] = 1; @ = 5; }')).toEqual({
      "@": "scalar -> int8",
      "@a": "int32 -> int8",
      "@s": "string[2] -> string[2]",
      "@t": "(int8,string[2]) -> int8",
    });
  });

  test("value type mismatches use bpftrace's wording", () => {
    expect(errors('begin { @x = 1; @x = "a"; }')).toEqual([
      "Type mismatch for @x: trying to assign value of type 'string[2]' when map already has a type 'int8'",
    ]);
    expect(errors("begin { @x = count(); @x = sum(1); }")[0]).toMatch(/Type mismatch for @x/);
  });

  test("key mismatches", () => {
    expect(errors("begin { @x[1] = 1; @x[1, 2] = 1; }")).toEqual([
      "Argument mismatch for @x: trying to access with arguments: '(int8,int8)' when map expects arguments: 'int8'",
    ]);
  });

  test("a map is either scalar or keyed", () => {
    expect(errors("begin { @x = 1; @x[1] = 2; }")).toEqual([
      "@x used as a map with an explicit key (non-scalar map), previously used without an explicit key (scalar map)",
    ]);
    expect(errors("begin { @x[1] = 1; @x = 2; }")[0]).toMatch(/used as a map without an explicit key/);
  });

  test("a map read by an earlier probe than the one writing it is typed from the write", () => {
    const p = ok('end { printf("%d\\n", @x[1]); } begin { @x[1] = 5; }');
    expect(p.ast.probes[0]!.body.statements[0]).toBeDefined();
    expect(mapTypes("end { print(@x[1] + 1); } begin { @x[1] = 5; }")).toEqual({ "@x": "int8 -> int8" });
  });

  test("undefined maps, with a hint", () => {
    const r = run("begin { @count = 1; print(@conut); }");
    expect(r.diagnostics).toMatchObject([
      { message: "Undefined map: @conut", hints: ["did you mean '@count'?"] },
    ]);
  });

  test("map declarations set kind and size; others default to max_map_keys", () => {
    const p = ok("config = { max_map_keys = 16 } let @a = percpuhash(8); begin { @a[1] = 1; @b[1] = 1; }");
    expect(p.maps.map((m) => [m.name, m.kind, m.maxEntries, m.declared])).toEqual([
      ["@a", "percpuhash", 8, true],
      ["@b", "hash", 16, false],
    ]);
    expect(errors("let @a = btree(8); begin { }")[0]).toMatch(/unknown map type 'btree'/);
  });

  test("maps are listed sorted by name", () => {
    expect(ok("begin { @b = 1; @ = 1; @a = 1; }").maps.map((m) => m.name)).toEqual(["@", "@a", "@b"]);
  });
});

describe("aggregations", () => {
  test("each aggregation gives its map value kind", () => {
    expect(
      mapTypes(
        "begin { @c = count(); @s = sum(-1); @u = sum(1); @a = avg(2); @mn = min(3); @mx = max(4); @st = stats(5); @h = hist(6); @h2 = hist(6, 2); @l = lhist(7, 0, 100, 10); }",
      ),
    ).toEqual({
      "@c": "scalar -> count_t",
      "@s": "scalar -> sum_t",
      "@u": "scalar -> sum_t",
      "@a": "scalar -> avg_t",
      "@mn": "scalar -> min_t",
      "@mx": "scalar -> max_t",
      "@st": "scalar -> stats_t",
      "@h": "scalar -> hist_t",
      "@h2": "scalar -> hist_t",
      "@l": "scalar -> lhist_t",
    });
    const lh = ok("begin { @l = lhist(7, 0, 100, 10); }").maps[0]!.valueType;
    expect(lh).toEqual({ kind: "lhist", min: 0n, max: 100n, step: 10n });
  });

  test("aggregations must be assigned directly to a map", () => {
    expect(errors("begin { $x = count(); }")).toEqual(["count() must be assigned directly to a map"]);
    expect(errors("begin { @x = hist(1) + 1; }")).toEqual(["hist() must be assigned directly to a map"]);
    expect(errors("begin { print(sum(1)); }")).toEqual(["sum() must be assigned directly to a map"]);
    // A block expression ending in one may be assigned to a map; anything else around it may not.
    expect(errors("begin { $x = { count() }; }")).toEqual(["count() must be assigned directly to a map"]);
    expect(errors("begin { @x = { 1 + sum(1) }; }")).toEqual(["sum() must be assigned directly to a map"]);
    expect(errors("begin { @x = if (1) { count() } else { count() }; }")).toEqual([
      "count() must be assigned directly to a map",
      "count() must be assigned directly to a map",
    ]);
  });

  test("a block expression ending in an aggregation, assigned to a map, types the map", () => {
    const maps = ok(
      "begin { @a = { let $v = 100; avg($v) }; @h[1] = { $n = 3; hist($n) }; @c = { print(1); count() }; }",
    ).maps;
    expect(maps.map((m) => [m.name, m.valueType.kind])).toEqual([
      ["@a", "avg"],
      ["@c", "count"],
      ["@h", "hist"],
    ]);
    // The call is checked in the block's scope: its `let` is visible there and only there.
    expect(errors("begin { @a = { let $v = 1; avg($v) }; print($v); }")).toEqual([
      "Undefined or undeclared variable: $v",
    ]);
  });

  test("counting maps can be read as integers; histograms cannot", () => {
    ok("begin { @c = count(); if (@c > 10) { exit(); } @[@c] = 1; }");
    expect(errors("begin { @h = hist(1); $x = @h + 1; }")[0]).toMatch(
      /hist\(\) aggregation and cannot be used as a value/,
    );
  });

  test("literal arguments are checked", () => {
    expect(errors("begin { $n = 1; @l = lhist(1, $n, 10, 1); }")[0]).toMatch(
      /lhist\(\) expects an integer literal as second argument/,
    );
    expect(errors("begin { @h = hist(1, 9); }")).toEqual(["hist() k must be between 0 and 5"]);
    expect(errors("begin { @l = lhist(1, 10, 0, 1); }")).toEqual(["lhist() min must be less than max"]);
  });
});

describe("builtins and functions", () => {
  test("builtin types", () => {
    const p = ok("uretprobe:/usr/bin/shopd:main { @[comm, pid, func] = retval; }");
    expect(typeName(p.maps[0]!.keyType!)).toBe("(string[16],uint32,usym_t)");
    expect(typeName(p.maps[0]!.valueType)).toBe("uint64");
  });

  test("retval only in uretprobes; argN only in uprobes", () => {
    expect(errors("uprobe:/usr/bin/shopd:main { print(retval); }")).toEqual([
      "The retval builtin can only be used with 'kretprobe' and 'uretprobe' and 'fexit' probes",
    ]);
    ok("kretprobe:handle_swbp { print(retval); }");
    ok("kprobe:handle_swbp { print(arg0); }");
    expect(errors("begin { print(arg0); }")[0]).toMatch(/The arg0 builtin can only be used/);
    ok("uprobe:/usr/bin/shopd:main { print(arg0); }");
  });

  test("argument counts", () => {
    expect(errors("begin { exit(1, 2); }")).toEqual(["exit() requires 0 to 1 arguments (2 provided)"]);
    expect(errors("begin { @ = count(1); }")).toEqual(["count() requires 0 arguments (1 provided)"]);
    expect(errors("begin { printf(); }")).toEqual(["printf() requires at least 1 argument (0 provided)"]);
    expect(errors("begin { @x = lhist(1); }")).toEqual(["lhist() requires 4 arguments (1 provided)"]);
  });

  test("argument types", () => {
    expect(errors('begin { @ = sum("a"); }')).toEqual([
      "sum() expects an integer as first argument (string[2] provided)",
    ]);
    expect(errors("begin { print(strlen(1)); }")).toEqual([
      "strlen() expects a string as first argument (int8 provided)",
    ]);
    expect(errors('begin { $f = "%d"; printf($f, 1); }')[0]).toMatch(/printf\(\) expects a string literal/);
  });

  test("result types", () => {
    const p = ok(
      'begin { $a = strcontains("ab", "b"); $b = str(arg0); $c = strftime("%H", nsecs); $d = usym(1); $e = str("abc"); $f = str(1, 8); }'.replace(
        "arg0",
        "1",
      ),
    );
    expect(p.probes[0]!.locals.map((l) => typeName(l.type))).toEqual([
      "bool",
      "string[1024]",
      "timestamp",
      "usym_t",
      "string[4]",
      "string[9]",
    ]);
    expect(
      typeName(ok("config = { max_strlen = 32 } begin { $s = str(1); }").probes[0]!.locals[0]!.type),
    ).toBe("string[32]");
  });

  test("map functions", () => {
    ok(
      "begin { @a[1] = 1; @s = 1; delete(@a, 1); delete(@s); delete(@a[1]); clear(@a); zero(@a); print(len(@a)); print(has_key(@a, 1)); }",
    );
    expect(errors("begin { @g = 2; if (has_key(@g, 2)) { } }")).toEqual([
      "call to has_key() expects a map with explicit keys (non-scalar map)",
    ]);
    expect(errors("begin { $x = 1; clear($x); }")).toEqual(["clear() expects a map argument"]);
    expect(errors('begin { @a[1] = 1; delete(@a, "s"); }')[0]).toMatch(/Argument mismatch for @a/);
  });

  test("print forms", () => {
    ok('begin { @a[1] = 1; print(@a); print(@a, 5); print(@a, 5, 10); print(@a[1]); print((1, "x")); }');
    expect(errors("begin { print(1, 2); }")).toEqual(["Non-map print() only takes 1 argument"]);
  });

  test("pcomm is a string builtin; the one-argument form pcomm(task) is refused at the call", () => {
    ok('begin { $p = pcomm; printf("%s %s\\n", $p, pcomm()); @[pcomm] = count(); }');
    expect(run("begin { print(pcomm(curtask)); }").diagnostics).toMatchObject([
      {
        message: "pcomm(...) with arguments is not supported by probelab; use pcomm",
        span: { line: 1, col: 15, endLine: 1, endCol: 29 },
      },
    ]);
  });

  test("unknown identifiers and functions get a did-you-mean hint", () => {
    expect(run("begin { print(tdi); }").diagnostics).toMatchObject([
      { message: "Unknown identifier: 'tdi'", hints: ["did you mean 'tid'?"] },
    ]);
    expect(run("begin { @ = cuont(); }").diagnostics).toMatchObject([
      { message: "Unknown function: 'cuont'", hints: ["did you mean 'count'?"] },
    ]);
    expect(run("begin { print(zzzzzz); }").diagnostics).toMatchObject([{ hints: [] }]);
  });
});

describe("printf formats", () => {
  test("argument counts must match exactly", () => {
    expect(errors('begin { printf("%d %s\\n", 1); }')).toEqual([
      "printf: not enough arguments for format string (1 supplied, 2 expected)",
    ]);
    expect(errors('begin { printf("%d\\n", 1, 2); }')).toEqual([
      "printf: too many arguments for format string (2 supplied, 1 expected)",
    ]);
    ok('begin { printf("100%% %-5s|%05d|%*d|%lx %llu %hhx %c\\n", "a", 1, 4, 2, 3, 4, 5, 65); }');
  });

  test("specifier types", () => {
    expect(errors('begin { printf("%d\\n", "str"); }')).toEqual([
      "printf: %d-style specifier expects an integer (string[4] supplied)",
    ]);
    ok('begin { printf("%s %s %s\\n", 1, "a", (1, 2)); }');
    expect(errors('begin { printf("%f\\n", 1); }')).toEqual(["printf: unsupported format specifier: f"]);
    expect(errors('begin { printf("%r\\n", 1); }')[0]).toMatch(/%r specifier expects a buffer/);
  });

  test("errorf and warnf use the same checks", () => {
    expect(errors('begin { errorf("%d"); }')[0]).toMatch(/^errorf: not enough arguments/);
  });
});

describe("statements", () => {
  test("unroll bounds", () => {
    expect(errors("begin { unroll (101) { } }")).toEqual(["unroll maximum value is 100"]);
    expect(errors("begin { unroll (0) { } }")).toEqual(["unroll minimum value is 1"]);
    expect(errors("begin { $n = 3; unroll ($n) { } }")).toEqual(["unroll count must be an integer literal"]);
    const p = ok("begin { unroll ($1) { } }", ["7"]);
    expect(p.ast.probes[0]!.body.statements[0]).toMatchObject({ kind: "unroll", count: 7 });
  });

  test("exit() is not allowed inside loops", () => {
    expect(errors("begin { while (1) { exit(); } }")).toEqual(["exit() is not allowed inside a loop"]);
    expect(errors("begin { for ($i : 0..3) { exit(); } }")).toEqual(["exit() is not allowed inside a loop"]);
    ok("begin { unroll (2) { exit(); } }");
  });

  test("break and continue only in loops", () => {
    expect(errors("begin { break; }")).toEqual(["'break' statement is not allowed outside of a loop"]);
    ok("begin { while (1) { if (1) { continue; } break; } }");
  });

  test("for over a map binds a (key, value) tuple", () => {
    const p = ok('begin { @m[1, "a"] = 2; for ($kv : @m) { printf("%d\\n", $kv.0.0 + $kv.1); } }');
    expect(typeName(p.probes[0]!.locals[0]!.type)).toBe("((int8,string[2]),int8)");
    expect(errors("begin { @s = 1; for ($kv : @s) { } }")[0]).toMatch(/scalar map/);
  });

  test("conditions must be integers or bools", () => {
    expect(errors('begin { if ("s") { } }')).toEqual(["Invalid condition in if: string[2]"]);
  });
});

describe("expression types", () => {
  function typeOf(expr: string): string {
    return typeName(ok(`begin { $x = ${expr}; }`).probes[0]!.locals[0]!.type);
  }

  test("literals take the smallest signed type; huge ones are uint64", () => {
    expect(typeOf("1")).toBe("int8");
    expect(typeOf("-1")).toBe("int8");
    expect(typeOf("200")).toBe("int16");
    expect(typeOf("70000")).toBe("int32");
    expect(typeOf("5000000000")).toBe("int64");
    expect(typeOf("18446744073709551615")).toBe("uint64");
  });

  test("arithmetic is 64-bit; subtraction is always signed; comparisons are bool", () => {
    expect(typeOf("1 + 2")).toBe("int64");
    expect(typeOf("(uint64)1 + (uint64)2")).toBe("uint64");
    expect(typeOf("(uint64)3 - (uint64)5")).toBe("int64");
    // A non-negative literal takes the other operand's sign (bpftrace's sign-flexible literals).
    expect(typeOf("(uint64)7 % 10")).toBe("uint64");
    expect(typeOf("10 * (uint32)7")).toBe("uint64");
    expect(typeOf("(uint64)7 * -1")).toBe("int64");
    expect(typeOf("(int32)7 % 10")).toBe("int64");
    expect(typeOf("1 < 2")).toBe("bool");
    expect(typeOf("!1")).toBe("bool");
    expect(typeOf('"a" == "b"')).toBe("bool");
  });

  test("casts, tuples, records, indexing, ternaries, block and if expressions", () => {
    expect(typeOf("(int16)1")).toBe("int16");
    expect(typeOf('(1, "ab")')).toBe("(int8,string[3])");
    expect(typeOf("(a=1, b=(2, 3)).b")).toBe("(int8,int8)");
    expect(typeOf('"abc"[0]')).toBe("int8");
    expect(typeOf("(1, (2, 3))[1 + 0]")).toBe("(int8,int8)");
    expect(typeOf('1 ? "a" : "bcd"')).toBe("string[4]");
    expect(typeOf("{ 1; 2 }")).toBe("int8");
    expect(typeOf("if (1) { 1 } else { 70000 }")).toBe("int32");
  });

  test("type errors", () => {
    expect(errors('begin { $x = 1 + "a"; }')).toEqual([
      "Type mismatch for '+': comparing int8 with string[2]",
    ]);
    expect(errors("begin { $x = (1, 2).5; }")).toEqual([
      "Invalid tuple index: 5. Found 2 elements in tuple.",
    ]);
    expect(errors("begin { $x = (a=1).b; }")).toEqual(["Record does not contain a field named 'b'"]);
    expect(errors('begin { $x = 1 ? 2 : "s"; }')[0]).toMatch(/different types/);
    expect(errors('begin { $x = (uint8)"s"; }')[0]).toMatch(/Cannot cast/);
    expect(errors("begin { @x = 1; $p = &@x; }")).toEqual([
      "address-of (&) takes a scratch variable ($x) in probelab: maps and other expressions have no address",
    ]);
    expect(errors("begin { $x = 1; $p = &$x; $q = *$p + 1; }")).toEqual([]);
  });
});

describe("config", () => {
  test("known keys resolve with defaults", () => {
    const p = ok(
      'config = { max_strlen = 64; missing_probes = ignore; print_maps_on_exit = false; stack_mode = "perf" } begin { }',
    );
    expect(p.config).toMatchObject({
      maxStrlen: 64,
      missingProbes: "ignore",
      printMapsOnExit: false,
      maxMapKeys: 4096,
    });
  });

  test("unknown keys and bad values", () => {
    expect(errors("config = { bad_config=raw } begin {}")).toEqual([
      "bad_config: not a known configuration option",
    ]);
    expect(errors("config = { missing_probes = maybe } begin {}")).toEqual([
      "missing_probes: expects error, warn or ignore",
    ]);
    expect(errors('config = { max_strlen = "x" } begin {}')).toEqual(["max_strlen: expects an integer"]);
  });
});

describe("edit distance", () => {
  test("insertions, deletions, substitutions and adjacent swaps cost 1", async () => {
    const { editDistance } = await import("../../src/lang/suggest.js");
    expect(editDistance("count", "count")).toBe(0);
    expect(editDistance("cont", "count")).toBe(1);
    expect(editDistance("tdi", "tid")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("abc", "xyz", 1)).toBe(2);
  });
});
