/**
 * docs/workloads.md against the schema: every key the workload reader accepts is documented.
 * The keys are read from the schema's own key lists (src/process/schema.ts), so a new field
 * fails here until the format reference describes it.
 */

import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { codeSpans, inCodeSpan } from "./markdown.js";

/** String literals of the schema's key lists: `entries([...])` calls and the *_KEYS / *_KINDS / *_FORMS arrays. */
function schemaKeys(source: string): Set<string> {
  const keys = new Set<string>();
  const lists = /(?:entries\(|(?:_KEYS|_KINDS|_FORMS)\s*=\s*)\[([^\]]*)\]/g;
  for (const list of source.matchAll(lists)) {
    for (const literal of list[1]!.matchAll(/"([a-z_]+)"/g)) keys.add(literal[1]!);
  }
  return keys;
}

test("docs/workloads.md documents every key the workload schema accepts", () => {
  const keys = schemaKeys(readFileSync("src/process/schema.ts", "utf8"));
  expect(keys.size).toBeGreaterThan(30);
  const spans = codeSpans(readFileSync("docs/workloads.md", "utf8"));
  expect([...keys].filter((key) => !inCodeSpan(spans, key))).toEqual([]);
});
