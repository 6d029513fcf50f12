/**
 * Race scenarios for more of the races of docs/kernel-model.md: the return-probe, fork, flag
 * and task-lifetime races of the uprobes side that scenarios.ts and mm-scenarios.ts do not
 * cover. Each is paired with the fault switch that removes the check it exercises, and is
 * clean over every seed with the check in place.
 */
import { dup_mmap } from "../kernel/mm/index.js";
import type { TaskStruct } from "../kernel/task.js";
import {
  get_trampoline_vaddr,
  handle_swbp,
  RI_TIMER_PERIOD_NS,
  SwbpResult,
} from "../kernel/uprobes/index.js";
import type { Sub } from "../sim/machine.js";
import { CALLER_RET, counter, functions, type Scenario, TEXT, type World } from "./harness.js";
import type { RaceScenario } from "./scenarios.js";

const STACK = 0x7ffffffde000 - 8;
/** The return address of a call made from inside f0 (a recursive call). */
const INNER_RET = TEXT + 0x180;

// ---------------------------------------------------------------- fork (R14)

/**
 * R14: a probed process forks again and again while a registrar attaches and detaches f0's
 * consumer. Each child keeps running (the sweep inspects it): after the last unregister and
 * sync no child may keep a breakpoint, and while registered every child must have one.
 */
export function forkVsRegister(): Scenario {
  return {
    build(w) {
      const fns = functions(1);
      w.process(fns, function* (mm, bin) {
        w.driver("forker", function* () {
          for (let i = 0; i < 8; i++) {
            yield* w.m.sleep(w.rng.below(40_000));
            w.mms.push(yield* dup_mmap(mm));
          }
        });
        w.churn("registrar", bin, fns[0].offset, 4, {
          *pause() {
            w.sweepNow(); // every child forked so far must have the breakpoint
            yield* w.m.sleep(w.rng.below(20_000));
          },
          detached: () => w.sweepNow(), // and none may keep it
        });
      });
    },
  };
}

// ---------------------------------------------------------------- return probes (R13)

/**
 * A call of `addr` with the stack pointer at `sp` (the return address at [sp]), the way the
 * executor runs one: trap while a breakpoint is there, run `inside`, and return through the
 * trampoline if the entry hijacked the return address. The trampoline must restore `ret`.
 */
function* callAt(
  w: World,
  t: TaskStruct,
  addr: number,
  sp: number,
  ret: number,
  inside?: () => Sub<void>,
): Sub<void> {
  const regs = t.regs;
  regs.sp = sp;
  regs.ret = ret;
  yield* trapAt(w, t, addr);
  const hijacked = regs.ret;
  w.m.label = `user: in 0x${addr.toString(16)}`;
  yield 0;
  if (inside !== undefined) yield* inside();
  yield* returnTo(w, t, hijacked, sp, ret);
}

/** Execute the instruction at `addr`, trapping until the kernel lets the thread past. */
function* trapAt(w: World, t: TaskStruct, addr: number): Sub<void> {
  while (t.mm.breakpointAt(addr)) {
    t.regs.ip = addr;
    if ((yield* handle_swbp(w.u, t)) !== SwbpResult.Restart) return;
  }
}

/** `ret` from a frame at `sp` whose return slot holds `slot`; the caller expects `expect`. */
function* returnTo(w: World, t: TaskStruct, slot: number, sp: number, expect: number): Sub<void> {
  const regs = t.regs;
  if (slot === get_trampoline_vaddr(t.mm)) {
    regs.sp = sp + 8;
    regs.ip = slot;
    yield* handle_swbp(w.u, t);
    if (regs.ip !== expect)
      w.m.fail(`R13: trampoline restored 0x${regs.ip.toString(16)}, not 0x${expect.toString(16)}`);
  }
  w.m.label = "user: return";
  yield 0;
}

