/**
 * Directed checks of the uprobes model against kernel/events/uprobes.c, one per place where
 * the model once disagreed with the kernel: unregistration's relaxed VMA filter, the mm pin
 * of build_map_info, and the register_seq RFC as a real seqcount.
 */
import { describe, expect, it } from "vitest";
import { do_mprotect, mmput, PROT_EXEC, PROT_READ, PROT_WRITE } from "../../../src/kernel/mm/index.js";
import {
  counter,
  explore,
  functions,
  P,
  runScenario,
  type Scenario,
  TEXT,
} from "../../../src/race/harness.js";
import { removeVsRegister } from "../../../src/race/scenarios.js";

const fns = functions(1);
const f0 = TEXT + fns[0].offset;

describe("build_map_info and register_for_each_vma", () => {
  it("unregister removes a breakpoint whose text was made writable after the install", () => {
    const seen: boolean[] = [];
    const r = runScenario(
      {
        cpus: 1,
        build(w) {
          const bin = w.binary("/usr/bin/app", fns);
          const mm = w.addressSpace();
          w.driver("d", function* () {
            yield* w.mapText(mm, bin);
            const reg = yield* w.attach(bin, fns[0].offset, counter());
            seen.push(mm.breakpointAt(f0));
            yield* do_mprotect(mm, TEXT, 2 * P, PROT_READ | PROT_WRITE | PROT_EXEC);
            yield* w.detach([reg]);
            seen.push(mm.breakpointAt(f0));
          });
        },
      },
      { seed: 1, policy: "random" },
    );
    expect(r.violation?.message ?? null).toBeNull();
    expect(seen).toEqual([true, false]);
  });

  it("pins each mm it found (mmget_not_zero/mmput): a process exiting meanwhile is never touched freed", () => {
    const s: Scenario = {
      build(w) {
        const bin = w.binary("/usr/bin/app", fns);
        const mms = [w.addressSpace(), w.addressSpace(), w.addressSpace(), w.addressSpace()];
        w.task("exec", function* () {
          for (const mm of mms) yield* w.mapText(mm, bin);
          w.driver("registrar", function* () {
            for (let i = 0; i < 8; i++) {
              const reg = yield* w.attach(bin, fns[0].offset, counter());
              yield* w.detach([reg]);
            }
          });
          for (const [i, mm] of mms.entries()) {
            w.task(`exit${i}`, function* () {
              yield* w.m.sleep(w.rng.below(400_000));
              yield* mmput(mm);
            });
          }
        });
      },
    };
    const r = explore(s, { seeds: 60 });
    expect(r.found?.violation.message ?? null).toBeNull();
  });
});

describe("remove_recheck=register-seq (PeterZ's RFC) is a seqcount around register and unregister", () => {
  it("finds no R8 over the seeds that the counter form failed on", () => {
    const s = removeVsRegister();
    s.config = { ...s.config, remove_recheck: "register-seq" };
    const r = explore(s, { seeds: 40 });
    expect(r.found?.violation.message ?? null).toBeNull();
  });
});
