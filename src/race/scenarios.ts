/**
 * The named race scenarios of the uprobes model (kernel-model.md section 4), each paired with
 * the fault switch that removes the check it exercises: with the check in place exploration
 * finds nothing over every seed and both policies; with the switch on it finds the race.
 * `probelab race` runs them by name and the exploration tests in test/kernel/uprobes run them
 * with their assertions.
 */
import { UPROBE_FAULTS, type UprobeFault } from "../kernel/faults.js";
import { do_mprotect, do_mremap, do_munmap, PROT_EXEC, PROT_READ } from "../kernel/mm/index.js";
import { MM_FAULTS, type MmFault } from "../kernel/mm/options.js";
import {
  type Registration,
  RI_TIMER_PERIOD_NS,
  UPROBE_HANDLER_REMOVE,
  uprobe_unregister_nosync,
  uprobe_unregister_sync,
} from "../kernel/uprobes/index.js";
import { SYNC_FAULTS, type SyncFault } from "../sim/sync/faults.js";
import {
  type AnyScenario,
  type CounterOptions,
  counter,
  type Fn,
  functions,
  P,
  type Scenario,
  TEXT,
} from "./harness.js";
import { KERNEL_RACE_SCENARIOS } from "./kernel-scenarios.js";
import { MM_RACE_SCENARIOS } from "./mm-scenarios.js";
import { SYNC_RACE_SCENARIOS } from "./sync-scenarios.js";

// ---------------------------------------------------------------- lookup (R1, R5, R6)

/**
 * R1: threads hit f0 while another thread of the process unmaps and remaps the text, moves
 * it away and back with mremap, and splits it with mprotect. A speculative answer must be
 * what the locked path would compute at that instant (checkSpeculation).
 */
