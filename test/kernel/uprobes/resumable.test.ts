/**
 * The hit path's resumable plain functions (find_active_uprobe_speculative, find_uprobe_rcu,
 * handler_chain: sim/machine.ts PENDING) keep every interleaving point of the generator
 * versions they replace: under an exploration policy, where every interleaving point
 * yields, a hit is one step per point, in the kernel's order, hit after hit; under the
 * default policy on one CPU nothing can come between them and the hit runs in one step.
 */
import { describe, expect, it } from "vitest";
import type { KernelConfig } from "../../../src/kernel/config.js";
import { handle_swbp } from "../../../src/kernel/uprobes/index.js";
import { counter, functions, runScenario, TEXT } from "../../../src/race/harness.js";
import type { Policy } from "../../../src/sim/machine.js";

const fns = functions(2);

/** The step labels of the hitting thread over `hits` hits on one consumer (two with `two`). */
function hitLabels(policy: Policy, hits: number, two = false, config: Partial<KernelConfig> = {}): string[] {
  const labels: string[] = [];
  const r = runScenario(
    {
      cpus: 1,
      config,
      build(w) {
        const bin = w.binary("/usr/bin/app", fns);
        const mm = w.addressSpace();
        w.task("exec", function* () {
          yield* w.mapText(mm, bin);
          yield* w.attach(bin, fns[0].offset, counter());
          if (two) yield* w.attach(bin, fns[0].offset, counter());
          w.thread(mm, "hitter", function* (t) {
            for (let i = 0; i < hits; i++) {
              t.regs.ip = TEXT + fns[0].offset;
              yield* handle_swbp(w.u, t);
              w.m.label = "user: between hits";
              yield 0;
            }
          });
        });
      },
    },
    {
      seed: 1,
      policy,
      observer: {
        step(_cpu, task, label) {
          if (task.name === "hitter") labels.push(label);
        },
      },
    },
  );
  expect(r.violation?.message ?? null).toBeNull();
  return labels;
}

const ONE_HIT = [
  "mmap_lock_speculate_try_begin",
  "speculative: vma_lookup",
  "speculative: READ_ONCE(vm_file)",
  "find_uprobe_rcu: walk",
  "mmap_lock_speculate_retry",
  "handler_chain: next consumer",
  "handle_swbp: return to user",
  "user: between hits",
];

/** The thread's last step (its body returns) carries no label. */
const THREAD_EXIT = "";

describe("resumable hit path", () => {
  it("stops at every interleaving point of a hit, in order, hit after hit", () => {
    expect(hitLabels("random", 3)).toEqual([...ONE_HIT, ...ONE_HIT, ...ONE_HIT, THREAD_EXIT]);
  });

  it("stops before each consumer of the walk", () => {
    const labels = hitLabels("pct", 1, true);
    expect(labels.filter((l) => l === "handler_chain: next consumer")).toHaveLength(2);
  });

  it("hands the locked lookup to handle_swbp when speculation is off, at the same points", () => {
    const labels = hitLabels("random", 2, false, { vma_lookup: "locked" });
    const oneHit = labels.slice(0, labels.indexOf("user: between hits") + 1);
    expect(oneHit).toContain("find_uprobe_rcu: walk");
    expect(oneHit).toContain("find_active_uprobe: mmap_read_unlock");
    expect(oneHit).not.toContain("speculative: vma_lookup");
    expect(labels).toEqual([...oneHit, ...oneHit, THREAD_EXIT]);
  });

  it("runs a hit as one step when nothing can come between its interleaving points", () => {
    const between = "user: between hits";
    expect(hitLabels("time", 3)).toEqual([between, between, between, THREAD_EXIT]);
  });
});
