import { describe, expect, test } from "vitest";
import type { ProbeRow } from "../../src/trace/snapshot.js";
import {
  filterProbes,
  fitColumns,
  flowSegments,
  headerCells,
  headerLines,
  layoutScreen,
  rowCells,
  SORT_COLUMNS,
  scrollStart,
  shareHeight,
  shortenSpec,
  sortProbes,
  stepSortColumn,
  tableLines,
} from "../../src/tui/model.js";
import { sampleLatency, threeProbeSession } from "./fake-session.js";

function probe(id: number, over: Partial<ProbeRow> = {}): ProbeRow {
  return {
    id,
    script: "a.bt",
    spec: `uprobe:/bin/app:f${id}`,
    state: "attached",
    hits: 0,
    rate: 0,
    rateHistory: [],
    ...over,
  };
}

const ids = (rows: readonly ProbeRow[]) => rows.map((row) => row.id);

describe("sortProbes", () => {
  const rows = [
    probe(3, { hits: 10, rate: 5 }),
    probe(1, { hits: 30, rate: 5 }),
    probe(2, { hits: 10, rate: 9, latency: { ...sampleLatency(), p50: 900 } }),
    probe(4, { hits: 20, rate: 1, latency: { ...sampleLatency(), p50: 300 } }),
  ];

  test("sorts by the column in either direction", () => {
    expect(ids(sortProbes(rows, { column: "id", descending: false }))).toEqual([1, 2, 3, 4]);
    expect(ids(sortProbes(rows, { column: "hits", descending: true }))).toEqual([1, 4, 2, 3]);
    expect(ids(sortProbes(rows, { column: "rate", descending: false }))).toEqual([4, 1, 3, 2]);
  });

  test("ties keep id order in both directions, so rows never swap between ticks", () => {
    expect(ids(sortProbes(rows, { column: "hits", descending: false }))).toEqual([2, 3, 4, 1]);
    expect(ids(sortProbes(rows, { column: "hits", descending: true }))).toEqual([1, 4, 2, 3]);
    expect(ids(sortProbes(rows, { column: "state", descending: true }))).toEqual([1, 2, 3, 4]);
  });

  test("probes without a latency go last whichever way latency is sorted", () => {
    expect(ids(sortProbes(rows, { column: "p50", descending: false }))).toEqual([4, 2, 1, 3]);
    expect(ids(sortProbes(rows, { column: "p50", descending: true }))).toEqual([2, 4, 1, 3]);
  });

  test("does not modify its input", () => {
    const before = ids(rows);
    sortProbes(rows, { column: "hits", descending: true });
    expect(ids(rows)).toEqual(before);
  });

  test("the sort columns step in screen order and wrap", () => {
    expect(stepSortColumn("id", 1)).toBe("spec");
    expect(stepSortColumn("max", 1)).toBe("id");
    expect(stepSortColumn("id", -1)).toBe("max");
    expect(SORT_COLUMNS.map((c) => stepSortColumn(stepSortColumn(c, 1), -1))).toEqual(SORT_COLUMNS);
  });
});

describe("filterProbes", () => {
  const rows = [
    probe(1, { spec: "uretprobe:/bin/app:handle" }),
    probe(2, { spec: "uprobe:/lib/libc.so.6:malloc", script: "mem.bt" }),
    probe(3, { spec: "uprobe:/bin/app:parse", state: "detached" }),
  ];

  test("matches spec, script or state, ignoring case", () => {
    expect(ids(filterProbes(rows, "MALLOC"))).toEqual([2]);
    expect(ids(filterProbes(rows, "mem.bt"))).toEqual([2]);
    expect(ids(filterProbes(rows, "detached"))).toEqual([3]);
    expect(ids(filterProbes(rows, "/bin/app"))).toEqual([1, 3]);
  });

  test("an empty filter keeps everything and an unmatched one nothing", () => {
    expect(ids(filterProbes(rows, "  "))).toEqual([1, 2, 3]);
    expect(filterProbes(rows, "nothing-like-this")).toEqual([]);
  });
});

describe("columns", () => {
  const total = (width: number) => {
    const columns = fitColumns(width);
    return columns.reduce((sum, c) => sum + c.width, 0) + columns.length - 1;
  };

  test("fill the width exactly, giving the spare room to the probe spec", () => {
    for (const width of [60, 72, 80, 100, 120, 200]) expect(total(width)).toBe(width);
  });

  test("narrow terminals drop the sparkline, then max and p99", () => {
    const keys = (width: number) => fitColumns(width).map((c) => c.key);
    expect(keys(120)).toEqual(["id", "spec", "state", "hits", "rate", "trend", "p50", "p99", "max"]);
    expect(keys(80)).toEqual(["id", "spec", "state", "hits", "rate", "p50", "p99", "max"]);
    expect(keys(60)).toEqual(["id", "spec", "state", "hits", "rate", "p50"]);
  });

  test("the header marks the sort column with ▲ or ▼", () => {
    const columns = fitColumns(120);
    const up = headerCells(columns, { column: "hits", descending: false }).join(" ");
    const down = headerCells(columns, { column: "hits", descending: true }).join(" ");
    expect(up).toContain("HITS▲");
    expect(down).toContain("HITS▼");
    expect(up.match(/[▲▼]/g)).toHaveLength(1);
  });

  test("rows show formatted values, a dash for a missing latency", () => {
    const columns = fitColumns(120);
    const withLatency = rowCells(probe(7, { hits: 12_345, rate: 250, latency: sampleLatency() }), columns);
    expect(withLatency.map((c) => c.trim())).toEqual(
      expect.arrayContaining(["7", "attached", "12.3K", "250", "700ns", "5µs", "7µs"]),
    );
    const without = rowCells(probe(8), columns);
    expect(without.slice(-3).map((c) => c.trim())).toEqual(["-", "-", "-"]);
    expect(withLatency.map((c) => c.length)).toEqual(columns.map((c) => c.width));
  });

  test("tableLines gives a header and one line per row, all of the width", () => {
    const lines = tableLines([probe(1), probe(2)], 80, { column: "id", descending: false });
    expect(lines).toHaveLength(3);
    expect(lines.every((line) => line.length === 80)).toBe(true);
  });
});

