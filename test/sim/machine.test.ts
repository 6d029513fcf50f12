import { describe, expect, it } from "vitest";
import { DEFAULT_COST_PROFILE } from "../../src/sim/cost-profile.js";
import { BLOCK, Machine, SimViolation, type Sub, TaskState, WaitQueue } from "../../src/sim/machine.js";
import { Prng } from "../../src/sim/prng.js";
import { RcuDomain } from "../../src/sim/sync/rcu.js";
import { Mutex } from "../../src/sim/sync/spinlock.js";

/** A task body that yields the given step costs, labelling each step. */
function steps(m: Machine, tag: string, costs: number[]): () => Sub<void> {
  return function* () {
    for (let i = 0; i < costs.length; i++) {
      m.label = `${tag}${i}`;
      yield costs[i];
    }
  };
}

function labels(m: Machine): string[] {
  return m
    .traceEvents()
    .map((e) => e.label)
    .filter((l) => l !== "");
}

function caught(run: () => unknown): SimViolation {
  try {
    run();
  } catch (e) {
    if (e instanceof SimViolation) return e;
    throw e;
  }
  throw new Error("expected a SimViolation");
}

describe("Machine: construction", () => {
  it("accepts 1..128 CPUs and rejects anything else", () => {
    expect(new Machine({ cpus: 1 }).cpus).toHaveLength(1);
    expect(new Machine({ cpus: 128 }).cpus).toHaveLength(128);
    for (const bad of [0, 129, 2.5, -1]) expect(() => new Machine({ cpus: bad })).toThrow(RangeError);
  });

  it("defaults to the time policy, seed 1 and a copy of the calibrated profile", () => {
    const m = new Machine({ cpus: 2 });
    expect(m.policy).toBe("time");
    expect(m.seed).toBe(1);
    expect(m.profile).toEqual(DEFAULT_COST_PROFILE);
    m.profile.trap = 1;
    expect(DEFAULT_COST_PROFILE.trap).not.toBe(1);
  });
});

describe("Machine: the time policy", () => {
  it("always runs the CPU whose clock is furthest behind, ties to the lower id", () => {
    const m = new Machine({ cpus: 2, traceSteps: 64 });
    m.spawn("a", steps(m, "a", [10, 10, 10, 10]), 0);
    m.spawn("b", steps(m, "b", [25, 25]), 1);
    expect(m.runToCompletion()).toBe(true);
    // a at 0,10,20,30; b at 0,25: ordered by start time, cpu0 first on ties.
    expect(labels(m)).toEqual(["a0", "b0", "a1", "a2", "b1", "a3"]);
    const labelled = m.traceEvents().filter((e) => e.label !== "");
    expect(labelled.map((e) => e.time)).toEqual([0, 0, 10, 20, 25, 30]);
  });

  it("keeps one clock per CPU, advanced by step costs and charged work", () => {
    const m = new Machine({ cpus: 3 });
    m.spawn("a", steps(m, "a", [7, 7, 7]), 0);
    m.spawn(
      "b",
      function* () {
        m.cost(40);
        yield 2;
      },
      1,
    );
    m.runToCompletion();
    expect(m.cpus.map((c) => c.clock)).toEqual([21, 42, 0]);
    expect(m.cpus.map((c) => c.busy)).toEqual([21, 42, 0]);
    expect(m.minClock()).toBe(0);
  });

  it("places spawned tasks round-robin unless a CPU is given", () => {
    const m = new Machine({ cpus: 3 });
    const t = [0, 1, 2, 3].map((i) => m.spawn(`t${i}`, steps(m, "", [1])));
    expect(t.map((x) => x.cpu.id)).toEqual([0, 1, 2, 0]);
    expect(m.spawn("x", steps(m, "", [1]), 7).cpu.id).toBe(1);
  });

  it("stops at the limit and resumes exactly where it stopped", () => {
    const m = new Machine({ cpus: 1, traceSteps: 16 });
    m.spawn("a", steps(m, "a", [10, 10, 10, 10, 10]));
    m.runUntil(25);
    expect(m.cpus[0].clock).toBe(30);
    expect(m.steps).toBe(3);
    m.runUntil(1_000);
    // Five yields, plus the step that runs from the last yield to the body's return.
    expect(m.steps).toBe(6);
    expect(labels(m)).toEqual(["a0", "a1", "a2", "a3", "a4"]);
  });

  it("stop() ends the run after the current step", () => {
    const m = new Machine({ cpus: 1 });
    m.spawn("a", function* () {
      for (let i = 0; i < 100; i++) {
        if (i === 3) m.stop();
        yield 1;
      }
    });
    m.runToCompletion();
    expect(m.steps).toBe(4);
  });
});

