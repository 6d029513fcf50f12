/**
 * The view model of `probelab top`: which probes show, in what order, in which columns,
 * and how the screen's height is shared. Pure functions of a snapshot and the UI state,
 * used by both the Ink view and the plain table printer.
 */

import type { ProbeRow, SessionSnapshot } from "../trace/snapshot.js";
import {
  formatCount,
  formatDuration,
  formatRate,
  formatSpeed,
  padEnd,
  padStart,
  sparkline,
  truncate,
} from "./format.js";

/** The smallest terminal the live view draws in. */
export const MIN_COLUMNS = 60;
export const MIN_ROWS = 12;

export type SortColumn = "id" | "spec" | "state" | "hits" | "rate" | "p50" | "p99" | "max";

/** Sortable columns in the order `s`, `<` and `>` step through them (their on-screen order). */
export const SORT_COLUMNS: readonly SortColumn[] = [
  "id",
  "spec",
  "state",
  "hits",
  "rate",
  "p50",
  "p99",
  "max",
];

export interface SortOrder {
  column: SortColumn;
  descending: boolean;
}

/** The sort column `step` places away from `column`, wrapping around. */
export function stepSortColumn(column: SortColumn, step: number): SortColumn {
  const index = SORT_COLUMNS.indexOf(column);
  const count = SORT_COLUMNS.length;
  return SORT_COLUMNS[(((index + step) % count) + count) % count];
}

/** A probe's value in a sort column; undefined means "no value" and always sorts last. */
function sortValue(row: ProbeRow, column: SortColumn): number | string | undefined {
  switch (column) {
    case "id":
      return row.id;
    case "spec":
      return row.spec;
    case "state":
      return row.state;
    case "hits":
      return row.hits;
    case "rate":
      return row.rate;
    case "p50":
      return row.latency?.p50;
    case "p99":
      return row.latency?.p99;
    case "max":
      return row.latency?.max;
  }
}

function compareValues(a: number | string, b: number | string): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/**
 * Sorts probes by one column. Ties fall back to the probe id (ascending whatever the
 * direction) so rows with equal values never swap places between ticks; probes without
 * a value in the column (no latency) go last in both directions.
 */
export function sortProbes(rows: readonly ProbeRow[], order: SortOrder): ProbeRow[] {
  const direction = order.descending ? -1 : 1;
  return [...rows].sort((a, b) => {
    const va = sortValue(a, order.column);
    const vb = sortValue(b, order.column);
    if (va === undefined || vb === undefined) {
      if (va !== vb) return va === undefined ? 1 : -1;
    } else {
      const byValue = compareValues(va, vb) * direction;
      if (byValue !== 0) return byValue;
    }
    return a.id - b.id;
  });
}

/** Keeps the probes whose spec, script or state contains `filter` (case-insensitive). */
export function filterProbes(rows: readonly ProbeRow[], filter: string): ProbeRow[] {
  const needle = filter.trim().toLowerCase();
  if (needle === "") return [...rows];
  return rows.filter((row) => `${row.spec}\n${row.script}\n${row.state}`.toLowerCase().includes(needle));
}

/** The rows the table shows: filtered, then sorted. */
export function visibleProbes(snapshot: SessionSnapshot, filter: string, order: SortOrder): ProbeRow[] {
  return sortProbes(filterProbes(snapshot.probes, filter), order);
}

export type ColumnKey = "id" | "spec" | "state" | "hits" | "rate" | "trend" | "p50" | "p99" | "max";

export interface TableColumn {
  key: ColumnKey;
  title: string;
  width: number;
  align: "left" | "right";
  sort?: SortColumn;
}

const MIN_SPEC_WIDTH = 16;

const ALL_COLUMNS: readonly TableColumn[] = [
  { key: "id", title: "ID", width: 4, align: "right", sort: "id" },
  { key: "spec", title: "PROBE", width: MIN_SPEC_WIDTH, align: "left", sort: "spec" },
  { key: "state", title: "STATE", width: 9, align: "left", sort: "state" },
  { key: "hits", title: "HITS", width: 8, align: "right", sort: "hits" },
  { key: "rate", title: "HITS/S", width: 8, align: "right", sort: "rate" },
  { key: "trend", title: "TREND", width: 12, align: "left" },
  { key: "p50", title: "P50", width: 8, align: "right", sort: "p50" },
  { key: "p99", title: "P99", width: 8, align: "right", sort: "p99" },
  { key: "max", title: "MAX", width: 8, align: "right", sort: "max" },
];

/** Columns given up first when the terminal is narrow. */
const DROP_ORDER: readonly ColumnKey[] = ["trend", "max", "p99", "p50", "rate"];

