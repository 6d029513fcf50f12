/**
 * How deeply a script may nest: within the documented limits it compiles, past them it gets
 * one located "nested too deeply" error and never an internal stack overflow.
 */
import { describe, expect, it } from "vitest";
import { MAX_BRACKET_DEPTH, MAX_STATEMENT_OPERATORS } from "../../src/lang/nesting.js";
import { diags, messages, ok } from "./helpers.js";

/** `begin { printf("%d\n", <expr>); }`: the expression sits two brackets deep. */
function printed(expr: string): string {
  return `begin { printf("%d\\n", ${expr}); }`;
}

describe("within the limits", () => {
  it("brackets up to the limit, with a chain of the most operators inside", () => {
    const levels = MAX_BRACKET_DEPTH - 2;
    const chain = Array.from({ length: MAX_STATEMENT_OPERATORS }, () => "1").join("+");
    ok(printed(`${"(".repeat(levels)}${chain}${")".repeat(levels)}`));
  });

  it("conditionals, prefix operators and nested ifs up to the limit", () => {
    const q = MAX_BRACKET_DEPTH - 2;
    ok(printed(`${"1 ? ".repeat(q)}7${" : 0".repeat(q)}`));
    ok(printed(`${"0 ? 1 : ".repeat(q)}7`));
    ok(printed(`${"- ".repeat(MAX_STATEMENT_OPERATORS)}1`));
    const ifs = MAX_BRACKET_DEPTH - 2;
    ok(`begin { ${"if (1) { ".repeat(ifs)}printf("deep\\n");${" }".repeat(ifs)} }`);
  });

  it("each statement has its own operator budget", () => {
    const chain = Array.from({ length: MAX_STATEMENT_OPERATORS }, () => "1").join("+");
    ok(`begin { $a = ${chain}; $b = ${chain}; printf("%d\\n", $a + $b); }`);
  });
});

describe("past the limits: one located error", () => {
  it("10,000 parentheses", () => {
    const text = printed(`${"(".repeat(10_000)}1${")".repeat(10_000)}`);
    expect(diags(text).split("\n")[0]).toBe(
      "stdin:1:122-123: ERROR: the script is nested too deeply: more than 100 levels of brackets, blocks and conditionals",
    );
  });

  it("10,000 nested blocks, ifs or conditionals", () => {
    for (const text of [
      `begin { ${"{ ".repeat(10_000)}${"} ".repeat(10_000)}}`,
      `begin { ${"if (1) { ".repeat(10_000)}${"} ".repeat(10_000)}}`,
      printed(`${"1 ? ".repeat(10_000)}1${" : 0".repeat(10_000)}`),
    ]) {
      expect(messages(text)).toEqual([
        "error: the script is nested too deeply: more than 100 levels of brackets, blocks and conditionals",
      ]);
    }
  });

  it("a flat chain of 5,000 terms, or 10,000 prefix operators", () => {
    const chain = Array.from({ length: 5000 }, () => "1").join("+");
    expect(diags(printed(chain)).split("\n")[0]).toBe(
      "stdin:1:2025-2026: ERROR: the script is nested too deeply: more than 1000 operators in one statement",
    );
    for (const op of ["!", "~", "- "]) {
      expect(messages(printed(`${op.repeat(10_000)}1`))).toEqual([
        "error: the script is nested too deeply: more than 1000 operators in one statement",
      ]);
    }
  });

  it("macros that deepen the tree past the limit once expanded", () => {
    // 150 levels of ten operators each: within the expansion cap, past the tree's depth limit.
    const chain = (levels: number, body: string) => {
      const defs = ["macro m0(x) { x + 1 }"];
      for (let i = 1; i < levels; i++) defs.push(`macro m${i}(x) { ${body.replace("M", `m${i - 1}`)} }`);
      return `${defs.join("\n")}\n${printed(`m${levels - 1}(1)`)}`;
    };
    ok(chain(100, "M(x) + 1"));
    expect(messages(chain(150, "M(x) + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1"))).toEqual([
      "error: the script is nested too deeply: more than 1500 levels once macros are expanded",
    ]);
  });

  it("macros nested past the expander's cap, however far", () => {
    for (const levels of [201, 1000, 5000]) {
      const defs = ["macro m0(x) { x + 1 }"];
      for (let i = 1; i < levels; i++) defs.push(`macro m${i}(x) { m${i - 1}(x) + 1 }`);
      expect(messages(`${defs.join("\n")}\n${printed(`m${levels - 1}(1)`)}`)).toEqual([
        "error: the script is nested too deeply: more than 200 macros expanding inside one another",
      ]);
    }
    const defs = ["macro m0(x) { x + 1 }"];
    for (let i = 1; i < 200; i++) defs.push(`macro m${i}(x) { m${i - 1}(x) + 1 }`);
    ok(`${defs.join("\n")}\n${printed("m199(1)")}`);
  });
});

describe("macro bombs are capped quickly", () => {
  it("a macro that nests two calls of the one below it, ten levels deep", () => {
    const defs = ["macro m0(x) { x + 1 }"];
    for (let i = 1; i <= 14; i++) defs.push(`macro m${i}(x) { m${i - 1}(m${i - 1}(x)) }`);
    const started = performance.now();
    expect(messages(`${defs.join("\n")}\n${printed("m14(1)")}`)).toEqual([
      "error: macro expansion too large (more than 200000 nodes)",
    ]);
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});

describe("floods of errors", () => {
  it("10,000 syntax errors on one line print the first 20 and a count", () => {
    const text = `begin { ${Array.from({ length: 10_000 }, () => "@@;").join(" ")} }`;
    const out = diags(text);
    expect(out.match(/ERROR: syntax:/g)?.length).toBe(20);
    expect(out).toMatch(/\nERROR: too many errors: \d{4} more not shown\n$/);
  });

  it("binary data is refused at its first NUL byte", () => {
    expect(diags("begin {\n x\0y }").split("\n")[0]).toBe(
      "stdin:2:3-4: ERROR: syntax: a NUL byte: this looks like a binary file, not a script",
    );
  });
});
