import { describe, expect, it } from "vitest";
import { CacheLine } from "../../src/sim/cacheline.js";
import { DEFAULT_COST_PROFILE } from "../../src/sim/cost-profile.js";
import { Machine } from "../../src/sim/machine.js";

/**
 * Run one access on `cpu`, after every earlier access has finished (so no transfer is still
 * in flight); returns what the access cost.
 */
function access(m: Machine, cpu: number, op: (line: CacheLine) => void, line: CacheLine): number {
  let cost = -1;
  const at = Math.max(...m.cpus.map((c) => c.clock)) + 1_000;
  m.spawn(
    `op@${cpu}`,
    function* () {
      yield at - m.now();
      const before = m.now();
      op(line);
      cost = m.now() - before;
      yield 0;
    },
    cpu,
  );
  m.runToCompletion();
  return cost;
}

describe("CacheLine: MESI-like costs", () => {
  const m0 = new Machine({ cpus: 1 });
  const { cacheHit, lineTransfer, atomic } = m0.profile;

  it("a cold access costs a transfer; the next one on the same CPU hits", () => {
    const m = new Machine({ cpus: 2 });
    const line = new CacheLine("x");
    expect(access(m, 0, (l) => l.read(m), line)).toBe(lineTransfer);
    expect(access(m, 0, (l) => l.read(m), line)).toBe(cacheHit);
    expect(access(m, 0, (l) => l.write(m), line)).toBe(cacheHit); // sole sharer: silent upgrade
    expect(access(m, 0, (l) => l.write(m), line)).toBe(cacheHit); // modified here
    expect(line.owner).toBe(0);
    expect(line.transfers).toBe(1);
  });

  it("reading a line modified elsewhere costs a transfer and leaves both CPUs sharing", () => {
    const m = new Machine({ cpus: 2 });
    const line = new CacheLine("x");
    access(m, 0, (l) => l.write(m), line);
    expect(access(m, 1, (l) => l.read(m), line)).toBe(lineTransfer);
    expect(line.owner).toBe(-1);
    expect(access(m, 0, (l) => l.read(m), line)).toBe(cacheHit);
    expect(access(m, 1, (l) => l.read(m), line)).toBe(cacheHit);
  });

  it("writing a line other CPUs share costs a transfer and invalidates their copies", () => {
    const m = new Machine({ cpus: 3 });
    const line = new CacheLine("x");
    access(m, 0, (l) => l.read(m), line);
    access(m, 1, (l) => l.read(m), line);
    expect(access(m, 2, (l) => l.write(m), line)).toBe(lineTransfer);
    expect(line.owner).toBe(2);
    expect(access(m, 0, (l) => l.read(m), line)).toBe(lineTransfer);
  });

  it("an atomic is a write plus the pipeline drain", () => {
    const m = new Machine({ cpus: 2 });
    const line = new CacheLine("x");
    access(m, 0, (l) => l.write(m), line);
    expect(access(m, 0, (l) => l.atomic(m), line)).toBe(cacheHit + atomic);
    expect(access(m, 1, (l) => l.atomic(m), line)).toBe(lineTransfer + atomic);
  });

  it("transfers of one line serialise: simultaneous writers queue", () => {
    const m = new Machine({ cpus: 8 });
    const line = new CacheLine("hot");
    const lineTransfer = m.profile.lineTransfer;
    const done: number[] = [];
    for (let c = 0; c < 8; c++) {
      m.spawn(
        `w${c}`,
        function* () {
          line.write(m);
          done.push(m.now());
          yield 0;
        },
        c,
      );
    }
    m.runToCompletion();
    // One at a time: each writer finishes at least a whole transfer after the previous one.
    expect(done[0]).toBe(lineTransfer);
    for (let k = 1; k < 8; k++) expect(done[k] - done[k - 1]).toBeGreaterThanOrEqual(lineTransfer);
  });

  /**
   * CPU 0's step runs first (both clocks at 0) and writes the line `aheadNs` into it; CPU 1's
   * write at t=100 runs later but comes first in time. Returns what CPU 1's write cost.
   */
  function earlierWriteCost(aheadNs: number): number {
    const m = new Machine({ cpus: 2 });
    const line = new CacheLine("x");
    let cost = -1;
    m.spawn(
      "ahead",
      function* () {
        m.cost(aheadNs);
        line.write(m);
        yield 0;
      },
      0,
    );
    m.spawn(
      "earlier",
      function* () {
        yield 100;
        const before = m.now();
        line.write(m);
        cost = m.now() - before;
        yield 0;
      },
      1,
    );
    m.runToCompletion();
    return cost;
  }

  it("a request earlier in simulated time is served before a transfer booked later", () => {
    // CPU 0's transfer is booked at 500 ns: CPU 1's at 100 takes the gap, no queueing.
    expect(earlierWriteCost(500)).toBe(DEFAULT_COST_PROFILE.lineTransfer);
  });

  it("an earlier request that does not fit before a later booking queues behind it", () => {
    // CPU 0's transfer is booked [120, 160): [100, 140) would overlap, so CPU 1's goes after it.
    expect(earlierWriteCost(120)).toBeGreaterThanOrEqual(160 - 100 + DEFAULT_COST_PROFILE.lineTransfer);
  });

  it("reads of a clean line are fetched in parallel", () => {
    const m = new Machine({ cpus: 8 });
    const line = new CacheLine("read-mostly");
    const done: number[] = [];
    for (let c = 0; c < 8; c++) {
      m.spawn(
        `r${c}`,
        function* () {
          line.read(m);
          done.push(m.now());
          yield 0;
        },
        c,
      );
    }
    m.runToCompletion();
    expect(done).toEqual(new Array(8).fill(lineTransfer));
  });

  it("tracks sharers on all 128 CPUs (bitmask words at the boundaries)", () => {
    const m = new Machine({ cpus: 128 });
    const line = new CacheLine("x");
    for (const c of [0, 31, 32, 63, 64, 127]) access(m, c, (l) => l.read(m), line);
    for (const c of [0, 31, 32, 63, 64, 127]) expect(access(m, c, (l) => l.read(m), line)).toBe(cacheHit);
    expect(access(m, 33, (l) => l.read(m), line)).toBe(lineTransfer);
    // 127 shares with others: its write must invalidate them (a transfer), not upgrade silently.
    expect(access(m, 127, (l) => l.write(m), line)).toBeGreaterThanOrEqual(lineTransfer);
    expect(access(m, 31, (l) => l.read(m), line)).toBeGreaterThanOrEqual(lineTransfer);
    expect(access(m, 31, (l) => l.read(m), line)).toBe(cacheHit);
  });

  it("reset forgets every copy", () => {
    const m = new Machine({ cpus: 2 });
    const line = new CacheLine("x");
    access(m, 0, (l) => l.write(m), line);
    line.reset();
    expect(line.owner).toBe(-1);
    expect(access(m, 0, (l) => l.read(m), line)).toBe(lineTransfer);
  });
});