describe("Machine: blocking and wakeups", () => {
  it("takes a blocked task off its CPU, which runs another runnable task", () => {
    const m = new Machine({ cpus: 1, traceSteps: 16 });
    const wq = new WaitQueue();
    m.spawn("sleeper", function* () {
      m.label = "wait";
      yield* m.wait(wq);
      m.label = "woken";
      yield 1;
    });
    m.spawn("waker", function* () {
      m.label = "work";
      yield 50;
      m.label = "wake";
      m.wakeOne(wq);
      yield 1;
    });
    expect(m.runToCompletion()).toBe(true);
    expect(labels(m)).toEqual(["wait", "work", "wake", "woken"]);
    expect(m.tasks.every((t) => t.state === TaskState.Done)).toBe(true);
  });

  it("an idle CPU sleeps until woken, then starts at the waker's time", () => {
    const m = new Machine({ cpus: 2, traceSteps: 16 });
    const wq = new WaitQueue();
    m.spawn(
      "sleeper",
      function* () {
        yield* m.wait(wq);
        m.label = "woken";
        yield 1;
      },
      1,
    );
    m.spawn(
      "waker",
      function* () {
        yield 1_000;
        m.cost(5);
        m.wakeAll(wq);
        yield 1;
      },
      0,
    );
    m.runToCompletion();
    const woken = m.traceEvents().find((e) => e.label === "woken")!;
    expect(woken.cpu).toBe(1);
    expect(woken.time).toBe(1_005);
    // Idle time is not busy time.
    expect(m.cpus[1].busy).toBe(1);
  });

  it("sleep(ns) takes the task off-CPU for exactly ns", () => {
    const m = new Machine({ cpus: 1, traceSteps: 8 });
    m.spawn("s", function* () {
      yield 10;
      yield* m.sleep(5_000);
      m.label = "back";
      yield 1;
    });
    m.runToCompletion();
    expect(m.traceEvents().find((e) => e.label === "back")!.time).toBe(5_010);
  });

  it("each of a task's sleeps ends at its own time, with other tasks' timers between", () => {
    // A task reuses one sleep queue: every sleep must still be woken by its own timer, once.
    const m = new Machine({ cpus: 2, traceSteps: 64 });
    for (const [name, nap] of [
      ["a", 3_000],
      ["b", 1_000],
    ] as const) {
      m.spawn(name, function* () {
        for (let i = 0; i < 3; i++) {
          yield* m.sleep(nap * (i + 1));
          m.label = `${name}${i}`;
          yield 10;
        }
      });
    }
    m.runToCompletion();
    const at = (label: string) => m.traceEvents().find((e) => e.label === label)!.time;
    expect([at("a0"), at("a1"), at("a2")]).toEqual([3_000, 9_010, 18_020]);
    expect([at("b0"), at("b1"), at("b2")]).toEqual([1_000, 3_010, 6_020]);
    expect(m.traceEvents().filter((e) => /^[ab]\d$/.test(e.label))).toHaveLength(6);
  });

  it("wakeOne wakes in FIFO order; wakeAll wakes everyone", () => {
    const m = new Machine({ cpus: 1 });
    const wq = new WaitQueue();
    const order: string[] = [];
    for (const name of ["x", "y", "z"]) {
      m.spawn(name, function* () {
        yield* m.wait(wq);
        order.push(name);
      });
    }
    m.spawn("waker", function* () {
      yield 1;
      expect(m.wakeOne(wq)?.name).toBe("x");
      yield 1;
      m.wakeAll(wq);
      expect(m.wakeOne(wq)).toBeNull();
      yield 1;
    });
    m.runToCompletion();
    expect(order).toEqual(["x", "y", "z"]);
  });

  it("under exploration a lagging CPU still never runs a woken task before its wakeup", () => {
    for (let seed = 1; seed <= 50; seed++) {
      const m = new Machine({ cpus: 2, seed, policy: "random" });
      let back = -1;
      m.spawn(
        "sleeper",
        function* () {
          yield* m.sleep(5_000);
          back = m.now();
        },
        0,
      );
      m.spawn("short", steps(m, "s", [10, 10, 10]), 0);
      m.spawn("long", steps(m, "l", new Array(20).fill(1_000)), 1);
      m.runToCompletion();
      expect(back).toBeGreaterThanOrEqual(5_000);
    }
  });

  it("a task spawned from a timer on an idle CPU starts at the timer's time, not in the past", () => {
    const m = new Machine({ cpus: 2, traceSteps: 8 });
    m.addTimer(1_000_000, () => {
      m.spawn("late", steps(m, "late", [1]), 1);
    });
    m.runToCompletion();
    expect(m.traceEvents()[0]).toMatchObject({ label: "late0", cpu: 1, time: 1_000_000 });
  });
});

