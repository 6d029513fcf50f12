import { describe, expect, it } from "vitest";
import { Machine } from "../../src/sim/machine.js";
import { RwSemaphore } from "../../src/sim/sync/rwsem.js";
import { checkProtection } from "./explore.js";

describe("RwSemaphore: unit", () => {
  it("readers share; a writer waits for them and excludes everyone", () => {
    const m = new Machine({ cpus: 3 });
    const sem = new RwSemaphore(m, "mmap_lock");
    const log: string[] = [];
    for (let r = 0; r < 2; r++) {
      m.spawn(`reader${r}`, function* () {
        yield* sem.downRead();
        log.push(`r${r}+`);
        yield 1_000;
        log.push(`r${r}-`);
        sem.upRead();
      });
    }
    m.spawn("writer", function* () {
      yield 10;
      yield* sem.downWrite();
      expect(sem.isWriteLocked()).toBe(true);
      log.push("w+");
      yield 100;
      log.push("w-");
      sem.upWrite();
    });
    m.runToCompletion();
    expect(log.slice(0, 2).sort()).toEqual(["r0+", "r1+"]);
    expect(log.slice(4)).toEqual(["w+", "w-"]);
    expect(sem.readStats.acquisitions).toBe(2);
    expect(sem.writeStats.acquisitions).toBe(1);
    expect(sem.writeStats.contended).toBe(1);
    expect(sem.writeStats.waitNs).toBeGreaterThan(900);
    expect(sem.readers).toBe(0);
    expect(sem.isWriteLocked()).toBe(false);
  });

  it("trylock fails while a writer holds or waits", () => {
    const m = new Machine({ cpus: 2 });
    const sem = new RwSemaphore(m, "s");
    m.spawn("t", function* () {
      expect(sem.tryDownRead()).toBe(true);
      sem.upRead();
      yield* sem.downWrite();
      expect(sem.tryDownRead()).toBe(false);
      sem.upWrite();
      yield 1;
    });
    m.runToCompletion();
    expect(sem.readStats.acquisitions).toBe(1);
  });

  it("downgrade_write keeps the lock for reading and lets queued readers in", () => {
    const m = new Machine({ cpus: 2 });
    const sem = new RwSemaphore(m, "s");
    let readerIn = -1;
    let downgradedAt = -1;
    m.spawn(
      "writer",
      function* () {
        yield* sem.downWrite();
        yield 1_000;
        sem.downgrade();
        downgradedAt = m.now();
        yield 5_000;
        sem.upRead();
      },
      0,
    );
    m.spawn(
      "reader",
      function* () {
        yield 10;
        yield* sem.downRead();
        readerIn = m.now();
        sem.upRead();
      },
      1,
    );
    m.runToCompletion();
    expect(readerIn).toBeGreaterThanOrEqual(downgradedAt);
    expect(readerIn).toBeLessThan(downgradedAt + 5_000);
  });

  it("releasing a lock one does not hold is a violation", () => {
    const m = new Machine({ cpus: 1 });
    const sem = new RwSemaphore(m, "s");
    m.spawn("t", function* () {
      sem.upRead();
      yield 1;
    });
    expect(() => m.runToCompletion()).toThrow(/up_read without a reader/);
    const m2 = new Machine({ cpus: 1 });
    const s2 = new RwSemaphore(m2, "s");
    m2.spawn("t", function* () {
      s2.downgrade();
      yield 1;
    });
    expect(() => m2.runToCompletion()).toThrow(/downgrade_write by a task that does not hold it/);
  });

  it("every down/up is an atomic on one line: readers on many CPUs move it around", () => {
    const m = new Machine({ cpus: 4 });
    const sem = new RwSemaphore(m, "s");
    for (let c = 0; c < 4; c++) {
      m.spawn(
        `r${c}`,
        function* () {
          for (let i = 0; i < 10; i++) {
            yield* sem.downRead();
            sem.upRead();
          }
        },
        c,
      );
    }
    m.runToCompletion();
    expect(sem.line.transfers).toBeGreaterThan(30);
  });
});

describe("RwSemaphore: exploration", () => {
  it("mutual exclusion holds; rwsem-no-exclusion breaks it", () => {
    checkProtection("rwsem-exclusion", 120, /got the (write|read) lock with/);
  });

  it("waiters are served FIFO; rwsem-reader-barging lets readers overtake a queued writer", () => {
    checkProtection("rwsem-fifo", 120, /reader\d overtook queued ticket/);
  });
});
