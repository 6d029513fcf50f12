/**
 * Race scenarios for more of the races of docs/kernel-model.md: the return-probe, fork, flag
 * and task-lifetime races of the uprobes side that scenarios.ts and mm-scenarios.ts do not
 * cover. Each is paired with the fault switch that removes the check it exercises, and is
 * clean over every seed with the check in place.
 */
import {
  do_mmap,
  do_mprotect,
  do_mremap,
  do_munmap,
  dup_mmap,
  MmStruct,
  mmput,
  PAGE_SIZE,
  PROT_READ,
  PROT_WRITE,
  vma_start_read,
} from "../kernel/mm/index.js";
import type { TaskStruct } from "../kernel/task.js";
import {
  get_trampoline_vaddr,
  handle_swbp,
  RI_TIMER_PERIOD_NS,
  SwbpResult,
  uprobe_register,
} from "../kernel/uprobes/index.js";
import { CacheLine } from "../sim/cacheline.js";
import { type Machine, type Sub, WaitQueue } from "../sim/machine.js";
import {
  CALLER_RET,
  counter,
  functions,
  type MachineScenario,
  onMachine,
  type Scenario,
  TEXT,
  type World,
} from "./harness.js";
import { MM_SCENARIOS, mmScenario } from "./mm-scenarios.js";
import type { RaceScenario } from "./scenarios.js";

const STACK = 0x7ffffffde000 - 8;
/** Where the R27 mapper moves the text, and a range nothing ever maps. */
const AWAY = TEXT + 64 * PAGE_SIZE;
const UNMAPPED = 0x10000000;
/** The return address of a call made from inside f0 (a recursive call). */
const INNER_RET = TEXT + 0x180;

// ---------------------------------------------------------------- recycled vm_file (R2)

/**
 * R2: threads hit f0 through the speculative lookup while another thread of the process
 * unmaps the text (the VMA's fput is the file's last: it is freed), maps another binary (its
 * new file may reuse the freed file's memory) and maps the text again. A lookup that loaded
 * vma->vm_file before the unmap reads f_inode after it: under SLAB_TYPESAFE_BY_RCU that is a
 * well-formed file, maybe the other binary's (which has a probe at the same offset), and the
 * mm_lock_seq retry throws the answer away; a file freed directly is a use-after-free.
 */
