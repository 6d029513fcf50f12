/**
 * Turns a few TypeScript files into plain ESM JavaScript so a test can run them under
 * `node` in a pseudo-terminal (Node 20 cannot run TypeScript). Each file is transpiled on
 * its own, keeping its path, so `./x.js` imports find their neighbours; the output lives
 * under node_modules/.cache so bare imports (ink, react) resolve to the project's packages.
 */

import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import ts from "typescript";

export interface TranspiledTree {
  /** Where the file that was `root/relativePath` now lives as JavaScript. */
  outputOf(relativePath: string): string;
  remove(): void;
}

export function transpileTree(root: string, relativePaths: readonly string[], label: string): TranspiledTree {
  const outDir = join(root, "node_modules", ".cache", `${label}-${process.pid}`);
  for (const path of relativePaths) {
    const source = readFileSync(join(root, path), "utf8");
    const { outputText } = ts.transpileModule(source, {
      fileName: path,
      compilerOptions: {
        module: ts.ModuleKind.ES2022,
        target: ts.ScriptTarget.ES2022,
        jsx: ts.JsxEmit.ReactJSX,
        esModuleInterop: true,
      },
    });
    const target = join(outDir, path.replace(/\.tsx?$/, ".js"));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, outputText);
  }
  return {
    outputOf: (relativePath) => join(outDir, relativePath.replace(/\.tsx?$/, ".js")),
    remove: () => rmSync(outDir, { recursive: true, force: true }),
  };
}
