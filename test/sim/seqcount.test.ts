import { describe, expect, it } from "vitest";
import { Machine } from "../../src/sim/machine.js";
import { Seqcount } from "../../src/sim/sync/seqcount.js";
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

describe("Seqcount: exploration", () => {
  it("a reader never accepts a torn read; with seqcount-skip-retry it does", () => {
    const { clean, broken } = checkProtection("seqcount-torn-read", 150, /accepted a torn read/);
    expect(clean.runs).toBe(300);
    expect(broken.violation.interleaving).toMatch(/read (a|b)=/);
  });
});
