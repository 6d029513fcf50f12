/**
 * Races on the lookup side of a hit (kernel-model.md R1, R5, R6): the speculative
 * VMA -> inode -> uprobe resolution against address-space changes, the lockless tree walk
 * against inserts and erases, and the SIGTRAP-or-restart decision against an unregister and
 * re-register at the same address. Each scenario passes over every seed with the protection
 * in place, and with its fault switch on the same exploration finds the race.
 */
import { describe, expect, it } from "vitest";
import { do_mprotect, do_mremap, do_munmap, PROT_EXEC, PROT_READ } from "../../../src/kernel/mm/index.js";
import {
  type Registration,
  uprobe_unregister_nosync,
  uprobe_unregister_sync,
} from "../../../src/kernel/uprobes/index.js";
import { counter, explore, functions, P, type Scenario, TEXT } from "./harness.js";

const SEEDS = 150;
const FNS = functions(3);
const F0 = TEXT + FNS[0].offset;

/**
 * R1: threads hit f0 while another thread of the process unmaps and remaps the text, moves
 * it away and back with mremap, and splits it with mprotect. A speculative answer must be
 * what the locked path would compute at that instant (checkSpeculation).
 */
const speculationVsMapping: Scenario = {
  build(w) {
    const bin = w.binary("/usr/bin/app", FNS);
    const mm = w.addressSpace();
    w.task("exec", function* () {
      yield* w.mapText(mm, bin);
      yield* w.attach(bin, FNS[0].offset, counter());
      w.hitter(mm, "hitter0", F0);
      w.hitter(mm, "hitter1", F0);
      w.driver("mapper", function* () {
        for (let i = 0; i < 6; i++) {
          const op = w.rng.below(3);
          if (op === 0) {
            yield* do_munmap(mm, TEXT, 2 * P);
            yield* w.mapText(mm, bin);
          } else if (op === 1) {
            yield* do_mremap(mm, TEXT, 2 * P, 2 * P, { fixed: TEXT + 64 * P });
            yield* do_mremap(mm, TEXT + 64 * P, 2 * P, 2 * P, { fixed: TEXT });
          } else {
            yield* do_mprotect(mm, TEXT, P, PROT_READ);
            yield* do_mprotect(mm, TEXT, P, PROT_READ | PROT_EXEC);
          }
        }
      });
    });
  },
};

/**
 * R5: threads hit f0, registered for the whole run, while a registrar keeps inserting and
 * erasing uprobes at other offsets of the same binary (each insert and each deferred erase is
 * a uprobes_seqcount write section a lockless walk can overlap).
 */
const treeWalkVsInsertErase: Scenario = {
  build(w) {
    const bin = w.binary("/usr/bin/app", FNS);
    const mm = w.addressSpace();
    w.task("exec", function* () {
      yield* w.mapText(mm, bin);
      yield* w.attach(bin, FNS[0].offset, counter());
      w.hitter(mm, "hitter0", F0);
      w.hitter(mm, "hitter1", F0);
      w.driver("registrar", function* () {
        for (let i = 0; i < 5; i++) {
          const regs = [yield* w.attach(bin, FNS[1].offset, counter())];
          regs.push(yield* w.attach(bin, FNS[2].offset, counter()));
          yield* w.detach(regs);
        }
      });
    });
  },
};

/**
 * R6: threads hit f0 while a registrar detaches f0's only consumer (the breakpoint is removed,
 * the uprobe dies and leaves the tree) and attaches a new one (a new uprobe is inserted), and
 * another thread of the process keeps mapping the text again over itself (MAP_FIXED), from
 * file page 1 (no probe there) and from page 0 (uprobe_mmap installs the breakpoint of
 * whatever uprobe the tree holds by then). A thread whose lookup found no uprobe must not
 * take a breakpoint installed after its lookup for a foreign trap (SIGTRAP).
 */
const trapVsReregister: Scenario = {
  build(w) {
    const bin = w.binary("/usr/bin/app", FNS, 3);
    const mm = w.addressSpace();
    w.task("exec", function* () {
      yield* w.mapText(mm, bin);
      let reg: Registration = yield* w.attach(bin, FNS[0].offset, counter());
      w.hitter(mm, "hitter0", F0);
      w.hitter(mm, "hitter1", F0);
      w.driver("registrar", function* () {
        for (let i = 0; i < 8; i++) {
          yield* uprobe_unregister_nosync(w.u, reg.uprobe, reg.uc);
          reg = yield* w.attach(bin, FNS[0].offset, counter());
          if (i % 3 === 2) yield* uprobe_unregister_sync(w.u);
        }
        yield* w.detach([reg]);
      });
      w.driver("mapper", function* () {
        for (let i = 1; i <= 10; i++) yield* w.mapText(mm, bin, TEXT, 2, i % 2);
      });
    });
  },
};

describe("lookup races: protection on, no violation over every seed and both policies", () => {
  it.each([
    ["R1 speculative lookup vs munmap/mremap/mprotect", speculationVsMapping],
    ["R5 lockless tree walk vs insert/erase", treeWalkVsInsertErase],
    ["R6 SIGTRAP vs unregister + re-register", trapVsReregister],
  ])("%s", (_name, scenario) => {
    const r = explore(scenario, { seeds: SEEDS });
    expect(r.found?.violation.message ?? null).toBeNull();
    expect(r.deadlocks).toBe(0);
    expect(r.runs).toBe(2 * SEEDS);
  });
});

describe("lookup races: the fault switch makes exploration find the race", () => {
  it.each([
    ["spec-skip-retry", speculationVsMapping, /^R1: speculative lookup returned .* for 0x400100/],
    ["tree-skip-seq-retry", treeWalkVsInsertErase, /^R5: lockless lookup missed \/usr\/bin\/app:0x100/],
    ["swbp-trap-check-unlocked", trapVsReregister, /^R6: SIGTRAP for a uprobe breakpoint at 0x400100/],
  ])("%s", (fault, scenario, message) => {
    const r = explore(scenario, { seeds: SEEDS, faults: [fault] });
    expect(r.found).not.toBeNull();
    expect(r.found!.violation.message).toMatch(message);
    expect(r.found!.violation.interleaving).toMatch(/step \d+ cpu\d/);
  });
});