describe("Machine: mustYield", () => {
  it("says yield when a CPU woken in this step now comes first (it went to the heap's root)", () => {
    function order(skipYields: boolean): string[] {
      const m = new Machine({ cpus: 2 });
      const log: string[] = [];
      m.spawn(
        "a",
        function* () {
          m.spawn(
            "b",
            function* () {
              log.push("b");
              yield 1;
            },
            0,
          );
          if (!skipYields || m.mustYield()) yield 0;
          log.push("a");
          yield 1;
        },
        1,
      );
      m.runToCompletion();
      return log;
    }
    // CPU 0 was idle at t=0 and has the lower id: b runs before a goes on.
    expect(order(false)).toEqual(["b", "a"]);
    expect(order(true)).toEqual(order(false));
  });

  it("lets a lone CPU go on, and always yields under the exploration policies", () => {
    const m = new Machine({ cpus: 1 });
    const r = new Machine({ cpus: 1, policy: "random" });
    const seen: boolean[] = [];
    m.spawn("a", function* () {
      seen.push(m.mustYield());
      yield 1;
    });
    r.spawn("a", function* () {
      seen.push(r.mustYield());
      yield 1;
    });
    m.runToCompletion();
    r.runToCompletion();
    expect(seen).toEqual([false, true]);
  });

  it("timingYield: ends the step when a CPU is behind, alone it goes on, and exploration never stops", () => {
    function seen(policy: "time" | "random", cpus: number): boolean[] {
      const m = new Machine({ cpus, policy });
      const out: boolean[] = [];
      m.spawn(
        "a",
        function* () {
          m.cost(100); // now ahead of every other CPU's clock
          out.push(m.timingYield());
          yield 1;
        },
        0,
      );
      if (cpus > 1) m.spawn("b", steps(m, "b", [1]), 1);
      m.runToCompletion();
      return out;
    }
    expect(seen("time", 2)).toEqual([true]); // CPU 1's task is still at t=0, behind this step
    expect(seen("time", 1)).toEqual([false]);
    // Under exploration mustYield always says yes, but this is no race window to explore.
    expect(seen("random", 2)).toEqual([false]);
  });
});

