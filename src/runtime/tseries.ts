/**
 * Time series (`tseries()` maps) as bpftrace prints them: which intervals a key shows, the
 * text graph and the JSON list.
 *
 * Every key of a map shares one window: the `intervals` epochs ending at the latest epoch any
 * key wrote. A key shows the epochs of that window from its own first written one on; an
 * epoch it did not write shows as missing (`-` in text, left out of JSON).
 */

import type { TseriesState } from "./aggregations.js";
import { compare, type Int, toBig } from "./int64.js";
import type { TseriesKind } from "./types.js";

/** One interval of a series: its start (ns since the epoch) and value, null when missing. */
export interface TseriesPoint {
  startNs: bigint;
  value: Int | null;
}

export interface TseriesView {
  points: TseriesPoint[];
  signed: boolean;
}

/** The window every key of a map is shown in: first and last epoch, or null when empty. */
export function tseriesWindow(states: readonly TseriesState[], kind: TseriesKind): [number, number] | null {
  if (states.length === 0) return null;
  let last = 0;
  for (const s of states) last = Math.max(last, Number(s.read()));
  // bpftrace computes the first epoch in uint64: a window reaching before epoch 0 wraps and is empty.
  const first = last - kind.intervals + 1;
  return first < 0 ? null : [first, last];
}

/** One key's series within the map's window. */
export function buildTseriesView(
  state: TseriesState,
  kind: TseriesKind,
  window: [number, number] | null,
): TseriesView {
  const points: TseriesPoint[] = [];
  if (window !== null) {
    const values = state.byEpoch();
    const [from, to] = window;
    let firstOwn = to;
    for (const epoch of values.keys()) if (epoch >= from && epoch < firstOwn) firstOwn = epoch;
    for (let epoch = firstOwn; epoch <= to; epoch++) {
      points.push({ startNs: BigInt(epoch) * BigInt(kind.intervalNs), value: values.get(epoch) ?? null });
    }
  }
  return { points, signed: kind.signed };
}

const GRAPH_WIDTH = 53;
/** Where the maximum's label ends relative to the minimum's start. */
const LABEL_PADDING = 21;

const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
const U64_MAX = (1n << 64n) - 1n;

/** Single precision, as bpftrace computes offsets: `a * b / c` in floats, truncated. */
function floatOffset(a: number, b: bigint, c: bigint): number {
  const f = Math.fround;
  return Math.trunc(f(f(f(a) * f(Number(b))) / f(Number(c))));
}

/** The unit an interval of `ns` is shown in: digits after the seconds, and its name. */
function displayUnit(ns: bigint): { digits: number; name: string } {
  if (ns >= 1_000_000_000n) return { digits: 0, name: "s" };
  if (ns >= 1_000_000n) return { digits: 3, name: "ms" };
  if (ns >= 1_000n) return { digits: 6, name: "μs" };
  return { digits: 9, name: "ns" };
}

const pad2 = (n: number) => String(n).padStart(2, "0");

/** hh:mm:ss (UTC, the simulated machine's zone) and `digits` digits of the second. */
function clockText(ns: bigint, digits: number): string {
  const d = new Date(Number(ns / 1_000_000_000n) * 1000);
  const hms = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
  if (digits === 0) return hms;
  const frac = String(ns % 1_000_000_000n).padStart(9, "0");
  return `${hms}.${frac.slice(0, digits)}`;
}

/** A value as the integer it prints as: unsigned series read their bits as uint64. */
function asBig(view: TseriesView, v: Int): bigint {
  return view.signed ? toBig(v) : BigInt.asUintN(64, toBig(v));
}

/** The lowest and highest value shown, widened by one each way when they are equal. */
function valueRange(view: TseriesView): [bigint, bigint] {
  const values = view.points.filter((p) => p.value !== null).map((p) => p.value!);
  const first = view.points[0]!.value ?? 0;
  let min = first;
  let max = first;
  for (const v of values) {
    if (compare(v, min, view.signed) < 0) min = v;
    if (compare(v, max, view.signed) > 0) max = v;
  }
  let lo = asBig(view, min);
  let hi = asBig(view, max);
  if (lo === hi) {
    if (lo > (view.signed ? I64_MIN : 0n)) lo--;
    if (hi < (view.signed ? I64_MAX : U64_MAX)) hi++;
  }
  return [lo, hi];
}

/** The text graph of one series, each line ending in a newline; `<no data>` when empty. */
export function renderTseriesLines(view: TseriesView): string {
  const pts = view.points;
  if (pts.length === 0) return "<no data>";
  const [lo, hi] = valueRange(view);
  const span = BigInt(pts.length > 1 ? pts.length - 1 : 1);
  const unit = displayUnit((pts[pts.length - 1]!.startNs - pts[0]!.startNs) / span);
  const timeHead = unit.digits === 0 ? "hh:mm:ss" : `hh:mm:ss.${unit.name}`;
  const timeSize = 8 + (unit.digits === 0 ? 0 : 1 + unit.digits);
  const indent = " ".repeat(timeSize + 1);
  const labels = `${indent}${String(lo).padEnd(LABEL_PADDING)}${String(hi).padStart(GRAPH_WIDTH - LABEL_PADDING)}\n`;
  let out = labels;
  out += `${timeHead.padEnd(timeSize + 1)}|${"_".repeat(GRAPH_WIDTH - 2)}|\n`;
  const zero = lo < 0n && hi > 0n ? floatOffset(GRAPH_WIDTH, lo, lo - hi) : 0;
  for (const p of pts) {
    const line = new Array<string>(GRAPH_WIDTH).fill(" ");
    line[0] = "|";
    line[GRAPH_WIDTH - 1] = "|";
    if (zero > 0) line[zero] = ".";
    let tail = " -";
    if (p.value !== null) {
      const v = asBig(view, p.value);
      const at = floatOffset(GRAPH_WIDTH - 1, v - lo, hi - lo);
      line[Math.max(0, Math.min(GRAPH_WIDTH - 1, at))] = "*";
      tail = ` ${v}`;
    }
    out += `${clockText(p.startNs, unit.digits)} ${line.join("")}${tail}\n`;
  }
  out += `${indent}v${"_".repeat(GRAPH_WIDTH - 2)}v\n`;
  return out + labels;
}

/** `1970-01-01 00:00:00.500000000`: how bpftrace's JSON writes an interval's start (UTC). */
function jsonTimestamp(ns: bigint): string {
  const d = new Date(Number(ns / 1_000_000_000n) * 1000);
  const date = `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
  return `${date} ${clockText(ns, 9)}`;
}

/** The JSON list of one series: only the intervals that hold a value. */
export function jsonTseries(view: TseriesView): string {
  const items = view.points
    .filter((p) => p.value !== null)
    .map((p) => `{"interval_start": "${jsonTimestamp(p.startNs)}", "value": ${asBig(view, p.value!)}}`);
  return `[${items.join(", ")}]`;
}
