/** Glob matching: the same answers as an anchored regular expression, in linear-ish time. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { globError, globMatch } from "../../src/process/glob.js";

/** The reference: the glob as a regular expression, for patterns of a small alphabet. */
function reference(pattern: string, text: string): boolean {
  const src = [...pattern].map((c) => (c === "*" ? ".*" : c === "?" ? "." : c)).join("");
  return new RegExp(`^${src}$`, "s").test(text);
}

describe("globMatch", () => {
  it("agrees with the regular-expression reading on random patterns", () => {
    const pattern = fc.string({ unit: fc.constantFrom("a", "b", "*", "?"), maxLength: 8 });
    const text = fc.string({ unit: fc.constantFrom("a", "b"), maxLength: 10 });
    fc.assert(
      fc.property(pattern, text, (p, t) => {
        expect(globMatch(p, t)).toBe(reference(p, t));
      }),
      { numRuns: 2000, seed: 16 },
    );
  });

  it("classes, negation and literal brackets", () => {
    expect(globMatch("[a-m]alloc", "malloc")).toBe(true);
    expect(globMatch("[!a-m]alloc", "malloc")).toBe(false);
    expect(globMatch("[^x]*", "free")).toBe(true);
    expect(globMatch("f[", "f[")).toBe(true);
    expect(globMatch("a.b*", "axbc")).toBe(false);
  });

  it("many stars against a long symbol that does not match take milliseconds", () => {
    const name = "m".repeat(300);
    const t0 = performance.now();
    expect(globMatch("*m*m*m*m*m*m*m*mz", name)).toBe(false);
    expect(globMatch("*m*m*m*m*m*m*m*m", name)).toBe(true);
    expect(performance.now() - t0).toBeLessThan(200);
  });

  it("an out-of-order class range is an error that says so, not a regex message", () => {
    expect(globError("[z-a]alloc")).toBe("invalid character class [z-a]: range z-a is out of order");
    expect(globError("mall*")).toBeNull();
    expect(() => globMatch("[z-a]*", "x")).toThrow(/range z-a is out of order/);
  });
});
