/**
 * docs/kernel-model.md against the model: every profile, every switch, every uprobes and mm
 * fault switch and every race scenario `probelab race` lists is named in it, so a new one
 * fails here until the page says which kernel it stands for.
 */

import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { PROFILES, SWITCHES } from "../../src/kernel/config.js";
import { UPROBE_FAULTS } from "../../src/kernel/faults.js";
import { MM_FAULTS } from "../../src/kernel/mm/options.js";
import { RACE_SCENARIOS } from "../../src/race/scenarios.js";
import { codeSpans, inCodeSpan } from "./markdown.js";

const spans = codeSpans(readFileSync("docs/kernel-model.md", "utf8"));
const missing = (names: readonly string[]) => names.filter((n) => !inCodeSpan(spans, n));

test("docs/kernel-model.md names every profile and switch", () => {
  expect(missing(Object.keys(PROFILES))).toEqual([]);
  expect(missing(Object.keys(SWITCHES))).toEqual([]);
});

test("docs/kernel-model.md maps every uprobes and mm fault switch to a kernel change", () => {
  expect(missing([...Object.keys(UPROBE_FAULTS), ...Object.keys(MM_FAULTS)])).toEqual([]);
});

test("docs/kernel-model.md names every kernel race scenario", () => {
  const races = RACE_SCENARIOS.map((r) => r.name).filter((n) => /^r\d+-/.test(n));
  expect(races.length).toBeGreaterThan(15);
  expect(missing(races)).toEqual([]);
});
