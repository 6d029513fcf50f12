/**
 * bpftrace's own runtime tests (test/conformance/runtime-cases.json, the selection its README
 * describes) through the real `probelab run` path, judged the way bpftrace's runner judges them:
 * every EXPECT on the merged stdout+stderr, the exit status 0 (or RETURN_CODE) unless WILL_FAIL.
 * A case that fails must be listed in runtime-gaps.json with its reason; a listed case that
 * passes fails the test (remove it). `UPDATE_RUNTIME_GAPS=1` rewrites the list from this run:
 * reasons written by hand are kept, guessed ones (see guessReason) are guessed again.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { type CliResult, probelab } from "./harness.js";

type Mode = "text" | "text_none" | "regex" | "regex_none" | "file" | "json";

interface Expect {
  mode: Mode;
  expect: string;
  ndjson?: boolean;
}

interface RuntimeCase {
  id: string;
  source: string;
  args: string[];
  script?: string;
  expects: Expect[];
  will_fail?: boolean;
  return_code?: number;
  timeout: number;
  /** LOCALIZE_TIMESTAMPS: the expected file is a strftime format of this time (s since the epoch). */
  localize_ts?: number;
  env?: Record<string, string>;
  workload?: string;
}

const dir = join(process.cwd(), "test", "conformance");
const cases: RuntimeCase[] = JSON.parse(readFileSync(join(dir, "runtime-cases.json"), "utf8"));
const gapsFile = join(dir, "runtime-gaps.json");
const gaps: Record<string, string> = JSON.parse(readFileSync(gapsFile, "utf8"));

/** Raise this when more cases pass; a drop below it is a regression. */
const MIN_PASSING = 590;

/** The pid of the testprogs workload's process, which BEFORE ./testprogs/... stands for. */
const TESTPROGS_PID = "4100";

const scratch = mkdtempSync(join(tmpdir(), "probelab-runtime-"));

