/**
 * A clone with nothing beside it is the whole product: no file may lean on a sibling checkout
 * or on the machine it was written on. The patterns are assembled from parts so that this file
 * does not match itself.
 */

import { readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { expect, test } from "vitest";
import { trackedFiles } from "./tracked-files.js";

const OUTSIDE_REFERENCES = [["..", "shared"].join("/"), ["shared", "docs"].join("/"), `/${"work"}/`];

/** Every line of a tracked text file that names a place outside the repository, as `path:line: text`. */
function outsideReferences(): string[] {
  const found: string[] = [];
  for (const path of trackedFiles()) {
    const text = readFileSync(path, "utf8");
    if (text.includes("\0")) continue; // binary
    text.split("\n").forEach((line, index) => {
      if (OUTSIDE_REFERENCES.some((pattern) => line.includes(pattern))) {
        found.push(`${path}:${index + 1}: ${line.trim()}`);
      }
    });
  }
  return found;
}

test("the repository's tracked files list itself and this test", () => {
  const files = trackedFiles();
  expect(files).toContain("package.json");
  expect(files).toContain("test/repo/standalone.test.ts");
});

test("no tracked file points outside the repository (a sibling checkout or an absolute path)", () => {
  expect(outsideReferences()).toEqual([]);
});

/** Relative link targets of markdown text: `[text](target)`, without the #fragment. */
function relativeLinks(markdown: string): string[] {
  const targets: string[] = [];
  for (const match of markdown.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = match[1]!.split("#")[0]!;
    if (target !== "" && !/^[a-z][a-z0-9+.-]*:/i.test(target)) targets.push(target);
  }
  return targets;
}

test("every relative link in a tracked markdown file names a tracked file or folder", () => {
  const files = trackedFiles();
  const tracked = new Set(files);
  const broken: string[] = [];
  for (const path of files.filter((p) => p.endsWith(".md"))) {
    for (const target of relativeLinks(readFileSync(path, "utf8"))) {
      const resolved = normalize(join(dirname(path), target)).replace(/\/$/, "");
      if (!tracked.has(resolved) && !files.some((f) => f.startsWith(`${resolved}/`))) {
        broken.push(`${path}: ${target}`);
      }
    }
  }
  expect(broken).toEqual([]);
});
