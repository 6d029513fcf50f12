/**
 * Race scenarios for the rest of kernel-model.md section 4: the mm races (per-VMA locks, fork,
 * the maps reader) and the return-probe, fork and flag races of the uprobes side that the
 * first table (scenarios.ts) does not cover. Each is paired with the fault switch that removes
 * the check it exercises, and is clean over every seed with the check in place.
 */
import type { KernelFault } from "../kernel/faults.js";
import {
  __is_vma_write_locked,
  do_mmap,
  do_mprotect,
  do_munmap,
  dup_mmap,
  handle_mm_fault,
  lock_vma_under_rcu,
  type MmStruct,
  mmput,
  PAGE_SIZE,
  PROT_READ,
  PROT_WRITE,
  ProcMapsReader,
  parse_maps,
  type VmAreaStruct,
  vma_end_read,
} from "../kernel/mm/index.js";
import type { TaskStruct } from "../kernel/task.js";
import { get_trampoline_vaddr, handle_swbp, SwbpResult } from "../kernel/uprobes/index.js";
import type { Sub } from "../sim/machine.js";
import { CALLER_RET, counter, functions, type Scenario, TEXT, type World } from "./harness.js";

const P = PAGE_SIZE;
const BASE = 0x20000000;
const RW = PROT_READ | PROT_WRITE;
const STACK = 0x7ffffffde000 - 8;

// ---------------------------------------------------------------- per-VMA locks (R19, R21, R22)

/** R19/R22: what must hold for as long as a reader holds a VMA from lock_vma_under_rcu. */
function checkHeld(w: World, mm: MmStruct, vma: VmAreaStruct, addr: number): void {
  const m = w.m;
  if (vma.vm_mm !== mm) m.fail(`reader holds ${vma} of ${vma.vm_mm}, looked up in ${mm}`);
  if (vma.__tree_mm !== mm) m.fail(`reader holds ${vma}, which is not attached to ${mm}'s tree`);
  if (addr < vma.vm_start || addr >= vma.vm_end)
    m.fail(`reader holds ${vma}, which does not cover ${addr.toString(16)}`);
  if (__is_vma_write_locked(vma))
    m.fail(`reader holds ${vma} while its writer owns it (vm_lock_seq ${vma.vm_lock_seq})`);
}

/** A page-fault-like reader: lock a VMA under RCU, hold it for a few steps, release it. */
function* vmaReader(w: World, mm: MmStruct, span: number, rounds: number): Sub<void> {
  for (let i = 0; i < rounds; i++) {
    const addr = BASE + w.rng.below(span) * P + 8;
    const vma = yield* lock_vma_under_rcu(mm, addr);
    if (vma === null) continue;
    for (let k = 0; k < 3; k++) {
      checkHeld(w, mm, vma, addr);
      w.m.label = `reader holds ${vma}`;
      yield 0;
    }
    checkHeld(w, mm, vma, addr);
    yield* vma_end_read(vma);
  }
}

/**
 * R19/R21: two mms mapping the same addresses. Mm A's writer re-protects the halves of a
 * 4-page region (splits and merges, recycling VMA objects within A) and sometimes unmaps and
 * remaps it; mm B's writer maps and unmaps the same addresses (recycling A's objects into B).
 * Readers fault on A through lock_vma_under_rcu.
 */
export function vmaChurn(cpus = 8): Scenario {
  return {
    cpus,
    build(w) {
      const a = w.addressSpace();
      const b = w.addressSpace();
      w.task("setup", function* () {
        yield* do_mmap(a, { addr: BASE, len: 2 * P, prot: RW });
        yield* do_mmap(a, { addr: BASE + 2 * P, len: 2 * P, prot: PROT_READ });
        w.task("writerA", function* () {
          for (let i = 0; i < 14; i++) {
            const op = w.rng.below(5);
            if (op === 4) {
              yield* do_munmap(a, BASE, 4 * P);
              yield* do_mmap(a, { addr: BASE, len: 4 * P, prot: RW });
            } else {
              yield* do_mprotect(a, BASE + (op & 1) * 2 * P, 2 * P, op & 2 ? RW : PROT_READ);
            }
          }
        });
        w.task("writerB", function* () {
          for (let i = 0; i < 14; i++) {
            yield* do_mmap(b, { addr: BASE, len: 4 * P, prot: PROT_READ });
            yield* do_munmap(b, BASE, 4 * P);
          }
        });
        for (let r = 1; r <= 6; r++) w.task(`reader${r}`, () => vmaReader(w, a, 4, 25));
      });
    },
  };
}

