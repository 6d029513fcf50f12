import { describe, expect, test } from "vitest";
import { bucketBounds } from "../../src/trace/latency.js";
import { histIndex, histLabel, renderHist } from "../../src/tui/histogram.js";

function histOf(values: readonly number[]): number[] {
  const hist: number[] = [];
  for (const value of values) {
    const index = histIndex(value);
    for (let i = hist.length; i <= index; i++) hist[i] = 0;
    hist[index]++;
  }
  return hist;
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

describe("histLabel", () => {
  test("names buckets as bpftrace does", () => {
    expect(histLabel(0)).toBe("(..., 0)");
    expect(histLabel(1)).toBe("[0]");
    expect(histLabel(2)).toBe("[1]");
    expect(histLabel(3)).toBe("[2, 4)");
    expect(histLabel(11)).toBe("[512, 1K)");
    expect(histLabel(12)).toBe("[1K, 2K)");
    expect(histLabel(22)).toBe("[1M, 2M)");
    expect(histLabel(32)).toBe("[1G, 2G)");
    expect(histLabel(31)).toBe("[512M, 1G)");
  });

  test("histIndex puts values in the bucket their label names", () => {
    expect(histIndex(-5)).toBe(0);
    expect(histIndex(0)).toBe(1);
    expect(histIndex(1)).toBe(2);
    expect(histIndex(2)).toBe(3);
    expect(histIndex(3)).toBe(3);
    expect(histIndex(4)).toBe(4);
    expect(histIndex(1023)).toBe(11);
    expect(histIndex(1024)).toBe(12);
  });

  test("bucket bounds match the labels", () => {
    expect(bucketBounds(1)).toEqual({ low: 0, high: 1 });
    expect(bucketBounds(3)).toEqual({ low: 2, high: 4 });
    expect(bucketBounds(12)).toEqual({ low: 1024, high: 2048 });
  });
});

describe("renderHist", () => {
  test("matches bpftrace's hist output byte for byte (conformance case `hist`)", () => {
    expect(renderHist(histOf([-1, 2, 3, 7, 20]))).toEqual(BPFTRACE_HIST);
  });

  test("starts at the lowest non-empty bucket (conformance case `hist_2_values`)", () => {
    expect(renderHist(histOf([3, 20]))).toEqual(BPFTRACE_HIST_2_VALUES);
  });

  test("every line is 16 + 8 + 2 + 52 + 1 columns and the largest bucket fills the bar", () => {
    const lines = renderHist(histOf([600, 700, 800, 1500, 5000]));
    expect(lines.map((line) => line.length)).toEqual(lines.map(() => 79));
    expect(lines[0]).toBe(`[512, 1K)${" ".repeat(7)}${"3".padStart(8)} |${"@".repeat(52)}|`);
    expect(lines[1].startsWith("[1K, 2K)")).toBe(true);
    expect(lines[1]).toContain(`|${"@".repeat(17)}${" ".repeat(35)}|`);
  });

  test("an empty histogram draws nothing", () => {
    expect(renderHist([])).toEqual([]);
    expect(renderHist([0, 0, 0])).toEqual([]);
  });
});