/**
 * R13: f0 and f1 have return consumers; threads call f0, which ends in a tail call ("jmp f1",
 * same SP, the return address already the trampoline), and call f2, which longjmps back to
 * its caller (its frame is abandoned) before the caller calls f1 from the same frame. A tail
 * call must keep both instances (both return handlers run on the one return) and abandoned
 * instances must be dropped, never piling up. A registrar churns a third return consumer.
 */
export function tailCallAndLongjmp(): Scenario {
  return {
    quiescent: false,
    build(w) {
      const fns = functions(3);
      const [f0, f1, f2] = fns.map((f) => TEXT + f.offset);
      w.process(fns, function* (mm, bin) {
        for (const f of fns) yield* w.attach(bin, f.offset, counter({ entry: false, ret: true }));
        for (let i = 0; i < 2; i++) {
          w.thread(mm, `caller${i}`, function* (t) {
            for (let n = 0; n < 12 && (n < 2 || w.drivers > 0); n++) {
              if (n % 2 === 0) {
                // f0: entry, then "jmp f1" from f0's frame.
                yield* callAt(w, t, f0, STACK, CALLER_RET, () => trapAt(w, t, f1));
              } else {
                // f2 longjmps out: its return never happens; then f1 from the same frame.
                t.regs.sp = STACK;
                t.regs.ret = CALLER_RET;
                yield* trapAt(w, t, f2);
                yield* callAt(w, t, f1, STACK, CALLER_RET);
              }
              if (t.utask !== null && t.utask.depth > 1)
                w.m.fail(`R13: ${t.utask.depth} return instances pending after the calls returned`);
            }
          });
        }
        w.churn("registrar", bin, fns[1].offset, 4, {
          kind: { ret: true },
          pause: () => w.m.sleep(w.rng.below(4000)),
        });
      });
    },
  };
}

// ---------------------------------------------------------------- MMF_HAS_UPROBES (R18)

/**
 * R18: threads call f0 while a registrar attaches and detaches f0's only consumer in a process
 * with no other probe: every install is the mm's first, so MMF_HAS_UPROBES goes from clear to
 * set around it. A thread that traps on the new breakpoint must be handed to uprobes by
 * uprobe_pre_sstep_notifier, never given SIGTRAP.
 */
export function hasUprobesVsInstall(): Scenario {
  return {
    build(w) {
      const fns = functions(1);
      const f0 = TEXT + fns[0].offset;
      w.process(fns, function* (mm, bin) {
        w.hitter(mm, "hitter0", f0, { work: 100 });
        w.hitter(mm, "hitter1", f0, { work: 100 });
        w.churn("registrar", bin, fns[0].offset, 6);
      });
    },
  };
}

// ---------------------------------------------------------------- ri_timer vs reuse (R12)

/**
 * R12: threads sit inside f0 (a return probe) for about the ri_timer period, then return and
 * call f0 again and again at once, each return putting its instance back in the task's
 * ri_pool and each call taking it out for a new call. The timer, expiring on another CPU
 * (the owner's was idle), walks the same instances meanwhile: it must never see one
 * re-initialised for another call while it holds it (ri_seqcount decides reuse vs kfree_rcu).
 */
export function timerWalkVsReuse(): Scenario {
  return {
    cpus: 4,
    build(w) {
      const fns = functions(1);
      const f0 = TEXT + fns[0].offset;
      w.process(fns, function* (mm, bin) {
        const reg = yield* w.attach(bin, fns[0].offset, counter({ entry: false, ret: true }));
        for (let i = 0; i < 2; i++) {
          w.thread(mm, `owner${i}`, function* (t) {
            // f0 recursing three deep, the innermost call for `nap` ns.
            const nest = (depth: number, nap: number): Sub<void> =>
              callAt(w, t, f0, STACK - 64 * depth, depth === 0 ? CALLER_RET : INNER_RET, () =>
                depth < 2 ? nest(depth + 1, nap) : w.m.sleep(nap),
              );
            for (let c = 0; c < 2; c++) {
              yield* nest(0, RI_TIMER_PERIOD_NS - 2000 + w.rng.below(4000));
              for (let k = 0; k < 4; k++) yield* nest(0, 0);
            }
          });
        }
        yield* w.m.sleep(3 * RI_TIMER_PERIOD_NS);
        yield* w.detach([reg]);
      });
    },
  };
}

