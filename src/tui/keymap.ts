/**
 * The one keymap of the live view. Input handling, the `?` help overlay and the footer
 * hints are all read from KEYMAP, so a key cannot do one thing and be documented as another.
 */

/** What a key asks the view to do. */
export type Command =
  | "moveUp"
  | "moveDown"
  | "toggleDetail"
  | "back"
  | "startFilter"
  | "sortNext"
  | "sortPrev"
  | "reverseSort"
  | "togglePause"
  | "startAttach"
  | "detach"
  | "reattach"
  | "speedUp"
  | "speedDown"
  | "toggleHelp"
  | "quit"
  | "submitInput"
  | "cancelInput"
  | "deleteChar";

/**
 * Where a binding applies: "list" is the probe table (with or without the detail panel),
 * "input" is the filter or attach line, "help" is the help overlay.
 */
export type KeyScope = "list" | "input" | "help";

export interface KeyBinding {
  scopes: readonly KeyScope[];
  /** Normalised key names (see keyName): "up", "enter", "space", "ctrl+c", "j", "<" ... */
  keys: readonly string[];
  /** How the help overlay spells the keys. */
  label: string;
  /** What the binding does, for the help overlay. */
  help: string;
  /** A short word for the footer; bindings without one stay out of the footer. */
  hint?: string;
  /** How the footer spells the keys when it differs from `label` (one hint for ↑ and ↓). */
  hintLabel?: string;
  command: Command;
}

export const KEYMAP: readonly KeyBinding[] = [
  {
    scopes: ["list"],
    keys: ["up", "k"],
    label: "↑/k",
    help: "select the previous probe",
    hint: "move",
    hintLabel: "↑↓/jk",
    command: "moveUp",
  },
  {
    scopes: ["list"],
    keys: ["down", "j"],
    label: "↓/j",
    help: "select the next probe",
    command: "moveDown",
  },
  {
    scopes: ["list"],
    keys: ["enter"],
    label: "Enter",
    help: "open or close the detail panel (histogram, maps, events)",
    hint: "detail",
    command: "toggleDetail",
  },
  {
    scopes: ["list"],
    keys: ["esc"],
    label: "Esc",
    help: "close the detail panel, else clear the filter",
    command: "back",
  },
  {
    scopes: ["list"],
    keys: ["/"],
    label: "/",
    help: "filter probes (type text, Enter applies, Esc clears)",
    hint: "filter",
    command: "startFilter",
  },
  {
    scopes: ["list"],
    keys: ["s", ">"],
    label: "s/>",
    help: "sort by the next column",
    hint: "sort",
    command: "sortNext",
  },
  { scopes: ["list"], keys: ["<"], label: "<", help: "sort by the previous column", command: "sortPrev" },
  {
    scopes: ["list"],
    keys: ["r"],
    label: "r",
    help: "reverse the sort order",
    hint: "reverse",
    command: "reverseSort",
  },
  {
    scopes: ["list"],
    keys: ["space"],
    label: "Space",
    help: "pause the display (collection goes on)",
    hint: "pause",
    command: "togglePause",
  },
  {
    scopes: ["list"],
    keys: ["a"],
    label: "a",
    help: "attach a one-liner typed in the input line",
    hint: "attach",
    command: "startAttach",
  },
  {
    scopes: ["list"],
    keys: ["d"],
    label: "d d",
    help: "detach the selected probe (press twice within 1 s)",
    hint: "detach",
    command: "detach",
  },
  {
    scopes: ["list"],
    keys: ["u"],
    label: "u",
    help: "reattach the selected detached probe",
    hint: "reattach",
    command: "reattach",
  },
  {
    scopes: ["list"],
    keys: ["+"],
    label: "+",
    help: "double the simulation speed",
    hint: "faster",
    command: "speedUp",
  },
  {
    scopes: ["list"],
    keys: ["-"],
    label: "-",
    help: "halve the simulation speed",
    hint: "slower",
    command: "speedDown",
  },
  {
    scopes: ["list", "help"],
    keys: ["?"],
    label: "?",
    help: "show or hide this help",
    hint: "help",
    command: "toggleHelp",
  },
  { scopes: ["help"], keys: ["esc", "enter"], label: "Esc", help: "close this help", command: "toggleHelp" },
  {
    scopes: ["list", "help"],
    keys: ["q", "ctrl+c"],
    label: "q/Ctrl-C",
    help: "quit (detach everything, print a summary)",
    hint: "quit",
    command: "quit",
  },
  {
    scopes: ["input"],
    keys: ["enter"],
    label: "Enter",
    help: "apply the filter / attach the one-liner",
    command: "submitInput",
  },
  {
    scopes: ["input"],
    keys: ["esc"],
    label: "Esc",
    help: "close the input line (clears the filter)",
    command: "cancelInput",
  },
  {
    scopes: ["input"],
    keys: ["backspace"],
    label: "Backspace",
    help: "delete the last character",
    command: "deleteChar",
  },
  { scopes: ["input"], keys: ["ctrl+c"], label: "Ctrl-C", help: "quit", command: "quit" },
];

