import { describe, expect, it } from "vitest";
import { collectMap, jsonMap, printMap, printMaps } from "../../src/runtime/format.js";
import { BpfMap } from "../../src/runtime/maps.js";
import type { MapValueKind, ValueType } from "../../src/runtime/types.js";

const I64: ValueType = { kind: "int", bits: 64, signed: true };
const U64: ValueType = { kind: "int", bits: 64, signed: false };
const STR: ValueType = { kind: "string", size: 64 };

function scalar(name: string, value: MapValueKind): BpfMap {
  return new BpfMap({ name, keyed: false, value, maxEntries: 4096, ncpus: 2 });
}
function keyed(name: string, value: MapValueKind, keyType: ValueType = I64): BpfMap {
  return new BpfMap({ name, keyed: true, keyType, value, maxEntries: 4096, ncpus: 2 });
}

describe("scalar aggregations print as bpftrace does", () => {
  it("sum, avg, max, stats", () => {
    const sum = scalar("@sum", { kind: "sum", signed: true });
    for (const v of [1, 2, 3]) sum.aggregate(0, undefined, v);
    expect(printMap(sum)).toBe("@sum: 6\n");

    const avg = scalar("@avg", { kind: "avg", signed: true });
    for (const v of [1, 2, 3]) avg.aggregate(v % 2, undefined, v);
    expect(printMap(avg)).toBe("@avg: 2\n");

    const max = scalar("@max", { kind: "max", signed: true });
    for (const v of [1, 3, 2]) max.aggregate(1, undefined, v);
    expect(printMap(max)).toBe("@max: 3\n");

    const stats = scalar("@stats", { kind: "stats", signed: true });
    for (const v of [1, 2, 3]) stats.aggregate(0, undefined, v);
    expect(printMap(stats)).toBe("@stats: { .count = 3, .average = 2, .total = 6 }\n");

    const neg = scalar("@", { kind: "stats", signed: true });
    for (const v of [-10, -5, 5]) neg.aggregate(1, undefined, v);
    expect(printMap(neg)).toBe("@: { .count = 3, .average = -3, .total = -10 }\n");

    const s2 = scalar("@", { kind: "sum", signed: true });
    s2.aggregate(0, undefined, 10);
    s2.aggregate(1, undefined, -20);
    expect(printMap(s2)).toBe("@: -10\n");
  });

  it("avg over a while loop ($a = 0..100)", () => {
    const m = scalar("@", { kind: "avg", signed: true });
    for (let a = 0; a <= 100; a++) m.aggregate(a % 2, undefined, a);
    expect(printMap(m)).toBe("@: 50\n");
  });
});

const HIST_TXT = `@:
(..., 0)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |
[0]                    0 |                                                    |
[1]                    0 |                                                    |
[2, 4)                 2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[4, 8)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |
[8, 16)                0 |                                                    |
[16, 32)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |

`;

const HIST_2_TXT = `@:
[2, 4)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[4, 8)                 0 |                                                    |
[8, 16)                0 |                                                    |
[16, 32)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

`;

const LHIST_TXT = `@:
(..., 0)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |
[0, 2)                 0 |                                                    |
[2, 4)                 2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[4, 6)                 0 |                                                    |
[6, 8)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |
[8, 10)                0 |                                                    |
[10, ...)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |

`;

