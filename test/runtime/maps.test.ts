import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type CountState,
  HistState,
  MinMaxState,
  StatsState,
  SumState,
} from "../../src/runtime/aggregations.js";
import {
  buildHistView,
  buildLhistView,
  histBucketCount,
  histIndex,
  lhistBucketCount,
  lhistIndex,
} from "../../src/runtime/histogram.js";
import { normalize } from "../../src/runtime/int64.js";
import { BpfMap, MAP_FULL_MESSAGE } from "../../src/runtime/maps.js";
import type { MapDescriptor, MapValueKind, ValueType } from "../../src/runtime/types.js";

const I64: ValueType = { kind: "int", bits: 64, signed: true };

function makeMap(value: MapValueKind, extra: Partial<MapDescriptor> = {}): BpfMap {
  return new BpfMap({ name: "@m", keyed: true, value, maxEntries: 4096, ncpus: 4, ...extra });
}

describe("plain maps", () => {
  it("reads a missing key as the zero value of its type", () => {
    const m = makeMap({ kind: "plain", type: I64 });
    expect(m.lookup(1)).toBe(0);
    const s = makeMap({ kind: "plain", type: { kind: "string", size: 16 } });
    expect(s.lookup("x")).toBe("");
    const t = makeMap({
      kind: "plain",
      type: { kind: "tuple", elements: [I64, { kind: "bool" }] },
    });
    expect(t.lookup(1)).toEqual([0, false]);
  });

  it("updates, deletes, clears and zeroes", () => {
    const m = makeMap({ kind: "plain", type: I64 });
    m.update(1, 10);
    m.update(2, 20);
    expect(m.lookup(1)).toBe(10);
    expect(m.len()).toBe(2);
    expect(m.hasKey(2)).toBe(true);
    expect(m.delete(2)).toBe(true);
    expect(m.delete(2)).toBe(false);
    expect(m.hasKey(2)).toBe(false);
    m.zero();
    expect(m.len()).toBe(1);
    expect(m.lookup(1)).toBe(0);
    m.clear();
    expect(m.len()).toBe(0);
  });

  it("encodes tuple keys by value and keeps a copy of the original key", () => {
    const m = makeMap({ kind: "plain", type: I64 });
    const key = [1, "a"];
    m.update(key, 5);
    key[0] = 99; // a compiled probe may reuse its key array
    expect(m.lookup([1, "a"])).toBe(5);
    expect(m.entries()[0]!.key).toEqual([1, "a"]);
    expect(m.hasKey(["1", "a"])).toBe(false);
    // Strings that contain separators must not collide.
    m.update(["a;", "b"], 1);
    m.update(["a", ";b"], 2);
    expect(m.len()).toBe(3);
  });

  it("keeps ints as numbers and big values as bigint keys", () => {
    const m = makeMap({ kind: "plain", type: I64 });
    m.update(18446744073709551615n, 0);
    m.update(5, 1);
    expect(m.hasKey(18446744073709551615n)).toBe(true);
    expect(m.lookup(5)).toBe(1);
  });

  it("uses a sentinel key for scalar maps", () => {
    const m = new BpfMap({
      name: "@x",
      keyed: false,
      value: { kind: "plain", type: I64 },
      maxEntries: 1,
      ncpus: 1,
    });
    expect(m.lookup()).toBe(0);
    m.update(undefined, 7);
    m.update(undefined, 8);
    expect(m.lookup()).toBe(8);
    expect(m.len()).toBe(1);
    expect(m.delete()).toBe(true);
    expect(m.len()).toBe(0);
  });

  it("refuses inserts past maxEntries and warns once per map", () => {
    const warnings: string[] = [];
    const m = makeMap({ kind: "plain", type: I64 }, { maxEntries: 2 });
    m.onWarning = (msg, map) => warnings.push(`${map.name}: ${msg}`);
    expect(m.update(1, 1)).toBe(true);
    expect(m.update(2, 2)).toBe(true);
    expect(m.update(3, 3)).toBe(false);
    expect(m.update(4, 4)).toBe(false);
    expect(m.update(1, 10)).toBe(true); // existing keys still update
    expect(m.len()).toBe(2);
    expect(warnings).toEqual([`@m: ${MAP_FULL_MESSAGE}`]);
    expect(MAP_FULL_MESSAGE.startsWith("Map full; can't update element")).toBe(true);
  });
});

