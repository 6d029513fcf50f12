// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these scripts deliberately contain JS template syntax.
/**
 * Nothing a script says runs as JavaScript: strings that look like template code, names
 * that collide with Object.prototype, calls to JS globals. The compiler builds closures
 * over plain data (no generated source), and these tests hold it to that.
 */

import fc from "fast-check";
import { afterEach, describe, expect, test } from "vitest";
import { runScript } from "./harness.js";

const protoKeys = Object.getOwnPropertyNames(Object.prototype).sort();

afterEach(() => {
  // No script may add to or alter the shared prototypes.
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoKeys);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

describe("hostile scripts behave as plain data", () => {
  test("template-literal and code-looking strings print verbatim", () => {
    const r = runScript(
      'begin { printf("%s\\n", "${process.exit()}"); printf("%s\\n", "`rm -rf /`"); print("\\");alert(1);//"); }',
    );
    expect(r.diagnostics).not.toContain("ERROR");
    expect(r.stdout).toBe('${process.exit()}\n`rm -rf /`\n");alert(1);//\n\n\n');
  });

  test("format strings containing code are only formats", () => {
    const r = runScript('begin { printf("${globalThis.polluted = 1} %d\\n", 5); }');
    expect(r.stdout).toBe("${globalThis.polluted = 1} 5\n\n\n");
  });

  test("variables named like prototype members", () => {
    const r = runScript(
      "begin { $constructor = 1; $__proto__ = 2; $toString = 3; $hasOwnProperty = 4; print($constructor + $__proto__ + $toString + $hasOwnProperty); }",
    );
    expect(r.diagnostics).not.toContain("ERROR");
    expect(r.stdout).toBe("10\n\n\n");
  });

  test("maps named like prototype members are ordinary maps", () => {
    const r = runScript(
      'begin { @__proto__ = 1; @constructor[1] = count(); @toString = sum(5); @prototype["x"] = 2; print(len(@constructor)); }',
    );
    expect(r.diagnostics).not.toContain("ERROR");
    expect(r.stdout).toBe("1\n\n\n@__proto__: 1\n@constructor[1]: 1\n@prototype[x]: 2\n@toString: 5\n");
  });

  test("string map keys named like prototype members", () => {
    const r = runScript(
      'begin { @m["__proto__"] = 1; @m["constructor"] = 2; @m["polluted"] = 3; print(has_key(@m, "toString")); }',
    );
    expect(r.stdout).toBe("false\n\n\n@m[__proto__]: 1\n@m[constructor]: 2\n@m[polluted]: 3\n");
  });

  test("record fields named like prototype members", () => {
    const r = runScript(
      "begin { $r = (__proto__ = 1, constructor = 2); print($r); print($r.__proto__ + $r.constructor); }",
    );
    expect(r.diagnostics).not.toContain("ERROR");
    expect(r.stdout).toBe("{ .__proto__ = 1, .constructor = 2 }\n3\n\n\n");
  });

  test("calls to JS globals are rejected by the front end, never run", () => {
    for (const call of ['eval("1")', 'require("fs")', 'Function("x")', "constructor()", "__proto__()"]) {
      const r = runScript(`begin { ${call}; }`);
      expect(r.script).toBeNull();
      expect(r.diagnostics).toContain("ERROR:");
    }
  });

  test("property: any byte string round-trips through a literal, a map key and printf", () => {
    const hexEscape = (s: string) =>
      [...s].map((c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`).join("");
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.integer({ min: 1, max: 255 }).map((n) => String.fromCharCode(n)),
          maxLength: 20,
        }),
        (s) => {
          const lit = `"${hexEscape(s)}"`;
          const r = runScript(`begin { @m[${lit}] = 1; printf("%s|", ${lit}); }`, { format: "json" });
          expect(r.diagnostics).not.toContain("ERROR");
          const records = r.stdout
            .trim()
            .split("\n")
            .map((l) => JSON.parse(l));
          expect(records[0]).toEqual({ type: "printf", data: `${s}|` });
          expect(Object.keys(records[1].data["@m"])).toEqual([s.replaceAll(" ", "")]);
        },
      ),
      { numRuns: 60, seed: 7 },
    );
  });
});