describe("histograms", () => {
  it("hist: the runtime test golden output", () => {
    const m = scalar("@", { kind: "hist", k: 0 });
    for (const v of [-1, 2, 3, 7, 20]) m.aggregate(0, undefined, v);
    expect(printMap(m)).toBe(HIST_TXT);
  });

  it("hist: starts at the first non-empty bucket", () => {
    const m = scalar("@", { kind: "hist", k: 0 });
    m.aggregate(0, undefined, 3);
    m.aggregate(1, undefined, 20);
    expect(printMap(m)).toBe(HIST_2_TXT);
  });

  it("lhist: the runtime test golden output", () => {
    const m = scalar("@", { kind: "lhist", min: 0, max: 10, step: 2 });
    for (const v of [2, 3, 7, -1, 11]) m.aggregate(0, undefined, v);
    expect(printMap(m)).toBe(LHIST_TXT);
  });

  it("hist labels use K/M/G suffixes and [n] for single values", () => {
    const m = scalar("@h", { kind: "hist", k: 0 });
    m.aggregate(0, undefined, 0);
    m.aggregate(0, undefined, 1500);
    m.aggregate(0, undefined, 3 * 1024 * 1024);
    const lines = printMap(m).split("\n");
    expect(lines[0]).toBe("@h:");
    expect(lines[1]!.startsWith("[0]  ")).toBe(true);
    expect(lines.some((l) => l.startsWith("[512, 1K)  "))).toBe(true);
    expect(lines.some((l) => l.startsWith("[1K, 2K)  "))).toBe(true);
    expect(lines.some((l) => l.startsWith("[2M, 4M)  "))).toBe(true);
    expect(lines.at(-2)).toBe("");
    expect(lines.at(-1)).toBe("");
  });

  it("hist with extra bits labels sub-intervals", () => {
    const m = scalar("@", { kind: "hist", k: 1 });
    for (const v of [3, 5, 9]) m.aggregate(0, undefined, v);
    const labels = printMap(m)
      .split("\n")
      .slice(1, -2)
      .map((l) => l.slice(0, 16).trim());
    expect(labels).toEqual(["[3]", "[4, 6)", "[6, 8)", "[8, 12)"]);
  });

  it("lhist with a step multiple of 1024 uses K labels", () => {
    const m = scalar("@", { kind: "lhist", min: 0, max: 4096, step: 1024 });
    m.aggregate(0, undefined, 1500);
    m.aggregate(0, undefined, 5000);
    const labels = printMap(m)
      .split("\n")
      .slice(1, -2)
      .map((l) => l.slice(0, 16).trim());
    expect(labels).toEqual(["[1K, 2K)", "[2K, 3K)", "[3K, 4K)", "[4K, ...)"]);
  });

  it("keyed histograms print a header per key and a blank line after each", () => {
    const m = keyed("@lat", { kind: "hist", k: 0 }, STR);
    m.aggregate(0, "curl", 1);
    m.aggregate(0, "bash", 1);
    m.aggregate(1, "bash", 1);
    expect(printMap(m)).toBe(
      "@lat[curl]:\n[1]                    1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\n" +
        "@lat[bash]:\n[1]                    2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\n",
    );
  });

  it("bars are truncated single-precision ratios", () => {
    const m = scalar("@", { kind: "lhist", min: 0, max: 10, step: 1 });
    for (let i = 0; i < 3; i++) m.aggregate(0, undefined, 1);
    m.aggregate(0, undefined, 2);
    const lines = printMap(m).split("\n");
    expect(lines[2]).toBe("[2]                    1 |" + "@".repeat(17).padEnd(52) + "|");
  });
});