/** The subset of Ink's key flags keyName looks at. */
export interface KeyFlags {
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  return?: boolean;
  escape?: boolean;
  backspace?: boolean;
  delete?: boolean;
  tab?: boolean;
  ctrl?: boolean;
}

/** Normalises one Ink keypress to the names KEYMAP uses; undefined for keys we never bind. */
export function keyName(input: string, key: KeyFlags): string | undefined {
  if (key.upArrow) return "up";
  if (key.downArrow) return "down";
  if (key.leftArrow) return "left";
  if (key.rightArrow) return "right";
  if (key.return) return "enter";
  if (key.escape) return "esc";
  // Terminals send DEL (0x7f) for the Backspace key; Ink reports it as "delete".
  if (key.backspace || key.delete) return "backspace";
  if (key.tab) return "tab";
  if (key.ctrl) return input.length === 1 ? `ctrl+${input}` : undefined;
  if (input === " ") return "space";
  return input.length > 0 ? input : undefined;
}

/** One key of a burst, with the flags Ink would have given it had it arrived alone. */
export interface SingleKey {
  input: string;
  key: KeyFlags;
}

function flagsOf(char: string): KeyFlags {
  if (char === "\r" || char === "\n") return { return: true };
  if (char === "\u007f" || char === "\b") return { backspace: true };
  if (char === "\t") return { tab: true };
  return {};
}

function isNamedKey(key: KeyFlags): boolean {
  return Object.values(key).some((flag) => flag === true);
}

/**
 * Splits what Ink delivered as one input into single keys. Keys typed faster than the
 * terminal is read (a paste, a script driving the terminal) arrive as one string such as
 * "abogus\r"; taken whole it would be neither the `a` command nor an Enter.
 */
export function splitKeys(input: string, key: KeyFlags): SingleKey[] {
  if (isNamedKey(key) || [...input].length <= 1) return [{ input, key }];
  return [...input].map((char) => ({ input: char, key: flagsOf(char) }));
}

/** The binding a key has in a scope, if any. */
export function lookupKey(scope: KeyScope, name: string): KeyBinding | undefined {
  return KEYMAP.find((binding) => binding.scopes.includes(scope) && binding.keys.includes(name));
}

/** Help overlay lines: every binding of a scope, key label in a fixed column. */
export function helpLines(scope: KeyScope): string[] {
  return KEYMAP.filter((binding) => binding.scopes.includes(scope)).map(
    (binding) => `${binding.label.padEnd(10)} ${binding.help}`,
  );
}

/** Commands whose hint the footer always keeps, at its end, however narrow the terminal. */
const ESSENTIAL_HINTS: readonly Command[] = ["toggleHelp", "quit"];

/**
 * Footer hints ("s/> sort · r reverse · ... · ? help · q quit"): as many as fit in `width`,
 * always ending with the way to the help and the way out.
 */
export function footerHints(width: number): string {
  const hinted = KEYMAP.filter((binding) => binding.scopes.includes("list") && binding.hint);
  const text = (binding: KeyBinding) =>
    `${binding.hintLabel ?? binding.label.replace(" ", "")} ${binding.hint}`;
  const essential = hinted.filter((binding) => ESSENTIAL_HINTS.includes(binding.command)).map(text);
  const optional = hinted.filter((binding) => !ESSENTIAL_HINTS.includes(binding.command)).map(text);
  const tail = essential.join(" · ");
  const kept: string[] = [];
  for (const hint of optional) {
    if ([...kept, hint, tail].join(" · ").length > width) break;
    kept.push(hint);
  }
  return [...kept, tail].join(" · ");
}
