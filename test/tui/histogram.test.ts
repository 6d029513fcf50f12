import { describe, expect, test } from "vitest";
import { histBucketBounds, histLines } from "../../src/runtime/histogram.js";
import { HIST_BUCKETS, latencyBucket } from "../../src/trace/trace-probe.js";

/** The view draws a probe's latency histogram with the same code that prints hist(): fill it as a probe does. */
function histOf(values: readonly number[]): number[] {
  const hist = new Array<number>(HIST_BUCKETS).fill(0);
  for (const value of values) hist[latencyBucket(value)]++;
  return hist;
}

/** The label of the one line a single value draws. */
function labelOf(value: number): string {
  return histLines(histOf([value]))[0]!
    .slice(0, 16)
    .trim();
}

/** bpftrace's output for `@=hist(-1); @=hist(2); @=hist(3); @=hist(7); @=hist(20);` (conformance case `hist`). */
const BPFTRACE_HIST = [
  "(..., 0)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |",
  "[0]                    0 |                                                    |",
  "[1]                    0 |                                                    |",
  "[2, 4)                 2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|",
  "[4, 8)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |",
  "[8, 16)                0 |                                                    |",
  "[16, 32)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |",
];

/** bpftrace's output for `@=hist(3); @=hist(20);` (conformance case `hist_2_values`). */
const BPFTRACE_HIST_2_VALUES = [
  "[2, 4)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|",
  "[4, 8)                 0 |                                                    |",
  "[8, 16)                0 |                                                    |",
  "[16, 32)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|",
];

describe("a latency value's bucket", () => {
  test("is labelled as bpftrace labels it", () => {
    expect(labelOf(-5)).toBe("(..., 0)");
    expect(labelOf(0)).toBe("[0]");
    expect(labelOf(0.4)).toBe("[0]");
    expect(labelOf(1)).toBe("[1]");
    expect(labelOf(3)).toBe("[2, 4)");
    expect(labelOf(1023)).toBe("[512, 1K)");
    expect(labelOf(1024)).toBe("[1K, 2K)");
    expect(labelOf(1.5 * 2 ** 20)).toBe("[1M, 2M)");
    expect(labelOf(2 ** 30)).toBe("[1G, 2G)");
    expect(labelOf(2 ** 30 - 1)).toBe("[512M, 1G)");
  });

  test("has the bounds its label names (the percentile estimate reads them)", () => {
    expect(histBucketBounds(latencyBucket(0))).toEqual({ low: 0, high: 1 });
    expect(histBucketBounds(latencyBucket(3))).toEqual({ low: 2, high: 4 });
    expect(histBucketBounds(latencyBucket(1500))).toEqual({ low: 1024, high: 2048 });
  });
});

describe("histLines", () => {
  test("matches bpftrace's hist output byte for byte (conformance case `hist`)", () => {
    expect(histLines(histOf([-1, 2, 3, 7, 20]))).toEqual(BPFTRACE_HIST);
  });

  test("starts at the lowest non-empty bucket (conformance case `hist_2_values`)", () => {
    expect(histLines(histOf([3, 20]))).toEqual(BPFTRACE_HIST_2_VALUES);
  });

  test("every line is 16 + 8 + 2 + 52 + 1 columns and the largest bucket fills the bar", () => {
    const lines = histLines(histOf([600, 700, 800, 1500, 5000]));
    expect(lines.map((line) => line.length)).toEqual(lines.map(() => 79));
    expect(lines[0]).toBe(`[512, 1K)${" ".repeat(7)}${"3".padStart(8)} |${"@".repeat(52)}|`);
    expect(lines[1].startsWith("[1K, 2K)")).toBe(true);
    expect(lines[1]).toContain(`|${"@".repeat(17)}${" ".repeat(35)}|`);
  });

  test("draws bars in hist()'s single precision: 15 of 26 is 30 @, not the 29 double arithmetic gives", () => {
    const lines = histLines(histOf([...Array(15).fill(10), ...Array(26).fill(20)]));
    expect(lines[0]).toBe(`[8, 16)${" ".repeat(9)}${"15".padStart(8)} |${"@".repeat(30)}${" ".repeat(22)}|`);
  });

  test("an empty histogram draws nothing", () => {
    expect(histLines([])).toEqual([]);
    expect(histLines([0, 0, 0])).toEqual([]);
  });
});