describe("keyed maps", () => {
  it("sorts integer values ascending and prints tuple keys without parentheses", () => {
    const m = keyed("@a", { kind: "plain", type: I64 }, I64);
    m.update(1, 5);
    m.update(2, 3);
    expect(printMap(m)).toBe("@a[2]: 3\n@a[1]: 5\n");

    const t: ValueType = {
      kind: "tuple",
      elements: [I64, { kind: "tuple", elements: [I64, I64] }],
    };
    const tm = keyed("@a", { kind: "plain", type: I64 }, t);
    tm.update([-1, [-2, 3]], 10);
    tm.update([5, [6, 7]], 11);
    tm.update([-4, [-5, -6]], 12);
    expect(printMap(tm)).toBe("@a[-1, (-2, 3)]: 10\n@a[5, (6, 7)]: 11\n@a[-4, (-5, -6)]: 12\n");
  });

  it("prints uint64 max keys and bool keys/values", () => {
    const m = keyed("@a", { kind: "plain", type: I64 }, U64);
    m.update(18446744073709551615n, 0);
    expect(printMap(m)).toBe("@a[18446744073709551615]: 0\n");
    const b = keyed("@a", { kind: "plain", type: { kind: "bool" } }, { kind: "bool" });
    b.update(true, false);
    expect(printMap(b)).toBe("@a[true]: false\n");
  });

  it("per-CPU values used as a tuple key", () => {
    const t: ValueType = { kind: "tuple", elements: [U64, I64, I64, I64, I64] };
    const m = keyed("@", { kind: "plain", type: I64 }, t);
    m.update([1, 5, 1, 10, 7], 1);
    expect(printMap(m)).toBe("@[1, 5, 1, 10, 7]: 1\n");
  });

  it("sorts non-integer values by key: signed ints, strings, tuple fields", () => {
    const m = keyed("@s", { kind: "plain", type: STR }, U64);
    m.update(18446744073709551615n, "max"); // read as -1 when sorting
    m.update(3, "three");
    m.update(1, "one");
    expect(printMap(m)).toBe("@s[18446744073709551615]: max\n@s[1]: one\n@s[3]: three\n");

    const sm = keyed("@s", { kind: "plain", type: STR }, STR);
    sm.update("b", "x");
    sm.update("a", "y");
    sm.update("ab", "z");
    expect(printMap(sm)).toBe("@s[a]: y\n@s[ab]: z\n@s[b]: x\n");

    const tt: ValueType = { kind: "tuple", elements: [STR, I64] };
    const tmap = keyed("@t", { kind: "plain", type: STR }, tt);
    tmap.update(["b", 1], "1");
    tmap.update(["a", 2], "2");
    tmap.update(["a", 1], "3");
    expect(printMap(tmap)).toBe("@t[a, 1]: 3\n@t[a, 2]: 2\n@t[b, 1]: 1\n");
  });

  it("breaks value ties by key order so output is deterministic", () => {
    const m = keyed("@c", { kind: "count" }, STR);
    for (const k of ["zz", "aa", "mm"]) m.aggregate(0, k);
    m.aggregate(1, "bb");
    m.aggregate(1, "bb");
    expect(printMap(m)).toBe("@c[aa]: 1\n@c[mm]: 1\n@c[zz]: 1\n@c[bb]: 2\n");
  });

  it("print(@m, top, div) on averages", () => {
    const m = keyed("@", { kind: "avg", signed: true }, STR);
    m.aggregate(0, "a", 10);
    m.aggregate(0, "b", 20);
    m.aggregate(1, "c", 30);
    m.aggregate(1, "d", 40);
    expect(printMap(m, { top: 2, div: 10 })).toBe("@[c]: 3\n@[d]: 4\n");
  });

  it("sorts hist maps by total count and stats maps by average", () => {
    const h = keyed("@h", { kind: "hist", k: 0 }, STR);
    h.aggregate(0, "many", 1);
    h.aggregate(0, "many", 1);
    h.aggregate(0, "few", 1);
    expect(collectMap(h).rows.map((r) => r.key)).toEqual(["few", "many"]);
    const s = keyed("@s", { kind: "stats", signed: true }, STR);
    s.aggregate(0, "hi", 100);
    s.aggregate(0, "lo", 1);
    expect(printMap(s)).toBe(
      "@s[lo]: { .count = 1, .average = 1, .total = 1 }\n@s[hi]: { .count = 1, .average = 100, .total = 100 }\n",
    );
  });

  it("records and tuples as values", () => {
    const t: ValueType = {
      kind: "tuple",
      elements: [I64, I64, STR, { kind: "tuple", elements: [I64, I64] }],
    };
    const m = scalar("@", { kind: "plain", type: t });
    m.update(undefined, [1, 2, "string", [4, 5]]);
    expect(printMap(m)).toBe("@: (1, 2, string, (4, 5))\n");
  });
});

describe("the exit dump", () => {
  it("prints non-empty maps in byte order of names", () => {
    const b = scalar("@b", { kind: "plain", type: I64 });
    b.update(undefined, 2);
    const a = keyed("@a", { kind: "plain", type: I64 });
    a.update(1, 5);
    a.update(2, 3);
    const empty = keyed("@", { kind: "count" });
    const x = scalar("@x", { kind: "count" });
    x.aggregate(0, undefined);
    expect(printMaps([x, b, empty, a])).toBe("@a[2]: 3\n@a[1]: 5\n@b: 2\n@x: 1\n");
  });

  it("print() of an empty scalar map prints the zero value only when asked", () => {
    const m = scalar("@", { kind: "count" });
    expect(printMap(m)).toBe("");
    expect(printMap(m, { zeroIfEmpty: true })).toBe("@: 0\n");
  });
});

