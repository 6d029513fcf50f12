import { describe, expect, it } from "vitest";
import { Machine } from "../../src/sim/machine.js";
import { SrcuStruct } from "../../src/sim/sync/srcu.js";
import { checkProtection } from "./explore.js";

describe("SRCU: unit", () => {
  it("srcu_read_lock returns the active slot; the flip moves new readers to the other", () => {
    const m = new Machine({ cpus: 2 });
    const srcu = new SrcuStruct(m, "uprobes_srcu");
    const seen: number[] = [];
    m.spawn("reader", function* () {
      const idx = srcu.readLock();
      seen.push(idx);
      expect(srcu.activeReaders()).toBe(1);
      srcu.readUnlock(idx);
      yield 100_000; // long enough for a grace period to finish meanwhile
      seen.push(srcu.readLock());
      yield 1;
      srcu.readUnlock(seen[1]);
    });
    m.spawn("updater", function* () {
      yield 10;
      yield* srcu.synchronize();
    });
    m.runToCompletion();
    expect(seen).toEqual([0, 1]);
    expect(srcu.idx).toBe(1);
    expect(srcu.activeReaders()).toBe(0);
    expect(srcu.stats.readers).toBe(2);
  });

  it("an idle grace period takes one scan back-off; a reader delays it until it leaves", () => {
    const m = new Machine({ cpus: 2 });
    const srcu = new SrcuStruct(m, "s");
    const delay = m.profile.srcuScanDelay;
    let doneAt = 0;
    m.spawn("updater", function* () {
      yield* srcu.synchronize();
      doneAt = m.now();
    });
    m.runToCompletion();
    expect(doneAt).toBe(delay);
    expect(srcu.stats.gracePeriods).toBe(1);
    expect(srcu.stats.maxNs).toBe(delay);

    const m2 = new Machine({ cpus: 2 });
    const s2 = new SrcuStruct(m2, "s");
    let leftAt = 0;
    m2.spawn("reader", function* () {
      const idx = s2.readLock();
      yield 5 * delay + 123;
      s2.readUnlock(idx);
      leftAt = m2.now();
    });
    m2.spawn("updater", function* () {
      yield 1;
      yield* s2.synchronize();
      doneAt = m2.now();
      expect(doneAt).toBeGreaterThanOrEqual(leftAt);
    });
    m2.runToCompletion();
    expect(leftAt).toBeGreaterThan(0);
    expect(doneAt - leftAt).toBeLessThanOrEqual(delay);
  });

  it("unlock may run on another CPU or in timer context: only the sums matter", () => {
    const m = new Machine({ cpus: 2 });
    const srcu = new SrcuStruct(m, "uretprobes_srcu");
    let idx = -1;
    let synced = false;
    m.spawn(
      "entry",
      function* () {
        idx = srcu.readLock(); // a uretprobe lease taken on CPU 0
        yield 1;
      },
      0,
    );
    m.addTimer(500_000, () => srcu.readUnlock(idx)); // ri_timer converts the lease
    m.spawn(
      "unregister",
      function* () {
        yield 10;
        yield* srcu.synchronize();
        synced = true;
        expect(m.now()).toBeGreaterThanOrEqual(500_000);
      },
      1,
    );
    m.runToCompletion();
    expect(synced).toBe(true);
    expect(srcu.activeReaders()).toBe(0);
  });

  it("call_srcu runs callbacks after the grace period, in request order", () => {
    const m = new Machine({ cpus: 1 });
    const srcu = new SrcuStruct(m, "s");
    const ran: string[] = [];
    m.spawn("t", function* () {
      const idx = srcu.readLock();
      srcu.call(() => ran.push("a"));
      srcu.call(() => ran.push("b"));
      expect(srcu.pending()).toBe(true);
      yield 100_000;
      expect(ran).toEqual([]);
      srcu.readUnlock(idx);
      yield 1;
    });
    m.runToCompletion();
    expect(ran).toEqual(["a", "b"]);
    expect(srcu.pending()).toBe(false);
  });

  it("a callback may queue another grace period", () => {
    const m = new Machine({ cpus: 1 });
    const srcu = new SrcuStruct(m, "s");
    const ran: number[] = [];
    srcu.call(() => {
      ran.push(m.currentTime());
      srcu.call(() => ran.push(m.currentTime()));
    });
    m.runToCompletion();
    expect(ran).toEqual([m.profile.srcuScanDelay, 2 * m.profile.srcuScanDelay]);
    expect(srcu.stats.gracePeriods).toBe(2);
  });

  it("rejects an unlock with a bad index or without a lock", () => {
    const m = new Machine({ cpus: 1 });
    const srcu = new SrcuStruct(m, "s");
    m.spawn("bad", function* () {
      srcu.readUnlock(2);
      yield 1;
    });
    expect(() => m.runToCompletion()).toThrow(/index 2, not 0 or 1/);
    const m2 = new Machine({ cpus: 1 });
    const s2 = new SrcuStruct(m2, "s");
    m2.spawn("unbalanced", function* () {
      s2.readUnlock(1);
      yield* s2.synchronize();
    });
    expect(() => m2.runToCompletion()).toThrow(/more srcu_read_unlock than srcu_read_lock/);
  });

  it("readers write only their own CPU's line: no transfers once warm", () => {
    const m = new Machine({ cpus: 4 });
    const srcu = new SrcuStruct(m, "s");
    for (let c = 0; c < 4; c++) {
      m.spawn(
        `r${c}`,
        function* () {
          for (let i = 0; i < 50; i++) {
            srcu.readUnlock(srcu.readLock());
            yield 1;
          }
        },
        c,
      );
    }
    m.runToCompletion();
    // One cold miss per CPU on srcu_idx and on its own counters line.
    expect(srcu.idxLine.transfers).toBe(4);
  });
});

describe("SRCU: exploration", () => {
  it("synchronize_srcu waits for earlier readers; without SCAN1 a straggler escapes", () => {
    const { broken } = checkProtection("srcu-gp-vs-readers", 150, /synchronize_srcu returned while/);
    expect(broken.violation.interleaving).toMatch(/srcu_read_lock\(uprobes_srcu\): read srcu_idx=/);
  });

  it("without the index flip, synchronize_srcu waits on the wrong slot", () => {
    checkProtection("srcu-no-flip", 150, /synchronize_srcu returned while/);
  });
});