function argsFor(c: RuntimeCase): string[] {
  const args = ["run", "--duration", `${c.timeout}s`];
  if (c.workload) args.push("-w", c.workload);
  for (const a of c.args) {
    if (a === "@SCRIPT@") {
      const file = join(scratch, `${c.id.replace(/\W+/g, "_")}.bt`);
      writeFileSync(file, c.script ?? "");
      args.push(file);
    } else {
      args.push(a.replaceAll("@TESTPROGS_PID@", TESTPROGS_PID));
    }
  }
  return args;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** bpftrace's runner writes Python regular expressions; the few spellings JavaScript lacks. */
function jsRegex(python: string): RegExp {
  return new RegExp(
    python
      .replace(/\(\?s:\.\*\)/g, "[\\s\\S]*")
      .replace(/\(\?P</g, "(?<")
      .replace(/\\Z/g, "$(?![\\s\\S])"),
    "m",
  );
}

function sameJson(a: string, b: string): boolean {
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
  } catch {
    return false;
  }
}

const pad2 = (n: number) => String(n).padStart(2, "0");

/**
 * The runner's localize_timestamps: the expected text with %H, %M and %S of `seconds`, in UTC,
 * the simulated machine's zone (bpftrace's runner uses the host's).
 */
function localize(text: string, seconds: number | undefined): string {
  if (seconds === undefined) return text;
  const d = new Date(seconds * 1000);
  const fields: Record<string, string> = {
    H: pad2(d.getUTCHours()),
    M: pad2(d.getUTCMinutes()),
    S: pad2(d.getUTCSeconds()),
    "%": "%",
  };
  return text.replace(/%([HMS%])/g, (_, f: string) => fields[f]!);
}

/** What the runner compares against EXPECT_FILE / EXPECT_JSON: the output after attaching. */
function afterAttach(all: string): string {
  const m = /^Attached \d+ probes?\n/m.exec(all);
  return m ? all.slice(m.index + m[0].length) : all;
}

function expectHolds(c: RuntimeCase, e: Expect, r: CliResult): boolean {
  switch (e.mode) {
    case "text":
      return new RegExp(`^\\s*${escapeRegex(e.expect)}\\s*$`, "m").test(r.all);
    case "text_none":
      return !new RegExp(`^\\s*${escapeRegex(e.expect)}\\s*$`, "m").test(r.all);
    case "regex":
      return jsRegex(e.expect).test(r.all);
    case "regex_none":
      return !jsRegex(e.expect).test(r.all);
    case "file":
      return afterAttach(r.all).trim() === localize(e.expect.trim(), c.localize_ts);
    case "json": {
      const out = afterAttach(r.all).trim().split("\n");
      if (!e.ndjson) return out.length === 1 && sameJson(out[0], e.expect.trim());
      const want = e.expect.trim().split("\n");
      return out.length === want.length && want.every((w, i) => sameJson(out[i], w));
    }
  }
}

function exitHolds(c: RuntimeCase, r: CliResult): boolean {
  return c.will_fail ? r.status !== 0 : r.status === (c.return_code ?? 0);
}

/** How guessReason's reasons start; a reason written by hand must not. */
const GUESSED = /^(error: |exit status |output: )/;

/** A first guess at why a case failed, for a new entry of the gap list. */
function guessReason(c: RuntimeCase, r: CliResult): string {
  const error = r.all.split("\n").find((l) => /ERROR:/.test(l));
  if (error && !c.will_fail) return `error: ${error.replace(/^.*?ERROR:\s*/, "").slice(0, 140)}`;
  if (!exitHolds(c, r)) return `exit status ${r.status}`;
  const failed = c.expects.find((e) => !expectHolds(c, e, r));
  return `output: ${failed?.mode} ${JSON.stringify(failed?.expect.slice(0, 100))}`;
}

const results = new Map<string, { ok: boolean; reason: string }>();

describe("bpftrace runtime tests through `probelab run`", () => {
  for (const c of cases) {
    const gap = gaps[c.id];
    test(`${c.id}${gap ? " (known gap)" : ""}`, async () => {
      const r = await probelab(argsFor(c), { env: c.env });
      const ok = exitHolds(c, r) && c.expects.every((e) => expectHolds(c, e, r));
      results.set(c.id, { ok, reason: ok ? "" : guessReason(c, r) });
      if (process.env.UPDATE_RUNTIME_GAPS) return;
      if (gap === undefined) {
        const want = c.expects.map((e) => `${e.mode}: ${e.expect}`).join("\n");
        expect(
          ok,
          `${c.args.join(" ")}\n--- got (exit ${r.status}) ---\n${r.all}\n--- want ---\n${want}`,
        ).toBe(true);
      } else {
        expect(ok, `known gap now passes; remove it from runtime-gaps.json: ${c.id}`).toBe(false);
      }
    });
  }

  test("pass rate, and every gap is a case", () => {
    const passing = [...results.values()].filter((r) => r.ok).length;
    const pct = ((100 * passing) / cases.length).toFixed(1);
    console.log(`bpftrace runtime tests through probelab run: ${passing}/${cases.length} pass (${pct}%)`);
    if (process.env.UPDATE_RUNTIME_GAPS) return;
    expect(results.size).toBe(cases.length);
    expect(passing).toBeGreaterThanOrEqual(MIN_PASSING);
    for (const id of Object.keys(gaps))
      expect(
        cases.some((c) => c.id === id),
        `stale gap ${id}`,
      ).toBe(true);
    expect(passing + Object.keys(gaps).length).toBe(cases.length);
  });
});

afterAll(() => {
  if (!process.env.UPDATE_RUNTIME_GAPS) return;
  const next: Record<string, string> = {};
  for (const c of cases) {
    const r = results.get(c.id);
    const kept = gaps[c.id];
    if (r && !r.ok) next[c.id] = kept !== undefined && !GUESSED.test(kept) ? kept : r.reason;
  }
  writeFileSync(gapsFile, `${JSON.stringify(next, null, 2)}\n`);
});
