/**
 * The trap path before handle_swbp: uprobe_pre_sstep_notifier passes an int3 on to uprobes
 * only when the mm has MMF_HAS_UPROBES or the task has pending return instances; any other
 * int3 (a debugger's) is an ordinary SIGTRAP. And the SIGTRAP-or-restart decision is the
 * trapping task's own (the kernel's is_swbp is a local of handle_swbp).
 */
import { describe, expect, it } from "vitest";
import { handle_swbp, SwbpResult } from "../../../src/kernel/uprobes/index.js";
import { explore } from "../../../src/race/explore.js";
import { counter, functions, runScenario, type Scenario, TEXT } from "../../../src/race/harness.js";

const fns = functions(3);
const addr = (i: number) => TEXT + fns[i].offset;

describe("uprobe_pre_sstep_notifier", () => {
  it("a debugger's int3 in an mm without uprobes is a SIGTRAP that never reaches handle_swbp's lookup", () => {
    const seen: unknown[] = [];
    const r = runScenario(
      {
        cpus: 1,
        build(w) {
          const bin = w.binary("/usr/bin/app", fns);
          const mm = w.addressSpace();
          w.task("exec", function* () {
            yield* w.mapText(mm, bin);
            mm.poke_int3(addr(1));
            w.thread(mm, "t", function* (t) {
              t.regs.ip = addr(1);
              seen.push(yield* handle_swbp(w.u, t), t.sigtrap, w.u.stats.hits, w.u.stats.sigtraps);
            });
          });
        },
      },
      { seed: 1, policy: "random" },
    );
    expect(r.violation?.message ?? null).toBeNull();
    expect(seen).toEqual([SwbpResult.Sigtrap, true, 0, 1]);
  });

  it("with MMF_HAS_UPROBES set the same int3 goes through the lookup and is still a SIGTRAP", () => {
    const seen: unknown[] = [];
    const r = runScenario(
      {
        cpus: 1,
        quiescent: false,
        build(w) {
          const bin = w.binary("/usr/bin/app", fns);
          const mm = w.addressSpace();
          w.task("exec", function* () {
            yield* w.mapText(mm, bin);
            yield* w.attach(bin, fns[0].offset, counter());
            mm.poke_int3(addr(1));
            w.thread(mm, "t", function* (t) {
              t.regs.ip = addr(1);
              seen.push(yield* handle_swbp(w.u, t), w.u.stats.hits, w.u.stats.sigtraps);
            });
          });
        },
      },
      { seed: 1, policy: "random" },
    );
    expect(r.violation?.message ?? null).toBeNull();
    expect(seen).toEqual([SwbpResult.Sigtrap, 1, 1]);
  });
});

describe("is_swbp belongs to the trapping task", () => {
  it("a thread on a debugger's int3 always gets SIGTRAP, whatever another thread's lookup found", () => {
    const restarts: number[] = [];
    const s: Scenario = {
      cpus: 4,
      quiescent: false,
      build(w) {
        const bin = w.binary("/usr/bin/app", fns);
        const mm = w.addressSpace();
        w.task("exec", function* () {
          yield* w.mapText(mm, bin);
          yield* w.attach(bin, fns[0].offset, counter());
          mm.poke_int3(addr(1));
          for (let i = 0; i < 3; i++) w.hitter(mm, `hitter${i}`, addr(0), { work: 50, max: 200 });
          w.thread(mm, "debuggee", function* (t) {
            let n = 0;
            for (let i = 0; i < 100; i++) {
              t.regs.ip = addr(1);
              if ((yield* handle_swbp(w.u, t)) === SwbpResult.Restart) n++;
              yield w.m.cost(50);
            }
            restarts.push(n);
          });
        });
      },
    };
    const r = explore(s, { seeds: 30 });
    expect(r.found?.violation.message ?? null).toBeNull();
    expect(restarts.length).toBeGreaterThan(0);
    expect(restarts.every((n) => n === 0)).toBe(true);
  });
});
