import { describe, expect, test } from "vitest";
import { percentileFromHist } from "../../src/runtime/histogram.js";
import { HIST_BUCKETS, latencyBucket } from "../../src/trace/trace-probe.js";

/** A latency histogram filled the way a TraceProbe fills it. */
function histOf(values: readonly number[]): number[] {
  const hist = new Array<number>(HIST_BUCKETS).fill(0);
  for (const value of values) hist[latencyBucket(value)]++;
  return hist;
}

describe("percentileFromHist", () => {
  test("is exact for the single-value buckets", () => {
    expect(percentileFromHist(histOf([0, 0, 1, 1]), 50)).toBe(0);
    expect(percentileFromHist(histOf([0, 0, 1, 1]), 100)).toBe(1);
  });

  test("lands inside the bucket that holds the rank", () => {
    const hist = histOf([...Array(90).fill(600), ...Array(10).fill(5000)]);
    const p50 = percentileFromHist(hist, 50)!;
    const p99 = percentileFromHist(hist, 99)!;
    expect(p50).toBeGreaterThanOrEqual(512);
    expect(p50).toBeLessThan(1024);
    expect(p99).toBeGreaterThanOrEqual(4096);
    expect(p99).toBeLessThan(8192);
  });

  test("grows with p and interpolates within a bucket", () => {
    const hist = histOf(Array(4).fill(3)); // four values in [2, 4)
    expect(percentileFromHist(hist, 25)).toBe(2.25);
    expect(percentileFromHist(hist, 100)).toBe(3.75);
  });

  test("never exceeds the largest value seen when it is given", () => {
    const hist = histOf([600, 700, 9000]); // 9000 lies in [8K, 16K)
    expect(percentileFromHist(hist, 99)).toBeGreaterThan(9000);
    expect(percentileFromHist(hist, 99, 9000)).toBe(9000);
    expect(percentileFromHist(hist, 50, 9000)).toBeLessThan(1024);
  });

  test("an empty histogram has no percentile", () => {
    expect(percentileFromHist([], 50)).toBeUndefined();
  });
});
