/**
 * An exploration worker of a named scenario starts fast: what it loads statically is the
 * kernel model and the scenarios, never the tracing stack (language, compiler, session),
 * which only a workload race imports, on demand. Loading that stack cost each worker more
 * CPU than a second of exploring.
 */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../../src");

/** Modules `file` imports as values (type-only imports and dynamic import() are erased or lazy). */
function valueImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/^import\s+(?!type\s)[^;]*?from\s+"(\.[^"]+)";/gms)) {
    out.push(join(dirname(file), m[1].replace(/\.js$/, ".ts")));
  }
  return out;
}

function staticClosure(entry: string): Set<string> {
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length > 0) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    todo.push(...valueImports(f));
  }
  return seen;
}

describe("the exploration worker", () => {
  it("loads the scenarios statically and the tracing stack only on demand", () => {
    const loaded = [...staticClosure(join(ROOT, "race/worker.ts"))].map((f) => f.slice(ROOT.length + 1));
    expect(loaded).toContain("race/scenarios.ts");
    expect(loaded).toContain("kernel/uprobes/swbp.ts");
    expect(
      loaded.filter((f) => /^(trace|lang|compile|cli)\//.test(f) || f === "race/workload-race.ts"),
    ).toEqual([]);
  });
});
