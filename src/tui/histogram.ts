/**
 * Log2 histograms as bpftrace's hist() keeps and prints them (k = 0).
 *
 * Bucket index: 0 holds negative values, 1 holds 0, 2 holds 1, and index i >= 3
 * holds [2^(i-2), 2^(i-1)). The printed layout is bpftrace's: label left-justified
 * in 16 columns, count right-justified in 8, " |", a 52-column bar of "@", "|". The bucket
 * bounds and percentiles live with the latency histogram in src/trace/latency.ts.
 */

const LABEL_WIDTH = 16;
const COUNT_WIDTH = 8;
const BAR_WIDTH = 52;

/** Binary suffixes bpftrace uses for bucket bounds: 1024 -> "1K", 2^20 -> "1M". */
const BOUND_SUFFIXES = ["", "K", "M", "G", "T", "P", "E"];

/** The bound 2^power written the way bpftrace labels it ("512", "1K", "4M"). */
function powerLabel(power: number): string {
  const tier = Math.min(Math.floor(power / 10), BOUND_SUFFIXES.length - 1);
  return String(2 ** (power - tier * 10)) + BOUND_SUFFIXES[tier];
}

/** The label of one bucket: "(..., 0)", "[0]", "[1]", "[2, 4)", "[1K, 2K)". */
export function histLabel(index: number): string {
  if (index === 0) return "(..., 0)";
  if (index === 1) return "[0]";
  if (index === 2) return "[1]";
  return `[${powerLabel(index - 2)}, ${powerLabel(index - 1)})`;
}

/** The bucket a value falls into (the inverse of the labels above). */
export function histIndex(value: number): number {
  if (value < 0) return 0;
  if (value < 1) return 1;
  return Math.floor(Math.log2(value)) + 2;
}

/**
 * Draws the buckets between the lowest and the highest non-empty one, one line each,
 * exactly as bpftrace prints a hist() map (without the "@name:" header). Empty -> [].
 */
export function renderHist(hist: readonly number[]): string[] {
  const used = hist.map((count, index) => (count > 0 ? index : -1)).filter((index) => index >= 0);
  if (used.length === 0) return [];
  const first = used[0];
  const last = used[used.length - 1];
  const maxCount = Math.max(...hist.slice(first, last + 1));
  const lines: string[] = [];
  for (let index = first; index <= last; index++) {
    const count = hist[index] ?? 0;
    const bar = "@".repeat(Math.floor((count / maxCount) * BAR_WIDTH));
    lines.push(
      histLabel(index).padEnd(LABEL_WIDTH) +
        String(count).padStart(COUNT_WIDTH) +
        " |" +
        bar.padEnd(BAR_WIDTH) +
        "|",
    );
  }
  return lines;
}
