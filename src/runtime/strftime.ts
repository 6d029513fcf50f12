/**
 * strftime(3) for `time(fmt)` and `strftime(fmt, ns)` on simulated timestamps, in the C locale.
 * Time is rendered in UTC (plus an optional fixed offset) so that output never depends on the
 * machine's time zone. bpftrace adds `%f`: the microseconds of the timestamp, six digits.
 */

import type { Int } from "./int64.js";

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

function pad(n: number, width: number, fill = "0"): string {
  return String(n).padStart(width, fill);
}

/** Broken-down time of one instant (the fields of C's struct tm we need). */
interface Tm {
  year: number;
  mon: number;
  mday: number;
  hour: number;
  min: number;
  sec: number;
  wday: number;
  yday: number;
  usec: number;
  nsec: number;
  epochSec: number;
}

function breakDown(ns: Int, offsetMinutes: number): Tm {
  const big = typeof ns === "bigint" ? ns : BigInt(Math.trunc(ns));
  let sec = big / 1_000_000_000n;
  let rem = big % 1_000_000_000n;
  if (rem < 0n) {
    rem += 1_000_000_000n;
    sec -= 1n;
  }
  const epochSec = Number(sec);
  const d = new Date((epochSec + offsetMinutes * 60) * 1000);
  const startOfYear = Date.UTC(d.getUTCFullYear(), 0, 1);
  return {
    year: d.getUTCFullYear(),
    mon: d.getUTCMonth(),
    mday: d.getUTCDate(),
    hour: d.getUTCHours(),
    min: d.getUTCMinutes(),
    sec: d.getUTCSeconds(),
    wday: d.getUTCDay(),
    yday: Math.floor((d.getTime() - startOfYear) / 86_400_000),
    usec: Number(rem / 1000n),
    nsec: Number(rem),
    epochSec,
  };
}

function zoneOffset(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? "-" : "+";
  const a = Math.abs(offsetMinutes);
  return sign + pad(Math.floor(a / 60), 2) + pad(a % 60, 2);
}

function convert(c: string, tm: Tm, offsetMinutes: number): string | undefined {
  switch (c) {
    case "a":
      return DAYS[tm.wday]!.slice(0, 3);
    case "A":
      return DAYS[tm.wday];
    case "b":
    case "h":
      return MONTHS[tm.mon]!.slice(0, 3);
    case "B":
      return MONTHS[tm.mon];
    case "c":
      return expand("%a %b %e %H:%M:%S %Y", tm, offsetMinutes);
    case "C":
      return pad(Math.floor(tm.year / 100), 2);
    case "d":
      return pad(tm.mday, 2);
    case "D":
    case "x":
      return expand("%m/%d/%y", tm, offsetMinutes);
    case "e":
      return pad(tm.mday, 2, " ");
    case "f":
      return pad(tm.usec, 6);
    case "F":
      return expand("%Y-%m-%d", tm, offsetMinutes);
    case "H":
      return pad(tm.hour, 2);
    case "I":
      return pad(tm.hour % 12 === 0 ? 12 : tm.hour % 12, 2);
    case "j":
      return pad(tm.yday + 1, 3);
    case "k":
      return pad(tm.hour, 2, " ");
    case "l":
      return pad(tm.hour % 12 === 0 ? 12 : tm.hour % 12, 2, " ");
    case "m":
      return pad(tm.mon + 1, 2);
    case "M":
      return pad(tm.min, 2);
    case "n":
      return "\n";
    case "p":
      return tm.hour < 12 ? "AM" : "PM";
    case "P":
      return tm.hour < 12 ? "am" : "pm";
    case "r":
      return expand("%I:%M:%S %p", tm, offsetMinutes);
    case "R":
      return expand("%H:%M", tm, offsetMinutes);
    case "s":
      return String(tm.epochSec);
    case "S":
      return pad(tm.sec, 2);
    case "t":
      return "\t";
    case "T":
    case "X":
      return expand("%H:%M:%S", tm, offsetMinutes);
    case "u":
      return String(tm.wday === 0 ? 7 : tm.wday);
    case "U":
      return pad(Math.floor((tm.yday + 7 - tm.wday) / 7), 2);
    case "w":
      return String(tm.wday);
    case "W":
      return pad(Math.floor((tm.yday + 7 - ((tm.wday + 6) % 7)) / 7), 2);
    case "y":
      return pad(tm.year % 100, 2);
    case "Y":
      return String(tm.year);
    case "z":
      return zoneOffset(offsetMinutes);
    case "Z":
      return offsetMinutes === 0 ? "UTC" : zoneOffset(offsetMinutes);
    case "%":
      return "%";
    default:
      return undefined;
  }
}

function expand(fmt: string, tm: Tm, offsetMinutes: number): string {
  let out = "";
  for (let i = 0; i < fmt.length; i++) {
    const ch = fmt[i]!;
    if (ch !== "%" || i + 1 >= fmt.length) {
      out += ch;
      continue;
    }
    const c = fmt[++i]!;
    const r = convert(c, tm, offsetMinutes);
    // Unknown conversions are copied through, as glibc does.
    out += r ?? "%" + c;
  }
  return out;
}

/**
 * Formats wall-clock `ns` (since the Unix epoch) with a strftime format plus `%f`.
 * `offsetMinutes` shifts from UTC (east positive).
 */
export function formatStrftime(fmt: string, ns: Int, offsetMinutes = 0): string {
  return expand(fmt, breakDown(ns, offsetMinutes), offsetMinutes);
}
