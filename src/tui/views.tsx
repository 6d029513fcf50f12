/**
 * The pieces of the live screen. Each takes ready-made text from the view model and only
 * decides how it looks (colour, dim, inverse), so layout is tested on plain strings.
 */

import { Box, Text } from "ink";
import type { ProbeRow, SessionSnapshot } from "../trace/snapshot.js";
import type { DetailLine } from "./detail.js";
import { padEnd } from "./format.js";
import { footerHints, helpLines } from "./keymap.js";
import { headerCells, joinCells, rowCells, type SortOrder, type TableColumn } from "./model.js";
import type { Theme } from "./theme.js";
import type { ViewState } from "./view-state.js";

export function PausedBanner({ width, theme }: { width: number; theme: Theme }) {
  const text = padEnd(" PAUSED · collection goes on · Space resumes", width);
  return (
    <Text bold inverse color={theme.warn} wrap="truncate">
      {text}
    </Text>
  );
}

/**
 * The simulation has failed: a banner above everything, so no leftover message in the
 * status line can hide it, and the frozen numbers are not mistaken for a live session.
 */
export function FailureBanner({ text, width, theme }: { text: string; width: number; theme: Theme }) {
  return (
    <Text bold inverse color={theme.bad} wrap="truncate">
      {padEnd(` ${text} · q quits (exit status 1)`, width)}
    </Text>
  );
}

/** How one line of a fixed list of lines looks. */
interface LineStyle {
  bold?: boolean;
  color?: string;
  dimColor?: boolean;
}

/**
 * A column of one-line texts, each cut at the terminal's edge. The lines are positional
 * (line 3 is always the third line), so their index is the right key.
 */
function Lines({ lines, styleOf }: { lines: readonly string[]; styleOf: (index: number) => LineStyle }) {
  return (
    <Box flexDirection="column">
      {lines.map((line, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: positional lines, see above
        <Text key={index} {...styleOf(index)} wrap="truncate">
          {line === "" ? " " : line}
        </Text>
      ))}
    </Box>
  );
}

export function Header({ lines, theme }: { lines: readonly string[]; theme: Theme }) {
  return <Lines lines={lines} styleOf={(index) => ({ color: index === 0 ? theme.accent : undefined })} />;
}

/**
 * The selected row is marked in a gutter as well as drawn inverse, so the selection is
 * still visible where attributes are not (a screen capture, a dumb terminal).
 */
const SELECTED_GUTTER = "› ";
const PLAIN_GUTTER = "  ";

/** Columns the table itself may use once the gutter is taken. */
export function tableWidthFor(width: number): number {
  return width - PLAIN_GUTTER.length;
}

function stateColour(row: ProbeRow, theme: Theme): string | undefined {
  if (row.state === "error") return theme.bad;
  if (row.state === "attached") return theme.good;
  return undefined;
}

function ProbeLine(props: {
  row: ProbeRow;
  columns: readonly TableColumn[];
  selected: boolean;
  theme: Theme;
}) {
  const { row, columns, selected, theme } = props;
  const cells = rowCells(row, columns);
  return (
    // A detached probe keeps its last values, dimmed, so it reads as history, not as live.
    <Text inverse={selected} dimColor={row.state === "detached"} wrap="truncate">
      {selected ? SELECTED_GUTTER : PLAIN_GUTTER}
      {cells.map((cell, index) => {
        const key = columns[index].key;
        const gap = index === 0 ? "" : " ";
        if (key === "state") {
          return (
            <Text key={key} color={stateColour(row, theme)}>
              {gap + cell}
            </Text>
          );
        }
        if (key === "trend") {
          return (
            <Text key={key} color={theme.accent}>
              {gap + cell}
            </Text>
          );
        }
        return <Text key={key}>{gap + cell}</Text>;
      })}
    </Text>
  );
}

