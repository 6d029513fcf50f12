/** The public face of the live view, for the CLI and for tests. */

export type { DetailLine, Tone } from "./detail.js";
export { detailLines } from "./detail.js";
export {
  formatCount,
  formatDuration,
  formatRate,
  formatSpeed,
  padEnd,
  padStart,
  sparkline,
  truncate,
} from "./format.js";
export type { Command, KeyBinding, KeyFlags, KeyScope, SingleKey } from "./keymap.js";
export { footerHints, helpLines, KEYMAP, keyName, lookupKey, splitKeys } from "./keymap.js";
export type { ColumnKey, SortColumn, SortOrder, TableColumn } from "./model.js";
export {
  filterProbes,
  fitColumns,
  flowSegments,
  headerCells,
  headerLines,
  kernelSegments,
  MIN_COLUMNS,
  MIN_ROWS,
  rowCells,
  SORT_COLUMNS,
  scrollStart,
  sessionSegments,
  shareHeight,
  sortProbes,
  stepSortColumn,
  tableLines,
  visibleProbes,
} from "./model.js";
export type { PlainOptions, TopFormat } from "./plain.js";
export { formatJsonInterval, formatSummary, formatTextInterval, PLAIN_WIDTH, runPlain } from "./plain.js";
export type { TopOptions } from "./run-top.js";
export { runTop } from "./run-top.js";
export type { Theme } from "./theme.js";
export { makeTheme, noColorRequested } from "./theme.js";
export type { ManualTicker, Ticker } from "./ticker.js";
export { intervalTicker, manualTicker } from "./ticker.js";
export type { TopAppProps } from "./top-app.js";
export { TopApp } from "./top-app.js";
export type { CommandContext, CommandOutcome, Effect, InputKind, ViewState } from "./view-state.js";
export {
  applyCommand,
  attachAnswered,
  DETACH_CONFIRM_MS,
  INITIAL_VIEW_STATE,
  MAX_SPEED,
  MIN_SPEED,
  scopeOf,
  selectedProbe,
  typeText,
} from "./view-state.js";
