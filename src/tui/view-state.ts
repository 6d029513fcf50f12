/**
 * What the user has done to the live view (selection, sort, filter, pause, open panels)
 * and how each keymap command changes it. Pure: a command returns the next state plus at
 * most one effect on the session, which the Ink component carries out.
 */

import type { AttachResult, ProbeRow } from "../trace/snapshot.js";
import type { Command, KeyScope } from "./keymap.js";
import { type SortOrder, stepSortColumn } from "./model.js";

/** A second `d` within this many ms of the first detaches. */
export const DETACH_CONFIRM_MS = 1000;

/** Speed factors stay within these bounds so `+`/`-` can never reach zero or infinity. */
export const MIN_SPEED = 2 ** -30;
export const MAX_SPEED = 2 ** 30;

/** An input line open at the bottom of the screen. */
export type InputKind = "filter" | "attach";

export interface ViewState {
  selectedId: number | undefined;
  sort: SortOrder;
  /** The applied filter. */
  filter: string;
  detailOpen: boolean;
  helpOpen: boolean;
  input: InputKind | undefined;
  /** Text typed in the open input line. */
  draft: string;
  /** The attach error shown under the input line (bpftrace diagnostics with `~` underline). */
  attachError: string | undefined;
  paused: boolean;
  /** The first `d` of a `d d` pair: which probe, and when. */
  pendingDetach: { id: number; atMs: number } | undefined;
  /** One status line of feedback ("detached probe 3"). */
  message: string | undefined;
}

export const INITIAL_VIEW_STATE: ViewState = {
  selectedId: undefined,
  sort: { column: "id", descending: false },
  filter: "",
  detailOpen: false,
  helpOpen: false,
  input: undefined,
  draft: "",
  attachError: undefined,
  paused: false,
  pendingDetach: undefined,
  message: undefined,
};

/** What the session must be asked to do after a command. */
export type Effect =
  | { kind: "attach"; text: string }
  | { kind: "detach"; id: number }
  | { kind: "reattach"; id: number }
  | { kind: "setSpeed"; factor: number }
  | { kind: "quit" };

/** What a command needs to know besides the view state. */
export interface CommandContext {
  /** The probes the table shows, in display order. */
  visible: readonly ProbeRow[];
  /** The speed currently requested from the session. */
  targetSpeed: number;
  /** Wall-clock ms, for the `d d` double press. */
  nowMs: number;
}

export interface CommandOutcome {
  state: ViewState;
  effect?: Effect;
}

/** Which part of the keymap is live in this state. */
export function scopeOf(state: ViewState): KeyScope {
  if (state.input) return "input";
  if (state.helpOpen) return "help";
  return "list";
}

/** The selected probe among the visible ones, falling back to the first visible probe. */
export function selectedProbe(state: ViewState, visible: readonly ProbeRow[]): ProbeRow | undefined {
  return visible.find((row) => row.id === state.selectedId) ?? visible[0];
}

function move(state: ViewState, visible: readonly ProbeRow[], step: number): ViewState {
  if (visible.length === 0) return state;
  // With no (visible) selection the first row is the one shown selected, so move from there.
  const current = Math.max(
    0,
    visible.findIndex((row) => row.id === state.selectedId),
  );
  const index = Math.max(0, Math.min(visible.length - 1, current + step));
  return { ...state, selectedId: visible[index].id, pendingDetach: undefined };
}

function changeSpeed(state: ViewState, targetSpeed: number, factor: number): CommandOutcome {
  const next = Math.max(MIN_SPEED, Math.min(MAX_SPEED, targetSpeed * factor));
  return { state: { ...state, message: undefined }, effect: { kind: "setSpeed", factor: next } };
}

/** The first `d` arms, a second `d` on the same probe within DETACH_CONFIRM_MS detaches. */
function detach(state: ViewState, ctx: CommandContext): CommandOutcome {
  const probe = selectedProbe(state, ctx.visible);
  if (!probe) return { state };
  if (probe.state !== "attached") {
    return { state: { ...state, pendingDetach: undefined, message: `probe ${probe.id} is not attached` } };
  }
  const armed = state.pendingDetach;
  if (armed && armed.id === probe.id && ctx.nowMs - armed.atMs <= DETACH_CONFIRM_MS) {
    return {
      state: { ...state, pendingDetach: undefined, message: `detached probe ${probe.id}` },
      effect: { kind: "detach", id: probe.id },
    };
  }
  return {
    state: {
      ...state,
      selectedId: probe.id,
      pendingDetach: { id: probe.id, atMs: ctx.nowMs },
      message: `press d again to detach probe ${probe.id}`,
    },
  };
}

