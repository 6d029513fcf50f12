/**
 * The macros of bpftrace's standard library that probelab writes in the language itself. A
 * script's own macro of the same name wins; a call whose argument count fits no stdlib macro
 * stays what it was (so bare `ppid` is still the builtin). Their expansions are located at the
 * call, since the user never sees this text.
 */
import type * as A from "./ast.js";

const STDLIB_SOURCE = `
macro ppid(task) {
  (uint32)((struct task_struct *)task)->real_parent->tgid
}

macro container_of(ptr, type, member) {
  (type *)((uint8 *)ptr - offsetof(type, member))
}

macro assert(cond, msg) {
  if (!cond) {
    errorf("assert failed: %s", msg);
    exit(1);
  }
}
`;

/** Names of the stdlib macros, to skip parsing the library for scripts that call none. */
const STDLIB_NAMES = ["ppid", "container_of", "assert"];

let parsed: readonly A.MacroDef[] | null = null;

/**
 * The stdlib macros a script may call: those whose name it contains followed by `(`.
 * `parseMacros` parses library text (the front end's parser, passed in to avoid a cycle).
 */
export function stdlibMacros(
  scriptText: string,
  parseMacros: (text: string) => readonly A.MacroDef[],
): readonly A.MacroDef[] {
  if (!STDLIB_NAMES.some((n) => new RegExp(`\\b${n}\\s*\\(`).test(scriptText))) return [];
  parsed ??= parseMacros(STDLIB_SOURCE);
  return parsed;
}
