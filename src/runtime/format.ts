/**
 * Printing maps as bpftrace 0.24+ does, in text and in JSON.
 *
 * `collectMap` merges per-CPU state and orders the entries; both writers render that one
 * view. Entry order follows bpftrace: plain integers, count and sum by value; min and max by
 * value read as uint64 (as bpftrace does); avg and stats by average; hist and lhist by total
 * count; every other value kind by key. bpftrace leaves ties in hash order; here ties fall
 * back to key order and then insertion order, so output is deterministic.
 */

import type {
  HistState,
  LhistState,
  MinMaxState,
  StatsState,
  StatsView,
  TseriesState,
} from "./aggregations.js";
import { buildHistView, buildLhistView, type HistogramView, jsonHist, renderHistLines } from "./histogram.js";
import { compare, type Int, div as idiv, toDecimal } from "./int64.js";
import type { BpfMap, MapEntry } from "./maps.js";
import {
  buildTseriesView,
  jsonTseries,
  renderTseriesLines,
  type TseriesView,
  tseriesWindow,
} from "./tseries.js";
import type { MapValueKind, TseriesKind, Value, ValueType } from "./types.js";
import { compareKeys, jsonInt, jsonKey, jsonString, jsonValue, renderKey, renderValue } from "./values.js";

export { renderValue } from "./values.js";

/** `print(@m, top, div)`: keep the last `top` entries after sorting; divide values by `div`. */
export interface PrintMapOptions {
  top?: number;
  div?: number;
  /** Print an empty scalar map as its zero value (print(); the exit dump skips empty maps). */
  zeroIfEmpty?: boolean;
}

/** One printable value of a map entry. */
export type MapRowValue =
  | { kind: "value"; value: Value; type: ValueType }
  | { kind: "avg"; value: Int }
  | { kind: "stats"; stats: StatsView }
  | { kind: "hist"; view: HistogramView }
  | { kind: "tseries"; view: TseriesView };

export interface MapRow {
  key: Value;
  value: MapRowValue;
}

/** A map merged over CPUs, sorted, cut to `top` and divided, ready to render. */
export interface MapView {
  name: string;
  scalar: boolean;
  keyType: ValueType | undefined;
  /** JSON record type: "map", "stats" (avg/stats), "hist" (hist/lhist) or "tseries". */
  jsonType: "map" | "stats" | "hist" | "tseries";
  rows: MapRow[];
}

const U64: ValueType = { kind: "int", bits: 64, signed: false };

/** The integer a value-sorted map sorts an entry by, and whether to compare it signed. */
function sortValue(kind: MapValueKind, e: MapEntry): { v: Int; signed: boolean } | undefined {
  switch (kind.kind) {
    case "plain":
      return kind.type.kind === "int" ? { v: e.value as Int, signed: kind.type.signed } : undefined;
    case "count":
      return { v: e.agg!.read(), signed: false };
    case "sum":
      return { v: e.agg!.read(), signed: kind.signed };
    case "min":
    case "max":
      return { v: (e.agg as MinMaxState).read(), signed: false };
    case "avg":
    case "stats":
      return { v: (e.agg as StatsState).stats().average, signed: kind.signed };
    case "hist":
    case "lhist":
      return { v: (e.agg as HistState | LhistState).total(), signed: false };
    case "tseries":
      // Least recently written first.
      return { v: e.agg!.read(), signed: false };
  }
}

function sortEntries(map: BpfMap, entries: MapEntry[]): MapEntry[] {
  const kind = map.desc.value;
  const keyType = map.desc.keyType;
  const byKey = (a: MapEntry, b: MapEntry) => (map.desc.keyed ? compareKeys(a.key, b.key, keyType) : 0);
  const keyed = entries.map((e, i) => ({ e, i, s: sortValue(kind, e) }));
  keyed.sort((a, b) => {
    if (a.s && b.s) {
      const c = compare(a.s.v, b.s.v, a.s.signed);
      if (c !== 0) return c;
    }
    return byKey(a.e, b.e) || a.i - b.i;
  });
  return keyed.map((k) => k.e);
}

function divide(v: Int, d: number, signed: boolean): Int {
  return d === 1 ? v : idiv(v, d, signed);
}

/** Rows of a tseries map: every key's series in the window the whole map shares. */
function tseriesRows(kind: TseriesKind, entries: MapEntry[]): MapRow[] {
  const states = entries.map((e) => e.agg as TseriesState);
  const window = tseriesWindow(states, kind);
  return entries.map((e, i) => ({
    key: e.key,
    value: { kind: "tseries", view: buildTseriesView(states[i]!, kind, window) },
  }));
}

function rowValue(kind: Exclude<MapValueKind, TseriesKind>, e: MapEntry, d: number): MapRowValue {
  switch (kind.kind) {
    case "plain":
      if (kind.type.kind === "int")
        return { kind: "value", value: divide(e.value as Int, d, kind.type.signed), type: kind.type };
      return { kind: "value", value: e.value, type: kind.type };
    case "count":
      return { kind: "value", value: divide(e.agg!.read(), d, false), type: U64 };
    case "sum":
    case "min":
    case "max":
      return {
        kind: "value",
        value: divide(e.agg!.read(), d, kind.signed),
        type: { kind: "int", bits: 64, signed: kind.signed },
      };
    case "avg":
      return { kind: "avg", value: divide((e.agg as StatsState).stats().average, d, kind.signed) };
    case "stats": {
      const s = (e.agg as StatsState).stats();
      return {
        kind: "stats",
        stats: { count: s.count, average: divide(s.average, d, kind.signed), total: s.total },
      };
    }
    case "hist":
      return { kind: "hist", view: buildHistView((e.agg as HistState).merged(), kind.k, d) };
    case "lhist":
      return {
        kind: "hist",
        view: buildLhistView((e.agg as LhistState).merged(), kind.min, kind.max, kind.step),
      };
  }
}

