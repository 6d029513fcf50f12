// biome-ignore-all lint/suspicious/noTemplateCurlyInString: "${}" inside plain strings is the adversarial input under test.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { formatDiagnostics, frontEnd } from "../../src/lang/index.js";

/** Identifiers and text that have tripped up JavaScript-hosted front ends before. */
const ADVERSARIAL = [
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "valueOf",
  "${}",
  "${x}",
  "`",
  "``",
  "'",
  '"',
  '"\\"',
  '"${1}"',
  '"`"',
  '"\\x"',
  '"\\777"',
  "\\",
  "$__proto__",
  "@__proto__",
  "@constructor",
  "$constructor",
  "10constructor",
  "1__proto__",
  "0x__proto__",
  "uprobe:constructor:__proto__",
  "constructor:x",
  "__proto__=begin",
  "interval:constructor:1",
  "i:toString:5",
];

const VOCABULARY = [
  ...ADVERSARIAL,
  "begin",
  "end",
  "BEGIN",
  "uprobe:/usr/bin/shopd:main",
  "uretprobe:libc:malloc",
  "u:libc:free+4",
  "i:ms:10",
  "kprobe:f",
  "config",
  "=",
  "{",
  "}",
  "(",
  ")",
  "[",
  "]",
  ";",
  ",",
  ":",
  "/",
  "?",
  ".",
  "..",
  "->",
  "+",
  "-",
  "*",
  "&",
  "|",
  "^",
  "!",
  "~",
  "++",
  "--",
  "==",
  "<<=",
  "&&",
  "if",
  "else",
  "while",
  "for",
  "unroll",
  "let",
  "return",
  "break",
  "continue",
  "struct",
  "macro",
  "import",
  "sizeof",
  "$x",
  "$1",
  "$#",
  "$0",
  "@",
  "@m",
  "pid",
  "tid",
  "comm",
  "retval",
  "arg0",
  "func",
  "printf",
  "print",
  "count",
  "hist",
  "lhist",
  "delete",
  "has_key",
  "exit",
  "str",
  "int32",
  "uint8",
  "1",
  "0",
  "1e6",
  "10ms",
  "18446744073709551616",
  "0x",
  "1_",
  '"%d"',
  '"%s %d\\n"',
  '"a"',
  "_",
  "\n",
  " ",
  "\t",
  "//",
  "/*",
  "*/",
  "#!",
  "#include",
];

function assertWellBehaved(text: string, args?: string[]): void {
  const src = { name: "stdin", text };
  const r = frontEnd(src, args ? { args } : {});
  const errors = r.diagnostics.filter((d) => d.severity === "error");
  expect(r.program === null).toBe(errors.length > 0);
  for (const d of r.diagnostics) {
    expect(d.message).not.toMatch(/internal error/);
    if (d.span) {
      expect(d.span.line).toBeGreaterThanOrEqual(1);
      expect(d.span.col).toBeGreaterThanOrEqual(1);
    }
  }
  expect(typeof formatDiagnostics(r.diagnostics, src)).toBe("string");
}

describe("the front end never throws", () => {
  test("arbitrary strings", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (text) => assertWellBehaved(text)),
      { numRuns: 300, seed: 42 },
    );
  });

  test("token soup from the language's vocabulary and adversarial names", () => {
    const soup = fc.array(fc.constantFrom(...VOCABULARY), { maxLength: 40 }).map((parts) => parts.join(" "));
    fc.assert(
      fc.property(soup, (text) => assertWellBehaved(text)),
      { numRuns: 600, seed: 7 },
    );
  });

  test("token soup inside a probe body, with positional arguments", () => {
    const bodyText = fc
      .array(fc.constantFrom(...VOCABULARY), { maxLength: 30 })
      .map((p) => `begin { ${p.join(" ")} }`);
    const args = fc.array(fc.constantFrom("1", "x", "__proto__", "${}", "`", '"', "0x10", ""), {
      maxLength: 3,
    });
    fc.assert(
      fc.property(bodyText, args, (text, a) => assertWellBehaved(text, a)),
      { numRuns: 600, seed: 11 },
    );
  });

  test("each adversarial fragment in every position that matters", () => {
    for (const a of ADVERSARIAL) {
      for (const text of [
        a,
        `${a} { }`,
        `begin { ${a} }`,
        `begin { $x = ${a}; }`,
        `begin { @[${a}] = 1; }`,
        `begin { printf("${a}"); }`,
        `config = { ${a} = 1 } begin { }`,
        `let @m = ${a}(1); begin { }`,
        `begin { $x = (${a})1; }`,
        `begin { let $x: ${a} = 1; }`,
        `begin { $x = 1${a}; }`,
        `uprobe:${a}:${a} { }`,
        `begin { $t = (a=1); $y = $t.${a}; }`,
        `begin { ${a}(); }`,
      ]) {
        assertWellBehaved(text);
        assertWellBehaved(text, [a]);
      }
    }
  });
});