function reattach(state: ViewState, ctx: CommandContext): CommandOutcome {
  const probe = selectedProbe(state, ctx.visible);
  if (!probe) return { state };
  if (probe.state !== "detached") {
    return { state: { ...state, message: `probe ${probe.id} is not detached` } };
  }
  return {
    state: { ...state, message: `reattached probe ${probe.id}` },
    effect: { kind: "reattach", id: probe.id },
  };
}

function submitInput(state: ViewState): CommandOutcome {
  if (state.input === "filter") {
    return { state: { ...state, input: undefined, filter: state.draft.trim(), draft: "" } };
  }
  if (state.draft.trim() === "")
    return { state: { ...state, attachError: "type a probe program to attach" } };
  return { state, effect: { kind: "attach", text: state.draft } };
}

function cancelInput(state: ViewState): ViewState {
  const filter = state.input === "filter" ? "" : state.filter;
  return { ...state, input: undefined, draft: "", attachError: undefined, filter };
}

/** Applies one keymap command. */
export function applyCommand(state: ViewState, command: Command, ctx: CommandContext): CommandOutcome {
  // Any key other than the second `d` disarms a pending detach.
  const base: ViewState = command === "detach" ? state : { ...state, pendingDetach: undefined };
  switch (command) {
    case "moveUp":
      return { state: move(base, ctx.visible, -1) };
    case "moveDown":
      return { state: move(base, ctx.visible, 1) };
    case "toggleDetail":
      return { state: { ...base, detailOpen: !base.detailOpen } };
    case "back":
      return { state: base.detailOpen ? { ...base, detailOpen: false } : { ...base, filter: "" } };
    case "startFilter":
      return { state: { ...base, input: "filter", draft: base.filter, message: undefined } };
    case "startAttach":
      return { state: { ...base, input: "attach", draft: "", attachError: undefined, message: undefined } };
    case "sortNext":
      return { state: { ...base, sort: { ...base.sort, column: stepSortColumn(base.sort.column, 1) } } };
    case "sortPrev":
      return { state: { ...base, sort: { ...base.sort, column: stepSortColumn(base.sort.column, -1) } } };
    case "reverseSort":
      return { state: { ...base, sort: { ...base.sort, descending: !base.sort.descending } } };
    case "togglePause":
      return { state: { ...base, paused: !base.paused } };
    case "detach":
      return detach(base, ctx);
    case "reattach":
      return reattach(base, ctx);
    case "speedUp":
      return changeSpeed(base, ctx.targetSpeed, 2);
    case "speedDown":
      return changeSpeed(base, ctx.targetSpeed, 0.5);
    case "toggleHelp":
      return { state: { ...base, helpOpen: !base.helpOpen } };
    case "quit":
      return { state: base, effect: { kind: "quit" } };
    case "submitInput":
      return submitInput(base);
    case "cancelInput":
      return { state: cancelInput(base) };
    case "deleteChar":
      return { state: { ...base, draft: base.draft.slice(0, -1) } };
  }
}

/** Text typed into the open input line (pasted text arrives as one string). */
export function typeText(state: ViewState, text: string): ViewState {
  if (!state.input) return state;
  // Control characters never belong in a one-liner or a filter.
  const printable = text.replace(/[\u0000-\u001f\u007f]/g, "");
  return { ...state, draft: state.draft + printable };
}

/** Folds the session's answer to an attach into the view: close the line, or show the error. */
export function attachAnswered(state: ViewState, result: AttachResult): ViewState {
  if (!result.ok) return { ...state, attachError: result.error };
  const ids = result.probeIds;
  const message =
    ids.length === 0
      ? "attached no probes"
      : `attached probe${ids.length === 1 ? "" : "s"} ${ids.join(", ")}`;
  return {
    ...state,
    input: undefined,
    draft: "",
    attachError: undefined,
    message,
    selectedId: ids[0] ?? state.selectedId,
  };
}
