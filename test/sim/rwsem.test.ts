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

/**
 * Readers and writers take the semaphore in loops. At each acquisition the test checks
 * mutual exclusion (a writer is alone; a reader sees no writer) and, if asked, FIFO fairness: whoever
 * acquires must not overtake a writer that was already waiting when it asked, and a writer
 * must not overtake anyone at all.
 */
function rwsemScenario(checkFifo: boolean) {
  return (m: Machine): void => rwsemRun(m, checkFifo);
}

function rwsemRun(m: Machine, checkFifo: boolean): void {
  const sem = new RwSemaphore(m, "register_rwsem");
  let readersIn = 0;
  let writersIn = 0;
  let nextTicket = 0;
  const waiting = new Map<number, boolean>(); // ticket -> is a writer
  function* take(write: boolean, who: string) {
    const ticket = nextTicket++;
    const ahead = [...waiting].filter(([, w]) => w || write).map(([t]) => t);
    waiting.set(ticket, write);
    if (write) yield* sem.downWrite();
    else yield* sem.downRead();
    waiting.delete(ticket);
    if (write && (readersIn > 0 || writersIn > 0)) {
      m.fail(`${who} got the write lock with ${readersIn} readers and ${writersIn} writers inside`);
    }
    if (!write && writersIn > 0) m.fail(`${who} got the read lock with a writer inside`);
    const overtaken = ahead.filter((t) => waiting.has(t));
    if (checkFifo && overtaken.length > 0) m.fail(`${who} overtook queued ticket ${overtaken[0]} (not FIFO)`);
    if (write) writersIn++;
    else readersIn++;
  }
  for (let r = 0; r < 3; r++) {
    m.spawn(`reader${r}`, function* () {
      for (let i = 0; i < 4; i++) {
        yield* take(false, `reader${r}`);
        m.label = "down_read done";
        yield 40 + 30 * r;
        readersIn--;
        sem.upRead();
        m.label = "up_read";
        yield 10;
      }
    });
  }
  for (let w = 0; w < 2; w++) {
    m.spawn(`writer${w}`, function* () {
      for (let i = 0; i < 3; i++) {
        yield* take(true, `writer${w}`);
        m.label = "down_write done";
        yield 50;
        writersIn--;
        sem.upWrite();
        m.label = "up_write";
        yield 25;
      }
    });
  }
}

describe("RwSemaphore: exploration", () => {
  const opts = { cpus: 4, seeds: 120, pctSteps: 80 };

  it("mutual exclusion holds; rwsem-no-exclusion breaks it", () => {
    checkProtection(opts, "rwsem-no-exclusion", rwsemScenario(false), /got the (write|read) lock with/);
  });

  it("waiters are served FIFO; rwsem-reader-barging lets readers overtake a queued writer", () => {
    checkProtection(opts, "rwsem-reader-barging", rwsemScenario(true), /reader\d overtook queued ticket/);
  });
});
