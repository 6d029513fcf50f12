/**
 * Race scenarios of the mm model (src/kernel/mm): per-VMA locks under VMA recycling (R19, R21,
 * R22), the per-VMA /proc/pid/maps reader (R23) and fork against page faults (R15), each with
 * the MM_FAULTS switch that removes the check it exercises. They run on the bare machine with
 * their own address spaces; the mm exploration tests (test/kernel/mm) run them too.
 */

import {
  __is_vma_write_locked,
  do_mmap,
  do_mprotect,
  do_munmap,
  dup_mmap,
  handle_mm_fault,
  lock_vma_under_rcu,
  type MmOptions,
  MmStruct,
  mmput,
  PAGE_SIZE,
  PROT_READ,
  PROT_WRITE,
  ProcMapsReader,
  parse_maps,
  type VmAreaStruct,
  vma_end_read,
} from "../kernel/mm/index.js";
import type { MmFault } from "../kernel/mm/options.js";
import type { Machine, Sub } from "../sim/machine.js";
import type { Prng } from "../sim/prng.js";
import { type MachineScenario, onMachine } from "./harness.js";
import type { RaceScenario } from "./scenarios.js";

const P = PAGE_SIZE;
const BASE = 0x20000000;
const RW = PROT_READ | PROT_WRITE;

/** R19/R22: what must hold for as long as a reader holds a VMA from lock_vma_under_rcu. */
function checkHeld(m: Machine, mm: MmStruct, vma: VmAreaStruct, addr: number): void {
  if (vma.vm_mm !== mm) m.fail(`reader holds ${vma} of ${vma.vm_mm}, looked up in ${mm}`);
  if (vma.__tree_mm !== mm) m.fail(`reader holds ${vma}, which is not attached to ${mm}'s tree`);
  if (addr < vma.vm_start || addr >= vma.vm_end)
    m.fail(`reader holds ${vma}, which does not cover ${addr.toString(16)}`);
  if (__is_vma_write_locked(vma))
    m.fail(`reader holds ${vma} while its writer owns it (vm_lock_seq ${vma.vm_lock_seq})`);
}

function* reader(m: Machine, mm: MmStruct, rng: Prng, span: number, rounds: number): Sub<void> {
  for (let i = 0; i < rounds; i++) {
    const addr = BASE + rng.below(span) * P + 8;
    const vma = yield* lock_vma_under_rcu(mm, addr);
    if (vma === null) continue;
    for (let k = 0; k < 3; k++) {
      checkHeld(m, mm, vma, addr);
      m.label = `reader holds ${vma}`;
      yield 0;
    }
    checkHeld(m, mm, vma, addr);
    yield* vma_end_read(vma);
  }
}

const READERS = 6;

/**
 * Two mms mapping the same addresses. Mm A's writer toggles the protection of the halves of
 * a 4-page region (splits and merges, recycling VMA objects within A) and sometimes unmaps
 * and remaps it; mm B's writer maps and unmaps the same addresses (recycling A's objects into
 * B). Readers fault on A through lock_vma_under_rcu.
 */
const vmaChurn: MmScenario = {
  setup(m, rng, design) {
    const a = new MmStruct(m, design);
    const b = new MmStruct(m, { subsystem: a.sys });
    m.spawn("setup", function* () {
      yield* do_mmap(a, { addr: BASE, len: 2 * P, prot: RW });
      yield* do_mmap(a, { addr: BASE + 2 * P, len: 2 * P, prot: PROT_READ });
      m.spawn("writerA", function* () {
        for (let i = 0; i < 14; i++) {
          const op = rng.below(5);
          if (op === 4) {
            yield* do_munmap(a, BASE, 4 * P);
            yield* do_mmap(a, { addr: BASE, len: 4 * P, prot: RW });
          } else {
            yield* do_mprotect(a, BASE + (op & 1) * 2 * P, 2 * P, op & 2 ? RW : PROT_READ);
          }
        }
      });
      m.spawn("writerB", function* () {
        for (let i = 0; i < 14; i++) {
          yield* do_mmap(b, { addr: BASE, len: 4 * P, prot: PROT_READ });
          yield* do_munmap(b, BASE, 4 * P);
        }
      });
      for (let r = 1; r <= READERS; r++) m.spawn(`reader${r}`, () => reader(m, a, rng, 4, 25));
    });
  },
};

/** R22: a writer write-locks one VMA again and again while readers lock it. */
const writeLockChurn: MmScenario = {
  setup(m, rng, design) {
    const mm = new MmStruct(m, design);
    m.spawn("setup", function* () {
      yield* do_mmap(mm, { addr: BASE, len: 2 * P, prot: RW });
      m.spawn("writer", function* () {
        for (let i = 0; i < 15; i++) {
          yield* do_mprotect(mm, BASE, 2 * P, i % 2 ? RW : PROT_READ);
        }
      });
      m.spawn("reader1", () => reader(m, mm, rng, 2, 30));
      m.spawn("reader2", () => reader(m, mm, rng, 2, 30));
    });
  },
};

/**
 * R23: an address space with no holes, whose middle VMA keeps being split (upper or lower
 * half re-protected: the original shrinks and a new VMA appears in front of it) and merged
 * back. The per-VMA maps reader, one line per chunk, must never print a hole and must
 * always move forward.
 */
