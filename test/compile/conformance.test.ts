/**
 * Every begin/end-only case of bpftrace's runtime tests (test/conformance) through the
 * real front end + compiler + runtime writers, judged as the conformance README says. The
 * cases that need a simulated process (uprobe, interval) belong to the session's suite.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import type { HitContext } from "../../src/compile/context.js";
import type { CompiledScript } from "../../src/compile/program.js";
import type { OutputRing } from "../../src/runtime/output.js";
import { type ConformanceCase, judge } from "../conformance/judge.js";
import { runScript } from "./harness.js";

const cases: ConformanceCase[] = JSON.parse(
  readFileSync(join(process.cwd(), "test", "conformance", "bpftrace-cases.json"), "utf8"),
);

/** Probes other than begin/end need the simulator; interval ones a clock (driven by hand below). */
const NEEDS_PROCESS = /(^|[\s,}])(u|ur|uprobe|uretprobe|k|kprobe|t|tracepoint|p|profile):/;
const INTERVAL = /(^|[\s,}])(i|interval):/;
const beginEndOnly = cases.filter((c) => !NEEDS_PROCESS.test(c.prog) && !INTERVAL.test(c.prog));
const intervalOnly = cases.filter((c) => !NEEDS_PROCESS.test(c.prog) && INTERVAL.test(c.prog));

/**
 * Cases this suite is known to fail, each with the reason. A case that starts passing must
 * be removed from here (the test checks both directions).
 */
const KNOWN_FAILURES: Record<string, string> = {};

/** Fires the interval probes, one tick at a time, until exit() (at most 1000 ticks). */
function tickUntilExit(script: CompiledScript, ctx: HitContext, ring: OutputRing): void {
  const ticks = script.probes.filter((p) => p.kind === "interval");
  for (let n = 1; n <= 1000 && script.exitRequested() === null; n++) {
    for (const p of ticks) {
      ctx.nsecs = n * (p.attachPoints[0]!.intervalNs ?? 1_000_000);
      ctx.probe = p.attachPoints[0]!.canonical;
      p.run(ctx);
    }
    if (ring.length > 3000) break;
  }
}

function runCase(c: ConformanceCase): boolean {
  const json = c.expect_kind === "json" || c.expect_kind === "json_line";
  const r = runScript(c.prog, { format: json ? "json" : "text", between: tickUntilExit });
  const failed = r.script === null || (r.exit !== null && r.exit.code !== 0);
  return judge(c, { stdout: r.stdout, all: r.combined, failed });
}

describe("bpftrace conformance, begin/end-only cases", () => {
  const results = beginEndOnly.map((c) => ({ c, pass: runCase(c) }));

  test("pass count per expect_kind", () => {
    const table: Record<string, { pass: number; total: number }> = {};
    for (const { c, pass } of results) {
      const row = (table[c.expect_kind] ??= { pass: 0, total: 0 });
      row.total++;
      if (pass) row.pass++;
    }
    const passed = results.filter((r) => r.pass).length;
    console.log(`begin/end-only conformance: ${passed}/${results.length} pass`);
    for (const [kind, row] of Object.entries(table)) console.log(`  ${kind}: ${row.pass}/${row.total}`);
    expect(results.length).toBeGreaterThanOrEqual(40);
  });

  for (const { c, pass } of results) {
    const known = KNOWN_FAILURES[c.name];
    test(`${c.name} ${known ? "(known failure: " + known + ")" : "passes"}`, () => {
      expect(pass).toBe(known === undefined);
    });
  }
});

describe("bpftrace conformance, interval-only cases driven by a hand clock", () => {
  for (const c of intervalOnly) {
    test(`${c.name} passes`, () => {
      expect(runCase(c)).toBe(true);
    });
  }
  test("there are interval-only cases to drive", () => {
    expect(intervalOnly.length).toBeGreaterThanOrEqual(5);
  });
});
