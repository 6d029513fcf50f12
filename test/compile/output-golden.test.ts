/**
 * Golden output of every aggregation and printf form, through the real front end, the
 * compiler and the runtime's text and JSON writers (begin-only scripts: no simulator).
 */

import { describe, expect, test } from "vitest";
import { runScript } from "./harness.js";

/** stdout of a begin-only script, text mode. */
function out(prog: string): string {
  const r = runScript(prog);
  expect(r.diagnostics).not.toContain("ERROR");
  return r.stdout;
}

describe("aggregations, printed at exit", () => {
  test("count, sum, avg, min, max, stats (scalar)", () => {
    expect(
      out(
        "begin { @c = count(); @c = count(); @s = sum(10); @s = sum(-20); @a = avg(-30); @a = avg(-10);" +
          " @mn = min(5); @mn = min(-3); @mx = max(-5); @mx = max(-9); @st = stats(-10); @st = stats(-5); @st = stats(5); }",
      ),
    ).toBe(
      "\n\n@a: -20\n@c: 2\n@mn: -3\n@mx: -5\n@s: -10\n@st: { .count = 3, .average = -3, .total = -10 }\n",
    );
  });

  test("a block expression ending in an aggregation updates the map after its statements", () => {
    // bpftrace's runtime case "call: block expression with map assignment".
    expect(out("begin { @ = { let $a = 100; avg($a) }; }")).toBe("\n\n@: 100\n");
    expect(
      out(
        'begin { @c = { print("first"); count() }; @c = count(); @h = { $v = 64; hist($v) };' +
          " @s[1] = { let $k = 4; stats($k * 2) }; @l = { lhist(5, 0, 10, 5) }; }",
      ),
    ).toBe(
      "first\n\n\n@c: 2\n@h:\n" +
        "[64, 128)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\n" +
        "@l:\n[5, 10)                1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\n" +
        "@s[1]: { .count = 1, .average = 8, .total = 8 }\n",
    );
  });

  test("nested blocks (a macro ending in an aggregation) and early exits from the block", () => {
    expect(
      out(
        "macro avgof(x) { let $a = x; avg($a) } begin { @m[7] = { let $b = 3; avgof($b * 2) };" +
          " for ($i : 0..4) { @n = { if ($i == 1) { continue; } if ($i == 3) { break; } count() }; } }",
      ),
    ).toBe("\n\n@m[7]: 6\n@n: 2\n");
  });

  test("keyed count sorts by value, largest last", () => {
    expect(
      out(
        'begin { @["b"] = count(); @["a"] = count(); @["a"] = count(); @["c"] = count(); @["a"] = count(); @["c"] = count(); }',
      ),
    ).toBe("\n\n@[b]: 1\n@[c]: 2\n@[a]: 3\n");
  });

  test("hist with the log2 layout and K suffixes", () => {
    expect(out("begin { @ = hist(0); @ = hist(1); @ = hist(1); @ = hist(1500); }")).toBe(
      "\n\n@:\n" +
        "[0]                    1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n" +
        "[1]                    2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n" +
        "[2, 4)                 0 |                                                    |\n" +
        "[4, 8)                 0 |                                                    |\n" +
        "[8, 16)                0 |                                                    |\n" +
        "[16, 32)               0 |                                                    |\n" +
        "[32, 64)               0 |                                                    |\n" +
        "[64, 128)              0 |                                                    |\n" +
        "[128, 256)             0 |                                                    |\n" +
        "[256, 512)             0 |                                                    |\n" +
        "[512, 1K)              0 |                                                    |\n" +
        "[1K, 2K)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n\n",
    );
  });

  test("hist(n, k) splits each power of two into 2^k buckets", () => {
    expect(out("begin { @ = hist(5, 2); @ = hist(9, 2); @ = hist(9, 2); }")).toBe(
      "\n\n@:\n" +
        "[5]                    1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n" +
        "[6]                    0 |                                                    |\n" +
        "[7]                    0 |                                                    |\n" +
        "[8, 10)                2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\n",
    );
  });

  test("keyed lhist, one histogram per key", () => {
    expect(
      out(
        "begin { @[1] = lhist(5, 0, 100, 10); @[2] = lhist(150, 0, 100, 10); @[2] = lhist(15, 0, 100, 10); }",
      ),
    ).toBe(
      "\n\n@[1]:\n" +
        "[0, 10)                1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\n" +
        "@[2]:\n" +
        "[10, 20)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n" +
        "[20, 30)               0 |                                                    |\n" +
        "[30, 40)               0 |                                                    |\n" +
        "[40, 50)               0 |                                                    |\n" +
        "[50, 60)               0 |                                                    |\n" +
        "[60, 70)               0 |                                                    |\n" +
        "[70, 80)               0 |                                                    |\n" +
        "[80, 90)               0 |                                                    |\n" +
        "[90, 100)              0 |                                                    |\n" +
        "[100, ...)             1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\n",
    );
  });

  test("aggregations read in expressions merge over CPUs", () => {
    const r = runScript(
      'begin { @c = count(); @c = count(); @s = sum(7); printf("%d %d\\n", @c * 10, @s + 1); }',
      {
        between: () => {},
      },
    );
    expect(r.stdout.split("\n")[0]).toBe("20 8");
  });

  test("per-CPU aggregation: hits on different CPUs add up", () => {
    const r = runScript("uprobe:/bin/x:f { @n = count(); @t = sum(cpu); } begin {}", {
      between: (script, ctx) => {
        for (let cpu = 0; cpu < 4; cpu++) {
          ctx.cpu = cpu;
          script.probes[0]!.run(ctx);
        }
      },
    });
    expect(r.stdout).toBe("\n\n@n: 4\n@t: 6\n");
  });

  test("print(@m, top, div), print(@m[k]), clear after print", () => {
    expect(
      out("begin { @[1] = 10; @[2] = 40; @[3] = 30; print(@, 2, 10); print(@[2]); print(@); clear(@); }"),
    ).toBe("@[3]: 3\n@[2]: 4\n40\n@[1]: 10\n@[3]: 30\n@[2]: 40\n\n\n");
  });

  test("delete, len, has_key", () => {
    expect(
      out(
        'begin { @[1] = 1; @[2] = 2; delete(@, 1); printf("%d %s %s\\n", len(@), has_key(@, 1) ? "y" : "n", has_key(@, 2) ? "y" : "n"); }',
      ),
    ).toBe("1 n y\n\n\n@[2]: 2\n");
  });

  test("maps cleared in an end block are not dumped; zeroed ones are", () => {
    expect(
      out("begin { @a = 1; @b[1] = 2; @c = 3; @z[5] = 4; } end { clear(@a); clear(@b); zero(@z); }"),
    ).toBe("\n\n@c: 3\n@z[5]: 0\n");
  });

  test("print_maps_on_exit = false keeps the maps quiet", () => {
    expect(out("config = { print_maps_on_exit = false } begin { @a = 1; }")).toBe("\n\n");
  });

  test("JSON records for maps, hist, stats and printf", () => {
    const r = runScript('begin { printf("n=%d", 5); @c["x y"] = count(); @h = hist(3); @s = avg(4); }', {
      format: "json",
    });
    expect(r.stdout.trim().split("\n")).toEqual([
      '{"type": "printf", "data": "n=5"}',
      '{"type": "map", "data": {"@c": {"xy": 1}}}',
      '{"type": "hist", "data": {"@h": [{"min": 2, "max": 3, "count": 1}]}}',
      '{"type": "stats", "data": {"@s": 4}}',
    ]);
  });
});