const mapsTearing: MmScenario = {
  setup(m, rng, design) {
    const mm = new MmStruct(m, design);
    m.spawn("setup", function* () {
      // [BASE, BASE+2P) r, [+2P, +6P) rw (the churned one), [+6P, +8P) r: no holes anywhere.
      yield* do_mmap(mm, { addr: BASE, len: 2 * P, prot: PROT_READ, name: "[lo]" });
      yield* do_mmap(mm, { addr: BASE + 2 * P, len: 4 * P, prot: RW });
      yield* do_mmap(mm, { addr: BASE + 6 * P, len: 2 * P, prot: PROT_READ, name: "[hi]" });
      m.spawn("writer", function* () {
        for (let i = 0; i < 12; i++) {
          const at = BASE + 2 * P + (1 + rng.below(3)) * P;
          yield* do_mprotect(mm, at, BASE + 6 * P - at, PROT_READ); // split: new VMA in front
          yield* do_mprotect(mm, BASE + 2 * P, 4 * P, RW); // merge back
        }
      });
      for (const name of ["maps1", "maps2"]) {
        m.spawn(name, function* () {
          for (let round = 0; round < 4; round++) {
            const r = new ProcMapsReader(mm, { mode: "per-vma", chunkSize: 80, gate: false });
            let chunks = 0;
            let text = "";
            for (let c = yield* r.read_chunk(); c !== null; c = yield* r.read_chunk()) {
              text += c;
              if (++chunks > 100) m.fail("maps reader makes no progress");
            }
            checkMaps(m, parse_maps(text));
          }
        });
      }
    });
  },
};

function checkMaps(m: Machine, ranges: { start: number; end: number; line: string }[]): void {
  if (ranges.length === 0 || ranges[0].start !== BASE)
    m.fail(`maps: first line is not at ${BASE.toString(16)}`);
  for (let i = 1; i < ranges.length; i++) {
    const prev = ranges[i - 1];
    const cur = ranges[i];
    if (cur.end <= prev.end) m.fail(`maps went backwards: "${prev.line}" then "${cur.line}"`);
    if (cur.start > prev.end) m.fail(`maps reported a false gap: "${prev.line}" then "${cur.line}"`);
  }
  if (ranges[ranges.length - 1].end !== BASE + 8 * P)
    m.fail("maps: last line does not end the address space");
}

/** R15: a parent thread takes write faults under VMA read locks while another thread forks. */
const forkVsFault: MmScenario = {
  setup(m, rng, design) {
    const mm = new MmStruct(m, design);
    m.spawn("setup", function* () {
      yield* do_mmap(mm, { addr: BASE, len: 2 * P, prot: RW });
      yield* do_mmap(mm, { addr: BASE + 2 * P, len: 2 * P, prot: PROT_READ });
      for (const v of mm.vmas()) v.anon_vma = true; // both already have COW pages
      m.spawn("faulter", function* () {
        for (let i = 0; i < 25; i++) {
          const addr = BASE + rng.below(4) * P;
          const vma = yield* lock_vma_under_rcu(mm, addr);
          if (vma === null) continue;
          yield* handle_mm_fault(vma, addr, true);
          yield* vma_end_read(vma);
        }
      });
      m.spawn("forker", function* () {
        for (let i = 0; i < 4; i++) {
          const child = yield* dup_mmap(mm);
          yield* mmput(child);
        }
      });
    });
  },
};

/** An mm scenario: spawn its tasks on `m` for the given mm design. */
interface MmScenario {
  setup(m: Machine, rng: Prng, design: MmOptions): void;
}

/** The machine shape the mm explorations use: long runs, so PCT spreads four change points wide. */
export function mmScenario(s: MmScenario, cpus = 3, design: MmOptions = {}): MachineScenario {
  return onMachine({ cpus, pctDepth: 4, pctSteps: 3000, traceSteps: 120 }, (m, rng) =>
    s.setup(m, rng, design),
  );
}

/** Enough CPUs that six readers and two writers all run at once. */
export const CHURN_CPUS = 8;

/** The 6.4-6.14 VMA design: vm_lock rwsem, RCU-freed VMAs, counter mm_lock_seq. */
export const VMA_DESIGN_6_4 = { vmaLock: "rwsem", vmaSlab: "rcu-free", mmLockSeq: "inc-on-unlock" } as const;

function mm(name: string, fault: MmFault, description: string, s: MmScenario, cpus = 3): RaceScenario {
  return { name, fault, description, build: () => mmScenario(s, cpus) };
}

export const MM_RACE_SCENARIOS: readonly RaceScenario[] = [
  mm(
    "r19-vma-recycled-foreign",
    "vma-skip-mm-check",
    "lock_vma_under_rcu vs VMAs recycled into another mm",
    vmaChurn,
    CHURN_CPUS,
  ),
  mm(
    "r21-vma-recycled-detached",
    "vma-copy-refcnt",
    "lock_vma_under_rcu vs split/merge/unmap recycling VMAs",
    vmaChurn,
    CHURN_CPUS,
  ),
  mm(
    "r22-vma-read-vs-write-lock",
    "vma-skip-seq-recheck",
    "vma_start_read vs a writer write-locking the same VMA",
    writeLockChurn,
  ),
  mm(
    "r23-maps-vs-split",
    "maps-skip-gap-recheck",
    "the per-VMA /proc/pid/maps reader vs splits and merges",
    mapsTearing,
  ),
  mm(
    "r15-fork-vs-fault",
    "fork-skip-vma-write-lock",
    "dup_mmap copying VMAs vs page faults under VMA read locks",
    forkVsFault,
  ),
];

/** The scenarios by their old test names, for the mm tests' clean-design explorations. */
export const MM_SCENARIOS = { vmaChurn, writeLockChurn, mapsTearing, forkVsFault } as const;
