/**
 * Directed checks of the uprobes model against kernel/events/uprobes.c, one per place where
 * the model once disagreed with the kernel: unregistration's relaxed VMA filter, the mm pin
 * of build_map_info, the register_seq RFC as a real seqcount, and profiles that mixed designs.
 */
import { describe, expect, it } from "vitest";
import { ConfigError, PROFILES, resolveKernelConfig } from "../../../src/kernel/config.js";
import { do_mprotect, mmput, PROT_EXEC, PROT_READ, PROT_WRITE } from "../../../src/kernel/mm/index.js";
import { type Registration, UPROBE_HANDLER_REMOVE } from "../../../src/kernel/uprobes/index.js";
import { explore } from "../../../src/race/explore.js";
import { counter, functions, P, runScenario, type Scenario, TEXT } from "../../../src/race/harness.js";
import { removeVsRegister, trapVsReregister, unregisterVsChain } from "../../../src/race/scenarios.js";

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

describe("each profile is one kernel design end to end", () => {
  const policies = ["random", "pct", "time"] as const;

  it("srcu (Aug 2024 posting): uprobes are freed behind uprobes_srcu, the domain the hit reads", () => {
    const s = trapVsReregister();
    s.config = { ...PROFILES.srcu.config, ...s.config };
    const r = explore(s, { seeds: 15, policies });
    expect(r.found?.violation.message ?? null).toBeNull();
  });

  it("baseline (v6.9): return handlers run under register_rwsem, so unregister excludes them", () => {
    const s = unregisterVsChain("return");
    s.config = { ...PROFILES.baseline.config, ...s.config };
    const r = explore(s, { seeds: 15, policies });
    expect(r.found?.violation.message ?? null).toBeNull();
  });

  it("tasks-trace (v6.12): prepare_uretprobe does try_get_uprobe before hijacking and skips a dying uprobe", () => {
    const seen: number[] = [];
    const r = runScenario(
      {
        cpus: 1,
        quiescent: false,
        config: PROFILES["tasks-trace"].config,
        build(w) {
          const bin = w.binary("/usr/bin/app", fns);
          const mm = w.addressSpace();
          w.task("exec", function* () {
            yield* w.mapText(mm, bin);
            let reg: Registration | null = null;
            // A session consumer whose entry sees the last reference dropped under it (as a
            // concurrent unregister_nosync would, while this hit's walk still lists it).
            const c = counter({ ret: true });
            const entry = c.handler!;
            c.handler = (uc, regs, data) => {
              reg!.uprobe.ref.decAndTest();
              return entry(uc, regs, data);
            };
            reg = yield* w.attach(bin, fns[0].offset, c);
            w.thread(mm, "t", function* (t) {
              yield* w.call(t, f0);
              seen.push(c.hits, c.rets, t.utask!.depth);
              reg!.uprobe.ref.value++; // give the registration its reference back
            });
          });
        },
      },
      { seed: 1, policy: "random" },
    );
    expect(r.violation?.message ?? null).toBeNull();
    expect(seen).toEqual([1, 0, 0]);
  });

  it("rejects a combination no kernel had: a refcount-free hit with no read section", () => {
    expect(() => resolveKernelConfig("latest", ["consumers=rwsem"])).toThrow(ConfigError);
    expect(() => resolveKernelConfig("latest", ["consumers=rwsem"])).toThrow(/lifetime=rcu needs consumers=/);
  });

  it("v6.17 unapplies a REMOVE under mmap_read_lock; unapply_lock=write (v6.18) moves mm_lock_seq", () => {
    const seqAfter = (unapply: "read" | "write") => {
      let moved = -1;
      runScenario(
        {
          cpus: 1,
          config: { unapply_lock: unapply },
          build(w) {
            const bin = w.binary("/usr/bin/app", fns);
            const mm = w.addressSpace();
            w.driver("d", function* () {
              yield* w.mapText(mm, bin);
              let wanted = true;
              const c = counter({ filter: () => wanted, rc: () => UPROBE_HANDLER_REMOVE });
              const reg = yield* w.attach(bin, fns[0].offset, c);
              wanted = false;
              const before = mm.mm_lock_seq.sequence;
              w.thread(mm, "t", function* (t) {
                yield* w.call(t, f0);
                moved = mm.mm_lock_seq.sequence - before;
              });
              yield* w.m.sleep(50_000);
              yield* w.detach([reg]);
            });
          },
        },
        { seed: 1, policy: "random" },
      );
      return moved;
    };
    expect(seqAfter("read")).toBe(0);
    expect(seqAfter("write")).toBe(2);
  });
});
