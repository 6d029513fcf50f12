/**
 * Imports run down the layers only (test/repo/layers.ts holds the rules, docs/architecture.md
 * explains them). The first tests show the checker catching each kind of violation, so the last
 * one, over the real src/, can fail.
 */

import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { importSpecifiers, layerViolations, reachable, USES } from "./layers.js";
import { trackedFiles } from "./tracked-files.js";

describe("the layer checker", () => {
  test("reads static, type-only, multi-line, re-export, dynamic and side-effect imports", () => {
    const source = [
      'import { a } from "./a.js";',
      'import type { B } from "../b/index.js";',
      "import {\n  c,\n  d,\n} from './c.js';",
      'export * from "./e.js";',
      'const f = await import("../f/f.js");',
      'import "./side-effect.js";',
    ].join("\n");
    expect(importSpecifiers(source).sort()).toEqual(
      ["../b/index.js", "../f/f.js", "./a.js", "./c.js", "./e.js", "./side-effect.js"].sort(),
    );
  });

  test("a layer reaches what its layers build on, and nothing above", () => {
    expect([...reachable("trace")].sort()).toEqual(
      ["compile", "elf", "kernel", "lang", "process", "runtime", "sim", "trace"].sort(),
    );
    expect(reachable("runtime").has("lang")).toBe(false);
    expect(reachable("kernel").has("process")).toBe(false);
  });

  test("flags an upward import, a kernel sub-layer breach, a misplaced package, an unknown layer and a package past its door", () => {
    const problems = layerViolations([
      { path: "src/trace/live.ts", source: 'import { x } from "../tui/histogram.js";' },
      { path: "src/kernel/mm/vma.ts", source: 'import type { U } from "../uprobes/types.js";' },
      { path: "src/kernel/uprobes/tree.ts", source: 'import { m } from "../mm/index.js";' },
      { path: "src/runtime/output.ts", source: 'import { render } from "ink";' },
      { path: "src/sim/machine.ts", source: 'import { readFileSync } from "node:fs";' },
      { path: "src/gui/app.ts", source: "" },
      { path: "src/lang/grammar.ts", source: 'import { CstParser } from "chevrotain";' },
      { path: "src/cli/bench.ts", source: 'const { Resvg } = await import("@resvg/resvg-js");' },
    ]);
    expect(problems).toEqual([
      "src/trace/live.ts imports ../tui/histogram.js: trace may not import tui",
      "src/kernel/mm/vma.ts imports ../uprobes/types.js: kernel/mm may not import kernel/uprobes",
      "src/runtime/output.ts imports ink: ink belongs to tui",
      "src/sim/machine.ts imports node:fs: sim does no real I/O",
      "src/gui/app.ts: src/gui is not a known layer (add it to USES and docs/architecture.md)",
      "src/lang/grammar.ts imports chevrotain: chevrotain is loaded once, through src/lang/chevrotain.ts",
      "src/cli/bench.ts imports @resvg/resvg-js: @resvg/resvg-js is loaded once, through src/cli/svg-to-png.ts",
    ]);
  });
});

test("every layer named in the rules is documented in docs/architecture.md", () => {
  const doc = readFileSync("docs/architecture.md", "utf8");
  for (const layer of USES.keys()) expect(doc).toContain(`src/${layer}/`);
});

test("no file under src/ imports a higher layer", () => {
  const files = trackedFiles()
    .filter((path) => path.startsWith("src/") && /\.tsx?$/.test(path))
    .map((path) => ({ path, source: readFileSync(path, "utf8") }));
  expect(files.length).toBeGreaterThan(100);
  expect(layerViolations(files)).toEqual([]);
});
