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
import { type ConformanceCase, judge } from "../conformance/judge.js";
import { probelab } from "./harness.js";

const cases: ConformanceCase[] = JSON.parse(
  readFileSync(join(process.cwd(), "test", "conformance", "bpftrace-cases.json"), "utf8"),
);

/** The cases probelab does not pass yet, each with the reason; nothing else may fail. */
const KNOWN_GAPS: Record<string, string> = {};

/** Raise this when more cases pass; a drop below it is a regression. */
const MIN_PASSING = 62;

function argsFor(c: ConformanceCase): string[] {
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
      const ok = judge(c, { stdout: r.stdout, all: r.all, failed: r.status !== 0 });
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