export interface ProbeTableProps {
  rows: readonly ProbeRow[];
  columns: readonly TableColumn[];
  sort: SortOrder;
  selectedId: number | undefined;
  /** Index of the first row drawn and how many rows fit. */
  start: number;
  height: number;
  filter: string;
  theme: Theme;
}

export function ProbeTable(props: ProbeTableProps) {
  const { rows, columns, sort, selectedId, start, height, filter, theme } = props;
  const shown = rows.slice(start, start + height);
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">
        {PLAIN_GUTTER + joinCells(headerCells(columns, sort))}
      </Text>
      {shown.length === 0 ? (
        <Text dimColor wrap="truncate">
          {filter === "" ? "no probes attached (press a to attach one)" : `no probe matches "${filter}"`}
        </Text>
      ) : (
        shown.map((row) => (
          <ProbeLine
            key={row.id}
            row={row}
            columns={columns}
            selected={row.id === selectedId}
            theme={theme}
          />
        ))
      )}
    </Box>
  );
}

export function DetailPanel({ lines, theme }: { lines: readonly DetailLine[]; theme: Theme }) {
  return (
    <Lines
      lines={lines.map((line) => line.text)}
      styleOf={(index) => {
        const tone = lines[index].tone;
        return {
          bold: tone === "title" || tone === "heading",
          color: tone === "title" ? theme.accent : undefined,
          dimColor: tone === "dim",
        };
      }}
    />
  );
}

/** The help overlay, read from the keymap so it always matches what the keys do. */
export function helpOverlayLines(): string[] {
  return ["keys", ...helpLines("list"), "", "in the filter and attach line", ...helpLines("input")];
}

export function HelpOverlay({ height, theme }: { height: number; theme: Theme }) {
  const lines = helpOverlayLines().slice(0, Math.max(1, height));
  return (
    <Lines
      lines={lines}
      styleOf={(index) => ({ bold: index === 0, color: index === 0 ? theme.accent : undefined })}
    />
  );
}

/** One line of feedback: the last message, else the active filter, else `note`, else nothing. */
export function StatusLine({ view, note, theme }: { view: ViewState; note?: string; theme: Theme }) {
  const filter = view.filter === "" ? undefined : `filter: ${view.filter}  (Esc clears)`;
  const text = view.message ?? filter ?? note ?? "";
  return (
    <Text color={view.pendingDetach ? theme.warn : theme.muted} wrap="truncate">
      {text === "" ? " " : text}
    </Text>
  );
}

/** The open filter or attach line, and under it the attach error exactly as the front end wrote it. */
export function InputLine({
  view,
  errorLines,
  theme,
}: {
  view: ViewState;
  errorLines: number;
  theme: Theme;
}) {
  const prompt = view.input === "filter" ? "filter> " : "attach> ";
  const error = (view.attachError ?? "").split("\n").filter((line) => line !== "");
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">
        <Text bold color={theme.accent}>
          {prompt}
        </Text>
        {view.draft}
        <Text inverse> </Text>
      </Text>
      <Lines lines={error.slice(0, errorLines)} styleOf={() => ({ color: theme.bad })} />
    </Box>
  );
}

export function Footer({ width, theme }: { width: number; theme: Theme }) {
  return (
    <Text color={theme.muted} wrap="truncate">
      {footerHints(width)}
    </Text>
  );
}

export function TooSmall({ columns, rows }: { columns: number; rows: number }) {
  return <Text wrap="truncate">{`terminal too small (need ${columns}x${rows})`}</Text>;
}

/** Why the selected probe is in error, for the status line (the row has no room for it). */
export function probeNote(probe: ProbeRow | undefined): string | undefined {
  if (probe?.state !== "error") return undefined;
  return `probe ${probe.id}: ${probe.error ?? "error"}`;
}

/** What the status line says about a session whose simulated process has exited. */
export function finishedNote(snapshot: SessionSnapshot): string | undefined {
  return snapshot.finished ? "the simulated process has finished (q quits)" : undefined;
}