/** Columns are separated by one space. */
export const COLUMN_GAP = 1;

function tableWidth(columns: readonly TableColumn[]): number {
  return columns.reduce((sum, column) => sum + column.width, 0) + COLUMN_GAP * (columns.length - 1);
}

/**
 * Picks the columns that fit in `width` and gives the probe spec whatever is left, so a
 * resize reflows the table: narrow terminals lose the sparkline, then the latency columns.
 */
export function fitColumns(width: number): TableColumn[] {
  let columns = ALL_COLUMNS.map((column) =>
    column.key === "trend" ? { ...column, width: Math.max(8, Math.min(20, Math.floor(width / 8))) } : column,
  );
  for (const key of DROP_ORDER) {
    if (tableWidth(columns) <= width) break;
    columns = columns.filter((column) => column.key !== key);
  }
  const spare = Math.max(0, width - tableWidth(columns));
  return columns.map((column) =>
    column.key === "spec" ? { ...column, width: column.width + spare } : column,
  );
}

function align(text: string, column: TableColumn): string {
  return column.align === "left" ? padEnd(text, column.width) : padStart(text, column.width);
}

/** The header cells, with ▲ (ascending) or ▼ (descending) on the sort column. */
export function headerCells(columns: readonly TableColumn[], order: SortOrder): string[] {
  return columns.map((column) => {
    const marker = column.sort === order.column ? (order.descending ? "▼" : "▲") : "";
    return align(column.title + marker, column);
  });
}

function cellText(row: ProbeRow, key: ColumnKey, width: number): string {
  switch (key) {
    case "id":
      return String(row.id);
    case "spec":
      return shortenSpec(row.spec, width);
    case "state":
      return row.state;
    case "hits":
      return formatCount(row.hits);
    case "rate":
      return formatRate(row.rate);
    case "trend":
      return sparkline(row.rateHistory, width);
    case "p50":
      return row.latency ? formatDuration(row.latency.p50) : "-";
    case "p99":
      return row.latency ? formatDuration(row.latency.p99) : "-";
    case "max":
      return row.latency ? formatDuration(row.latency.max) : "-";
  }
}

/** bpftrace's short provider names, used when a probe's spec is too wide for its column. */
const SHORT_PROVIDERS: ReadonlyMap<string, string> = new Map([
  ["uprobe", "u"],
  ["uretprobe", "ur"],
  ["interval", "i"],
  ["kprobe", "k"],
  ["kretprobe", "kr"],
  ["tracepoint", "t"],
  ["profile", "p"],
]);

/**
 * Fits a probe spec into `width` columns keeping what tells probes apart, the function name:
 * first the provider's short name (`ur:`), then the binary's base name, then the middle of the
 * binary is cut (`ur:/usr/bin/shopd:handle_request` -> `ur:shopd:handle_request` -> `ur:sh…:handle_request`).
 */
export function shortenSpec(spec: string, width: number): string {
  if (spec.length <= width) return spec;
  const [provider = "", ...rest] = spec.split(":");
  const shortProvider = SHORT_PROVIDERS.get(provider) ?? provider;
  if (rest.length < 2) return truncate([shortProvider, ...rest].join(":"), width);
  const func = rest.slice(1).join(":");
  const binary = rest[0]!.split("/").pop()!;
  for (const candidate of [`${shortProvider}:${rest[0]}:${func}`, `${shortProvider}:${binary}:${func}`]) {
    if (candidate.length <= width) return candidate;
  }
  const room = width - shortProvider.length - func.length - 2;
  if (room >= 2) return `${shortProvider}:${truncate(binary, room)}:${func}`;
  // No room for the binary at all: keep the kind and as much of the function as fits.
  return truncate(`${shortProvider}:${func}`, width);
}

/** One probe's cells, each padded to its column's width. */
export function rowCells(row: ProbeRow, columns: readonly TableColumn[]): string[] {
  return columns.map((column) => align(cellText(row, column.key, column.width), column));
}

/** Joins padded cells into one table line. */
export function joinCells(cells: readonly string[]): string {
  return cells.join(" ".repeat(COLUMN_GAP));
}

/** The whole probe table as text lines (header first), as the plain printer and summary show it. */
export function tableLines(rows: readonly ProbeRow[], width: number, order: SortOrder): string[] {
  const columns = fitColumns(width);
  return [joinCells(headerCells(columns, order)), ...rows.map((row) => joinCells(rowCells(row, columns)))];
}

