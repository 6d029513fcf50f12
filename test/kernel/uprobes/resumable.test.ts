/**
 * The hit path's resumable plain functions (handle_swbp, find_active_uprobe_speculative,
 * find_uprobe_rcu, handler_chain, prepare_uretprobe, uprobe_handle_trampoline: sim/machine.ts
 * PENDING) keep every interleaving point of the generator
 * versions they replace: under an exploration policy, where every interleaving point
 * yields, a hit is one step per point, in the kernel's order, hit after hit; under the
 * default policy on one CPU nothing can come between them and the hit runs in one step.
 */
import { describe, expect, it } from "vitest";
import type { KernelConfig } from "../../../src/kernel/config.js";
import type { TaskStruct } from "../../../src/kernel/task.js";
import { handle_swbp, handle_swbp_resumable, SwbpResult } from "../../../src/kernel/uprobes/index.js";
import {
  CALLER_RET,
  type Counter,
  counter,
  functions,
  runScenario,
  TEXT,
  type World,
} from "../../../src/race/harness.js";
import type { Policy, Sub } from "../../../src/sim/machine.js";

const fns = functions(2);

/**
 * The step labels of a thread "hitter" running `body` `times` times on one CPU, with
 * `consumers` attached at fns[0]; `labels` is what the observer has seen so far.
 */
function hitterLabels(
  policy: Policy,
  times: number,
  consumers: () => Counter[],
  body: (w: World, t: TaskStruct) => Sub<void>,
  config: Partial<KernelConfig> = {},
): string[] {
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
          for (const c of consumers()) yield* w.attach(bin, fns[0].offset, c);
          w.thread(mm, "hitter", function* (t) {
            for (let i = 0; i < times; i++) yield* body(w, t);
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

/** The step labels of the hitting thread over `hits` hits on one consumer (two with `two`). */
function hitLabels(policy: Policy, hits: number, two = false, config: Partial<KernelConfig> = {}): string[] {
  const consumers = () => (two ? [counter(), counter()] : [counter()]);
  return hitterLabels(policy, hits, consumers, hit, config);
}

function* hit(w: World, t: TaskStruct): Sub<void> {
  t.regs.ip = TEXT + fns[0].offset;
  yield* handle_swbp(w.u, t);
  w.m.label = "user: between hits";
  yield 0;
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

/** One thread's uretprobe round trips on a session consumer: entry trap, then the trampoline. */
function roundTrips(policy: Policy, trips: number, body: (w: World, t: TaskStruct) => Sub<void>): string[] {
  return hitterLabels(policy, trips, () => [counter({ ret: true })], body);
}

const SP = 0x7ffe0000;

/** Enter fns[0] (a trap that hijacks the return address), then return through the trampoline. */
function* roundTrip(w: World, t: TaskStruct): Sub<void> {
  t.regs.sp = SP;
  t.regs.ret = CALLER_RET;
  t.regs.ip = TEXT + fns[0].offset;
  yield* handle_swbp(w.u, t);
  w.m.label = "user: in the function";
  yield 0;
  t.regs.sp = SP + 8;
  t.regs.ip = t.regs.ret;
  yield* handle_swbp(w.u, t);
  w.m.label = "user: returned";
  yield 0;
}

describe("resumable uretprobe path", () => {
  it("stops at prepare_uretprobe, before each return consumer and at the trampoline's end, trip after trip", () => {
    const labels = roundTrips("random", 3, roundTrip);
    const first = labels.indexOf("user: returned") + 1;
    // The first trip also maps the [uprobes] page (xol_add_vma); the later ones are alike.
    expect(labels.slice(0, first)).toContain("xol_add_vma");
    const later = labels.slice(first, labels.length - 1);
    const trip = later.slice(0, later.indexOf("user: returned") + 1);
    expect(later).toEqual([...trip, ...trip]);
    expect(trip.slice(trip.indexOf("handler_chain: next consumer"))).toEqual([
      "handler_chain: next consumer",
      "prepare_uretprobe",
      "handle_swbp: return to user",
      "user: in the function",
      "handle_uretprobe_chain: next consumer",
      "uprobe_handle_trampoline",
      "user: returned",
    ]);
  });

  it("answers a warm round trip in one plain call each when nothing can come between", () => {
    const answers: unknown[] = [];
    roundTrips("time", 1, function* (w, t) {
      yield* roundTrip(w, t); // maps the [uprobes] page: a generator handed over
      t.regs.sp = SP;
      t.regs.ret = CALLER_RET;
      t.regs.ip = TEXT + fns[0].offset;
      answers.push(handle_swbp_resumable(w.u, t), t.swbp.sub);
      t.regs.sp = SP + 8;
      t.regs.ip = t.regs.ret;
      answers.push(handle_swbp_resumable(w.u, t), t.swbp.sub, t.regs.ip);
      yield 0;
    });
    expect(answers).toEqual([SwbpResult.Done, null, SwbpResult.Done, null, CALLER_RET]);
  });
});
