/** Parsing of the time and size units workload files use (`80ns`, `2us`, `8K`). */

const TIME_UNITS: Record<string, number> = { ns: 1, us: 1e3, ms: 1e6, s: 1e9 };
const SIZE_UNITS: Record<string, number> = {
  "": 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

/**
 * A duration in whole nanoseconds, or an error text. A bare number means nanoseconds;
 * fractions of a unit are allowed (`1.5us` = 1500) and rounded to the nanosecond.
 */
export function parseTime(text: string | number): number | string {
  if (typeof text === "number") {
    return Number.isSafeInteger(text) && text >= 0
      ? text
      : `bad time ${text}: expected whole nanoseconds ≥ 0`;
  }
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ns|us|ms|s)?\s*$/.exec(text);
  if (!m) return `bad time "${text}": expected a number with a unit ns, us, ms or s (e.g. 80ns, 2us)`;
  const ns = Math.round(Number(m[1]) * TIME_UNITS[m[2] ?? "ns"]!);
  return Number.isSafeInteger(ns) ? ns : `time "${text}" is too large`;
}

/** A size in bytes (`4096`, `8K`, `2MiB`), or an error text. */
export function parseSize(text: string | number): number | string {
  if (typeof text === "number") {
    return Number.isSafeInteger(text) && text >= 0 ? text : `bad size ${text}: expected whole bytes ≥ 0`;
  }
  const m = /^\s*(0x[0-9a-fA-F]+|\d+)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) return `bad size "${text}": expected bytes or a K, M or G suffix (e.g. 8K)`;
  const bytes = Number(m[1]) * unit;
  return Number.isSafeInteger(bytes) ? bytes : `size "${text}" is too large`;
}

/** An integer written as a number or a decimal/hex string (after parameter substitution). */
export function parseInteger(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) ? value : undefined;
  const m = /^\s*(-)?(0x[0-9a-fA-F]+|\d+)\s*$/.exec(value);
  if (!m) return undefined;
  const n = Number(m[2]) * (m[1] ? -1 : 1);
  return Number.isSafeInteger(n) ? n : undefined;
}