/** Puts `segments` on lines no wider than `width`, separated by two spaces. */
export function flowSegments(segments: readonly string[], width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const segment of segments) {
    const next = line === "" ? segment : `${line}  ${segment}`;
    if (next.length > width && line !== "") {
      lines.push(line);
      line = segment;
    } else {
      line = next;
    }
  }
  if (line !== "") lines.push(line);
  return lines;
}

/** The session totals, as short "label value" segments. */
export function sessionSegments(snapshot: SessionSnapshot): string[] {
  return [
    `sim ${formatDuration(snapshot.simTimeNs)}`,
    `speed ${formatSpeed(snapshot.speed)} (target ${formatSpeed(snapshot.targetSpeed)})`,
    `hits/s ${formatRate(snapshot.totalRate)}`,
    `hits ${formatCount(snapshot.totalHits)}`,
    `lost ${formatCount(snapshot.eventsLost)}`,
    `kernel ${snapshot.kernelProfile}`,
    `workload ${snapshot.workload}`,
    `cpus ${snapshot.cpus}`,
  ];
}

/** The kernel counters the project exists to show. */
export function kernelSegments(snapshot: SessionSnapshot): string[] {
  const k = snapshot.kernel;
  return [
    `speculative ${formatCount(k.speculativeHits)} ok / ${formatCount(k.speculativeFallbacks)} mmap_lock`,
    `grace periods ${formatCount(k.gracePeriods)}`,
    `in synchronize ${formatDuration(k.syncTimeNs)}`,
    `leases expired ${formatCount(k.leasesExpired)}`,
    `breakpoints installed ${formatCount(k.breakpointsInstalled)} removed ${formatCount(k.breakpointsRemoved)}`,
  ];
}

/** The header strip: session totals, then kernel counters, each flowed to `width`. */
export function headerLines(snapshot: SessionSnapshot, width: number): string[] {
  return [
    ...flowSegments(sessionSegments(snapshot), width),
    ...flowSegments(kernelSegments(snapshot), width),
  ];
}

/**
 * Shares the rows left over by the fixed parts between the table and the detail panel.
 * The live region stays at least one line shorter than the terminal: Ink clears the whole
 * screen on every frame once its output is as tall as the terminal.
 */
export function shareHeight(
  terminalRows: number,
  fixedLines: number,
  probeCount: number,
  detailOpen: boolean,
): { tableRows: number; detailRows: number } {
  const budget = Math.max(1, terminalRows - 1 - fixedLines);
  if (!detailOpen) return { tableRows: Math.min(probeCount, budget), detailRows: 0 };
  const tableRows = Math.min(probeCount, Math.max(1, Math.floor(budget / 3)));
  return { tableRows, detailRows: Math.max(0, budget - tableRows) };
}

/** What the screen's height is split into: every count is in terminal lines. */
export interface ScreenLayout {
  /** Lines of the attach error shown under the input line (a long diagnostic is cut). */
  errorLines: number;
  tableRows: number;
  detailRows: number;
  /** The help overlay takes the table's place: its heading line and every row below it. */
  helpRows: number;
}

/** What decides the layout, besides the terminal's height. */
export interface LayoutInputs {
  headerLines: number;
  probeCount: number;
  paused: boolean;
  failed: boolean;
  detailOpen: boolean;
  inputOpen: boolean;
  attachError: string | undefined;
}

/**
 * Lays the screen out, top to bottom: banners (paused, failure), header, table heading, table,
 * detail panel, status line, input line with its error lines, footer.
 */
export function layoutScreen(rows: number, at: LayoutInputs): ScreenLayout {
  const errorCount = at.attachError ? at.attachError.split("\n").filter((l) => l !== "").length : 0;
  // An attach error may take a third of the screen, so it cannot push the table off.
  const errorLines = Math.min(errorCount, Math.max(2, Math.floor(rows / 3)));
  const inputLines = at.inputOpen ? 1 + errorLines : 0;
  const banners = (at.paused ? 1 : 0) + (at.failed ? 1 : 0);
  // banners + header + table heading + status line + input line(s) + footer
  const fixed = banners + at.headerLines + 1 + 1 + inputLines + 1;
  const { tableRows, detailRows } = shareHeight(rows, fixed, Math.max(1, at.probeCount), at.detailOpen);
  return { errorLines, tableRows, detailRows, helpRows: Math.max(1, rows - 1 - fixed) + 1 };
}

/** The first row to draw so the selected row stays in view, keeping it near the middle. */
export function scrollStart(selectedIndex: number, count: number, visibleRows: number): number {
  if (count <= visibleRows || selectedIndex < 0) return 0;
  const centred = selectedIndex - Math.floor(visibleRows / 2);
  return Math.max(0, Math.min(centred, count - visibleRows));
}
