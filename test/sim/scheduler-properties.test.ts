/**
 * Properties of the scheduler over random workloads (fast-check, seeded so failures replay):
 * random step costs, sleeps, a mutex, a spinlock, an rwsem, SRCU and RCU readers and grace
 * periods, timers and interrupts. No task nests locks, so any run that does not finish has
 * lost a wakeup, except when an interrupt spins on the lock its own CPU's task holds.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Machine, type Policy, TaskState } from "../../src/sim/machine.js";
import { RcuDomain } from "../../src/sim/sync/rcu.js";
import { RwSemaphore } from "../../src/sim/sync/rwsem.js";
import { Mutex, Spinlock } from "../../src/sim/sync/spinlock.js";
import { SrcuStruct } from "../../src/sim/sync/srcu.js";

type Op =
  | { kind: "cost"; ns: number }
  | { kind: "sleep"; ns: number }
  | { kind: "mutex" | "spin" | "read" | "write" | "srcu-sync" | "rcu-sync" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 5_000 }).map((ns): Op => ({ kind: "cost", ns })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 50_000 }).map((ns): Op => ({ kind: "sleep", ns })) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: "mutex" }) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: "spin" }) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: "read" }) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: "write" }) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: "srcu-sync" }) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: "rcu-sync" }) },
);

const workloadArb = fc.record({
  cpus: fc.integer({ min: 1, max: 6 }),
  tasks: fc.array(fc.array(opArb, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 10 }),
  irqs: fc.array(fc.tuple(fc.nat(5), fc.integer({ min: 0, max: 60_000 })), { maxLength: 4 }),
  seed: fc.integer({ min: 1, max: 1_000_000 }),
});

type Workload = typeof workloadArb extends fc.Arbitrary<infer W> ? W : never;

/** Ops each task completed, filled in as the run goes. */
const completed = new WeakMap<Machine, Map<string, number>>();

/** Each op's completion, in execution order, with its simulated time. */
const journal = new WeakMap<Machine, string[]>();

/**
 * @param irqLocks whether interrupts take the spinlock (which can deadlock their own CPU)
 * @param skipYields cost steps go on without yielding when m.mustYield() allows it
 */
function build(w: Workload, policy: Policy, irqLocks = true, skipYields = false): Machine {
  const profile = { ...new Machine({ cpus: 1 }).profile, timeSlice: 7_000 };
  const m = new Machine({ cpus: w.cpus, seed: w.seed, policy, profile, traceSteps: 4_096, pctSteps: 100 });
  const mutex = new Mutex(m, "mutex");
  const spin = new Spinlock(m, "spin");
  const sem = new RwSemaphore(m, "sem");
  const srcu = new SrcuStruct(m, "srcu");
  const rcu = new RcuDomain(m, "rcu", 0, 1, () => 30_000);
  const done = new Map<string, number>();
  completed.set(m, done);
  const log: string[] = [];
  journal.set(m, log);
  w.tasks.forEach((ops, i) => {
    m.spawn(`t${i}`, function* () {
      for (const op of ops) {
        m.label = op.kind;
        if (op.kind === "cost") {
          m.cost(op.ns);
          if (!skipYields || m.mustYield()) yield 0;
        } else if (op.kind === "sleep") yield* m.sleep(op.ns);
        else if (op.kind === "read") {
          yield* sem.downRead();
          const idx = srcu.readLock();
          rcu.readLock();
          yield 2_000;
          rcu.readUnlock();
          srcu.readUnlock(idx);
          sem.upRead();
        } else if (op.kind === "write") {
          yield* sem.downWrite();
          yield 500;
          sem.upWrite();
        } else if (op.kind === "srcu-sync") yield* srcu.synchronize();
        else if (op.kind === "rcu-sync") yield* rcu.synchronize();
        else {
          const lock = op.kind === "mutex" ? mutex : spin;
          yield* lock.lock();
          yield 300;
          lock.unlock();
        }
        done.set(`t${i}`, (done.get(`t${i}`) ?? 0) + 1);
        log.push(`t${i}.${op.kind}@${m.now()}`);
      }
    });
  });
  for (const [cpu, at] of w.irqs) {
    m.raiseIrq(cpu % w.cpus, at, "irq", function* () {
      rcu.readLock();
      if (irqLocks) yield* spin.lock();
      yield 50;
      if (irqLocks) spin.unlock();
      rcu.readUnlock();
      done.set("irq", (done.get("irq") ?? 0) + 1);
    });
  }
  return m;
}

const RUNS = { numRuns: 150, seed: 20261123 };

describe("Scheduler properties over random workloads", () => {
  it("time policy: skipping the yields mustYield() allows changes nothing (same ops, times, clocks)", () => {
    fc.assert(
      fc.property(workloadArb, (w) => {
        const runs = [false, true].map((skip) => {
          const m = build(w, "time", true, skip);
          const ok = m.runToCompletion();
          return {
            ok,
            log: journal.get(m)!,
            clocks: m.cpus.map((c) => c.clock),
            busy: m.cpus.map((c) => c.busy),
          };
        });
        expect(runs[1]).toEqual(runs[0]);
      }),
      RUNS,
    );
  });

  it("time policy: steps start in simulated-time order, and every task finishes", () => {
    fc.assert(
      fc.property(workloadArb, (w) => {
        const m = build(w, "time");
        const ok = m.runToCompletion();
        const times = m.traceEvents().map((e) => e.time);
        for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1]);
        // An interrupt may spin on the lock its own CPU's task holds: that is a real deadlock.
        if (ok) expect(m.tasks.every((t) => t.state === TaskState.Done)).toBe(true);
        else expect(m.isDeadlocked()).toBe(true);
      }),
      RUNS,
    );
  });

  for (const policy of ["time", "random", "pct"] as Policy[]) {
    it(`${policy}: each CPU's clock only moves forward and busy time never exceeds it`, () => {
      fc.assert(
        fc.property(workloadArb, (w) => {
          const m = build(w, policy);
          m.runToCompletion();
          const last = new Map<number, number>();
          for (const e of m.traceEvents()) {
            expect(e.time).toBeGreaterThanOrEqual(last.get(e.cpu) ?? 0);
            last.set(e.cpu, e.time);
          }
          for (const c of m.cpus) expect(c.busy).toBeLessThanOrEqual(c.clock + 1e-9);
        }),
        RUNS,
      );
    });
  }

  it("every policy that finishes completes every task's every operation (only the order differs)", () => {
    fc.assert(
      fc.property(workloadArb, (w) => {
        const outcomes = (["time", "random", "pct"] as Policy[]).map((p) => {
          const m = build(w, p, false);
          const ok = m.runToCompletion();
          return { ok, perTask: completed.get(m)! };
        });
        for (const o of outcomes) expect(o.ok).toBe(true);
        const expected = new Map(w.tasks.map((ops, i) => [`t${i}`, ops.length]));
        if (w.irqs.length > 0) expected.set("irq", w.irqs.length);
        for (const o of outcomes)
          expect(new Map([...o.perTask].sort())).toEqual(new Map([...expected].sort()));
      }),
      RUNS,
    );
  });
});