describe("printf forms", () => {
  const cases: [string, string][] = [
    ['printf("%d %i %u\\n", -5, -5, 5)', "-5 -5 5"],
    ['printf("%u\\n", -1)', "4294967295"],
    ['printf("%lu %ld %llu\\n", -1, -1, -1)', "18446744073709551615 -1 18446744073709551615"],
    ['printf("%x %X %o %#x %#o\\n", 255, 255, 8, 255, 8)', "ff FF 10 0xff 010"],
    [
      'printf("%hhx %hx %x %lx\\n", 0x12345678abcdef, 0x12345678abcdef, 0x12345678abcdef, 0x12345678abcdef)',
      "ef cdef 78abcdef 12345678abcdef",
    ],
    [
      'printf("[%5d] [%-5d] [%05d] [%+d] [% d]\\n", 42, 42, 42, 42, 42)',
      "[   42] [42   ] [00042] [+42] [ 42]",
    ],
    ['printf("[%5s] [%-5s] [%.2s]\\n", "ab", "ab", "abcdef")', "[   ab] [ab   ] [ab]"],
    ['printf("%c%c%c\\n", 72, 105, 33)', "Hi!"],
    ['printf("%p %p\\n", 4096, 0)', "0x1000 (nil)"],
    ['printf("%s %s %s\\n", true, (1, "a"), (x=1, y=(2, 3)))', "true (1, a) { .x = 1, .y = (2, 3) }"],
    ['printf("%d %d\\n", true, 1 == 2)', "1 0"],
    ['printf("100%% %s\\n", "done")', "100% done"],
    ['printf("%*d|%-*d|\\n", 4, 7, 3, 8)', "   7|8  |"],
  ];
  for (const [call, want] of cases) {
    test(call, () => {
      expect(out(`begin { ${call}; }`)).toBe(`${want}\n\n\n`);
    });
  }

  test("errorf and warnf report with the call's location on stderr", () => {
    const r = runScript('begin { errorf("bad %d", 1); warnf("careful %s", "x"); }');
    expect(r.stderr).toBe(
      "Attached 1 probe\nstdin:1:9-28: ERROR: bad 1\nstdin:1:30-54: WARNING: careful x\n",
    );
  });

  test("the stdlib's assert prints its message and exits 1 when the condition is false", () => {
    const failed = runScript(
      'begin { assert(1 == 1, "fine"); assert(false, "My error message"); printf("never\\n"); }',
    );
    expect(failed.stderr).toBe("Attached 1 probe\nstdin:1:33-66: ERROR: assert failed: My error message\n");
    expect(failed.stdout).not.toContain("never");
    expect(failed.exit).toEqual({ code: 1 });
    const own = runScript(
      'macro assert(a, b) { printf("mine %d\\n", a); } begin { assert(0, "x"); exit(); }',
    );
    expect(own.stdout).toContain("mine 0\n");
  });

  test("errorf and warnf from a macro name each call site they were expanded from", () => {
    const text =
      'macro inner() { warnf("w"); } macro outer() { inner(); } begin { outer(); errorf("plain"); }';
    const r = runScript(text);
    expect(r.stderr).toBe(
      [
        "Attached 1 probe",
        "stdin:1:17-27: WARNING: w",
        "stdin:1:47-54: WARNING: expanded from",
        text,
        `${" ".repeat(46)}~~~~~~~`,
        "stdin:1:66-73: WARNING: expanded from",
        text,
        `${" ".repeat(65)}~~~~~~~`,
        "stdin:1:75-90: ERROR: plain",
        "",
      ].join("\n"),
    );
  });

  test("time() and strftime() use the simulated clock plus the wall-clock base", () => {
    const r = runScript(
      'begin { time("%H:%M:%S\\n"); printf("%s\\n", strftime("%Y-%m-%d %H:%M:%S.%f", nsecs)); }',
      {
        ctx: { nsecs: 1_500_000_000 },
        compile: { wallClockBaseNs: 86_400_000_000_000 },
      },
    );
    expect(r.stdout).toBe("00:00:01\n1970-01-02 00:00:01.500000\n\n\n");
  });
});
