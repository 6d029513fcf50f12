import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { run } from "./helpers.js";

interface Case {
  name: string;
  prog: string;
  expect: string;
}

const cases: Case[] = JSON.parse(readFileSync("test/conformance/bpftrace-cases.json", "utf8"));

/**
 * Every case the front end rejects, and why. A rejection is only acceptable when it is either
 * the error the case itself expects, or a feature probelab deliberately leaves out.
 */
const EXPECTED_REJECTIONS: Record<string, string> = {
  // The case expects these errors (bpftrace rejects the program too).
  unroll_max_value: "unroll maximum value is 100",
  "has_key error scalar": "call to has_key() expects a map with explicit keys (non-scalar map)",
  "bad config": "bad_config: not a known configuration option",
};

describe("bpftrace conformance programs through the front end", () => {
  test("the case file is there", () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
  });

  test.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const r = run(c.prog);
    const firstError = r.diagnostics.find((d) => d.severity === "error")?.message;
    expect(firstError).toBe(EXPECTED_REJECTIONS[c.name]);
    expect(r.program === null).toBe(firstError !== undefined);
  });

  test("report: how many are accepted", () => {
    const accepted = cases.filter((c) => run(c.prog).program !== null).length;
    const rejected = cases.length - accepted;
    console.log(
      `conformance front end: ${accepted}/${cases.length} accepted, ${rejected} rejected as listed`,
    );
    expect(rejected).toBe(Object.keys(EXPECTED_REJECTIONS).length);
  });
});