describe("Machine: timers", () => {
  it("fire in time order, ties in the order they were added", () => {
    const m = new Machine({ cpus: 1 });
    const rng = new Prng(7);
    const fired: [number, number][] = [];
    for (let i = 0; i < 500; i++) {
      const t = rng.below(50);
      m.addTimer(t, () => fired.push([t, i]));
    }
    m.runToCompletion();
    expect(fired).toHaveLength(500);
    const sorted = [...fired].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    expect(fired).toEqual(sorted);
  });

  it("a timer added while timers fire still fires in order", () => {
    const m = new Machine({ cpus: 1 });
    const fired: number[] = [];
    m.addTimer(10, () => {
      fired.push(10);
      m.addTimer(15, () => fired.push(15));
      m.addTimer(10, () => fired.push(10.5));
    });
    m.addTimer(20, () => fired.push(20));
    m.runToCompletion();
    expect(fired).toEqual([10, 10.5, 15, 20]);
  });

  it("fire on simulated time between task steps", () => {
    const m = new Machine({ cpus: 1, traceSteps: 16 });
    let seenAt = -1;
    m.addTimer(35, () => {
      seenAt = m.steps;
    });
    m.spawn("a", steps(m, "a", [10, 10, 10, 10, 10]));
    m.runToCompletion();
    // Steps start at 0,10,20,30,40: the timer at 35 fires after the step at 30.
    expect(seenAt).toBe(4);
  });

  it("a timer due at a step's start time fires before that step", () => {
    const m = new Machine({ cpus: 1 });
    let stepsBefore = -1;
    m.addTimer(20, () => {
      stepsBefore = m.steps;
    });
    m.spawn("a", steps(m, "a", [10, 10, 10]));
    m.runToCompletion();
    expect(stepsBefore).toBe(2);
  });

  it("an idle machine does not fire timers at or after the limit", () => {
    const m = new Machine({ cpus: 1 });
    let fired = 0;
    m.addTimer(100, () => fired++);
    m.runUntil(100);
    expect(fired).toBe(0);
    m.runUntil(101);
    expect(fired).toBe(1);
  });
});

describe("Machine: interrupt-context tasks", () => {
  it("preempt the current task at its next step and run to completion first", () => {
    const m = new Machine({ cpus: 1, traceSteps: 16 });
    m.spawn("task", steps(m, "t", [10, 10, 10, 10]));
    m.raiseIrq(0, 15, "timer-irq", function* () {
      m.label = "irq0";
      yield 3;
      m.label = "irq1";
      yield 3;
    });
    m.runToCompletion();
    expect(labels(m)).toEqual(["t0", "t1", "irq0", "irq1", "t2", "t3"]);
    expect(m.traceEvents()[2]).toMatchObject({ name: "timer-irq", time: 20 });
    expect(m.interleaving()).toContain("timer-irq: irq0");
  });

  it("wake an idle CPU at the interrupt's time", () => {
    const m = new Machine({ cpus: 2, traceSteps: 8 });
    m.spawn("busy", steps(m, "b", [1_000]), 0);
    m.raiseIrq(1, 300, "irq", steps(m, "irq", [1]));
    m.runToCompletion();
    expect(m.traceEvents().find((e) => e.label === "irq0")).toMatchObject({ cpu: 1, time: 300 });
  });

  it("may not block: that is scheduling while atomic", () => {
    const m = new Machine({ cpus: 1, traceSteps: 8 });
    const wq = new WaitQueue();
    m.raiseIrq(0, 5, "bad-irq", function* () {
      yield* m.wait(wq);
    });
    expect(caught(() => m.runToCompletion()).message).toMatch(/bad-irq: interrupt context blocked/);
  });
});

