import { describe, expect, test } from "vitest";
import {
  footerHints,
  helpLines,
  KEYMAP,
  type KeyScope,
  keyName,
  lookupKey,
  splitKeys,
} from "../../src/tui/keymap.js";

describe("keyName", () => {
  test("names special keys", () => {
    expect(keyName("", { upArrow: true })).toBe("up");
    expect(keyName("", { downArrow: true })).toBe("down");
    expect(keyName("\r", { return: true })).toBe("enter");
    expect(keyName("", { escape: true })).toBe("esc");
    expect(keyName("", { delete: true })).toBe("backspace");
    expect(keyName("", { backspace: true })).toBe("backspace");
    expect(keyName("c", { ctrl: true })).toBe("ctrl+c");
    expect(keyName(" ", {})).toBe("space");
  });

  test("passes printable keys through and ignores nothing-keys", () => {
    expect(keyName("j", {})).toBe("j");
    expect(keyName("<", {})).toBe("<");
    expect(keyName("", {})).toBeUndefined();
  });
});

describe("lookupKey", () => {
  test.each([
    ["list", "up", "moveUp"],
    ["list", "k", "moveUp"],
    ["list", "down", "moveDown"],
    ["list", "j", "moveDown"],
    ["list", "enter", "toggleDetail"],
    ["list", "/", "startFilter"],
    ["list", "s", "sortNext"],
    ["list", ">", "sortNext"],
    ["list", "<", "sortPrev"],
    ["list", "r", "reverseSort"],
    ["list", "space", "togglePause"],
    ["list", "a", "startAttach"],
    ["list", "d", "detach"],
    ["list", "u", "reattach"],
    ["list", "+", "speedUp"],
    ["list", "-", "speedDown"],
    ["list", "?", "toggleHelp"],
    ["list", "q", "quit"],
    ["list", "ctrl+c", "quit"],
    ["input", "enter", "submitInput"],
    ["input", "esc", "cancelInput"],
    ["input", "backspace", "deleteChar"],
    ["input", "ctrl+c", "quit"],
    ["help", "esc", "toggleHelp"],
    ["help", "q", "quit"],
  ] as const)("%s %s -> %s", (scope, name, command) => {
    expect(lookupKey(scope, name)?.command).toBe(command);
  });

  test("letters typed in the input line are text, not commands", () => {
    for (const letter of ["q", "a", "d", "j", "k", "s", "r", "u"]) {
      expect(lookupKey("input", letter)).toBeUndefined();
    }
  });

  test("no key is bound twice in one scope", () => {
    for (const scope of ["list", "input", "help"] as KeyScope[]) {
      const keys = KEYMAP.filter((b) => b.scopes.includes(scope)).flatMap((b) => b.keys);
      expect(new Set(keys).size).toBe(keys.length);
    }
  });
});

describe("help and footer come from the same table", () => {
  test("the help lists every binding of a scope with its label and text", () => {
    const lines = helpLines("list");
    const bindings = KEYMAP.filter((b) => b.scopes.includes("list"));
    expect(lines).toHaveLength(bindings.length);
    bindings.forEach((binding, index) => {
      expect(lines[index].startsWith(binding.label)).toBe(true);
      expect(lines[index].endsWith(binding.help)).toBe(true);
    });
  });

  test("the footer fits its width and always ends with help and quit", () => {
    for (const width of [40, 60, 100, 200]) {
      const hints = footerHints(width);
      expect(hints.length).toBeLessThanOrEqual(Math.max(width, "? help · q/Ctrl-C quit".length));
      expect(hints.endsWith("? help · q/Ctrl-C quit")).toBe(true);
    }
  });

  test("a wide footer shows every hinted binding, in keymap order", () => {
    const hints = footerHints(500).split(" · ");
    const hinted = KEYMAP.filter((b) => b.hint).length;
    expect(hints).toHaveLength(hinted);
    expect(hints[0]).toBe("↑↓/jk move");
    expect(hints).toContain("dd detach");
  });
});

describe("splitKeys", () => {
  test("a burst of typed keys becomes single keys, Enter and Backspace included", () => {
    expect(splitKeys("ab\r", {})).toEqual([
      { input: "a", key: {} },
      { input: "b", key: {} },
      { input: "\r", key: { return: true } },
    ]);
    expect(splitKeys("x\u007f", {})).toEqual([
      { input: "x", key: {} },
      { input: "\u007f", key: { backspace: true } },
    ]);
  });

  test("single keys and named keys pass through whole", () => {
    expect(splitKeys("q", {})).toEqual([{ input: "q", key: {} }]);
    expect(splitKeys("µ", {})).toEqual([{ input: "µ", key: {} }]);
    expect(splitKeys("", { upArrow: true })).toEqual([{ input: "", key: { upArrow: true } }]);
  });
});