// ---------------------------------------------------------------- utask lifetime (R26)

/**
 * R26: threads enter f0, which has a return consumer, three frames deep, and exit inside it
 * (pthread_exit with return instances pending), so mm_release frees their uprobe_task. A
 * profiler's sampling interrupts land on each thread's CPU throughout and unwind its user
 * stack the way perf does (fixup_uretprobe_trampoline_entries reads current->utask and walks
 * its return_instances): the walk must never reach an instance uprobe_free_utask freed.
 */
export function freeUtaskVsUnwind(): Scenario {
  return {
    build(w) {
      const fns = functions(1);
      const f0 = TEXT + fns[0].offset;
      w.process(fns, function* (mm, bin) {
        const reg = yield* w.attach(bin, fns[0].offset, counter({ entry: false, ret: true }));
        for (let cpu = 0; cpu < 2; cpu++) {
          const t = w.thread(
            mm,
            `exiter${cpu}`,
            function* (t) {
              for (let depth = 0; depth < 3; depth++) {
                t.regs.sp = STACK - 64 * depth;
                t.regs.ret = depth === 0 ? CALLER_RET : TEXT + 0x180;
                yield* trapAt(w, t, f0);
                yield w.m.cost(w.rng.below(2000));
              }
            },
            cpu,
          );
          const start = w.m.now();
          for (let k = 0; k < 40; k++) {
            w.m.raiseIrq(cpu, start + w.rng.below(12_000), `perf_sample(${t.tid})`, () => unwindUser(w, t));
          }
        }
        w.driver("registrar", function* () {
          yield* w.m.sleep(40_000);
          yield* w.detach([reg]);
        });
      });
    },
  };
}

/** A perf user-stack unwind of `t` from an interrupt on its CPU: the return instances it reads. */
function* unwindUser(w: World, t: TaskStruct): Sub<void> {
  const utask = t.utask;
  if (utask === null) return;
  for (let ri = utask.return_instances; ri !== null; ri = ri.next) {
    if (ri.freed) w.m.fail(`R26: a user-stack unwind of tid ${t.tid} read a return instance already freed`);
  }
  yield w.m.cost(200);
}

// ---------------------------------------------------------------- the table

export const KERNEL_RACE_SCENARIOS: readonly RaceScenario[] = [
  {
    name: "r13-tail-call-and-longjmp",
    description: "uretprobes across a tail call (chained instances) and a longjmp (abandoned ones)",
    fault: "uretprobe-chain-call-strict",
    build: tailCallAndLongjmp,
  },
  {
    name: "r14-fork-vs-register",
    description: "fork of a probed process vs register/unregister (dup_mmap_sem)",
    fault: "fork-skip-dup-mmap-sem",
    build: forkVsRegister,
  },
  {
    name: "r18-has-uprobes-vs-install",
    description: "a trap on a fresh breakpoint vs MMF_HAS_UPROBES in the trap notifier",
    fault: "install-has-after-swbp",
    build: hasUprobesVsInstall,
  },
  {
    name: "r12-ri-timer-vs-reuse",
    description: "the ri_timer walking return instances vs the owner reusing them from ri_pool",
    fault: "ri-reuse-during-timer-walk",
    build: timerWalkVsReuse,
  },
  {
    name: "r26-free-utask-vs-unwind",
    description: "uprobe_free_utask at thread exit vs a perf user-stack unwind reading task->utask",
    fault: "free-utask-before-clear",
    build: freeUtaskVsUnwind,
  },
];