function jsonTypeOf(kind: MapValueKind): MapView["jsonType"] {
  if (kind.kind === "avg" || kind.kind === "stats") return "stats";
  if (kind.kind === "hist" || kind.kind === "lhist") return "hist";
  if (kind.kind === "tseries") return "tseries";
  return "map";
}

/** Merges, sorts, cuts and divides a map into its printable view. */
export function collectMap(map: BpfMap, opts: PrintMapOptions = {}): MapView {
  const kind = map.desc.value;
  const d = opts.div && opts.div > 0 ? opts.div : 1;
  let entries = sortEntries(map, map.entries());
  const top = opts.top ?? 0;
  if (top > 0 && entries.length > top) entries = entries.slice(entries.length - top);
  const rows =
    kind.kind === "tseries"
      ? tseriesRows(kind, entries)
      : entries.map((e) => ({ key: e.key, value: rowValue(kind, e, d) }));
  if (
    rows.length === 0 &&
    !map.desc.keyed &&
    opts.zeroIfEmpty &&
    kind.kind !== "hist" &&
    kind.kind !== "lhist" &&
    kind.kind !== "tseries"
  ) {
    rows.push({ key: 0, value: emptyValue(kind, map) });
  }
  return {
    name: map.name,
    scalar: !map.desc.keyed,
    keyType: map.desc.keyType,
    jsonType: jsonTypeOf(kind),
    rows,
  };
}

function emptyValue(kind: MapValueKind, map: BpfMap): MapRowValue {
  if (kind.kind === "avg") return { kind: "avg", value: 0 };
  if (kind.kind === "stats") return { kind: "stats", stats: { count: 0, average: 0, total: 0 } };
  if (kind.kind === "plain") return { kind: "value", value: map.zeroValue(), type: kind.type };
  return { kind: "value", value: 0, type: U64 };
}

function renderStats(s: StatsView): string {
  return `{ .count = ${toDecimal(s.count)}, .average = ${toDecimal(s.average)}, .total = ${toDecimal(s.total)} }`;
}

/** Text of a value that takes several lines: histograms and time series. */
function blockText(v: MapRowValue): string {
  return v.kind === "tseries"
    ? renderTseriesLines(v.view)
    : renderHistLines((v as { view: HistogramView }).view);
}

/** Text of a single-line value; undefined for histograms and time series, which take several lines. */
function inlineText(v: MapRowValue): string | undefined {
  switch (v.kind) {
    case "value":
      return renderValue(v.value, v.type);
    case "avg":
      return toDecimal(v.value);
    case "stats":
      return renderStats(v.stats);
    case "hist":
    case "tseries":
      return undefined;
  }
}

/** A map view as bpftrace text. */
export function renderMapView(view: MapView): string {
  let out = "";
  for (const row of view.rows) {
    const head = view.scalar ? view.name : `${view.name}[${renderKey(row.key, view.keyType)}]`;
    const text = inlineText(row.value);
    if (text !== undefined) out += `${head}: ${text}\n`;
    else out += `${head}:\n${blockText(row.value)}\n`;
  }
  return out;
}

/** A whole map as bpftrace prints it (`print(@m)`, `print(@m, top, div)`). */
export function printMap(map: BpfMap, opts: PrintMapOptions = {}): string {
  return renderMapView(collectMap(map, opts));
}

/** Maps in byte order of their names, skipping empty ones: the body of the exit dump. */
export function printMaps(maps: Iterable<BpfMap>): string {
  let out = "";
  for (const m of sortByName(maps)) if (m.len() > 0) out += printMap(m);
  return out;
}

/** Maps sorted by the byte order of their names (`@` < `@a` < `@b`). */
export function sortByName(maps: Iterable<BpfMap>): BpfMap[] {
  return [...maps].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function jsonRowValue(v: MapRowValue): string {
  switch (v.kind) {
    case "value":
      return jsonValue(v.value, v.type);
    case "avg":
      return jsonInt(v.value);
    case "stats":
      return `{"count": ${jsonInt(v.stats.count)}, "average": ${jsonInt(v.stats.average)}, "total": ${jsonInt(v.stats.total)}}`;
    case "hist":
      return jsonHist(v.view);
    case "tseries":
      return jsonTseries(v.view);
  }
}

/** A map view as one `-f json` line (with newline), or "" when there is nothing to print. */
export function jsonMapView(view: MapView): string {
  if (view.rows.length === 0) return "";
  let data: string;
  if (view.scalar) data = jsonRowValue(view.rows[0]!.value);
  else
    data =
      "{" +
      view.rows.map((r) => `${jsonKey(r.key, view.keyType)}: ${jsonRowValue(r.value)}`).join(", ") +
      "}";
  return `{"type": "${view.jsonType}", "data": {${jsonString(view.name)}: ${data}}}\n`;
}

/** A whole map as a `-f json` line. */
export function jsonMap(map: BpfMap, opts: PrintMapOptions = {}): string {
  return jsonMapView(collectMap(map, opts));
}
