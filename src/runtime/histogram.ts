/**
 * Histogram buckets: which bucket a value lands in (`hist(n, k)`, `lhist(n, min, max, step)`),
 * and the printable view of a bucket array (labels, lower bound) that both the text and the
 * JSON writers read. The bucket layout matches bpftrace's, so labels and JSON min/max agree.
 */

import { bitLength, type Int } from "./int64.js";

/**
 * Number of buckets of `hist(n, k)`: bucket 0 for negative values, then one bucket per value
 * below 2^(k+1), then 2^k buckets per power of two up to 2^64.
 */
export function histBucketCount(k: number): number {
  return ((65 - k) << k) + 1;
}

/**
 * Bucket of `v` in a log2 histogram with `k` extra bits per power of two. Negative values go
 * to bucket 0; a value below 2^k has its own bucket (v + 1); larger values are split by their
 * highest set bit p into 2^k intervals of size 2^(p-k).
 */
export function histIndex(v: Int, k: number): number {
  if (v < 0) return 0;
  const n = 1 << k;
  if (typeof v === "number") {
    if (v < n) return v + 1;
    if (v < 2147483648) {
      // The common case: 32-bit integer arithmetic only.
      const power = 31 - Math.clz32(v) - k;
      return ((power + 1) << k) + (v >>> power) - n + 1;
    }
  }
  const p = bitLength(v) - 1;
  const power = p - k;
  const top = typeof v === "number" ? Math.floor(v / 2 ** power) : Number(v >> BigInt(power));
  return ((power + 1) << k) + (top - n) + 1;
}

/** Number of buckets of `lhist(n, min, max, step)`: underflow, one per step, overflow. */
export function lhistBucketCount(min: number, max: number, step: number): number {
  return Math.floor((max - min) / step) + 2;
}

/** Bucket of `v` in a linear histogram, as bpftrace computes it. */
export function lhistIndex(v: Int, min: number, max: number, step: number): number {
  if (v < min) return 0;
  if (v > max) return 1 + Math.floor((max - min) / step);
  return 1 + Math.floor((Number(v) - min) / step);
}

/**
 * A bucket bound: `text` is what the text output prints (maybe with a K/M/G suffix),
 * `value` the number JSON uses, and `plain` says it is a bare integer, which lets a bucket
 * spanning a single value print as `[n]`.
 */
export interface Bound {
  text: string;
  value: bigint;
  plain: boolean;
}

/**
 * The printable part of a histogram: only buckets from the first to the last non-empty one.
 * `labels[i]` is the exclusive upper bound of bucket i; a missing last label means an
 * overflow bucket; `lowerBound` is the lower bound of the first printed bucket unless that
 * is the underflow bucket.
 */
export interface HistogramView {
  lowerBound?: Bound;
  labels: Bound[];
  counts: number[];
}

function plainBound(n: number | bigint): Bound {
  return { text: String(n), value: BigInt(n), plain: true };
}

/** Upper bound of hist bucket `index` (index > 2^(k+1)), with a suffix for 2^10 decades. */
function histIndexLabel(index: number, k: number): Bound {
  const n = 1 << k;
  const interval = index & (n - 1);
  let power = (index >> k) - 1;
  const value = (1n << BigInt(power)) * BigInt(n + interval);
  const decade = Math.floor(power / 10);
  power -= 10 * decade;
  const suffix = ["", "K", "M", "G", "T", "P", "E"][decade] ?? "";
  const shown = (1n << BigInt(power)) * BigInt(n + interval);
  return { text: shown.toString() + suffix, value, plain: false };
}

function nonEmptyRange(counts: ArrayLike<number>): [number, number] {
  let first = -1;
  let last = -1;
  for (let i = 0; i < counts.length; i++) {
    if (counts[i]! > 0) {
      if (first === -1) first = i;
      last = i;
    }
  }
  return [first, last];
}

/** The view of merged `hist` buckets; bucket counts are divided by `div` (print's third arg). */
export function buildHistView(counts: ArrayLike<number>, k: number, div = 1): HistogramView {
  const view: HistogramView = { labels: [], counts: [] };
  const [first, last] = nonEmptyRange(counts);
  if (first === -1) return view;
  const linearEnd = 2 << k;
  if (first !== 0) {
    view.lowerBound = first - 1 <= linearEnd ? plainBound(first - 1) : histIndexLabel(first - 1, k);
  }
  for (let i = first; i <= last; i++) {
    if (i === 0) view.labels.push(plainBound(0));
    else if (i <= linearEnd) view.labels.push(plainBound(i));
    else view.labels.push(histIndexLabel(i, k));
    view.counts.push(Math.floor(counts[i]! / div));
  }
  return view;
}

/** An lhist bound: K/M suffixes only when the step is a multiple of 1024. */
function lhistLabel(n: number, step: number): Bound {
  if (step % 1024 !== 0) return plainBound(n);
  let text: string;
  if (n === 0) text = "0";
  else if (n % (1024 * 1024) === 0) text = `${n / (1024 * 1024)}M`;
  else if (n % 1024 === 0) text = `${n / 1024}K`;
  else text = String(n);
  return { text, value: BigInt(n), plain: false };
}

