/**
 * The repository's own files, as git tracks them: what a fresh clone contains. The repo tests
 * read these and nothing outside the checkout.
 */

import { execFileSync } from "node:child_process";

/** Paths (relative to the repository root) of every tracked file. */
export function trackedFiles(): string[] {
  const out = execFileSync("git", ["ls-files", "-z"], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  return out.split("\0").filter((path) => path.length > 0);
}
