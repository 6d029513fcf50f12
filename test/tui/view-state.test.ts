import { describe, expect, test } from "vitest";
import type { ProbeRow } from "../../src/trace/snapshot.js";
import {
  applyCommand,
  attachAnswered,
  type CommandContext,
  DETACH_CONFIRM_MS,
  INITIAL_VIEW_STATE,
  MAX_SPEED,
  scopeOf,
  selectedProbe,
  typeText,
  type ViewState,
} from "../../src/tui/view-state.js";

function probe(id: number, state: ProbeRow["state"] = "attached"): ProbeRow {
  return { id, script: "a.bt", spec: `uprobe:/bin/app:f${id}`, state, hits: 0, rate: 0, rateHistory: [] };
}

const visible = [probe(1), probe(2), probe(3, "detached")];
const ctx = (over: Partial<CommandContext> = {}): CommandContext => ({
  visible,
  targetSpeed: 1,
  nowMs: 0,
  ...over,
});

describe("selection", () => {
  test("starts on the first visible probe and moves within bounds", () => {
    let state: ViewState = INITIAL_VIEW_STATE;
    expect(selectedProbe(state, visible)?.id).toBe(1);
    state = applyCommand(state, "moveDown", ctx()).state;
    expect(state.selectedId).toBe(2);
    state = applyCommand(state, "moveDown", ctx()).state;
    state = applyCommand(state, "moveDown", ctx()).state;
    expect(state.selectedId).toBe(3);
    state = applyCommand(state, "moveUp", ctx()).state;
    expect(state.selectedId).toBe(2);
  });

  test("falls back to the first visible probe when the selected one is filtered out", () => {
    const state = { ...INITIAL_VIEW_STATE, selectedId: 9 };
    expect(selectedProbe(state, visible)?.id).toBe(1);
    expect(applyCommand(state, "moveDown", ctx()).state.selectedId).toBe(2);
    expect(applyCommand(state, "moveUp", ctx()).state.selectedId).toBe(1);
    expect(selectedProbe(state, [])).toBeUndefined();
  });
});

describe("d d detaches", () => {
  test("a second d within the window detaches the selected probe", () => {
    const first = applyCommand(INITIAL_VIEW_STATE, "detach", ctx({ nowMs: 100 }));
    expect(first.effect).toBeUndefined();
    expect(first.state.message).toBe("press d again to detach probe 1");
    const second = applyCommand(first.state, "detach", ctx({ nowMs: 100 + DETACH_CONFIRM_MS }));
    expect(second.effect).toEqual({ kind: "detach", id: 1 });
  });

  test("a second d after the window only arms again", () => {
    const first = applyCommand(INITIAL_VIEW_STATE, "detach", ctx({ nowMs: 0 }));
    const late = applyCommand(first.state, "detach", ctx({ nowMs: DETACH_CONFIRM_MS + 1 }));
    expect(late.effect).toBeUndefined();
    expect(late.state.pendingDetach).toEqual({ id: 1, atMs: DETACH_CONFIRM_MS + 1 });
  });

  test("another key in between disarms", () => {
    const first = applyCommand(INITIAL_VIEW_STATE, "detach", ctx());
    const other = applyCommand(first.state, "reverseSort", ctx());
    expect(other.state.pendingDetach).toBeUndefined();
    expect(applyCommand(other.state, "detach", ctx()).effect).toBeUndefined();
  });

  test("a detached probe cannot be detached, only reattached", () => {
    const onDetached = { ...INITIAL_VIEW_STATE, selectedId: 3 };
    const d = applyCommand(onDetached, "detach", ctx());
    expect(d.effect).toBeUndefined();
    expect(d.state.message).toBe("probe 3 is not attached");
    expect(applyCommand(onDetached, "reattach", ctx()).effect).toEqual({ kind: "reattach", id: 3 });
    expect(applyCommand(INITIAL_VIEW_STATE, "reattach", ctx()).effect).toBeUndefined();
  });
});