/** The view of merged `lhist` buckets (print's `div` does not apply to linear histograms). */
export function buildLhistView(
  counts: ArrayLike<number>,
  min: number,
  max: number,
  step: number,
): HistogramView {
  const view: HistogramView = { labels: [], counts: [] };
  const [first, last] = nonEmptyRange(counts);
  if (first === -1) return view;
  if (first !== 0) view.lowerBound = lhistLabel(min + (first - 1) * step, step);
  for (let i = first; i <= last; i++) {
    // The overflow bucket has no upper bound: its label is simply left out.
    if (min + i * step <= max) view.labels.push(lhistLabel(min + i * step, step));
    view.counts.push(counts[i]!);
  }
  return view;
}

const BAR_WIDTH = 52;

function isSingleValue(lo: Bound, hi: Bound): boolean {
  return lo.plain && hi.plain && lo.value + 1n === hi.value;
}

/** The bucket label of line `i`, as bpftrace prints it. */
function bucketHeader(view: HistogramView, i: number): string {
  const { labels, lowerBound } = view;
  if (i === 0) {
    if (!lowerBound) return `(..., ${labels[0]!.text})`;
    if (labels.length === 0) return `[${lowerBound.text}, ...)`;
    if (isSingleValue(lowerBound, labels[0]!)) return `[${lowerBound.text}]`;
    return `[${lowerBound.text}, ${labels[0]!.text})`;
  }
  if (i >= labels.length) return `[${labels[i - 1]!.text}, ...)`;
  if (isSingleValue(labels[i - 1]!, labels[i]!)) return `[${labels[i - 1]!.text}]`;
  return `[${labels[i - 1]!.text}, ${labels[i]!.text})`;
}

/**
 * The bucket lines of a histogram: label in 16 columns, count right-aligned in 8, then the
 * `@` bar in 52 columns between pipes. The bar is count / max * 52 computed in single
 * precision and truncated, as bpftrace's float arithmetic does.
 */
export function renderHistLines(view: HistogramView): string {
  let maxCount = 0;
  for (const c of view.counts) if (c > maxCount) maxCount = c;
  let out = "";
  for (let i = 0; i < view.counts.length; i++) {
    const count = view.counts[i]!;
    const ratio = maxCount === 0 ? 0 : Math.fround(Math.fround(count) / Math.fround(maxCount));
    const bar = Math.trunc(Math.fround(ratio * BAR_WIDTH));
    out +=
      bucketHeader(view, i).padEnd(16) +
      String(count).padStart(8) +
      " |" +
      "@".repeat(bar).padEnd(BAR_WIDTH) +
      "|\n";
  }
  return out;
}

/** The bucket lines of a `hist(n, k)` bucket array, one string per line (the live view draws these). */
export function histLines(counts: ArrayLike<number>, k = 0): string[] {
  const text = renderHistLines(buildHistView(counts, k));
  return text === "" ? [] : text.slice(0, -1).split("\n");
}

/** The JSON array of a histogram: `min` inclusive, `max` inclusive (label - 1), `count`. */
export function jsonHist(view: HistogramView): string {
  const parts: string[] = [];
  for (let i = 0; i < view.counts.length; i++) {
    let item = "{";
    if (i === 0 && view.lowerBound) item += `"min": ${jsonBig(view.lowerBound.value)}, `;
    else if (i > 0) item += `"min": ${jsonBig(view.labels[i - 1]!.value)}, `;
    if (i < view.labels.length) item += `"max": ${jsonBig(view.labels[i]!.value - 1n)}, `;
    item += `"count": ${view.counts[i]}}`;
    parts.push(item);
  }
  return "[" + parts.join(",") + "]";
}

function jsonBig(v: bigint): string {
  return BigInt(Number(v)) === v ? v.toString() : `"${v}"`;
}

// Latency percentiles, read from a k = 0 log2 histogram (bucket 0 negative, 1 for 0, 2 for 1,
// bucket i >= 3 for [2^(i-2), 2^(i-1))): the live session's p50/p99 and the view's p90.

/** Inclusive lower and exclusive upper bound of a bucket; the negative bucket is treated as [0, 0). */
export function histBucketBounds(index: number): { low: number; high: number } {
  if (index <= 0) return { low: 0, high: 0 };
  if (index === 1) return { low: 0, high: 1 };
  return { low: 2 ** (index - 2), high: 2 ** (index - 1) };
}

/**
 * Estimates the p-th percentile (0 < p <= 100) of the values counted in a log2 histogram,
 * interpolating linearly inside the bucket that holds the rank. Buckets only know a value's
 * power of two, so this is an estimate: it is exact for [0] and [1] and otherwise lies inside
 * the right bucket. When the largest value seen is known, pass it as `max`: no estimate
 * exceeds it (the top bucket is often mostly empty above it). Returns undefined for an empty
 * histogram.
 */
export function percentileFromHist(hist: readonly number[], p: number, max?: number): number | undefined {
  const estimate = estimatePercentile(hist, p);
  return estimate === undefined || max === undefined ? estimate : Math.min(estimate, max);
}

function estimatePercentile(hist: readonly number[], p: number): number | undefined {
  const total = hist.reduce((sum, count) => sum + count, 0);
  if (total === 0) return undefined;
  const rank = Math.max(1, Math.ceil((Math.min(100, Math.max(0, p)) / 100) * total));
  let before = 0;
  for (let index = 0; index < hist.length; index++) {
    const count = hist[index] ?? 0;
    if (count > 0 && before + count >= rank) {
      const { low, high } = histBucketBounds(index);
      if (high - low <= 1) return low;
      // Spread the bucket's values evenly and take the middle of the rank's slot.
      return low + ((high - low) * (rank - before - 0.5)) / count;
    }
    before += count;
  }
  return undefined;
}
