/**
 * Exhaustive exploration: every schedule up to a preemption bound. A protected primitive
 * explores its whole bounded space clean; with its check switched off the race is found with
 * the fewest preemptions it needs, and the schedule found replays to the same violation.
 */
import { describe, expect, it } from "vitest";
import { EXHAUSTIVE_POLICY, exhaust } from "../../src/race/exhaustive.js";
import { onMachine, runAnyScenario } from "../../src/race/harness.js";
import { findRaceScenario } from "../../src/race/scenarios.js";
import { ReplayChooser } from "../../src/race/schedule.js";

const seqcount = findRaceScenario("seqcount-torn-read")!;
const refcount = findRaceScenario("refcount-inc-not-zero")!;

describe("exhaust", () => {
  it("explores every schedule of a protected seqcount up to one preemption, all clean", () => {
    const opts = { seed: 1, faults: [], preemptions: 1, maxRuns: 10_000, reduce: false };
    const r = exhaust(seqcount.build(), opts);
    expect(r.finished).toBe(true);
    expect(r.found).toBeNull();
    expect(r.perBound).toEqual([6, 512]);
    expect(r.schedules).toBe(518);
    // Round 1 re-runs round 0's paths to branch off them: the runs exceed the schedules.
    expect(r.runs).toBeGreaterThan(r.schedules);
  });

  it("finds the torn read with the seqcount retry switched off, with one preemption", () => {
    const faults = [seqcount.fault];
    const r = exhaust(seqcount.build(), { seed: 1, faults, preemptions: 2, maxRuns: 10_000 });
    expect(r.finished).toBe(false);
    expect(r.found?.preemptions).toBe(1);
    expect(r.found?.violation.message).toMatch(/^seqcount reader accepted a torn read/);
    expect(r.perBound).toHaveLength(2);
    const plan = r.found!.plan;
    const again = runAnyScenario(seqcount.build(), {
      seed: 1,
      policy: EXHAUSTIVE_POLICY,
      faults,
      chooser: new ReplayChooser(plan),
    });
    expect(again.violation?.message).toBe(r.found?.violation.message);
    expect(again.machine.steps).toBe(r.found?.steps);
  });

  it("finds no race with zero preemptions where the race needs one", () => {
    const r = exhaust(refcount.build(), { seed: 1, faults: [refcount.fault], preemptions: 0, maxRuns: 1000 });
    expect(r.finished).toBe(true);
    expect(r.found).toBeNull();
    expect(r.schedules).toBe(r.perBound[0]);
    const one = exhaust(refcount.build(), {
      seed: 1,
      faults: [refcount.fault],
      preemptions: 1,
      maxRuns: 1000,
    });
    expect(one.found?.violation.message).toMatch(/refcount_inc_not_zero resurrected/);
  });

  it("stops unfinished when the run budget is spent", () => {
    const r = exhaust(seqcount.build(), { seed: 1, faults: [], preemptions: 2, maxRuns: 50 });
    expect(r.finished).toBe(false);
    expect(r.runs).toBe(50);
    expect(r.found).toBeNull();
  });

  it("cuts off a schedule where a polling CPU would run forever, and does not judge it", () => {
    const poll = onMachine({ cpus: 2 }, (m) => {
      let flag = false;
      m.spawn("poll", function* () {
        while (!flag) yield 1;
      });
      m.spawn("setter", function* () {
        yield 1;
        flag = true;
        yield 1;
      });
    });
    const r = exhaust(poll, { seed: 1, faults: [], preemptions: 1, maxRuns: 3 });
    expect(r.runs).toBe(3);
    // Poll first spins until cut off; setter first (a choice, not a preemption) lets it finish.
    expect(r.perBound[0]).toBe(2);
    expect(r.cut).toBeGreaterThanOrEqual(1);
    expect(r.found).toBeNull();
  });

  it("is deterministic", () => {
    const a = exhaust(refcount.build(), { seed: 2, faults: [], preemptions: 1, maxRuns: 5000 });
    const b = exhaust(refcount.build(), { seed: 2, faults: [], preemptions: 1, maxRuns: 5000 });
    expect(b).toEqual(a);
  });
});