describe("sort, pause, help, speed, quit", () => {
  test("s, < and r change the sort order", () => {
    let state = applyCommand(INITIAL_VIEW_STATE, "sortNext", ctx()).state;
    expect(state.sort).toEqual({ column: "spec", descending: false });
    state = applyCommand(state, "sortPrev", ctx()).state;
    state = applyCommand(state, "sortPrev", ctx()).state;
    expect(state.sort.column).toBe("max");
    state = applyCommand(state, "reverseSort", ctx()).state;
    expect(state.sort).toEqual({ column: "max", descending: true });
  });

  test("space toggles pause and ? toggles the help scope", () => {
    const paused = applyCommand(INITIAL_VIEW_STATE, "togglePause", ctx()).state;
    expect(paused.paused).toBe(true);
    const help = applyCommand(paused, "toggleHelp", ctx()).state;
    expect(scopeOf(help)).toBe("help");
    expect(scopeOf(applyCommand(help, "toggleHelp", ctx()).state)).toBe("list");
  });

  test("+ and - double and halve the requested speed, within bounds", () => {
    expect(applyCommand(INITIAL_VIEW_STATE, "speedUp", ctx({ targetSpeed: 0.25 })).effect).toEqual({
      kind: "setSpeed",
      factor: 0.5,
    });
    expect(applyCommand(INITIAL_VIEW_STATE, "speedDown", ctx({ targetSpeed: 0.25 })).effect).toEqual({
      kind: "setSpeed",
      factor: 0.125,
    });
    expect(applyCommand(INITIAL_VIEW_STATE, "speedUp", ctx({ targetSpeed: MAX_SPEED })).effect).toEqual({
      kind: "setSpeed",
      factor: MAX_SPEED,
    });
  });

  test("q asks to quit", () => {
    expect(applyCommand(INITIAL_VIEW_STATE, "quit", ctx()).effect).toEqual({ kind: "quit" });
  });
});

describe("input lines", () => {
  test("the filter applies on Enter and Esc clears it", () => {
    let state = applyCommand(INITIAL_VIEW_STATE, "startFilter", ctx()).state;
    expect(scopeOf(state)).toBe("input");
    state = typeText(state, "mall");
    expect(state.filter).toBe("");
    state = applyCommand(state, "submitInput", ctx()).state;
    expect(state.filter).toBe("mall");
    expect(state.input).toBeUndefined();
    state = applyCommand(state, "startFilter", ctx()).state;
    expect(state.draft).toBe("mall");
    state = applyCommand(state, "cancelInput", ctx()).state;
    expect(state.filter).toBe("");
  });

  test("Backspace deletes and control characters are never typed", () => {
    let state = applyCommand(INITIAL_VIEW_STATE, "startAttach", ctx()).state;
    state = typeText(state, "ab\u0007c");
    expect(state.draft).toBe("abc");
    state = applyCommand(state, "deleteChar", ctx()).state;
    expect(state.draft).toBe("ab");
    expect(typeText(INITIAL_VIEW_STATE, "x")).toBe(INITIAL_VIEW_STATE);
  });

  test("Enter on the attach line asks the session to attach the text", () => {
    const state = typeText(applyCommand(INITIAL_VIEW_STATE, "startAttach", ctx()).state, "uprobe:x { }");
    expect(applyCommand(state, "submitInput", ctx()).effect).toEqual({
      kind: "attach",
      text: "uprobe:x { }",
    });
    const empty = applyCommand(INITIAL_VIEW_STATE, "startAttach", ctx()).state;
    expect(applyCommand(empty, "submitInput", ctx()).effect).toBeUndefined();
  });

  test("a failed attach keeps the line open with the error, a good one closes it", () => {
    const open = typeText(applyCommand(INITIAL_VIEW_STATE, "startAttach", ctx()).state, "bad");
    const failed = attachAnswered(open, { ok: false, error: "stdin:1:1-4: ERROR: x\nbad\n~~~\n" });
    expect(failed.input).toBe("attach");
    expect(failed.draft).toBe("bad");
    expect(failed.attachError).toContain("~~~");
    const done = attachAnswered(failed, { ok: true, probeIds: [7, 8] });
    expect(done.input).toBeUndefined();
    expect(done.attachError).toBeUndefined();
    expect(done.selectedId).toBe(7);
    expect(done.message).toBe("attached probes 7, 8");
  });
});
