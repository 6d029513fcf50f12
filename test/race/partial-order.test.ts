/**
 * Partial-order reduction in exhaustive mode: on scenarios whose steps report everything they
 * share, schedules that only reorder commuting steps are skipped. The reduced search must see
 * every behaviour the full one sees (each task's sequence of labelled steps, which carry the
 * values it read) and find the same violations with the same preemptions.
 */
import { describe, expect, it } from "vitest";
import { EXHAUSTIVE_POLICY, exhaust } from "../../src/race/exhaustive.js";
import { onMachine, runAnyScenario } from "../../src/race/harness.js";
import { findRaceScenario } from "../../src/race/scenarios.js";
import { ReplayChooser } from "../../src/race/schedule.js";
import { CacheLine } from "../../src/sim/cacheline.js";
import type { StepObserver, Task } from "../../src/sim/machine.js";

/** Collects, per counted schedule, what each task did: its labels in order. */
class Behaviours implements StepObserver {
  readonly seen = new Set<string>();
  private perTask = new Map<string, string[]>();

  step(_cpu: number, task: Task, label: string): void {
    let list = this.perTask.get(task.name);
    if (list === undefined) {
      list = [];
      this.perTask.set(task.name, list);
    }
    list.push(label);
  }

  afterRun = (counted: boolean): void => {
    if (counted) {
      const names = [...this.perTask.keys()].sort();
      this.seen.add(names.map((n) => `${n}: ${this.perTask.get(n)!.join(" ; ")}`).join("\n"));
    }
    this.perTask = new Map();
  };
}

function behaviours(name: string, preemptions: number, reduce: boolean) {
  const s = findRaceScenario(name)!;
  const b = new Behaviours();
  const r = exhaust(s.build(), {
    seed: 1,
    faults: [],
    preemptions,
    maxRuns: 100_000,
    reduce,
    observer: b,
    afterRun: b.afterRun,
  });
  return { r, seen: b.seen };
}

describe("partial-order reduction", () => {
  const cases: [string, number][] = [
    ["seqcount-torn-read", 1],
    ["spinlock-lost-update", 2],
    ["refcount-lookup-vs-put", 2],
  ];
  for (const [name, k] of cases) {
    it(`${name}, K=${k}: fewer schedules, the same behaviours`, () => {
      const full = behaviours(name, k, false);
      const reduced = behaviours(name, k, true);
      expect(full.r.reduced).toBe(false);
      expect(reduced.r.reduced).toBe(true);
      expect(full.r.finished && reduced.r.finished).toBe(true);
      expect(reduced.r.schedules).toBeLessThan(full.r.schedules);
      expect(reduced.r.pruned).toBeGreaterThan(0);
      expect(reduced.seen).toEqual(full.seen);
    });
  }

  for (const name of ["seqcount-torn-read", "spinlock-lost-update", "refcount-lookup-vs-put"]) {
    it(`${name}: finds the same violation, with the same preemptions, and it replays`, () => {
      const s = findRaceScenario(name)!;
      const faults = [s.fault];
      const full = exhaust(s.build(), { seed: 1, faults, preemptions: 2, maxRuns: 10_000, reduce: false });
      const reduced = exhaust(s.build(), { seed: 1, faults, preemptions: 2, maxRuns: 10_000 });
      expect(full.found).not.toBeNull();
      expect(reduced.found?.violation.message).toBe(full.found?.violation.message);
      expect(reduced.found?.preemptions).toBe(full.found?.preemptions);
      expect(reduced.schedules).toBeLessThanOrEqual(full.schedules);
      const again = runAnyScenario(s.build(), {
        seed: 1,
        policy: EXHAUSTIVE_POLICY,
        faults,
        chooser: new ReplayChooser(reduced.found!.plan),
      });
      expect(again.violation?.message).toBe(reduced.found?.violation.message);
    });
  }

  it("is off for scenarios that do not declare complete footprints", () => {
    const s = findRaceScenario("refcount-inc-not-zero")!;
    const r = exhaust(s.build(), { seed: 1, faults: [], preemptions: 0, maxRuns: 1000 });
    expect(r.reduced).toBe(false);
    expect(r.pruned).toBe(0);
  });

  it("refuses a commuting scenario whose outcome can depend on the clocks", () => {
    const timed = {
      ...onMachine({ cpus: 2 }, (m) => {
        const line = new CacheLine("x");
        m.spawn("sleeper", function* () {
          yield* m.sleep(100);
          line.write(m);
          yield 1;
        });
      }),
      commuting: true,
    };
    expect(() => exhaust(timed, { seed: 1, faults: [], preemptions: 1, maxRuns: 10 })).toThrow(
      /armed a timer/,
    );
  });

  it("prunes a preemption that only moves a commuting step", () => {
    // Two tasks on private lines: every order is one behaviour, so one schedule per bound
    // is explored in full and the rest are stopped as redundant.
    const privateWork = {
      ...onMachine({ cpus: 2 }, (m) => {
        for (let t = 0; t < 2; t++) {
          const own = new CacheLine(`own${t}`);
          m.spawn(`t${t}`, function* () {
            for (let i = 0; i < 3; i++) {
              own.write(m);
              yield 1;
            }
          });
        }
      }),
      commuting: true,
    };
    const full = exhaust(privateWork, { seed: 1, faults: [], preemptions: 1, maxRuns: 100, reduce: false });
    const reduced = exhaust(privateWork, { seed: 1, faults: [], preemptions: 1, maxRuns: 100 });
    expect(full.schedules).toBeGreaterThan(2);
    expect(reduced.perBound).toEqual([2, 0]);
    expect(reduced.pruned).toBeGreaterThan(0);
  });
});
