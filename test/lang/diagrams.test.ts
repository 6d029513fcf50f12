import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { diagramsHtml } from "../../src/lang/diagrams.js";

test("grammar/diagrams.html is up to date with the parser (npm run diagrams)", () => {
  const html = diagramsHtml();
  expect(html).toContain("program");
  expect(readFileSync("grammar/diagrams.html", "utf8")).toBe(html);
});

test("the EBNF document names every grammar rule of the parser", () => {
  const doc = readFileSync("grammar/probelab.ebnf.md", "utf8");
  for (const rule of [
    "program",
    "config",
    "map_decl",
    "probe",
    "predicate",
    "block",
    "statement",
    "expression",
    "unary",
    "postfix",
    "primary",
    "type",
  ]) {
    expect(doc).toMatch(new RegExp(`^${rule}\\s+=`, "m"));
  }
});