describe("JSON map records", () => {
  it("scalar, keyed, hist and stats records", () => {
    const s = scalar("@scalar", { kind: "plain", type: I64 });
    s.update(undefined, 5);
    expect(jsonMap(s)).toBe('{"type": "map", "data": {"@scalar": 5}}\n');

    const m = keyed("@map", { kind: "plain", type: I64 }, STR);
    m.update("key1", 2);
    m.update("key2", 3);
    expect(jsonMap(m)).toBe('{"type": "map", "data": {"@map": {"key1": 2, "key2": 3}}}\n');

    const h = scalar("@hist", { kind: "hist", k: 0 });
    h.aggregate(0, undefined, 2);
    h.aggregate(0, undefined, 1025);
    const rec = JSON.parse(jsonMap(h));
    expect(rec).toEqual({
      type: "hist",
      data: {
        "@hist": [
          { min: 2, max: 3, count: 1 },
          { min: 4, max: 7, count: 0 },
          { min: 8, max: 15, count: 0 },
          { min: 16, max: 31, count: 0 },
          { min: 32, max: 63, count: 0 },
          { min: 64, max: 127, count: 0 },
          { min: 128, max: 255, count: 0 },
          { min: 256, max: 511, count: 0 },
          { min: 512, max: 1023, count: 0 },
          { min: 1024, max: 2047, count: 1 },
        ],
      },
    });

    const st = scalar("@stats", { kind: "stats", signed: true });
    st.aggregate(0, undefined, 2);
    st.aggregate(1, undefined, 10);
    expect(jsonMap(st)).toBe(
      '{"type": "stats", "data": {"@stats": {"count": 2, "average": 6, "total": 12}}}\n',
    );

    const avg = scalar("@a", { kind: "avg", signed: true });
    avg.aggregate(0, undefined, 4);
    expect(jsonMap(avg)).toBe('{"type": "stats", "data": {"@a": 4}}\n');
  });

  it("underflow and overflow buckets carry only max or min", () => {
    const l = scalar("@", { kind: "lhist", min: 0, max: 10, step: 5 });
    l.aggregate(0, undefined, -3);
    l.aggregate(0, undefined, 50);
    expect(JSON.parse(jsonMap(l)).data["@"]).toEqual([
      { max: -1, count: 1 },
      { min: 0, max: 4, count: 0 },
      { min: 5, max: 9, count: 0 },
      { min: 10, count: 1 },
    ]);
    const h = scalar("@", { kind: "hist", k: 0 });
    h.aggregate(0, undefined, -3);
    expect(JSON.parse(jsonMap(h)).data["@"]).toEqual([{ max: -1, count: 1 }]);
  });

  it("strips spaces from keys, quotes big numbers and skips empty maps", () => {
    const t: ValueType = { kind: "tuple", elements: [STR, I64] };
    const m = keyed("@", { kind: "plain", type: U64 }, t);
    m.update(["bpf trace", 2], 18446744073709551615n);
    m.update(["x", 1], 1n << 60n);
    expect(jsonMap(m)).toBe(
      '{"type": "map", "data": {"@": {"x,1": 1152921504606846976, "bpftrace,2": "18446744073709551615"}}}\n',
    );
    expect(jsonMap(keyed("@e", { kind: "count" }))).toBe("");
  });

  it("keyed hist and zeroed hist", () => {
    const h = keyed("@", { kind: "hist", k: 0 }, STR);
    h.aggregate(0, "curl", 0);
    expect(jsonMap(h)).toBe(
      '{"type": "hist", "data": {"@": {"curl": [{"min": 0, "max": 0, "count": 1}]}}}\n',
    );
    h.zero();
    expect(jsonMap(h)).toBe('{"type": "hist", "data": {"@": {"curl": []}}}\n');
  });
});
