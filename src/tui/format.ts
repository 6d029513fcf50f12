/**
 * Number and text formatting shared by the live view and the plain table printer.
 * Everything here is a pure function of its arguments, so the screen is a pure
 * function of the snapshot and the UI state.
 */

const DURATION_UNITS: ReadonlyArray<{ limit: number; divisor: number; suffix: string }> = [
  { limit: 1e3, divisor: 1, suffix: "ns" },
  { limit: 1e6, divisor: 1e3, suffix: "µs" },
  { limit: 1e9, divisor: 1e6, suffix: "ms" },
  { limit: Number.POSITIVE_INFINITY, divisor: 1e9, suffix: "s" },
];

/** Three significant digits at most, without trailing zeros: 1.50 -> "1.5", 123.4 -> "123". */
function threeDigits(value: number): string {
  if (value >= 100) return String(Math.round(value));
  const fixed = value >= 10 ? value.toFixed(1) : value.toFixed(2);
  return fixed.replace(/\.?0+$/, "");
}

/** Formats simulated nanoseconds as ns, µs, ms or s: 999 -> "999ns", 1500 -> "1.5µs". */
export function formatDuration(ns: number): string {
  if (!Number.isFinite(ns) || ns < 0) return "-";
  if (ns < 1e3) return `${Math.round(ns)}ns`;
  for (const unit of DURATION_UNITS) {
    const scaled = ns / unit.divisor;
    // Rounding can push 999.6µs up to "1000µs"; move to the next unit instead.
    if (ns < unit.limit && threeDigits(scaled) !== "1000") return `${threeDigits(scaled)}${unit.suffix}`;
  }
  return `${threeDigits(ns / 1e9)}s`;
}

const COUNT_SUFFIXES = ["", "K", "M", "G", "T", "P"];

/** Formats a count with decimal K/M/G suffixes: 999 -> "999", 12345 -> "12.3K". */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return "-";
  const sign = n < 0 ? "-" : "";
  let value = Math.abs(n);
  if (value < 1000) return sign + String(Math.round(value));
  let tier = 0;
  while (value >= 1000 && tier < COUNT_SUFFIXES.length - 1) {
    value /= 1000;
    tier++;
  }
  if (threeDigits(value) === "1000" && tier < COUNT_SUFFIXES.length - 1) {
    value /= 1000;
    tier++;
  }
  return sign + threeDigits(value) + COUNT_SUFFIXES[tier];
}

/** Formats a rate (per second); small rates keep one decimal so a slow probe is not shown as 0. */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond) || perSecond < 0) return "-";
  if (perSecond === 0) return "0";
  if (perSecond < 10) return perSecond.toFixed(1).replace(/\.0$/, "");
  return formatCount(perSecond);
}

/** Formats a speed factor (simulated seconds per real second): 2 -> "2x", 0.00125 -> "0.00125x". */
export function formatSpeed(factor: number): string {
  if (!Number.isFinite(factor) || factor <= 0) return "0x";
  if (factor >= 1) return `${threeDigits(factor)}x`;
  return `${Number(factor.toPrecision(3))}x`;
}

const SPARK_LEVELS = "▁▂▃▄▅▆▇█";

/**
 * Draws the last `width` values as a sparkline scaled to their maximum. A zero
 * is drawn as a blank so a probe whose hits stopped visibly goes flat-empty, and any
 * non-zero value gets at least the lowest block.
 */
export function sparkline(values: readonly number[], width: number): string {
  if (width <= 0) return "";
  const recent = values.slice(-width);
  const max = recent.reduce((m, v) => Math.max(m, v), 0);
  const cells = recent.map((v) => {
    if (!(v > 0) || max === 0) return " ";
    const level = Math.min(SPARK_LEVELS.length - 1, Math.ceil((v / max) * SPARK_LEVELS.length) - 1);
    return SPARK_LEVELS[Math.max(0, level)];
  });
  return " ".repeat(width - cells.length) + cells.join("");
}

/** Cuts `text` to `width` columns, marking the cut with "…". */
export function truncate(text: string, width: number): string {
  if (width <= 0) return "";
  if (text.length <= width) return text;
  if (width === 1) return "…";
  return text.slice(0, width - 1) + "…";
}

/** Left-aligns `text` in exactly `width` columns (truncating when longer). */
export function padEnd(text: string, width: number): string {
  return truncate(text, width).padEnd(width);
}

/** Right-aligns `text` in exactly `width` columns (truncating when longer). */
export function padStart(text: string, width: number): string {
  return truncate(text, width).padStart(width);
}
