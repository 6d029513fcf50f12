/**
 * Races on a uprobe's lifetime (kernel-model.md R4, R7, R11): a hit that found a uprobe just
 * before its last consumer left, a dying uprobe still in the tree when the same probe is
 * registered again, and a pending return instance whose SRCU lease the 100 ms ri_timer
 * converts while the owner returns through the trampoline.
 */
import { describe, expect, it } from "vitest";
import {
  type Registration,
  RI_TIMER_PERIOD_NS,
  uprobe_unregister_nosync,
  uprobe_unregister_sync,
} from "../../../src/kernel/uprobes/index.js";
import { counter, explore, functions, type Scenario, TEXT } from "./harness.js";

const SEEDS = 150;

/**
 * R4: threads hit f0 while a registrar attaches and detaches f0's only consumer: each detach
 * drops the last reference, and the deferred free erases the uprobe while a hit may still hold
 * the pointer its lookup returned (and walk its consumer list, or take a reference for the
 * out-of-line step when f0 starts with an instruction that is single-stepped).
 */
function staleHitVsFree(insn: "nop" | "ret"): Scenario {
  return {
    build(w) {
      const fns = functions(2, insn);
      const f0 = TEXT + fns[0].offset;
      const bin = w.binary("/usr/bin/app", fns);
      const mm = w.addressSpace();
      w.task("exec", function* () {
        yield* w.mapText(mm, bin);
        w.hitter(mm, "hitter0", f0);
        w.hitter(mm, "hitter1", f0);
        w.driver("registrar", function* () {
          for (let i = 0; i < 6; i++) {
            const reg = yield* w.attach(bin, fns[0].offset, counter());
            yield w.m.cost(w.rng.below(4000));
            yield* w.detach([reg]);
          }
        });
      });
    },
  };
}

/**
 * R7: a registrar detaches f0's only consumer without waiting (the uprobe's refcount drops to
 * zero and its free is queued) and attaches a new consumer at once, so the registration finds
 * the dying node still in the tree, evicts it and inserts a fresh uprobe; the queued free runs
 * later. Threads keep hitting f0 throughout. After the run, the consumer left registered must
 * sit on the tree's node for f0, with a positive refcount.
 */
const dyingVsRegister: Scenario = {
  build(w) {
    const fns = functions(2);
    const f0 = TEXT + fns[0].offset;
    const bin = w.binary("/usr/bin/app", fns);
    const mm = w.addressSpace();
    w.task("exec", function* () {
      yield* w.mapText(mm, bin);
      let reg: Registration = yield* w.attach(bin, fns[0].offset, counter());
      w.hitter(mm, "hitter0", f0);
      w.hitter(mm, "hitter1", f0);
      w.driver("registrar", function* () {
        for (let i = 0; i < 6; i++) {
          yield* uprobe_unregister_nosync(w.u, reg.uprobe, reg.uc);
          reg = yield* w.attach(bin, fns[0].offset, counter());
          if (i % 2 === 1) yield* uprobe_unregister_sync(w.u);
        }
      });
    });
  },
};

/**
 * R11: threads enter f0, which has a return consumer, and block inside it for about the
 * ri_timer period, so the timer converts their SRCU lease (to a reference, or to GONE once the
 * registrar has detached the consumer) right around the moment they return through the
 * trampoline and consume the instance themselves. Exactly one side may release the lease.
 */
const leaseTimerVsReturn: Scenario = {
  cpus: 4,
  build(w) {
    const fns = functions(1);
    const f0 = TEXT + fns[0].offset;
    const bin = w.binary("/usr/bin/app", fns);
    const mm = w.addressSpace();
    w.task("exec", function* () {
      yield* w.mapText(mm, bin);
      const reg = yield* w.attach(bin, fns[0].offset, counter({ entry: false, ret: true }));
      for (let i = 0; i < 2; i++) {
        w.thread(mm, `sleeper${i}`, function* (t) {
          for (let c = 0; c < 2; c++) {
            // Wake within a few microseconds of the timer, on either side of it.
            const nap = RI_TIMER_PERIOD_NS - 3000 + w.rng.below(6000);
            yield* w.call(t, f0, () => w.m.sleep(nap));
          }
        });
      }
      w.task("registrar", function* () {
        yield* w.m.sleep(RI_TIMER_PERIOD_NS + w.rng.below(2) * RI_TIMER_PERIOD_NS);
        yield* w.detach([reg]);
      });
    });
  },
};

describe("lifetime races: protection on, no violation over every seed and both policies", () => {
  it.each([
    ["R4 stale hit vs unregister + free (emulated)", staleHitVsFree("nop")],
    ["R4 stale hit vs unregister + free (single-stepped)", staleHitVsFree("ret")],
    ["R7 dying uprobe in the tree vs new registration", dyingVsRegister],
    ["R11 ri_timer vs trampoline on one lease", leaseTimerVsReturn],
  ])("%s", (_name, scenario) => {
    const r = explore(scenario, { seeds: SEEDS });
    expect(r.found?.violation.message ?? null).toBeNull();
    expect(r.deadlocks).toBe(0);
  });
});

describe("lifetime races: the fault switch makes exploration find the race", () => {
  it.each([
    ["free-skip-gp", staleHitVsFree("nop"), /^use-after-free: .* touched freed uprobe \/usr\/bin\/app:0x100/],
    ["free-skip-gp", staleHitVsFree("ret"), /^use-after-free: .* touched freed uprobe \/usr\/bin\/app:0x100/],
    [
      "free-erase-unconditionally",
      dyingVsRegister,
      /^R7: consumer \d+ is registered on .*no longer in uprobes_tree/,
    ],
    ["hprobe-no-cmpxchg", leaseTimerVsReturn, /^R11: an SRCU lease released twice/],
  ])("%s", (fault, scenario, message) => {
    const r = explore(scenario, { seeds: SEEDS, faults: [fault] });
    expect(r.found).not.toBeNull();
    expect(r.found!.violation.message).toMatch(message);
    expect(r.found!.violation.interleaving).toMatch(/step \d+ cpu\d/);
  });
});
