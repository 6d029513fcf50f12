/**
 * Every case of bpftrace's runtime tests (test/conformance/bpftrace-cases.json) through
 * the real `probelab run` path: the Commander program, the session, the simulated process
 * (`-w testprogs` for probes on ./testprogs/...), judged as the conformance README says.
 * Prints the pass count per kind; a case outside KNOWN_GAPS that fails is a regression, and
 * a known gap that starts passing must leave the list.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { type CliResult, probelab } from "./harness.js";

type Kind = "line" | "lines" | "regex" | "exact" | "json" | "json_line";

interface Case {
  source: string;
  name: string;
  prog: string;
  expect: string;
  expect_kind: Kind;
}

const cases: Case[] = JSON.parse(
  readFileSync(join(process.cwd(), "test", "conformance", "bpftrace-cases.json"), "utf8"),
);

/** The cases probelab does not pass yet, each with the reason; nothing else may fail. */
const KNOWN_GAPS: Record<string, string> = {};

/** Raise this when more cases pass; a drop below it is a regression. */
const MIN_PASSING = 62;

function trimmedLines(s: string): string[] {
  return s.split("\n").map((l) => l.trim());
}

/** Drops blank lines at both ends but keeps the first line's leading spaces. */
function stripBlankLines(s: string): string {
  const lines = s.split("\n");
  while (lines.length > 0 && lines[0].trim() === "") lines.shift();
  while (lines.length > 0 && lines[lines.length - 1].trim() === "") lines.pop();
  return lines.join("\n");
}

/** Stdout after the attach message (which probelab writes to stderr, so stdout is all of it). */
function afterAttach(stdout: string): string {
  return stdout.replace(/^Attached \d+ probes?\n/, "");
}

function sameJson(a: string, b: string): boolean {
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
  } catch {
    return false;
  }
}

/** The README's judgement of one case against a run. */
function judge(c: Case, r: CliResult): boolean {
  if (c.expect.includes("ERROR:") !== (r.status !== 0)) return false;
  switch (c.expect_kind) {
    case "line":
      return trimmedLines(r.all).includes(c.expect.trim());
    case "lines": {
      const have = new Set(trimmedLines(r.all));
      return c.expect.split("\n").every((l) => have.has(l.trim()));
    }
    case "regex":
      return new RegExp(c.expect, "m").test(r.all);
    case "exact":
      return stripBlankLines(afterAttach(r.stdout)) === stripBlankLines(c.expect);
    case "json": {
      const lines = r.stdout.split("\n").filter((l) => l.trim() !== "");
      return lines.length === 1 && sameJson(lines[0], c.expect);
    }
    case "json_line":
      return r.stdout.split("\n").includes(c.expect);
  }
}

function argsFor(c: Case): string[] {
  const args = ["run", "-e", c.prog];
  if (c.expect_kind === "json" || c.expect_kind === "json_line") args.push("-q", "-f", "json");
  if (c.prog.includes("testprogs/")) args.push("-w", "testprogs");
  return args;
}

/** Results by case index (some names repeat across bpftrace's suites, e.g. `stats`). */
const passed = new Map<number, boolean>();

describe("bpftrace conformance cases through `probelab run`", () => {
  for (const [i, c] of cases.entries()) {
    const gap = KNOWN_GAPS[c.name];
    test(`${c.expect_kind}: ${c.name}${gap ? " (known gap)" : ""}`, async () => {
      const r = await probelab(argsFor(c));
      const ok = judge(c, r);
      passed.set(i, ok);
      if (gap === undefined) {
        expect(ok, `${c.prog}\n--- got (exit ${r.status}) ---\n${r.all}\n--- want ---\n${c.expect}`).toBe(
          true,
        );
      } else {
        expect(ok, `known gap now passes; remove it from KNOWN_GAPS: ${c.name}`).toBe(false);
      }
    });
  }

  test("pass count per kind, overall, and every gap is named", () => {
    const kinds = [...new Set(cases.map((c) => c.expect_kind))];
    const lines = kinds.map((k) => {
      const of = cases.filter((c) => c.expect_kind === k);
      const ok = of.filter((c) => passed.get(cases.indexOf(c))).length;
      return `  ${k.padEnd(9)} ${ok}/${of.length}`;
    });
    const total = [...passed.values()].filter(Boolean).length;
    const gaps = Object.entries(KNOWN_GAPS).map(([name, why]) => `  gap: ${name}: ${why}`);
    console.log(
      `conformance through probelab run\n${lines.join("\n")}\n  overall   ${total}/${cases.length}\n${gaps.join("\n")}`,
    );
    expect(passed.size).toBe(cases.length);
    expect(total).toBeGreaterThanOrEqual(MIN_PASSING);
    for (const name of Object.keys(KNOWN_GAPS)) expect(cases.some((c) => c.name === name)).toBe(true);
    expect(total + Object.keys(KNOWN_GAPS).length).toBe(cases.length);
  });
});
