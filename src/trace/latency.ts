/**
 * The latency histogram a traced probe keeps (entry to return, in simulated ns): log2 buckets
 * laid out as bpftrace's hist() keeps them, where bucket 0 holds negative values, 1 holds 0,
 * 2 holds 1 and bucket i >= 3 holds [2^(i-2), 2^(i-1)). The live session reads percentiles from
 * it and the view draws it, so its arithmetic lives here, below both.
 */

/** Inclusive lower and exclusive upper bound of a bucket; the negative bucket is treated as [0, 0). */
export function bucketBounds(index: number): { low: number; high: number } {
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
      const { low, high } = bucketBounds(index);
      if (high - low <= 1) return low;
      // Spread the bucket's values evenly and take the middle of the rank's slot.
      return low + ((high - low) * (rank - before - 0.5)) / count;
    }
    before += count;
  }
  return undefined;
}
