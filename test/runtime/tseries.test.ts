import { describe, expect, it } from "vitest";
import { jsonMap, printMap } from "../../src/runtime/format.js";
import { BpfMap } from "../../src/runtime/maps.js";
import type { TseriesKind } from "../../src/runtime/types.js";

const MS = 1_000_000;

function series(agg: TseriesKind["agg"], intervals = 5, keyed = false): BpfMap {
  const value: TseriesKind = { kind: "tseries", intervalNs: 100 * MS, intervals, agg, signed: true };
  return new BpfMap({
    name: "@a",
    keyed,
    value,
    maxEntries: 4096,
    ncpus: 2,
    keyType: { kind: "string", size: 8 },
  });
}

describe("tseries() maps", () => {
  it("keep the last `intervals` intervals, each reduced by its aggregation, over CPUs", () => {
    const m = series("max");
    // Ten intervals of 100 ms, two samples each on different CPUs: only the last five remain.
    for (let i = 0; i < 10; i++) {
      m.aggregate(0, undefined, i, i * 100 * MS + MS);
      m.aggregate(1, undefined, i + 1, i * 100 * MS + 2 * MS);
    }
    const lines = printMap(m).split("\n");
    expect(lines[0]).toBe("@a:");
    expect(lines[1]).toBe(`             6${" ".repeat(50)}10`);
    expect(lines.slice(3, 8).map((l) => l.slice(0, 12))).toEqual([
      "00:00:00.500",
      "00:00:00.600",
      "00:00:00.700",
      "00:00:00.800",
      "00:00:00.900",
    ]);
    expect(lines[3]!.endsWith("*                                                   | 6")).toBe(true);
    expect(lines[7]!.endsWith("|                                                   * 10")).toBe(true);
  });

  it("average an interval's samples and print JSON with only the intervals that hold one", () => {
    const m = series("avg", 10, true);
    // 10 s in: a window reaching back before the epoch would be empty, as in bpftrace.
    const t0 = 10_000 * MS;
    m.aggregate(0, "one", 2, t0 + 100 * MS);
    m.aggregate(1, "one", 4, t0 + 150 * MS);
    m.aggregate(0, "two", 7, t0 + 300 * MS);
    expect(jsonMap(m)).toBe(
      '{"type": "tseries", "data": {"@a": {"one": [{"interval_start": "1970-01-01 00:00:10.100000000", "value": 3}], ' +
        '"two": [{"interval_start": "1970-01-01 00:00:10.300000000", "value": 7}]}}}\n',
    );
  });

  it("zero() leaves keys with no data", () => {
    const m = series("last");
    m.aggregate(0, undefined, 5, 700 * MS);
    m.zero();
    expect(printMap(m)).toBe("@a:\n<no data>\n");
    expect(jsonMap(m)).toBe('{"type": "tseries", "data": {"@a": []}}\n');
  });
});