export function speculationVsMapping(): Scenario {
  const fns = functions(3);
  const f0 = TEXT + fns[0].offset;
  return {
    build(w) {
      const bin = w.binary("/usr/bin/app", fns);
      const mm = w.addressSpace();
      w.task("exec", function* () {
        yield* w.mapText(mm, bin);
        yield* w.attach(bin, fns[0].offset, counter());
        w.hitter(mm, "hitter0", f0);
        w.hitter(mm, "hitter1", f0);
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
}

/**
 * R5: threads hit f0, registered for the whole run, while a registrar keeps inserting and
 * erasing uprobes at other offsets of the same binary (each insert and each deferred erase is
 * a uprobes_seqcount write section a lockless walk can overlap).
 */
export function treeWalkVsInsertErase(): Scenario {
  const fns = functions(3);
  const f0 = TEXT + fns[0].offset;
  return {
    build(w) {
      const bin = w.binary("/usr/bin/app", fns);
      const mm = w.addressSpace();
      w.task("exec", function* () {
        yield* w.mapText(mm, bin);
        yield* w.attach(bin, fns[0].offset, counter());
        w.hitter(mm, "hitter0", f0);
        w.hitter(mm, "hitter1", f0);
        w.driver("registrar", function* () {
          for (let i = 0; i < 5; i++) {
            const regs = [yield* w.attach(bin, fns[1].offset, counter())];
            regs.push(yield* w.attach(bin, fns[2].offset, counter()));
            yield* w.detach(regs);
          }
        });
      });
    },
  };
}

/**
 * R6: threads hit f0 while a registrar detaches f0's only consumer (the breakpoint is removed,
 * the uprobe dies and leaves the tree) and attaches a new one (a new uprobe is inserted), and
 * another thread of the process keeps mapping the text again over itself (MAP_FIXED), from
 * file page 1 (no probe there) and from page 0 (uprobe_mmap installs the breakpoint of
 * whatever uprobe the tree holds by then). A thread whose lookup found no uprobe must not
 * take a breakpoint installed after its lookup for a foreign trap (SIGTRAP).
 */
export function trapVsReregister(): Scenario {
  const fns = functions(3);
  const f0 = TEXT + fns[0].offset;
  return {
    build(w) {
      const bin = w.binary("/usr/bin/app", fns, 3);
      const mm = w.addressSpace();
      w.task("exec", function* () {
        yield* w.mapText(mm, bin);
        let reg: Registration = yield* w.attach(bin, fns[0].offset, counter());
        w.hitter(mm, "hitter0", f0);
        w.hitter(mm, "hitter1", f0);
        w.driver("registrar", function* () {
          for (let i = 0; i < 8; i++) {
            yield* uprobe_unregister_nosync(w.u, reg.uprobe, reg.uc);
            reg = yield* w.attach(bin, fns[0].offset, counter());
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
}

// ---------------------------------------------------------------- lifetime (R4, R7, R11)

/**
 * R4: threads hit f0 while a registrar attaches and detaches f0's only consumer: each detach
 * drops the last reference, and the deferred free erases the uprobe while a hit may still hold
 * the pointer its lookup returned (and walk its consumer list, or take a reference for the
 * out-of-line step when f0 starts with an instruction that is single-stepped).
 */
export function staleHitVsFree(insn: "nop" | "ret"): Scenario {
  return {
    build(w) {
      const fns = functions(2, insn);
      const f0 = TEXT + fns[0].offset;
      const bin = w.binary("/usr/bin/app", fns);
      const mm = w.addressSpace();
      w.task("exec", function* () {
        yield* w.mapText(mm, bin);
        w.hitter(mm, "hitter0", f0);
        w.hitter(mm, "hitter1", f0);
        w.driver("registrar", function* () {
          for (let i = 0; i < 6; i++) {
            const reg = yield* w.attach(bin, fns[0].offset, counter());
            yield w.m.cost(w.rng.below(4000));
            yield* w.detach([reg]);
          }
        });
      });
    },
  };
}

/**
 * R7: a registrar detaches f0's only consumer without waiting (the uprobe's refcount drops to
 * zero and its free is queued) and attaches a new consumer at once, so the registration finds
 * the dying node still in the tree, evicts it and inserts a fresh uprobe; the queued free runs
 * later. Threads keep hitting f0 throughout. After the run, the consumer left registered must
 * sit on the tree's node for f0, with a positive refcount.
 */
export function dyingVsRegister(): Scenario {
  return {
    build(w) {
      const fns = functions(2);
      const f0 = TEXT + fns[0].offset;
      const bin = w.binary("/usr/bin/app", fns);
      const mm = w.addressSpace();
      w.task("exec", function* () {
        yield* w.mapText(mm, bin);
        let reg: Registration = yield* w.attach(bin, fns[0].offset, counter());
        w.hitter(mm, "hitter0", f0);
        w.hitter(mm, "hitter1", f0);
        w.driver("registrar", function* () {
          for (let i = 0; i < 6; i++) {
            yield* uprobe_unregister_nosync(w.u, reg.uprobe, reg.uc);
            reg = yield* w.attach(bin, fns[0].offset, counter());
            if (i % 2 === 1) yield* uprobe_unregister_sync(w.u);
          }
        });
      });
    },
  };
}

/**
 * R11: threads enter f0, which has a return consumer, and block inside it for about the
 * ri_timer period, so the timer converts their SRCU lease (to a reference, or to GONE once the
 * registrar has detached the consumer) right around the moment they return through the
 * trampoline and consume the instance themselves. Exactly one side may release the lease.
 */
export function leaseTimerVsReturn(): Scenario {
  return {
    cpus: 4,
    build(w) {
      const fns = functions(1);
      const f0 = TEXT + fns[0].offset;
      const bin = w.binary("/usr/bin/app", fns);
      const mm = w.addressSpace();
      w.task("exec", function* () {
        yield* w.mapText(mm, bin);
        const reg = yield* w.attach(bin, fns[0].offset, counter({ entry: false, ret: true }));
        for (let i = 0; i < 2; i++) {
          w.thread(mm, `sleeper${i}`, function* (t) {
            for (let c = 0; c < 2; c++) {
              // Wake within a few microseconds of the timer, on either side of it.
              const nap = RI_TIMER_PERIOD_NS - 3000 + w.rng.below(6000);
              yield* w.call(t, f0, () => w.m.sleep(nap));
            }
          });
        }
        w.task("registrar", function* () {
          yield* w.m.sleep(RI_TIMER_PERIOD_NS + w.rng.below(2) * RI_TIMER_PERIOD_NS);
          yield* w.detach([reg]);
        });
      });
    },
  };
}

// ---------------------------------------------------------------- registration (R8, R9, R16)

/**
 * R8: for each of four functions, consumer A attaches (its filter wants the process), then
 * stops wanting it — its handler now returns UPROBE_HANDLER_REMOVE, as trace_uprobe's perf
 * side does when no event wants the mm — while consumer B, whose filter always wants the
 * process, attaches a moment later. Threads call the four functions in turn. When everything
 * has settled, every function must still have its breakpoint: B wants it.
 */
export function removeVsRegister(): Scenario {
  return {
    build(w) {
      const fns = functions(4);
      const addrs = fns.map((f) => TEXT + f.offset);
      const bin = w.binary("/usr/bin/app", fns);
      const mm = w.addressSpace();
      w.task("exec", function* () {
        yield* w.mapText(mm, bin);
        w.hitter(mm, "hitter0", addrs);
        w.hitter(mm, "hitter1", addrs);
        w.driver("registrarA", function* () {
          for (const f of fns) {
            let wanted = true;
            const a = counter({ filter: () => wanted, rc: () => (wanted ? 0 : UPROBE_HANDLER_REMOVE) });
            yield* w.attach(bin, f.offset, a);
            wanted = false;
            const delay = w.rng.below(6000);
            w.driver(`registrarB(${f.name})`, function* () {
              yield* w.m.sleep(delay);
              yield* w.attach(bin, f.offset, counter({ filter: () => true }));
            });
            yield* w.m.sleep(w.rng.below(6000));
          }
        });
      });
    },
  };
}

/**
 * R9: f0 has consumers whose handlers (entry or return side) take a few microseconds (a
 * stack-walking BPF program); in each round a registrar attaches a victim consumer, then three
 * more, and detaches the victim (unregister_nosync + one sync) while threads are in the middle
 * of the chain. Once the sync has returned the victim must never be called again.
 */
export function unregisterVsChain(side: "entry" | "return"): Scenario {
  const ret = side === "return";
  return {
    build(w) {
      const fns = functions(1);
      const f0 = TEXT + fns[0].offset;
      const bin = w.binary("/usr/bin/app", fns);
      const mm = w.addressSpace();
      const kind = { entry: !ret, ret, cost: 3000 };
      w.task("exec", function* () {
        yield* w.mapText(mm, bin);
        w.hitter(mm, "hitter0", f0);
        w.hitter(mm, "hitter1", f0);
        w.driver("registrar", function* () {
          for (let r = 0; r < 4; r++) {
            const victim = yield* w.attach(bin, fns[0].offset, counter({ ...kind, cost: 0 }, w.m));
            for (let i = 0; i < 3; i++) yield* w.attach(bin, fns[0].offset, counter(kind, w.m));
            yield* w.m.sleep(w.rng.below(20_000));
            yield* w.detach([victim]);
          }
        });
      });
    },
  };
}

/**
 * R16: while a registrar detaches f0's consumer, another process maps the probed binary at
 * fresh addresses (each mmap runs uprobe_mmap, which may find the uprobe still in the tree,
 * its consumer already gone); bystander processes map it too and the first process calls f0
 * throughout. Each time the last consumer's unregister and sync have returned, no breakpoint
 * may survive in any process (the registrar runs the model's invariant sweep right then).
 */
export function mmapVsUnregister(): Scenario {
  return {
    build(w) {
      const fns = functions(2);
      const f0 = TEXT + fns[0].offset;
      const bin = w.binary("/usr/bin/app", fns);
      const mm = w.addressSpace();
      const bystanders = [w.addressSpace(), w.addressSpace()];
      const other = w.addressSpace();
      w.task("exec", function* () {
        yield* w.mapText(mm, bin);
        for (const b of bystanders) yield* w.mapText(b, bin);
        w.hitter(mm, "hitter", f0);
        w.driver("registrar", function* () {
          for (let i = 0; i < 5; i++) {
            const reg = yield* w.attach(bin, fns[0].offset, counter());
            yield* w.m.sleep(w.rng.below(5000));
            const delays = [w.rng.below(8000), w.rng.below(8000), w.rng.below(8000)];
            w.driver(`mapper${i}`, function* () {
              for (let k = 0; k < delays.length; k++) {
                yield* w.m.sleep(delays[k]);
                yield* w.mapText(other, bin, TEXT + 16 * P * (3 * i + k));
              }
              yield* do_munmap(other, TEXT + 16 * P * 3 * i, 2 * P);
            });
            yield* w.detach([reg]);
            w.sweepNow();
          }
        });
      });
    },
  };
}

// ---------------------------------------------------------------- churn

/** The churn binary: f0 is emulated (nop), f1 single-stepped (ret). */
export const CHURN_FNS: readonly Fn[] = [
  { name: "f0", offset: 0x100, insn: "nop" },
  { name: "f1", offset: 0x200, insn: "ret" },
];
const CHURN_KINDS: readonly CounterOptions[] = [{}, { ret: true }, { entry: false, ret: true }];

/**
 * Attach/detach churn (the selftests' uprobe_race shape): producers call probed functions in
 * a loop while two registrars attach consumers in batches and detach them the merged way
 * (N x uprobe_unregister_nosync, then one uprobe_unregister_sync). Every hit must reach every
 * consumer attached for the whole of it exactly once, no consumer may be called after its
 * unregister's sync returned, and once everything is settled nothing may be left.
 */
export function churn(): Scenario {
  return {
    cpus: 4,
    build(w) {
      const bin = w.binary("/usr/bin/app", CHURN_FNS);
      const mm = w.addressSpace();
      const addrs = CHURN_FNS.map((f) => TEXT + f.offset);
      w.task("exec", function* () {
        yield* w.mapText(mm, bin);
        for (let i = 0; i < 3; i++) w.hitter(mm, `producer${i}`, i === 1 ? [...addrs].reverse() : addrs);
        for (let r = 0; r < 2; r++) {
          w.driver(`registrar${r}`, function* () {
            for (let round = 0; round < 3; round++) {
              const batch: Registration[] = [];
              const n = 1 + w.rng.below(3);
              for (let i = 0; i < n; i++) {
                const kind = CHURN_KINDS[w.rng.below(CHURN_KINDS.length)];
                const f = CHURN_FNS[w.rng.below(CHURN_FNS.length)];
                const c = counter({ ...kind, cost: w.rng.below(2000) }, w.m);
                batch.push(yield* w.attach(bin, f.offset, c));
              }
              yield* w.m.sleep(w.rng.below(10_000));
              yield* w.detach(batch);
            }
          });
        }
      });
    },
  };
}

// ---------------------------------------------------------------- the table

/** Every fault switch a scenario can name: the uprobes, mm and sync-primitive ones. */
export type RaceFault = UprobeFault | MmFault | SyncFault;

const FAULT_DESCRIPTIONS = new Map<string, string>([
  ...Object.entries(UPROBE_FAULTS),
  ...Object.entries(MM_FAULTS),
  ...Object.entries(SYNC_FAULTS),
]);

export function isRaceFault(name: string): name is RaceFault {
  return FAULT_DESCRIPTIONS.has(name);
}

/** What the fault switch removes, in one line. */
export function faultDescription(fault: RaceFault): string {
  return FAULT_DESCRIPTIONS.get(fault) ?? fault;
}

/** A race scenario by name, with the fault switch that breaks it. */
export interface RaceScenario {
  /** Lower-case, race number first: `r1-speculative-vs-munmap`. */
  name: string;
  /** One line: who races whom. */
  description: string;
  /** The switch that removes the check this scenario exercises. */
  fault: RaceFault;
  build(): AnyScenario;
}

export const RACE_SCENARIOS: readonly RaceScenario[] = [
  {
    name: "r1-speculative-vs-munmap",
    description: "speculative VMA lookup vs munmap/mremap/mprotect of the probed text",
    fault: "spec-skip-retry",
    build: speculationVsMapping,
  },
  {
    name: "r4-stale-hit-vs-free",
    description: "a hit holding a uprobe vs its last unregister and free (emulated insn)",
    fault: "free-skip-gp",
    build: () => staleHitVsFree("nop"),
  },
  {
    name: "r4-stale-hit-vs-free-sstep",
    description: "a hit holding a uprobe vs its last unregister and free (single-stepped insn)",
    fault: "free-skip-gp",
    build: () => staleHitVsFree("ret"),
  },
  {
    name: "r5-tree-walk-vs-insert-erase",
    description: "lockless uprobes_tree walk vs inserts and erases at other offsets",
    fault: "tree-skip-seq-retry",
    build: treeWalkVsInsertErase,
  },
  {
    name: "r6-sigtrap-vs-reregister",
    description: "SIGTRAP-or-restart decision vs unregister + re-register and MAP_FIXED remaps",
    fault: "swbp-trap-check-unlocked",
    build: trapVsReregister,
  },
  {
    name: "r7-dying-vs-register",
    description: "a dying uprobe still in the tree vs a new registration of the same probe",
    fault: "free-erase-unconditionally",
    build: dyingVsRegister,
  },
  {
    name: "r8-remove-vs-register",
    description: "UPROBE_HANDLER_REMOVE vs a concurrent registration that wants the process",
    fault: "remove-skip-recheck",
    build: removeVsRegister,
  },
  {
    name: "r9-handler-after-unregister",
    description: "entry handlers still running when unregister + sync return",
    fault: "unregister-skip-sync",
    build: () => unregisterVsChain("entry"),
  },
  {
    name: "r9-ret-handler-after-unregister",
    description: "return handlers still running when unregister + sync return",
    fault: "unregister-skip-sync",
    build: () => unregisterVsChain("return"),
  },
  {
    name: "r11-ri-timer-vs-return",
    description: "the 100 ms ri_timer vs the trampoline releasing one SRCU lease",
    fault: "hprobe-no-cmpxchg",
    build: leaseTimerVsReturn,
  },
  {
    name: "r16-mmap-vs-unregister",
    description: "mmap of the probed file in another process vs unregister",
    fault: "mmap-skip-filter",
    build: mmapVsUnregister,
  },
  {
    name: "churn",
    description: "batched attach/detach churn under three producers (selftests' uprobe_race)",
    fault: "unregister-skip-sync",
    build: churn,
  },
  ...MM_RACE_SCENARIOS,
  ...SYNC_RACE_SCENARIOS,
  ...KERNEL_RACE_SCENARIOS,
];

export function findRaceScenario(name: string): RaceScenario | undefined {
  return RACE_SCENARIOS.find((r) => r.name === name);
}
