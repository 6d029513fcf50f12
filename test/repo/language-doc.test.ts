/**
 * docs/language.md against the checker's tables: every builtin and function the checker knows is
 * documented, and the "Not supported" section lists exactly what the checker rejects by name.
 * Adding a builtin, or supporting one that was rejected, means updating the reference too.
 */

import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import {
  BUILTIN_VALUE_TABLE,
  FUNCTION_TABLE,
  UNSUPPORTED_BUILTINS,
  UNSUPPORTED_FUNCTIONS,
} from "../../src/lang/builtins.js";
import { codeSpans } from "./markdown.js";

const DOC = readFileSync("docs/language.md", "utf8");
const NOT_SUPPORTED = DOC.slice(DOC.indexOf("\n## Not supported\n"));

/** Names a code span starts with: `name`, `name(...)`, `name, ...`. */
function codeNames(markdown: string): Set<string> {
  const names = new Set<string>();
  for (const span of codeSpans(markdown)) {
    const name = /^@?[A-Za-z_$][A-Za-z0-9_]*/.exec(span);
    if (name) names.add(name[0]);
  }
  return names;
}

describe("docs/language.md", () => {
  const documented = codeNames(DOC.slice(0, DOC.indexOf("\n## Not supported\n")));
  const rejected = codeNames(NOT_SUPPORTED);

  test("has a Not supported section", () => {
    expect(NOT_SUPPORTED.length).toBeGreaterThan(100);
  });

  test("documents every builtin and function the checker accepts", () => {
    const names = [...BUILTIN_VALUE_TABLE, ...FUNCTION_TABLE].map((b) => b.name);
    // arg0 .. arg5 (and a usdt probe's arg0 .. arg11) are documented as one row.
    const missing = names.filter(
      (n) =>
        !documented.has(n) &&
        !(/^arg([1-9]|10)$/.test(n) && documented.has("arg0") && documented.has("arg11")),
    );
    expect(missing).toEqual([]);
  });

  test("lists every builtin and function the checker rejects by name, and nothing it accepts", () => {
    const unsupported = [...UNSUPPORTED_BUILTINS, ...UNSUPPORTED_FUNCTIONS];
    expect(unsupported.filter((n) => !rejected.has(n))).toEqual([]);
    const accepted = [...BUILTIN_VALUE_TABLE, ...FUNCTION_TABLE].map((b) => b.name);
    expect(accepted.filter((n) => rejected.has(n))).toEqual([]);
  });
});