describe("aggregations keep per-CPU state and merge on read", () => {
  it("count", () => {
    const m = makeMap({ kind: "count" });
    m.aggregate(0, "a");
    m.aggregate(1, "a");
    m.aggregate(3, "a");
    expect(m.lookup("a")).toBe(3);
    const st = m.entries()[0]!.agg as CountState;
    expect([...st.perCpu]).toEqual([1, 1, 0, 1]);
    m.zero();
    expect(m.lookup("a")).toBe(0);
    expect(m.len()).toBe(1);
  });

  it("sum wraps at 64 bits across CPUs", () => {
    const m = makeMap({ kind: "sum", signed: true });
    m.aggregate(0, 1, 10);
    m.aggregate(1, 1, -20);
    expect(m.lookup(1)).toBe(-10);
    const u = new SumState(2, false);
    u.add(0, 18446744073709551615n);
    u.add(1, 2);
    expect(u.read()).toBe(1);
  });

  it("avg and stats use integer division truncating toward zero", () => {
    const s = new StatsState(2, true);
    s.add(0, -10);
    s.add(1, -5);
    s.add(1, 5);
    expect(s.stats()).toEqual({ count: 3, average: -3, total: -10 });
    const a = new StatsState(1, true);
    a.add(0, -30);
    a.add(0, -10);
    expect(a.read()).toBe(-20);
    expect(new StatsState(1, true).stats()).toEqual({ count: 0, average: 0, total: 0 });
  });

  it("min and max ignore CPUs without samples", () => {
    const mn = new MinMaxState(4, true, false);
    mn.add(2, 5);
    mn.add(3, 9);
    expect(mn.read()).toBe(5);
    const mx = new MinMaxState(4, true, true);
    mx.add(0, -7);
    mx.add(1, -3);
    expect(mx.read()).toBe(-3);
    const um = makeMap({ kind: "max", signed: false });
    um.aggregate(0, 1, 1);
    um.aggregate(1, 1, 3);
    um.aggregate(2, 1, 2);
    expect(um.lookup(1)).toBe(3);
  });

  it("hist buckets merge across CPUs", () => {
    const h = new HistState(2, 0);
    h.add(0, 2);
    h.add(1, 3);
    h.add(1, -1);
    const merged = h.merged();
    expect(merged[0]).toBe(1);
    expect(merged[3]).toBe(2);
    expect(h.total()).toBe(3);
    expect(h.rows[0]).toBeDefined();
  });
});

describe("histogram bucket indexes", () => {
  it("log2 buckets with k = 0", () => {
    expect(histIndex(-5, 0)).toBe(0);
    expect(histIndex(0, 0)).toBe(1);
    expect(histIndex(1, 0)).toBe(2);
    expect(histIndex(2, 0)).toBe(3);
    expect(histIndex(3, 0)).toBe(3);
    expect(histIndex(4, 0)).toBe(4);
    expect(histIndex(7, 0)).toBe(4);
    expect(histIndex(20, 0)).toBe(6);
    expect(histIndex(1024, 0)).toBe(12);
    expect(histIndex(2 ** 40, 0)).toBe(42);
    expect(histIndex(9223372036854775807n, 0)).toBe(64);
    expect(histIndex(18446744073709551615n, 0)).toBe(65);
  });

  it("log2 buckets with extra bits", () => {
    // k = 1: values 0..3 own buckets 1..4, then [4,6) [6,8) [8,12) ...
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 12].map((v) => histIndex(v, 1))).toEqual([
      1, 2, 3, 4, 5, 5, 6, 6, 7, 7, 8,
    ]);
    expect(histIndex(2 ** 40 + 2 ** 39, 1)).toBe(histIndex(2 ** 40, 1) + 1);
  });

  it("linear buckets", () => {
    expect(lhistIndex(-1, 0, 10, 2)).toBe(0);
    expect(lhistIndex(2, 0, 10, 2)).toBe(2);
    expect(lhistIndex(3, 0, 10, 2)).toBe(2);
    expect(lhistIndex(10, 0, 10, 2)).toBe(6);
    expect(lhistIndex(11, 0, 10, 2)).toBe(6);
    expect(lhistIndex(100n, 0, 10, 2)).toBe(6);
  });
});

