/**
 * Scalability must emerge from cache-line sharing alone. These are simulated-time figures of
 * a deterministic run, so asserting their shape is not a timed test.
 */
import { describe, expect, it } from "vitest";
import { CacheLine } from "../../src/sim/cacheline.js";
import { DEFAULT_COST_PROFILE } from "../../src/sim/cost-profile.js";
import { Machine } from "../../src/sim/machine.js";
import { RcuDomain } from "../../src/sim/sync/rcu.js";
import { RwSemaphore } from "../../src/sim/sync/rwsem.js";
import { SrcuStruct } from "../../src/sim/sync/srcu.js";

const CPUS = [1, 2, 4, 8, 16, 32, 64];
const RUN_NS = 100_000;

/** Ops per simulated second with one task per CPU running `op` in a loop for RUN_NS. */
function throughput(cpus: number, setup: (m: Machine) => (cpu: number) => void): number {
  // One thread per core (no SMT sharing): these tests are about cache lines alone.
  const m = new Machine({ cpus, profile: { ...DEFAULT_COST_PROFILE, smtSlowdown: 1 } });
  const op = setup(m);
  let ops = 0;
  for (let c = 0; c < cpus; c++) {
    m.spawn(
      `producer${c}`,
      function* () {
        while (true) {
          op(c);
          ops++;
          yield m.profile.userLoop;
        }
      },
      c,
    );
  }
  m.runUntil(RUN_NS);
  return ops / (RUN_NS / 1e9);
}

function curve(setup: (m: Machine) => (cpu: number) => void): number[] {
  return CPUS.map((n) => throughput(n, setup));
}

const sharedCounter = (m: Machine) => {
  const nhit = new CacheLine("nhit");
  return () => {
    nhit.atomic(m);
  };
};

const perCpuCounter = (m: Machine) => {
  const lines = m.cpus.map((c) => new CacheLine(`nhit[${c.id}]`));
  return (cpu: number) => {
    lines[cpu].atomic(m);
  };
};

describe("Scaling emerges from cache lines", () => {
  const shared = curve(sharedCounter);
  const perCpu = curve(perCpuCounter);

  it("a shared counter line: total throughput stays flat or falls as CPUs are added", () => {
    // Up to one thread per core (40 cores): past that, siblings share their core's misses.
    const oneThreadPerCore = CPUS.filter((n) => n <= 40).length;
    for (let i = 1; i < oneThreadPerCore; i++) {
      expect(shared[i]).toBeLessThanOrEqual(shared[0] * 1.1);
      // Never more than a few percent above the previous point: no hidden scaling.
      expect(shared[i]).toBeLessThanOrEqual(shared[i - 1] * 1.1);
    }
    // Once two CPUs fight over it, the line's transfers cap everyone together (at best one
    // op per transfer).
    const perTransfer = 1e9 / new Machine({ cpus: 1 }).profile.lineTransfer;
    for (let i = 1; i < oneThreadPerCore; i++) expect(shared[i]).toBeLessThanOrEqual(perTransfer * 1.1);
    expect(shared[oneThreadPerCore - 1]).toBeLessThan(shared[0] / 2);
  });

  it("a shared line at 64 CPUs: the second threads of 24 cores join their sibling's miss", () => {
    const at32 = shared[CPUS.indexOf(32)];
    const at64 = shared[CPUS.indexOf(64)];
    // The line visits about 40 cores instead of 64 requesters and serves both threads of a
    // busy core per visit: more ops than at 32 CPUs, but never two per transfer for all.
    expect(at64).toBeGreaterThan(at32 * 1.2);
    expect(at64).toBeLessThan(at32 * 2);
  });

  it("per-CPU counter lines: throughput scales about linearly", () => {
    for (let i = 0; i < CPUS.length; i++) {
      expect(perCpu[i]).toBeGreaterThan(perCpu[0] * CPUS[i] * 0.8);
      expect(perCpu[i]).toBeLessThanOrEqual(perCpu[0] * CPUS[i] * 1.01);
    }
  });

  it("at 64 CPUs per-CPU counters beat the shared line by well over an order of magnitude", () => {
    expect(perCpu[CPUS.length - 1] / shared[CPUS.length - 1]).toBeGreaterThan(100);
  });

  it("rwsem readers stop scaling (every down_read writes the count line); SRCU and RCU readers scale", () => {
    const rwsem = curve((m) => {
      const sem = new RwSemaphore(m, "register_rwsem");
      return () => {
        sem.tryDownRead();
        sem.upRead();
      };
    });
    const srcu = curve((m) => {
      const s = new SrcuStruct(m, "uprobes_srcu");
      return () => {
        s.readUnlock(s.readLock());
      };
    });
    const tasksTrace = curve((m) => {
      const rcu = new RcuDomain(m, "rcu_tasks_trace", 1, 3, () => m.profile.tasksTraceGracePeriod);
      return () => {
        rcu.readLock();
        rcu.readUnlock();
      };
    });
    const last = CPUS.length - 1;
    expect(rwsem[last]).toBeLessThan(rwsem[0] * 1.1);
    expect(srcu[last]).toBeGreaterThan(srcu[0] * 64 * 0.8);
    expect(tasksTrace[last]).toBeGreaterThan(tasksTrace[0] * 64 * 0.8);
    // Readers are cheapest with Tasks Trace, then SRCU (a barrier and a counter per side).
    expect(tasksTrace[0]).toBeGreaterThan(srcu[0]);
  });
});