/** R22: a writer write-locks one VMA again and again while readers lock it. */
export function writeLockChurn(): Scenario {
  return {
    build(w) {
      const mm = w.addressSpace();
      w.task("setup", function* () {
        yield* do_mmap(mm, { addr: BASE, len: 2 * P, prot: RW });
        w.task("writer", function* () {
          for (let i = 0; i < 15; i++) yield* do_mprotect(mm, BASE, 2 * P, i % 2 ? RW : PROT_READ);
        });
        w.task("reader1", () => vmaReader(w, mm, 2, 30));
        w.task("reader2", () => vmaReader(w, mm, 2, 30));
      });
    },
  };
}

// ---------------------------------------------------------------- maps reader (R23)

/**
 * R23: an address space with no holes whose middle VMA keeps being split (an upper part
 * re-protected: the original shrinks and a new VMA appears in front of it) and merged back.
 * The per-VMA maps reader, one line per chunk, must never print a hole and must move forward.
 */
export function mapsTearing(): Scenario {
  return {
    build(w) {
      const mm = w.addressSpace();
      w.task("setup", function* () {
        yield* do_mmap(mm, { addr: BASE, len: 2 * P, prot: PROT_READ, name: "[lo]" });
        yield* do_mmap(mm, { addr: BASE + 2 * P, len: 4 * P, prot: RW });
        yield* do_mmap(mm, { addr: BASE + 6 * P, len: 2 * P, prot: PROT_READ, name: "[hi]" });
        w.task("writer", function* () {
          for (let i = 0; i < 12; i++) {
            const at = BASE + 2 * P + (1 + w.rng.below(3)) * P;
            yield* do_mprotect(mm, at, BASE + 6 * P - at, PROT_READ);
            yield* do_mprotect(mm, BASE + 2 * P, 4 * P, RW);
          }
        });
        for (const name of ["maps1", "maps2"]) w.task(name, () => readMapsRounds(w, mm, 4));
      });
    },
  };
}

function* readMapsRounds(w: World, mm: MmStruct, rounds: number): Sub<void> {
  for (let round = 0; round < rounds; round++) {
    const r = new ProcMapsReader(mm, { mode: "per-vma", chunkSize: 80, gate: false });
    let chunks = 0;
    let text = "";
    for (let c = yield* r.read_chunk(); c !== null; c = yield* r.read_chunk()) {
      text += c;
      if (++chunks > 100) w.m.fail("R23: maps reader makes no progress");
    }
    checkMaps(w, parse_maps(text));
  }
}

function checkMaps(w: World, ranges: { start: number; end: number; line: string }[]): void {
  const m = w.m;
  if (ranges.length === 0 || ranges[0].start !== BASE)
    m.fail(`R23: maps: first line is not at ${BASE.toString(16)}`);
  for (let i = 1; i < ranges.length; i++) {
    const prev = ranges[i - 1];
    const cur = ranges[i];
    if (cur.end <= prev.end) m.fail(`R23: maps went backwards: "${prev.line}" then "${cur.line}"`);
    if (cur.start > prev.end) m.fail(`R23: maps reported a false gap: "${prev.line}" then "${cur.line}"`);
  }
  if (ranges[ranges.length - 1].end !== BASE + 8 * P)
    m.fail("R23: maps: last line does not end the address space");
}

// ---------------------------------------------------------------- fork (R14, R15)

/** R15: a parent thread takes write faults under VMA read locks while another thread forks. */
export function forkVsFault(): Scenario {
  return {
    build(w) {
      const mm = w.addressSpace();
      w.task("setup", function* () {
        yield* do_mmap(mm, { addr: BASE, len: 2 * P, prot: RW });
        yield* do_mmap(mm, { addr: BASE + 2 * P, len: 2 * P, prot: PROT_READ });
        for (const v of mm.vmas()) v.anon_vma = true; // both already have COW pages
        w.task("faulter", function* () {
          for (let i = 0; i < 25; i++) {
            const addr = BASE + w.rng.below(4) * P;
            const vma = yield* lock_vma_under_rcu(mm, addr);
            if (vma === null) continue;
            yield* handle_mm_fault(vma, addr, true);
            yield* vma_end_read(vma);
          }
        });
        w.task("forker", function* () {
          for (let i = 0; i < 4; i++) yield* mmput(yield* dup_mmap(mm));
        });
      });
    },
  };
}

