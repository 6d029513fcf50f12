/**
 * What a counterexample looks like: per-CPU columns, Chrome trace-event JSON, the HTML page,
 * and coverage counted the same whether the runs came from one loop or from chunks.
 */
import { describe, expect, it } from "vitest";
import { renderColumns } from "../../src/race/columns.js";
import { Coverage } from "../../src/race/coverage.js";
import { explore } from "../../src/race/explore.js";
import { runAnyScenario } from "../../src/race/harness.js";
import { runChunk } from "../../src/race/parallel.js";
import { findRaceScenario } from "../../src/race/scenarios.js";
import { Timeline, type TimelineStep } from "../../src/race/timeline.js";
import { timelineHtml } from "../../src/race/timeline-html.js";
import { chromeTrace } from "../../src/race/trace-events.js";

const step = (cpu: number, name: string, label: string, start: number): TimelineStep => ({
  cpu,
  task: cpu + 1,
  name,
  label,
  start,
  end: start + 10,
});

describe("per-CPU columns", () => {
  it("shows both sides of each switch, folds the stretches between, and marks departures", () => {
    const steps = [0, 1, 2, 3, 4, 5, 6].map((i) => step(0, "a", `s${i}`, i * 10));
    steps.push(step(1, "b", "x", 70), step(1, "b", "y", 80));
    const rows = renderColumns(steps, [{ step: 7, cpu: 1 }], { cpus: 2, width: 16 });
    expect(rows).toEqual([
      "  step  cpu0           | cpu1",
      "         ... 5 steps   |",
      "     5  a: s5          |",
      "     6  a: s6          |",
      "     7                 |>b: x",
      "     8                 | b: y",
    ]);
  });

  it("keeps the last rows when there are too many", () => {
    const steps = Array.from({ length: 40 }, (_, i) => step(i % 2, `t${i % 2}`, `s${i}`, i * 10));
    const rows = renderColumns(steps, [], { cpus: 2, width: 10, maxRows: 5 });
    expect(rows).toHaveLength(7);
    expect(rows[1]).toBe("  (35 earlier rows left out: --trace-out FILE.json has every step)");
    expect(rows[6]).toMatch(/^ {4}39 /);
  });
});

/** The r9 race with its fault, recorded step by step. */
function recordedRace() {
  const race = findRaceScenario("r9-handler-after-unregister")!;
  const s = race.build();
  const found = explore(s, { seeds: 150, faults: [race.fault] }).found!;
  const timeline = new Timeline();
  const r = runAnyScenario(s, {
    seed: found.seed,
    policy: found.policy,
    faults: [race.fault],
    observer: timeline,
  });
  return { timeline, violation: r.violation!.message, steps: r.machine.steps };
}

describe("timelines", () => {
  const { timeline, violation, steps } = recordedRace();
  const meta = { title: "race r9", cpus: 3, violation };

  it("Chrome trace: a track per CPU, a slice per step, lock holds, hand-off flows, the violation", () => {
    const t = chromeTrace(timeline, meta);
    const names = t.traceEvents
      .filter((e) => e.name === "thread_name" && e.tid < 1000)
      .map((e) => e.args?.name);
    expect(names).toEqual(["cpu0", "cpu1", "cpu2"]);
    expect(t.traceEvents.filter((e) => e.cat === "step")).toHaveLength(steps);
    expect(
      t.traceEvents.filter((e) => e.cat === "step" && e.name === "handler_chain").length,
    ).toBeGreaterThan(0);
    const locks = t.traceEvents.filter((e) => e.cat === "lock");
    expect(locks.length).toBeGreaterThan(0);
    for (const l of locks) expect(l.tid).toBeGreaterThanOrEqual(1000);
    const starts = t.traceEvents.filter((e) => e.ph === "s").map((e) => e.id);
    const ends = t.traceEvents.filter((e) => e.ph === "f").map((e) => e.id);
    expect(starts.length).toBeGreaterThan(0);
    expect(ends).toEqual(starts);
    expect(t.traceEvents.filter((e) => e.cat === "yield").length).toBeGreaterThan(0);
    const v = t.traceEvents.filter((e) => e.cat === "violation");
    expect(v).toHaveLength(1);
    expect(v[0].name).toBe(`violation: ${violation}`);
    expect(JSON.parse(JSON.stringify(t))).toEqual(t);
  });

  it("HTML: one self-contained page with every step and the violation", () => {
    const html = timelineHtml(timeline, meta);
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    expect(html.match(/<rect [^>]*fill="hsl/g)).toHaveLength(steps);
    expect(html).toContain('class="bad"');
    expect(html).toContain("R9: consumer");
    expect(html).toContain("hand-off</title>");
  });
});

describe("coverage", () => {
  it("counts the same from chunks (as parallel workers send them) as from one loop", () => {
    const race = findRaceScenario("rwsem-fifo")!;
    const s = race.build();
    const whole = explore(s, { seeds: 12, coverage: true }).coverage!;
    const job = {
      race: race.name,
      faults: [],
      firstSeed: 1,
      seeds: 12,
      policies: ["random", "pct"] as const,
    };
    const merged = new Coverage();
    // Two "workers", each taking every other chunk of three seeds, folded back in run order.
    const chunks = [1, 4, 7, 10].map((from) => runChunk(s, job, from, 3));
    for (const c of chunks) for (const r of c) merged.add(r.coverage!);
    expect(merged.summary()).toBe(whole.summary());
    expect(merged.exportPairs("rwsem-fifo")).toBe(whole.exportPairs("rwsem-fifo"));
    expect(whole.runs).toBe(24);
    expect(whole.distinctPairs).toBeGreaterThan(10);
    expect(whole.distinctInterleavings).toBeGreaterThan(1);
  });

  it("writes the pairs as sorted text lines that diff between explorations", () => {
    const s = findRaceScenario("seqcount-torn-read")!.build();
    const pairsOf = (seeds: number) => {
      const text = explore(s, { seeds, coverage: true }).coverage!.exportPairs("seqcount-torn-read");
      const lines = text.trimEnd().split("\n");
      expect(lines[0]).toMatch(/^# probelab race coverage/);
      expect(lines[1]).toMatch(
        new RegExp(`^# seqcount-torn-read: ${2 * seeds} runs, \\d+ distinct interleavings, \\d+ pairs$`),
      );
      return lines.slice(2);
    };
    const few = pairsOf(2);
    const more = pairsOf(20);
    expect(few).toEqual([...few].sort());
    for (const line of more) expect(line).toMatch(/^[^\t#][^\t]*\t[^\t]+$/);
    // Folded labels: numbers read or written show as #.
    expect(more).toContain("a = v\tread a=#");
    // More seeds only add pairs, and here they add some.
    for (const line of few) expect(more).toContain(line);
    expect(more.length).toBeGreaterThan(few.length);
  });
});
