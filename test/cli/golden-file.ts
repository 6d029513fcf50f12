/**
 * Comparing output with a golden file. A golden is written only on purpose: with
 * UPDATE_GOLDENS=1 every compared file is (re)written; otherwise a missing golden is a failure,
 * never a file the test quietly creates and then agrees with.
 */

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { expect } from "vitest";

export const UPDATE_GOLDENS = process.env.UPDATE_GOLDENS === "1";

export function expectGolden(path: string, actual: string, update = UPDATE_GOLDENS): void {
  if (update) writeFileSync(path, actual);
  if (!existsSync(path)) {
    throw new Error(
      `golden file ${path} is missing: if the new output is intended, write it with ` +
        "UPDATE_GOLDENS=1 npx vitest run <this test file> and commit it after reading it",
    );
  }
  expect(actual).toBe(readFileSync(path, "utf8"));
}
