import { describe, expect, it } from "vitest";
import { CacheLine } from "../../src/sim/cacheline.js";
import { Machine } from "../../src/sim/machine.js";
import { Seqcount } from "../../src/sim/sync/seqcount.js";
import { Spinlock } from "../../src/sim/sync/spinlock.js";
import { checkProtection } from "./explore.js";

describe("Seqcount: unit", () => {
  it("is odd inside a write section and even outside", () => {
    const m = new Machine({ cpus: 1 });
    const seq = new Seqcount(m, "seq");
    m.spawn("w", function* () {
      expect(seq.tryBegin()).toBe(0);
      seq.writeBegin();
      expect(seq.isWriteLocked()).toBe(true);
      expect(seq.tryBegin()).toBe(-1);
      yield 1;
      seq.writeEnd();
      expect(seq.isWriteLocked()).toBe(false);
      expect(seq.tryBegin()).toBe(2);
      yield 1;
    });
    m.runToCompletion();
    expect(seq.sequence).toBe(2);
    expect(seq.stats).toMatchObject({ writes: 1, begins: 3, failedBegins: 1 });
  });

  it("retry reports whether the counter moved since the snapshot", () => {
    const m = new Machine({ cpus: 1 });
    const seq = new Seqcount(m, "seq");
    m.spawn("r", function* () {
      const s = seq.tryBegin();
      expect(seq.retry(s)).toBe(false);
      seq.writeBegin();
      seq.writeEnd();
      expect(seq.retry(s)).toBe(true);
      yield 1;
    });
    m.runToCompletion();
    expect(seq.stats.retries).toBe(1);
  });

  it("a narrow counter wraps, so an ABA snapshot can pass retry (R27 is reachable)", () => {
    const m = new Machine({ cpus: 1 });
    const seq = new Seqcount(m, "seq", 2);
    m.spawn("r", function* () {
      const s = seq.tryBegin();
      seq.writeBegin();
      seq.writeEnd();
      seq.writeBegin();
      seq.writeEnd();
      expect(seq.sequence).toBe(0);
      expect(seq.retry(s)).toBe(false);
      yield 1;
    });
    m.runToCompletion();
  });

  it("readers share the line; a writer's store costs each reader a transfer", () => {
    const m = new Machine({ cpus: 2 });
    const seq = new Seqcount(m, "seq");
    m.spawn(
      "r",
      function* () {
        for (let i = 0; i < 10; i++) {
          seq.tryBegin();
          yield 1;
        }
      },
      0,
    );
    m.runToCompletion();
    expect(seq.line.transfers).toBe(1); // cold miss only, then hits
  });
});

/**
 * A writer updates two words that must match under a seqcount (writers serialise on a
 * spinlock); readers snapshot, read both words across interleaving points, and accept the
 * pair only when retry() says nothing moved. A torn pair is a broken invariant.
 */
function tornReadScenario(m: Machine): void {
  const seq = new Seqcount(m, "vma_seq");
  const lock = new Spinlock(m, "writer_lock");
  const data = new CacheLine("data");
  const value = { a: 0, b: 0 };
  for (let w = 0; w < 2; w++) {
    m.spawn(`writer${w}`, function* () {
      for (let i = 1; i <= 4; i++) {
        yield* lock.lock();
        seq.writeBegin();
        m.label = "write_seqcount_begin";
        yield 5;
        data.write(m);
        value.a = w * 100 + i;
        m.label = "a = v";
        yield 5;
        data.write(m);
        value.b = w * 100 + i;
        m.label = "b = v";
        yield 5;
        seq.writeEnd();
        lock.unlock();
        m.label = "write_seqcount_end";
        yield 20;
      }
    });
  }
  m.spawn("reader", function* () {
    for (let i = 0; i < 8; i++) {
      for (let attempt = 0; attempt < 20; attempt++) {
        const s = seq.tryBegin();
        m.label = `read_seqcount_begin -> ${s}`;
        yield 3;
        if (s < 0) continue;
        data.read(m);
        const a = value.a;
        m.label = `read a=${a}`;
        yield 3;
        data.read(m);
        const b = value.b;
        m.label = `read b=${b}`;
        yield 3;
        if (seq.retry(s)) continue;
        if (a !== b) m.fail(`seqcount reader accepted a torn read a=${a} b=${b}`);
        break;
      }
    }
  });
}

describe("Seqcount: exploration", () => {
  it("a reader never accepts a torn read; with seqcount-skip-retry it does", () => {
    const { clean, broken } = checkProtection(
      { cpus: 3, seeds: 150 },
      "seqcount-skip-retry",
      tornReadScenario,
      /accepted a torn read/,
    );
    expect(clean.runs).toBe(300);
    expect(broken.violation.interleaving).toMatch(/read (a|b)=/);
  });
});