export function vmFileVsSpeculation(): Scenario {
  return {
    build(w) {
      const fns = functions(1);
      const f0 = TEXT + fns[0].offset;
      const other = w.binary("/usr/lib/other.so", fns);
      w.process(fns, function* (mm, bin) {
        yield* w.attach(bin, fns[0].offset, counter());
        yield* w.attach(other, fns[0].offset, counter());
        w.hitter(mm, "hitter0", f0, { work: 50 });
        w.hitter(mm, "hitter1", f0, { work: 50 });
        w.driver("mapper", function* () {
          for (let i = 0; i < 6; i++) {
            yield* do_munmap(mm, TEXT, 2 * PAGE_SIZE);
            yield* w.mapText(mm, other, AWAY + 4 * PAGE_SIZE * i);
            yield* w.mapText(mm, bin);
            yield w.m.cost(w.rng.below(2000));
          }
        });
      });
    },
  };
}

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
export function* callAt(
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
      w.process(fns, (mm, bin) => {
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

// ---------------------------------------------------------------- mremap merge (R17)

/**
 * R17 (Pu Lehui's reproducer): f0's probe sits in the first page of a two-page text mapping.
 * A short-lived process moves that page elsewhere, growing it to two pages, then moves it back
 * (MREMAP_FIXED) so it merges with the text's second page again, three times over, and exits,
 * while a registrar attaches and detaches a probe on f1 of the same binary. The breakpoint
 * page arrives with the moved page tables; installing one on the merge too leaves a page no
 * page table maps, which check_mm reports when the mm is freed.
 */
export function mremapMergeVsProbe(): Scenario {
  return {
    build(w) {
      const fns = functions(2);
      w.process(fns, function* (_mm, bin) {
        yield* w.attach(bin, fns[0].offset, counter());
        w.churn("registrar", bin, fns[1].offset, 4, { pause: () => w.m.sleep(w.rng.below(5000)) });
        const mm = new MmStruct(w.m, { subsystem: w.k.mm }); // not swept: it exits
        yield* w.mapText(mm, bin);
        for (let i = 0; i < 3; i++) {
          const away = yield* do_mremap(mm, TEXT, PAGE_SIZE, 2 * PAGE_SIZE);
          yield* do_mremap(mm, away, PAGE_SIZE, PAGE_SIZE, { fixed: TEXT });
          yield* do_munmap(mm, away + PAGE_SIZE, PAGE_SIZE);
          yield w.m.cost(w.rng.below(3000));
        }
        yield* mmput(mm);
      });
    },
  };
}

// ---------------------------------------------------------------- mm_lock_seq wrap (R27)

/**
 * R27: threads hit f0 through the speculative lookup while another thread of the process
 * moves the text away (mremap) and back, each move followed by a quick mmap_write_lock cycle
 * (mprotect of an unmapped range fails with ENOMEM after taking the lock). Each cycle moves
 * mm_lock_seq by two: with a 32-bit counter a speculation that spans a move always sees the
 * change (wrapping needs 2^31 cycles in one window, which upstream accepts as unreachable);
 * with a 2-bit one the two cycles bring it back to the value it started from and a stale
 * uprobe is returned (R1's check sees it). The text ends moved away, so a lookup preempted
 * for the rest of the run is judged against a mapping that really changed.
 */
export function seqWrapVsSpeculation(): Scenario {
  return {
    cpus: 4,
    pctSteps: 1200,
    pctDepth: 4,
    build(w) {
      const fns = functions(1);
      const f0 = TEXT + fns[0].offset;
      w.process(fns, function* (mm, bin) {
        yield* w.attach(bin, fns[0].offset, counter());
        for (let i = 0; i < 3; i++) w.hitter(mm, `hitter${i}`, f0, { work: 50 });
        w.driver("mapper", function* () {
          for (let i = 0; i < 15; i++) {
            const [from, to] = i % 2 === 0 ? [TEXT, AWAY] : [AWAY, TEXT];
            yield* do_mremap(mm, from, 2 * PAGE_SIZE, 2 * PAGE_SIZE, { fixed: to });
            yield* do_mprotect(mm, UNMAPPED, PAGE_SIZE, PROT_READ);
            yield w.m.cost(w.rng.below(3000));
          }
        });
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

// ---------------------------------------------------------------- trace_uprobe nhit (R25)

const DISPATCHERS = 4;
const HITS_PER_CPU = 12;

/**
 * R25: uprobe_dispatcher runs on every CPU at once (a probe hit by threads everywhere) and
 * counts each hit in trace_uprobe's counter. Per-CPU nhits (this_cpu_inc, summed by the
 * reader) lose nothing; one shared `nhit++` is a load and a store on one cache line, and two
 * CPUs between them lose an update. Once all have run, Σ nhits must equal the dispatches.
 */
export function nhitCounting(): MachineScenario {
  return onMachine({ cpus: DISPATCHERS }, (m, rng) => {
    const shared = m.faults.has("nhit-shared-increment");
    const line = new CacheLine("trace_uprobe.nhit");
    const nhits = new Float64Array(DISPATCHERS);
    let nhit = 0;
    let dispatches = 0;
    let running = DISPATCHERS;
    for (let cpu = 0; cpu < DISPATCHERS; cpu++) {
      m.spawn(
        `uprobe_dispatcher${cpu}`,
        function* () {
          for (let i = 0; i < HITS_PER_CPU; i++) {
            dispatches++;
            if (shared) {
              line.read(m);
              const v = nhit;
              m.label = "uprobe_dispatcher: nhit loaded";
              yield 0;
              line.write(m);
              nhit = v + 1;
            } else {
              nhits[cpu]++; // this_cpu_inc: one instruction, on this CPU's own line
            }
            yield m.cost(rng.below(400));
          }
          if (--running > 0) return;
          const counted = shared ? nhit : nhits.reduce((a, b) => a + b, 0);
          if (counted !== dispatches) m.fail(`R25: nhits sum to ${counted} after ${dispatches} dispatches`);
        },
        cpu,
      );
    }
  });
}

// ---------------------------------------------------------------- maps fallbacks (R24)

/**
 * R24: the R23 maps tearing (two /proc/pid/maps readers under per-VMA locks vs a writer
 * splitting and merging the VMAs they read) with VMA_REF_LIMIT lowered to 2, so two readers
 * on one VMA overflow it: vma_start_read fails, lock_next_vma falls back to mmap_read_lock,
 * vma_start_read_locked fails too, and the chunk switches to mmap_read_lock
 * (fallback_to_mmap_lock). The fallbacks may cost time but never change what is shown.
 */
export function mapsFallbacks(): MachineScenario {
  return mmScenario(MM_SCENARIOS.mapsTearing, 3, { vmaRefLimit: 2 });
}

// ---------------------------------------------------------------- a foreign mm's exit (R20)

/** A one-shot event one task waits for and another signals (a completion). */
class Completion {
  done = false;
  readonly wq = new WaitQueue();

  *wait(m: Machine): Sub<void> {
    while (!this.done) yield* m.wait(this.wq);
  }

  complete(m: Machine): void {
    this.done = true;
    m.wakeAll(this.wq);
  }
}

const R20_ROUNDS = 12;
const R20_BASE = 0x20000000;

/**
 * R20: a page fault in mm A walks A's VMA tree under RCU and is preempted before
 * vma_start_read. Meanwhile A unmaps the VMA, and a short-lived process B maps a page that
 * reuses the object (SLAB_TYPESAFE_BY_RCU) and exits at once. The fault resumes: it takes a
 * reference on what is now B's VMA, sees vm_mm is not A and drops the reference, which may
 * be the last one B's exit_mmap waits for. If B's writer sees the count without sleeping, it
 * finishes and frees B's mm before the reader's wake: only the mmgrab of 6.17 keeps that
 * wake off freed memory. Interrupts on the reader's CPU stretch the window, as in the kernel.
 */
export function foreignMmExitVsReader(): MachineScenario {
  return onMachine({ cpus: 2, pctDepth: 4, pctSteps: 600, traceSteps: 80 }, (m, rng) => {
    const a = new MmStruct(m, {});
    m.spawn(
      "setup",
      function* () {
        for (let round = 0; round < R20_ROUNDS; round++) {
          yield* do_mmap(a, { addr: R20_BASE, len: PAGE_SIZE, prot: PROT_READ });
          const walked = new Completion();
          const reused = new Completion();
          let b: MmStruct | null = null;
          const done = new Completion();
          m.spawn(
            `fault${round}`,
            function* () {
              a.sys.rcu.readLock();
              const vma = a.mm_mt.load(R20_BASE);
              m.label = `lock_vma_under_rcu: walk -> ${vma}; preempted`;
              walked.complete(m);
              yield* reused.wait(m);
              if (vma === null || b === null || vma.vm_mm !== b) a.sys.rcu.readUnlock();
              else yield* vma_start_read(a, vma); // the foreign mm: fails, leaving RCU
              done.complete(m);
            },
            0,
          );
          const start = m.now();
          for (let k = 0; k < 3; k++) {
            m.raiseIrq(0, start + rng.below(6000), "irq", function* () {
              for (let i = 0; i < 6; i++) yield m.cost(300);
            });
          }
          yield* walked.wait(m);
          yield* do_munmap(a, R20_BASE, PAGE_SIZE);
          b = new MmStruct(m, { subsystem: a.sys });
          yield* do_mmap(b, { addr: R20_BASE, len: PAGE_SIZE, prot: PROT_READ });
          reused.complete(m);
          yield* mmput(b); // B exits: exit_mmap write-locks the VMA the fault holds
          yield* done.wait(m);
        }
      },
      1,
    );
  });
}

// ---------------------------------------------------------------- USDT semaphores (R28)

/** Where /usr/bin/app's USDT semaphore is: in its data page, the file's third page. */
const REF_CTR_OFFSET = 2 * PAGE_SIZE + 0x10;
const DATA = TEXT + 2 * PAGE_SIZE;

/**
 * The invariant of a USDT semaphore, read under mmap_read_lock (everything that moves it runs
 * under mmap_write_lock): one bump per mm while f0's breakpoint is in place, paid into the
 * data page if it is mapped and owed on delayed_uprobe_list if not.
 */
function* checkSemaphore(w: World, mm: MmStruct, f0: number): Sub<void> {
  yield* mm.mmap_read_lock();
  const wanted = mm.breakpointAt(f0) ? 1 : 0;
  const mapped = mm.mm_mt.load(DATA) !== null;
  const have = mapped
    ? (mm.ref_ctrs.get(DATA + 0x10) ?? 0)
    : w.u.delayed_uprobe_list.filter((du) => du.mm === mm).length;
  mm.mmap_read_unlock();
  if (have !== wanted) {
    const where = mapped ? "the semaphore is" : "delayed_uprobe_list owes";
    w.m.fail(`R28: ${where} ${have} in ${mm} with ${wanted} breakpoint(s) at 0x${f0.toString(16)}`);
  }
}

/**
 * R28, the selftests' uprobe_race shape with a semaphore: trigger threads hit f0 while two
 * registrars attach and detach consumers of f0 with a ref_ctr_offset (so one install often
 * finds the other's breakpoint already there), and the program maps its data page, which
 * holds the semaphore, only partway through (the bumps made before wait on
 * delayed_uprobe_list). After every register and unregister the semaphore must match.
 */
export function usdtSemaphoreChurn(): Scenario {
  return {
    build(w) {
      const fns = functions(1);
      const f0 = TEXT + fns[0].offset;
      const bin = w.binary("/usr/bin/app", fns, 3);
      const mm = w.addressSpace();
      w.task("exec", function* () {
        yield* w.mapText(mm, bin);
        for (let i = 0; i < 2; i++) w.hitter(mm, `trigger${i}`, f0, { work: 50 });
        w.driver("ld.so", function* () {
          yield* w.m.sleep(w.rng.below(60_000));
          const prot = PROT_READ | PROT_WRITE;
          yield* do_mmap(mm, { addr: DATA, len: PAGE_SIZE, prot, file: bin, pgoff: 2 });
        });
        for (let r = 0; r < 2; r++) {
          w.driver(`attach${r}`, function* () {
            for (let i = 0; i < 4; i++) {
              const uc = counter();
              const uprobe = yield* uprobe_register(w.u, bin, fns[0].offset, uc, REF_CTR_OFFSET);
              yield* checkSemaphore(w, mm, f0);
              yield* w.m.sleep(w.rng.below(20_000));
              yield* w.detach([{ uprobe, uc }]);
              yield* checkSemaphore(w, mm, f0);
            }
          });
        }
      });
    },
  };
}

// ---------------------------------------------------------------- the table

export const KERNEL_RACE_SCENARIOS: readonly RaceScenario[] = [
  {
    name: "r28-usdt-semaphore-churn",
    description: "USDT semaphore bumps vs attach/detach churn and a late-mapped data page",
    fault: "ref-ctr-skip-verify-opcode",
    build: usdtSemaphoreChurn,
  },
  {
    name: "r20-foreign-mm-exit",
    description: "a page fault's reference on a VMA recycled into an mm that exits at once",
    fault: "vma-skip-mmgrab",
    build: foreignMmExitVsReader,
  },
  {
    name: "r2-vm-file-recycled",
    description: "a speculative lookup's vm_file vs its last fput and the file's memory reused",
    fault: "backing-file-free-direct",
    build: vmFileVsSpeculation,
  },
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
    name: "r17-mremap-merge-orphan",
    description: "mremap moving a probed page back so it merges vs the breakpoint it carries",
    fault: "mremap-merge-uprobe-mmap",
    build: mremapMergeVsProbe,
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
    name: "r27-mm-lock-seq-wrap",
    description: "a speculative lookup vs enough mmap_write_lock cycles to wrap mm_lock_seq",
    fault: "mm-lock-seq-2bit",
    build: seqWrapVsSpeculation,
  },
  {
    name: "r24-maps-fallbacks",
    description: "the maps reader's mmap_lock fallbacks (VMA_REF_LIMIT overflow) vs splits and merges",
    fault: "maps-fallback-skip-iter-reset",
    build: mapsFallbacks,
  },
  {
    name: "r25-nhit-lost-update",
    description: "trace_uprobe's hit counter bumped by uprobe_dispatcher on every CPU at once",
    fault: "nhit-shared-increment",
    build: nhitCounting,
  },
  {
    name: "r26-free-utask-vs-unwind",
    description: "uprobe_free_utask at thread exit vs a perf user-stack unwind reading task->utask",
    fault: "free-utask-before-clear",
    build: freeUtaskVsUnwind,
  },
];
