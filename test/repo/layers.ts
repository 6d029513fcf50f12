/**
 * The layers of src/ and what each may import, as docs/architecture.md draws them. A layer is a
 * top-level folder of src/; `USES` names the layers it builds on directly, and a layer may import
 * everything those build on in turn. Imports inside a layer are free, except for the kernel's
 * own sub-layers (fs < mm < uprobes: mm reaches uprobes only through the MmHooks callbacks).
 */

import { dirname, join, normalize } from "node:path";

export const USES: ReadonlyMap<string, readonly string[]> = new Map([
  ["sim", []],
  ["kernel", ["sim"]],
  ["elf", []],
  ["process", ["kernel", "elf"]],
  ["lang", ["runtime"]],
  ["runtime", []],
  ["compile", ["lang", "runtime"]],
  ["trace", ["process", "compile"]],
  ["race", ["trace"]],
  ["tui", ["trace"]],
  ["cli", ["race", "tui"]],
]);

/** Inside src/kernel: a sub-folder may not import the ones listed after it. */
export const KERNEL_SUBLAYERS = ["fs", "mm", "uprobes"] as const;

/** Packages with one home: only these layers (and cli, which wires everything) import them. */
export const PACKAGE_HOMES: ReadonlyMap<string, string> = new Map([
  ["chevrotain", "lang"],
  ["yaml", "process"],
  ["ink", "tui"],
  ["react", "tui"],
  ["commander", "cli"],
  ["@resvg/resvg-js", "cli"],
]);

/**
 * Packages loaded through one module of their home layer: Chevrotain comes from its bundle
 * (src/lang/chevrotain.ts says why), and a second copy of it would make token types that the
 * parser does not recognise. resvg is a native addon loaded on demand by src/cli/svg-to-png.ts,
 * only for `--plot FILE.png`: an import elsewhere would load it at every start, or skip the
 * one-line error for a platform it cannot load on.
 */
export const PACKAGE_DOORS: ReadonlyMap<string, string> = new Map([
  ["chevrotain", "src/lang/chevrotain.ts"],
  ["@resvg/resvg-js", "src/cli/svg-to-png.ts"],
]);

/** The simulated machine and kernel do no real I/O and read no real clock: no node: modules. */
export const NO_NODE_BUILTINS = ["sim", "kernel"] as const;

/** Every layer `layer` may import: the transitive closure of USES, itself included. */
export function reachable(layer: string): Set<string> {
  const seen = new Set<string>([layer]);
  const stack = [layer];
  while (stack.length > 0) {
    for (const next of USES.get(stack.pop()!) ?? []) {
      if (!seen.has(next)) {
        seen.add(next);
        stack.push(next);
      }
    }
  }
  return seen;
}

const IMPORT_PATTERNS = [
  /\b(?:import|export)\s[^"';]*?\bfrom\s*["']([^"']+)["']/g,
  /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
  /^\s*import\s*["']([^"']+)["']/gm,
];

/** The module specifiers a source file imports or re-exports (static, dynamic and side-effect imports). */
export function importSpecifiers(source: string): string[] {
  const found: string[] = [];
  for (const pattern of IMPORT_PATTERNS) {
    for (const match of source.matchAll(pattern)) found.push(match[1]!);
  }
  return found;
}

export interface SourceFile {
  /** Repository-relative path, e.g. "src/trace/live.ts". */
  path: string;
  source: string;
}

/** One line per import that breaks the rules above: "src/x/a.ts imports src/y/b.js (why)". */
export function layerViolations(files: readonly SourceFile[]): string[] {
  const problems: string[] = [];
  for (const file of files) {
    const from = file.path.split("/");
    const layer = from[1]!;
    if (!USES.has(layer)) {
      problems.push(
        `${file.path}: src/${layer} is not a known layer (add it to USES and docs/architecture.md)`,
      );
      continue;
    }
    for (const spec of importSpecifiers(file.source)) {
      const door = PACKAGE_DOORS.get(spec);
      const problem = spec.startsWith(".")
        ? relativeProblem(file.path, layer, spec)
        : door !== undefined && door !== file.path
          ? `${spec} is loaded once, through ${door}`
          : packageProblem(layer, spec);
      if (problem !== undefined) problems.push(`${file.path} imports ${spec}: ${problem}`);
    }
  }
  return problems;
}

function relativeProblem(path: string, layer: string, spec: string): string | undefined {
  const target = normalize(join(dirname(path), spec)).split("/");
  if (target[0] !== "src" || target.length < 3) return "outside src/";
  const targetLayer = target[1]!;
  if (!reachable(layer).has(targetLayer)) return `${layer} may not import ${targetLayer}`;
  if (layer === "kernel" && targetLayer === "kernel") {
    const own = KERNEL_SUBLAYERS.indexOf(path.split("/")[2] as (typeof KERNEL_SUBLAYERS)[number]);
    const theirs = KERNEL_SUBLAYERS.indexOf(target[2] as (typeof KERNEL_SUBLAYERS)[number]);
    if (own >= 0 && theirs > own) return `kernel/${KERNEL_SUBLAYERS[own]} may not import kernel/${target[2]}`;
  }
  return undefined;
}

function packageProblem(layer: string, spec: string): string | undefined {
  if (spec.startsWith("node:")) {
    return (NO_NODE_BUILTINS as readonly string[]).includes(layer) ? `${layer} does no real I/O` : undefined;
  }
  const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!;
  const home = PACKAGE_HOMES.get(name);
  if (home === undefined || home === layer || layer === "cli") return undefined;
  return `${name} belongs to ${home}`;
}