describe("Machine: time-slice rotation", () => {
  it("rotates the run queue when a slice ends and charges a context switch", () => {
    const profile = { ...DEFAULT_COST_PROFILE, timeSlice: 100, contextSwitch: 7 };
    const m = new Machine({ cpus: 1, profile, traceSteps: 64 });
    m.spawn("a", steps(m, "a", [60, 60, 60, 60]));
    m.spawn("b", steps(m, "b", [60, 60, 60, 60]));
    m.runToCompletion();
    expect(labels(m)).toEqual(["a0", "a1", "b0", "b1", "a2", "a3", "b2", "b3"]);
    // Four context switches: a's body still has its final (returning) step when b's slice ends.
    expect(m.cpus[0].clock).toBe(8 * 60 + 4 * 7);
  });

  it("does not rotate a task that is alone on its CPU", () => {
    const profile = { ...DEFAULT_COST_PROFILE, timeSlice: 10, contextSwitch: 1_000 };
    const m = new Machine({ cpus: 1, profile });
    m.spawn("a", steps(m, "a", [60, 60, 60]));
    m.runToCompletion();
    expect(m.cpus[0].clock).toBe(180);
  });
});

describe("Machine: exploration policies", () => {
  function twoCpuOrder(policy: "random" | "pct", seed: number, pctDepth = 3): string {
    const m = new Machine({ cpus: 2, seed, policy, traceSteps: 64, pctDepth, pctSteps: 10 });
    m.spawn("a", steps(m, "a", [1, 1, 1, 1, 1]), 0);
    m.spawn("b", steps(m, "b", [1, 1, 1, 1, 1]), 1);
    m.runToCompletion();
    return labels(m)
      .map((l) => l[0])
      .join("");
  }

  it("random: is a pure function of the seed and explores different orders", () => {
    expect(twoCpuOrder("random", 5)).toBe(twoCpuOrder("random", 5));
    const orders = new Set<string>();
    for (let s = 1; s <= 30; s++) orders.add(twoCpuOrder("random", s));
    expect(orders.size).toBeGreaterThan(10);
  });

  it("pct depth 1: the higher-priority CPU runs until it has nothing left", () => {
    const orders = new Set<string>();
    for (let s = 1; s <= 20; s++) orders.add(twoCpuOrder("pct", s, 1));
    expect([...orders].sort()).toEqual(["aaaaabbbbb", "bbbbbaaaaa"]);
  });

  it("pct depth 2: one change point hands the CPU over exactly once", () => {
    for (let s = 1; s <= 20; s++) {
      const order = twoCpuOrder("pct", s, 2);
      const switches = [...order].filter((c, i) => i > 0 && c !== order[i - 1]).length;
      expect(switches).toBeLessThanOrEqual(2);
      expect(order.split("").sort().join("")).toBe("aaaaabbbbb");
    }
    const orders = new Set<string>();
    for (let s = 1; s <= 40; s++) orders.add(twoCpuOrder("pct", s, 2));
    // Some seeds interrupt the first CPU's run mid-way.
    expect([...orders].some((o) => o !== "aaaaabbbbb" && o !== "bbbbbaaaaa")).toBe(true);
  });

  it("pct: a run with spinning CPUs still ends at the time limit", () => {
    const m = new Machine({ cpus: 3, seed: 3, policy: "pct", pctDepth: 1 });
    for (let c = 0; c < 3; c++) {
      m.spawn(
        `spin${c}`,
        function* () {
          while (true) yield 10;
        },
        c,
      );
    }
    expect(m.runUntil(10_000)).toBe(true);
    for (const cpu of m.cpus) expect(cpu.clock).toBeGreaterThanOrEqual(10_000);
  });

  it("pct: a CPU spinning on a lower-priority CPU's work is demoted instead of hanging the run", () => {
    for (let seed = 1; seed <= 10; seed++) {
      const m = new Machine({ cpus: 2, seed, policy: "pct", pctDepth: 1, pctSteps: 50 });
      let flag = false;
      m.spawn(
        "waiter",
        function* () {
          while (!flag) yield 1; // polls; without demotion PCT would run it forever
        },
        0,
      );
      m.spawn(
        "setter",
        function* () {
          yield 1;
          flag = true;
        },
        1,
      );
      expect(m.runToCompletion()).toBe(true);
      expect(flag).toBe(true);
      expect(m.steps).toBeLessThan(200);
    }
  });

  it("random: a run with spinning CPUs ends at the time limit", () => {
    const m = new Machine({ cpus: 4, seed: 3, policy: "random" });
    for (let c = 0; c < 4; c++) {
      m.spawn(`spin${c}`, function* () {
        while (true) yield 10;
      });
    }
    m.runUntil(5_000);
    for (const cpu of m.cpus) expect(cpu.clock).toBeGreaterThanOrEqual(5_000);
  });
});

