/**
 * Attach/detach churn (the selftests' uprobe_race shape): producers call probed functions in
 * a loop while two registrars attach consumers in batches and detach them the merged way
 * (N x uprobe_unregister_nosync, then one uprobe_unregister_sync). Every hit must reach every
 * consumer attached for the whole of it exactly once, no consumer may be called after its
 * unregister's sync returned, and once everything is detached and settled nothing may be left:
 * no breakpoint, no reference, no lease. Also: runs are a pure function of their seed, and the
 * per-VMA lock fast path of page faults does not disturb hits (R19).
 */
import { describe, expect, it } from "vitest";
import {
  do_mprotect,
  handle_mm_fault,
  lock_vma_under_rcu,
  PROT_EXEC,
  PROT_READ,
  vma_end_read,
} from "../../../src/kernel/mm/index.js";
import { explore } from "../../../src/race/explore.js";
import { counter, P, runScenario, type Scenario, TEXT } from "../../../src/race/harness.js";
import { churn as churnScenario, CHURN_FNS as FNS } from "../../../src/race/scenarios.js";

const SEEDS = 100;
const churn = churnScenario();

/** R19: a thread faults on the probed text through lock_vma_under_rcu while it is split and merged. */
let counted = counter();
const faultsVsHits: Scenario = {
  build(w) {
    const bin = w.binary("/usr/bin/app", FNS);
    const mm = w.addressSpace();
    counted = counter();
    w.task("exec", function* () {
      yield* w.mapText(mm, bin);
      yield* w.attach(bin, FNS[0].offset, counted);
      w.hitter(mm, "producer", TEXT + FNS[0].offset);
      w.driver("mprotect", function* () {
        for (let i = 0; i < 8; i++) {
          yield* do_mprotect(mm, TEXT + P, P, i % 2 === 0 ? PROT_READ : PROT_READ | PROT_EXEC);
          yield* w.m.sleep(w.rng.below(3000));
        }
      });
      w.thread(mm, "faulter", function* () {
        for (let i = 0; i < 30; i++) {
          const addr = TEXT + w.rng.below(2) * P + 0x80;
          const vma = yield* lock_vma_under_rcu(mm, addr);
          if (vma === null) continue;
          yield* handle_mm_fault(vma, addr, false);
          yield* vma_end_read(vma);
        }
      });
    });
  },
};

describe("attach/detach churn", () => {
  it("delivers every hit exactly once and leaves nothing behind, over every seed and both policies", () => {
    const r = explore(churn, { seeds: SEEDS });
    expect(r.found?.violation.message ?? null).toBeNull();
    expect(r.deadlocks).toBe(0);
    expect(r.runs).toBe(2 * SEEDS);
  });

  it("keeps calling a detached consumer when sync does not wait (unregister-skip-sync)", () => {
    const r = explore(churn, { seeds: SEEDS, faults: ["unregister-skip-sync"] });
    expect(r.found).not.toBeNull();
    expect(r.found!.violation.message).toMatch(
      /^R9: (ret_handler of )?consumer \d+ called after its unregister/,
    );
    expect(r.found!.violation.interleaving).toMatch(/step \d+ cpu\d/);
  });

  it("touches a freed uprobe when its memory skips the grace periods (free-skip-gp)", () => {
    const r = explore(churn, { seeds: SEEDS, faults: ["free-skip-gp"] });
    expect(r.found).not.toBeNull();
    expect(r.found!.violation.message).toMatch(/^use-after-free: .* touched freed uprobe/);
  });

  it("settles to an empty tree: every uprobe freed once its last consumer left", () => {
    const out = runScenario(churn, { seed: 3, policy: "random" });
    expect(out.violation).toBeNull();
    expect(out.world.u.tree.size).toBe(0);
    expect(out.world.mms[0].breakpoints.size).toBe(0);
    expect(out.world.u.stats.registrations).toBeGreaterThanOrEqual(6);
    expect(out.world.u.stats.hits).toBeGreaterThan(20);
  });
});

describe("per-VMA lock page faults vs hits (R19)", () => {
  it("lock_vma_under_rcu races with splits and merges do not disturb uprobe hits", () => {
    const r = explore(faultsVsHits, { seeds: 30 });
    expect(r.found?.violation.message ?? null).toBeNull();
    expect(r.deadlocks).toBe(0);
  });

  it.each(["random", "pct"] as const)(
    "every call of the probed function reaches its consumer (%s)",
    (policy) => {
      for (let seed = 1; seed <= 5; seed++) {
        const out = runScenario(faultsVsHits, { seed, policy });
        expect(out.violation).toBeNull();
        const calls = out.world.calls.get(TEXT + FNS[0].offset) ?? 0;
        expect(calls).toBeGreaterThan(2);
        expect(counted.hits).toBe(calls);
      }
    },
  );
});

describe("determinism", () => {
  const trace = (seed: number, policy: "random" | "pct") => {
    const out = runScenario(churn, { seed, policy, traceSteps: 400 });
    return { text: out.world.m.interleaving(), steps: out.world.m.steps, stats: { ...out.world.u.stats } };
  };

  it.each(["random", "pct"] as const)(
    "the same seed gives the same interleaving and counters (%s)",
    (policy) => {
      const a = trace(11, policy);
      const b = trace(11, policy);
      expect(a.text).toBe(b.text);
      expect(a.steps).toBe(b.steps);
      expect(a.stats).toEqual(b.stats);
      expect(trace(12, policy).text).not.toBe(a.text);
    },
  );

  it("a found violation replays: same seed and fault, same message and interleaving", () => {
    const r = explore(churn, { seeds: SEEDS, faults: ["unregister-skip-sync"] });
    const f = r.found!;
    const again = runScenario(churn, { seed: f.seed, policy: f.policy, faults: ["unregister-skip-sync"] });
    expect(again.violation?.message).toBe(f.violation.message);
    expect(again.violation?.interleaving).toBe(f.violation.interleaving);
  });
});
