/**
 * The judgement of one case of bpftrace-cases.json against a run, as test/conformance/README.md
 * defines it. Both suites that run those cases (the compile-level one and the CLI one) use it,
 * so a case cannot pass in one and fail in the other because of how it was judged.
 */

export type ExpectKind = "line" | "lines" | "regex" | "exact" | "json" | "json_line";

export interface ConformanceCase {
  source: string;
  name: string;
  prog: string;
  expect: string;
  expect_kind: ExpectKind;
}

/** What a run left behind: stdout, stdout and stderr merged, and whether it failed. */
export interface RunOutcome {
  stdout: string;
  all: string;
  failed: boolean;
}

function trimmedLines(s: string): string[] {
  return s.split("\n").map((l) => l.trim());
}

/** Drops blank lines at both ends but keeps the first line's leading spaces. */
function stripBlankLines(s: string): string {
  const lines = s.split("\n");
  while (lines.length > 0 && lines[0]!.trim() === "") lines.shift();
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === "") lines.pop();
  return lines.join("\n");
}

/** Stdout after the attach message (probelab writes it to stderr, so usually stdout is all of it). */
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

/** True when the run is what the case expects; a case expecting `ERROR:` expects a failed run. */
export function judge(c: ConformanceCase, r: RunOutcome): boolean {
  if (c.expect.includes("ERROR:") !== r.failed) return false;
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
      return lines.length === 1 && sameJson(lines[0]!, c.expect);
    }
    case "json_line":
      return r.stdout.split("\n").includes(c.expect);
  }
}