describe("map iteration", () => {
  it("pairs yields merged aggregation values", () => {
    const m = makeMap({ kind: "count" });
    m.aggregate(0, 16);
    m.aggregate(1, 16);
    m.aggregate(0, 64);
    expect(m.pairs()).toEqual([
      [16, 2],
      [64, 1],
    ]);
  });
});

describe("histogram buckets agree with their labels", () => {
  it("every value lies within the printed bounds of its bucket", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.bigInt({ min: 0n, max: (1n << 63n) - 1n })),
        fc.integer({ min: 0, max: 5 }),
        (raw, k) => {
          const v = typeof raw === "bigint" ? normalize(raw) : raw;
          const idx = histIndex(v, k);
          const counts = new Float64Array(histBucketCount(k));
          counts[idx] = 1;
          const view = buildHistView(counts, k);
          const lo = view.lowerBound!.value;
          const hi = view.labels[0]!.value;
          const b = BigInt(v);
          expect(lo <= b && b < hi).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("linear buckets agree with their labels", () => {
    fc.assert(
      fc.property(fc.integer({ min: -50, max: 150 }), fc.integer({ min: 1, max: 7 }), (v, step) => {
        const min = 0;
        const max = 100;
        const idx = lhistIndex(v, min, max, step);
        const counts = new Float64Array(lhistBucketCount(min, max, step));
        counts[idx] = 1;
        const view = buildLhistView(counts, min, max, step);
        if (idx === 0) expect(v < min && view.lowerBound === undefined).toBe(true);
        else {
          expect(BigInt(v) >= view.lowerBound!.value).toBe(true);
          if (view.labels.length > 0) expect(BigInt(v) < view.labels[0]!.value).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe("a map emptied and filled again", () => {
  it("counts, iterates, clears and evicts only the keys put in it", () => {
    const m = makeMap({ kind: "plain", type: I64 });
    expect(m.len()).toBe(0);
    expect(m.entries()).toEqual([]);
    m.update(4100, 1);
    expect(m.delete(4100)).toBe(true);
    expect(m.delete(4100)).toBe(false);
    expect(m.len()).toBe(0);
    m.update(2, 20);
    m.update(1, 10);
    expect(m.pairs()).toEqual([
      [2, 20],
      [1, 10],
    ]);
    m.zero();
    expect(m.pairs()).toEqual([
      [2, 0],
      [1, 0],
    ]);
    m.clear();
    expect(m.len()).toBe(0);
    expect(m.hasKey(1)).toBe(false);
    m.update(3, 30);
    expect(m.entries().map((e) => e.key)).toEqual([3]);
  });

  it("an LRU map evicts its least recently used key, never anything else", () => {
    const m = makeMap({ kind: "plain", type: I64 }, { maxEntries: 2, lru: true });
    m.update(1, 1);
    m.update(2, 2);
    m.lookup(1); // 2 is now the least recent
    m.update(3, 3);
    expect(m.entries().map((e) => e.key)).toEqual([1, 3]);
    m.clear();
    m.update(4, 4);
    m.update(5, 5);
    m.update(6, 6);
    expect(m.entries().map((e) => e.key)).toEqual([5, 6]);
  });
});