describe("header", () => {
  test("flowSegments wraps between segments and never inside one", () => {
    expect(flowSegments(["aaaa", "bbbb", "cccc"], 10)).toEqual(["aaaa  bbbb", "cccc"]);
    expect(flowSegments(["a-very-long-segment"], 5)).toEqual(["a-very-long-segment"]);
  });

  test("shows totals, speed and the kernel counters, and reflows with the width", () => {
    const snapshot = threeProbeSession().tick(1000);
    const wide = headerLines(snapshot, 200).join("\n");
    for (const text of [
      "sim 1s",
      "speed 1x (target 1x)",
      "hits/s 23.1K",
      "lost 0",
      "kernel v6.18",
      "workload fake",
      "cpus 4",
      "speculative 1.23K ok / 5 mmap_lock",
      "grace periods 7",
      "in synchronize 2.5ms",
      "leases expired 1",
      "breakpoints installed 3 removed 0",
    ]) {
      expect(wide).toContain(text);
    }
    const narrow = headerLines(snapshot, 60);
    expect(narrow.length).toBeGreaterThan(headerLines(snapshot, 200).length);
    expect(narrow.every((line) => line.length <= 60)).toBe(true);
  });
});

describe("shortenSpec keeps the function name, which tells probes apart", () => {
  const spec = "uretprobe:/usr/bin/shopd:handle_request";
  test("a spec that fits is left alone", () => {
    expect(shortenSpec(spec, 60)).toBe(spec);
  });
  test("then the short provider, then the binary's base name, then the binary's middle", () => {
    expect(shortenSpec(spec, 32)).toBe("ur:/usr/bin/shopd:handle_request");
    expect(shortenSpec(spec, 24)).toBe("ur:shopd:handle_request");
    expect(shortenSpec(spec, 21)).toBe("ur:sh…:handle_request");
    expect(shortenSpec("uprobe:/usr/bin/shopd:handle_request", 21)).toBe("u:sho…:handle_request");
  });
  test("with no room for the binary, the kind and the function's start stay", () => {
    expect(shortenSpec(spec, 10)).toBe("ur:handle…");
    expect(shortenSpec("interval:ms:100", 8)).toBe("i:ms:100");
  });
});

describe("layout", () => {
  test("the live region stays shorter than the terminal", () => {
    const { tableRows } = shareHeight(20, 8, 50, false);
    expect(tableRows + 8).toBe(19);
    expect(shareHeight(20, 8, 3, false)).toEqual({ tableRows: 3, detailRows: 0 });
  });

  test("the detail panel takes two thirds of what is left", () => {
    expect(shareHeight(40, 7, 10, true)).toEqual({ tableRows: 10, detailRows: 22 });
    expect(shareHeight(40, 7, 3, true)).toEqual({ tableRows: 3, detailRows: 29 });
  });

  const quiet = {
    headerLines: 3,
    probeCount: 50,
    paused: false,
    failed: false,
    detailOpen: false,
    inputOpen: false,
    attachError: undefined,
  };

  test("layoutScreen gives the table what the header, heading, status line and footer leave", () => {
    // 30 rows - 1 (Ink's spare line) - 3 header - heading - status - footer = 23
    expect(layoutScreen(30, quiet)).toEqual({ errorLines: 0, tableRows: 23, detailRows: 0, helpRows: 24 });
  });

  test("each banner and the input line take one line from the table", () => {
    const banners = layoutScreen(30, { ...quiet, paused: true, failed: true, inputOpen: true });
    expect(banners.tableRows).toBe(20);
  });

  test("a long attach error takes at most a third of the screen", () => {
    const error = Array.from({ length: 40 }, (_, i) => `line ${i}`).join("\n");
    const layout = layoutScreen(30, { ...quiet, inputOpen: true, attachError: error });
    expect(layout.errorLines).toBe(10);
    expect(layout.tableRows).toBe(12);
  });

  test("scrollStart keeps the selection in view", () => {
    expect(scrollStart(0, 100, 10)).toBe(0);
    expect(scrollStart(50, 100, 10)).toBe(45);
    expect(scrollStart(99, 100, 10)).toBe(90);
    expect(scrollStart(5, 8, 10)).toBe(0);
  });
});
