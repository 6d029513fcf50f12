/**
 * Races between registration and the rest (kernel-model.md R8, R9, R16): a consumer's
 * UPROBE_HANDLER_REMOVE against a concurrent registration, handlers still running when
 * unregister and sync return, and mmap of a probed file against unregister.
 */
import { describe, expect, it } from "vitest";
import { do_munmap } from "../../../src/kernel/mm/index.js";
import { UPROBE_HANDLER_REMOVE } from "../../../src/kernel/uprobes/index.js";
import { counter, explore, functions, P, type Scenario, TEXT } from "./harness.js";

const SEEDS = 150;

/**
 * R8: for each of four functions, consumer A attaches (its filter wants the process), then
 * stops wanting it — its handler now returns UPROBE_HANDLER_REMOVE, as trace_uprobe's perf
 * side does when no event wants the mm — while consumer B, whose filter always wants the
 * process, attaches a moment later. Threads call the four functions in turn. When everything
 * has settled, every function must still have its breakpoint: B wants it.
 */
const removeVsRegister: Scenario = {
  build(w) {
    const fns = functions(4);
    const bin = w.binary("/usr/bin/app", fns);
    const mm = w.addressSpace();
    w.task("exec", function* () {
      yield* w.mapText(mm, bin);
      w.hitter(
        mm,
        "hitter0",
        fns.map((f) => TEXT + f.offset),
      );
      w.hitter(
        mm,
        "hitter1",
        fns.map((f) => TEXT + f.offset),
      );
      w.driver("registrarA", function* () {
        for (const f of fns) {
          let wanted = true;
          const a = counter({ filter: () => wanted, rc: () => (wanted ? 0 : UPROBE_HANDLER_REMOVE) });
          yield* w.attach(bin, f.offset, a);
          wanted = false;
          const delay = w.rng.below(6000);
          w.driver(`registrarB(${f.name})`, function* () {
            yield* w.m.sleep(delay);
            yield* w.attach(bin, f.offset, counter({ filter: () => true }));
          });
          yield* w.m.sleep(w.rng.below(6000));
        }
      });
    });
  },
};

/**
 * R9, entry side: f0 has consumers whose handlers take a few microseconds (a stack-walking BPF
 * program); in each round a registrar attaches a victim consumer, then three more, and
 * detaches the victim (unregister_nosync + one sync) while threads are in the middle of the
 * chain. Once the sync has returned the victim must never be called again.
 */
function unregisterVsChain(side: "entry" | "return"): Scenario {
  const ret = side === "return";
  return {
    build(w) {
      const fns = functions(1);
      const f0 = TEXT + fns[0].offset;
      const bin = w.binary("/usr/bin/app", fns);
      const mm = w.addressSpace();
      const kind = { entry: !ret, ret, cost: 3000 };
      w.task("exec", function* () {
        yield* w.mapText(mm, bin);
        w.hitter(mm, "hitter0", f0);
        w.hitter(mm, "hitter1", f0);
        w.driver("registrar", function* () {
          for (let r = 0; r < 4; r++) {
            const victim = yield* w.attach(bin, fns[0].offset, counter({ ...kind, cost: 0 }, w.m));
            for (let i = 0; i < 3; i++) yield* w.attach(bin, fns[0].offset, counter(kind, w.m));
            yield* w.m.sleep(w.rng.below(20_000));
            yield* w.detach([victim]);
          }
        });
      });
    },
  };
}

/**
 * R16: while a registrar detaches f0's consumer, another process maps the probed binary at
 * fresh addresses (each mmap runs uprobe_mmap, which may find the uprobe still in the tree,
 * its consumer already gone); bystander processes map it too and the first process calls f0
 * throughout. Each time the last consumer's unregister and sync have returned, no breakpoint
 * may survive in any process (the registrar runs the model's invariant sweep right then).
 */
const mmapVsUnregister: Scenario = {
  build(w) {
    const fns = functions(2);
    const f0 = TEXT + fns[0].offset;
    const bin = w.binary("/usr/bin/app", fns);
    const mm = w.addressSpace();
    const bystanders = [w.addressSpace(), w.addressSpace()];
    const other = w.addressSpace();
    w.task("exec", function* () {
      yield* w.mapText(mm, bin);
      for (const b of bystanders) yield* w.mapText(b, bin);
      w.hitter(mm, "hitter", f0);
      w.driver("registrar", function* () {
        for (let i = 0; i < 5; i++) {
          const reg = yield* w.attach(bin, fns[0].offset, counter());
          yield* w.m.sleep(w.rng.below(5000));
          const delays = [w.rng.below(8000), w.rng.below(8000), w.rng.below(8000)];
          w.driver(`mapper${i}`, function* () {
            for (let k = 0; k < delays.length; k++) {
              yield* w.m.sleep(delays[k]);
              yield* w.mapText(other, bin, TEXT + 16 * P * (3 * i + k));
            }
            yield* do_munmap(other, TEXT + 16 * P * 3 * i, 2 * P);
          });
          yield* w.detach([reg]);
          w.sweepNow();
        }
      });
    });
  },
};

describe("registration races: protection on, no violation over every seed and both policies", () => {
  it.each([
    ["R8 UPROBE_HANDLER_REMOVE vs concurrent registration", removeVsRegister],
    ["R9 handler after unregister + sync", unregisterVsChain("entry")],
    ["R9 ret_handler after unregister + sync", unregisterVsChain("return")],
    ["R16 mmap of the probed file vs unregister", mmapVsUnregister],
  ])("%s", (_name, scenario) => {
    const r = explore(scenario, { seeds: SEEDS });
    expect(r.found?.violation.message ?? null).toBeNull();
    expect(r.deadlocks).toBe(0);
  });
});

describe("registration races: the fault switch makes exploration find the race", () => {
  it.each([
    [
      "remove-skip-recheck",
      removeVsRegister,
      /^R8: mm\d+ is wanted by consumer \d+ .* but has no breakpoint/,
    ],
    ["unregister-skip-sync", unregisterVsChain("entry"), /^R9: consumer \d+ called after its unregister/],
    ["unregister-skip-sync", unregisterVsChain("return"), /^R9: ret_handler of consumer \d+ called after/],
    ["mmap-skip-filter", mmapVsUnregister, /^R16: breakpoint at 0x[0-9a-f]+ in mm\d+ .* survives/],
  ])("%s", (fault, scenario, message) => {
    const r = explore(scenario, { seeds: SEEDS, faults: [fault] });
    expect(r.found).not.toBeNull();
    expect(r.found!.violation.message).toMatch(message);
    expect(r.found!.violation.interleaving).toMatch(/step \d+ cpu\d/);
  });
});
