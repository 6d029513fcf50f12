/**
 * Schedules as departures, their replay, and the shrinker: a recorded schedule replays to the
 * very same run; a shrunk one still breaks the same invariant with fewer preemptions; and the
 * whole thing is deterministic.
 */
import { describe, expect, it } from "vitest";
import { explore } from "../../src/race/explore.js";
import { runAnyScenario } from "../../src/race/harness.js";
import { findRaceScenario } from "../../src/race/scenarios.js";
import { parseSchedule, RecordingChooser, ReplayChooser } from "../../src/race/schedule.js";
import { invariantOf, shrink } from "../../src/race/shrink.js";

const seqcount = findRaceScenario("seqcount-torn-read")!;
const faults = [seqcount.fault];

describe("schedules", () => {
  it("a chooser that takes the policy's proposal changes nothing", () => {
    const s = seqcount.build();
    const plain = runAnyScenario(s, { seed: 3, policy: "random", faults: [] });
    const recorder = new RecordingChooser();
    const steered = runAnyScenario(s, { seed: 3, policy: "random", faults: [], chooser: recorder });
    expect(steered.machine.steps).toBe(plain.machine.steps);
    expect(steered.machine.interleaving()).toBe(plain.machine.interleaving());
    expect(recorder.stats().departures.length).toBeGreaterThan(0);
  });

  it("the recorded departures replay to the same run", () => {
    const s = seqcount.build();
    const recorder = new RecordingChooser();
    const first = runAnyScenario(s, { seed: 1, policy: "random", faults, chooser: recorder });
    expect(first.violation).not.toBeNull();
    const plan = recorder.stats().departures;
    const again = runAnyScenario(s, { seed: 1, policy: "random", faults, chooser: new ReplayChooser(plan) });
    expect(again.violation?.message).toBe(first.violation?.message);
    expect(again.machine.interleaving()).toBe(first.machine.interleaving());
  });

  it("with no departures the default rule runs each CPU until it blocks or finishes", () => {
    const s = seqcount.build();
    const recorder = new ReplayChooser([]);
    const r = runAnyScenario(s, { seed: 1, policy: "random", faults: [], chooser: recorder });
    expect(r.violation).toBeNull();
    expect(recorder.stats()).toEqual({ departures: [], preemptions: 0 });
  });

  it("parses and rejects --schedule text", () => {
    expect(parseSchedule("3:1, 10:0")).toEqual([
      { step: 3, cpu: 1 },
      { step: 10, cpu: 0 },
    ]);
    expect(parseSchedule("")).toEqual([]);
    expect(parseSchedule("3:x")).toBe('"3:x" is not STEP:CPU');
    expect(parseSchedule("4:0,4:1")).toBe('steps must increase ("4:1")');
  });
});

describe("shrinking", () => {
  it("keeps the invariant, cuts preemptions, and is deterministic", () => {
    const s = seqcount.build();
    const found = explore(s, { seeds: 150, faults }).found!;
    const target = { scenario: s, seed: found.seed, policy: found.policy, faults };
    const shrunk = shrink(target)!;
    expect(invariantOf(shrunk.minimal.violation)).toBe(invariantOf(found.violation));
    expect(shrunk.original.preemptions).toBeGreaterThan(5);
    expect(shrunk.minimal.preemptions).toBeLessThan(shrunk.original.preemptions);
    expect(shrunk.minimal.plan.length).toBeLessThan(shrunk.original.plan.length);
    expect(shrunk.replays).toBeLessThanOrEqual(300);
    // The minimal plan replays to the violation on its own.
    const replay = runAnyScenario(s, { ...target, chooser: new ReplayChooser(shrunk.minimal.plan) });
    expect(invariantOf(replay.violation!)).toBe(invariantOf(found.violation));
    expect(replay.machine.steps).toBe(shrunk.minimal.steps);
    expect(shrink(target)).toEqual(shrunk);
  });

  it("a budget bounds the replays and still returns a failing schedule", () => {
    const s = findRaceScenario("r22-vma-read-vs-write-lock")!;
    const scenario = s.build();
    const found = explore(scenario, { seeds: 60, faults: [s.fault] }).found!;
    const shrunk = shrink({ scenario, seed: found.seed, policy: found.policy, faults: [s.fault] }, 5)!;
    expect(shrunk.replays).toBe(5);
    expect(shrunk.exhausted).toBe(true);
    expect(invariantOf(shrunk.minimal.violation)).toBe(invariantOf(found.violation));
  });

  it("a run that does not fail has nothing to shrink", () => {
    expect(shrink({ scenario: seqcount.build(), seed: 1, policy: "random", faults: [] })).toBeNull();
  });
});