/**
 * R14: a probed process forks again and again while a registrar attaches and detaches f0's
 * consumer. Each child keeps running (the sweep inspects it): after the last unregister and
 * sync no child may keep a breakpoint, and while registered every child must have one.
 */
export function forkVsRegister(): Scenario {
  return {
    build(w) {
      const fns = functions(1);
      const bin = w.binary("/usr/bin/app", fns);
      const mm = w.addressSpace();
      w.task("exec", function* () {
        yield* w.mapText(mm, bin);
        w.driver("forker", function* () {
          for (let i = 0; i < 8; i++) {
            yield* w.m.sleep(w.rng.below(40_000));
            w.mms.push(yield* dup_mmap(mm));
          }
        });
        w.driver("registrar", function* () {
          for (let i = 0; i < 4; i++) {
            const reg = yield* w.attach(bin, fns[0].offset, counter());
            w.sweepNow(); // every child forked so far must have the breakpoint
            yield* w.m.sleep(w.rng.below(20_000));
            yield* w.detach([reg]);
            w.sweepNow(); // and none may keep it
          }
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
      const bin = w.binary("/usr/bin/app", fns);
      const mm = w.addressSpace();
      w.task("exec", function* () {
        yield* w.mapText(mm, bin);
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
        w.driver("registrar", function* () {
          for (let i = 0; i < 4; i++) {
            const reg = yield* w.attach(bin, fns[1].offset, counter({ ret: true }));
            yield* w.m.sleep(w.rng.below(4000));
            yield* w.detach([reg]);
          }
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
      const bin = w.binary("/usr/bin/app", fns);
      const mm = w.addressSpace();
      w.task("exec", function* () {
        yield* w.mapText(mm, bin);
        w.hitter(mm, "hitter0", f0, { work: 100 });
        w.hitter(mm, "hitter1", f0, { work: 100 });
        w.driver("registrar", function* () {
          for (let i = 0; i < 6; i++) {
            const reg = yield* w.attach(bin, fns[0].offset, counter());
            yield* w.detach([reg]);
          }
        });
      });
    },
  };
}

// ---------------------------------------------------------------- the table

/** A race scenario by name (the row type of scenarios.ts's RACE_SCENARIOS). */
interface KernelRaceScenario {
  name: string;
  description: string;
  fault: KernelFault;
  build(): Scenario;
}

export const KERNEL_RACE_SCENARIOS: readonly KernelRaceScenario[] = [
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
    name: "r15-fork-vs-fault",
    description: "fork copying a VMA vs a write fault under that VMA's read lock",
    fault: "fork-skip-vma-write-lock",
    build: forkVsFault,
  },
  {
    name: "r18-has-uprobes-vs-install",
    description: "a trap on a fresh breakpoint vs MMF_HAS_UPROBES in the trap notifier",
    fault: "install-has-after-swbp",
    build: hasUprobesVsInstall,
  },
  {
    name: "r19-vma-lock-vs-reuse",
    description: "lock_vma_under_rcu vs a VMA object recycled into another mm",
    fault: "vma-skip-mm-check",
    build: vmaChurn,
  },
  {
    name: "r21-vma-dup-refcnt",
    description: "lock_vma_under_rcu vs a recycled VMA whose vm_refcnt vm_area_dup copied",
    fault: "vma-copy-refcnt",
    build: () => vmaChurn(3),
  },
  {
    name: "r22-vma-read-vs-write",
    description: "vma_start_read vs vma_start_write on the same VMA",
    fault: "vma-skip-seq-recheck",
    build: writeLockChurn,
  },
  {
    name: "r23-maps-vs-split",
    description: "the per-VMA /proc/pid/maps reader vs splits and merges (false gaps)",
    fault: "maps-skip-gap-recheck",
    build: mapsTearing,
  },
];