describe("Machine: deadlock detection", () => {
  it("reports an ABBA deadlock: the run returns false", () => {
    const m = new Machine({ cpus: 2 });
    const a = new Mutex(m, "A");
    const b = new Mutex(m, "B");
    m.spawn("ab", function* () {
      yield* a.lock();
      yield 100;
      yield* b.lock();
    });
    m.spawn("ba", function* () {
      yield* b.lock();
      yield 100;
      yield* a.lock();
    });
    expect(m.runToCompletion()).toBe(false);
    expect(m.isDeadlocked()).toBe(true);
    expect(m.tasks.map((t) => t.state)).toEqual([TaskState.Blocked, TaskState.Blocked]);
  });

  it("a task sleeping on a timer is not deadlocked", () => {
    const m = new Machine({ cpus: 1 });
    m.spawn("s", function* () {
      yield* m.sleep(1e9);
    });
    expect(m.runUntil(1_000)).toBe(true);
    expect(m.isDeadlocked()).toBe(false);
    expect(m.runToCompletion()).toBe(true);
    expect(m.tasks[0].state).toBe(TaskState.Done);
  });

  it("a task that yields BLOCK without waiting is caught instead of silently lost", () => {
    const m = new Machine({ cpus: 1 });
    m.spawn("lost", function* () {
      yield BLOCK;
    });
    expect(caught(() => m.runToCompletion()).message).toMatch(/lost yielded BLOCK without waiting/);
  });

  it("a negative or NaN step cost is refused (clocks never run backwards)", () => {
    for (const cost of [-5, Number.NaN]) {
      const m = new Machine({ cpus: 1 });
      m.spawn("back", function* () {
        yield cost;
      });
      expect(caught(() => m.runToCompletion()).message).toMatch(/invalid step cost/);
    }
  });

  it("a task that exits inside a read-side critical section is caught", () => {
    const m = new Machine({ cpus: 1 });
    const rcu = new RcuDomain(m, "rcu", 0, 1, () => 1_000);
    m.spawn("leaky", function* () {
      rcu.readLock();
      yield 1;
    });
    expect(caught(() => m.runToCompletion()).message).toMatch(/leaky exited inside a read-side/);
  });
});

describe("Machine: violations carry the interleaving", () => {
  it("m.fail throws a SimViolation naming seed and policy, with the last steps", () => {
    const m = new Machine({ cpus: 2, seed: 42, policy: "random", traceSteps: 4 });
    m.spawn("a", function* () {
      for (let i = 0; i < 10; i++) {
        m.label = `a step ${i}`;
        yield 1;
      }
      m.fail("invariant broken");
    });
    const v = caught(() => m.runToCompletion());
    expect(v.message).toBe("invariant broken (seed 42, policy random)");
    const lines = v.interleaving.split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatch(/step 10 cpu0 t=9ns a: a step 9/);
  });

  it("without tracing, says how to get the interleaving", () => {
    const m = new Machine({ cpus: 1 });
    expect(m.interleaving()).toMatch(/traceSteps/);
  });
});
