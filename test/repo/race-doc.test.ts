/**
 * docs/race-lab.md against the CLI: every option of `probelab race` is documented, read from
 * the command's own definition, so a new option fails here until the race lab describes it.
 */
import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { buildProgram } from "../../src/cli/program.js";
import { codeSpans, inCodeSpan } from "./markdown.js";

test("docs/race-lab.md documents every option of probelab race", () => {
  const race = buildProgram().commands.find((c) => c.name() === "race")!;
  const flags = race.options.map((o) => o.long!).filter((f) => f !== undefined);
  expect(flags.length).toBeGreaterThan(15);
  const spans = codeSpans(readFileSync("docs/race-lab.md", "utf8"));
  expect(flags.filter((f) => !inCodeSpan(spans, f))).toEqual([]);
});
