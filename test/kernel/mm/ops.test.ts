import { describe, expect, it } from "vitest";
import {
  do_mmap,
  do_mprotect,
  do_mremap,
  do_munmap,
  dup_mmap,
  exit_mmap,
  Inode,
  lock_vma_under_rcu,
  MmStruct,
  mmput,
  NO_MM_HOOKS,
  PAGE_SIZE,
  PROT_EXEC,
  PROT_READ,
  PROT_WRITE,
  ProcMapsReader,
  parse_maps,
  VM_WRITE,
  VMA_FREEPTR_POISON,
  vma_end_read,
  vma_start_write,
} from "../../../src/kernel/mm/index.js";
import { Machine, type Sub } from "../../../src/sim/machine.js";
import { runTask } from "./helpers.js";

const P = PAGE_SIZE;
const BASE = 0x10000000;

function setup(opts: ConstructorParameters<typeof MmStruct>[1] = {}) {
  const m = new Machine({ cpus: 2, seed: 1 });
  const mm = new MmStruct(m, opts);
  const exe = new Inode(m, {
    ino: 123,
    path: "/usr/bin/shopd",
    size: 16 * P,
    symbols: [
      { name: "main", offset: 0x1000, size: 64, firstInsn: "push" },
      { name: "handle", offset: 0x1040, size: 64, firstInsn: "nop" },
      { name: "ret1", offset: 0x5000, size: 16, firstInsn: "ret" },
    ],
  });
  return { m, mm, exe };
}

function shape(mm: MmStruct): string[] {
  return mm.vmas().map((v) => `${(v.vm_start - BASE) / P}-${(v.vm_end - BASE) / P}:${v.vm_flags & 7}`);
}

describe("mmap and munmap", () => {
  it("maps anonymous memory where asked and merges compatible neighbours", () => {
    const { m, mm } = setup();
    runTask(m, function* () {
      expect(yield* do_mmap(mm, { addr: BASE, len: 2 * P, prot: PROT_READ | PROT_WRITE })).toBe(BASE);
      expect(yield* do_mmap(mm, { addr: BASE + 2 * P, len: P, prot: PROT_READ | PROT_WRITE })).toBe(
        BASE + 2 * P,
      );
      expect(yield* do_mmap(mm, { addr: BASE + 3 * P, len: P, prot: PROT_READ })).toBe(BASE + 3 * P);
    });
    expect(shape(mm)).toEqual(["0-3:3", "3-4:1"]);
    expect(mm.map_count).toBe(2);
  });

  it("fills a gap between two mergeable VMAs into one", () => {
    const { m, mm } = setup();
    runTask(m, function* () {
      yield* do_mmap(mm, { addr: BASE, len: P, prot: PROT_READ });
      yield* do_mmap(mm, { addr: BASE + 2 * P, len: P, prot: PROT_READ });
      expect(mm.map_count).toBe(2);
      yield* do_mmap(mm, { addr: BASE + P, len: P, prot: PROT_READ });
    });
    expect(shape(mm)).toEqual(["0-3:1"]);
    expect(mm.map_count).toBe(1);
  });

  it("finds free space top-down when no address is given", () => {
    const { m, mm } = setup();
    const [a, b] = runTask(m, function* () {
      const a = yield* do_mmap(mm, { len: 3 * P, prot: PROT_READ });
      const b = yield* do_mmap(mm, { len: P, prot: PROT_WRITE });
      return [a, b];
    });
    expect(a).toBe(mm.mmap_base - 3 * P);
    expect(b).toBe(a - P);
  });

  it("punches a hole in the middle of a VMA, splitting it, and recycles freed VMA objects", () => {
    const { m, mm } = setup();
    runTask(m, function* () {
      yield* do_mmap(mm, { addr: BASE, len: 4 * P, prot: PROT_READ });
      expect(yield* do_munmap(mm, BASE + P, 2 * P)).toBe(0);
    });
    expect(shape(mm)).toEqual(["0-1:1", "3-4:1"]);
    const cache = mm.sys.vm_area_cachep;
    expect(cache.frees).toBe(1);
    runTask(m, function* () {
      yield* do_munmap(mm, BASE, 4 * P);
    });
    expect(mm.vmas()).toEqual([]);
    expect(mm.map_count).toBe(0);
    runTask(m, function* () {
      yield* do_mmap(mm, { addr: BASE, len: P, prot: PROT_READ });
    });
    expect(cache.reuses).toBe(1);
  });

  it("clobbers a freed VMA's range with the slab free pointer (typesafe-by-rcu)", () => {
    const { m, mm } = setup();
    runTask(m, function* () {
      yield* do_mmap(mm, { addr: BASE, len: P, prot: PROT_READ });
    });
    const vma = mm.vma_lookup(BASE)!;
    runTask(m, function* () {
      yield* do_munmap(mm, BASE, P);
    });
    expect(vma.vm_start).toBe(VMA_FREEPTR_POISON);
    expect(vma.vm_refcnt).toBe(0);
  });

  it("rejects unaligned and empty requests with -EINVAL", () => {
    const { m, mm } = setup();
    runTask(m, function* () {
      expect(yield* do_mmap(mm, { addr: BASE + 1, len: P, prot: PROT_READ })).toBe(-22);
      expect(yield* do_mmap(mm, { len: 0, prot: PROT_READ })).toBe(-22);
      expect(yield* do_munmap(mm, BASE, 0)).toBe(-22);
    });
  });
});

describe("mprotect", () => {
  it("splits into three and merges back into one", () => {
    const { m, mm } = setup();
    runTask(m, function* () {
      yield* do_mmap(mm, { addr: BASE, len: 4 * P, prot: PROT_READ | PROT_WRITE });
      expect(yield* do_mprotect(mm, BASE + P, 2 * P, PROT_READ)).toBe(0);
    });
    expect(shape(mm)).toEqual(["0-1:3", "1-3:1", "3-4:3"]);
    runTask(m, function* () {
      yield* do_mprotect(mm, BASE + P, 2 * P, PROT_READ | PROT_WRITE);
    });
    expect(shape(mm)).toEqual(["0-4:3"]);
    expect(mm.map_count).toBe(1);
  });

  it("shrinks the original VMA from below when the upper part changes (new VMA in front)", () => {
    const { m, mm } = setup();
    runTask(m, function* () {
      yield* do_mmap(mm, { addr: BASE, len: 4 * P, prot: PROT_READ });
    });
    const original = mm.vma_lookup(BASE)!;
    runTask(m, function* () {
      yield* do_mprotect(mm, BASE + 2 * P, 2 * P, PROT_READ | PROT_WRITE);
    });
    expect(mm.vma_lookup(BASE + 2 * P)).toBe(original);
    expect(original.vm_start).toBe(BASE + 2 * P);
    expect(mm.vma_lookup(BASE)).not.toBe(original);
  });

  it("fails with -ENOMEM over a hole", () => {
    const { m, mm } = setup();
    runTask(m, function* () {
      yield* do_mmap(mm, { addr: BASE, len: P, prot: PROT_READ });
      expect(yield* do_mprotect(mm, BASE, 2 * P, PROT_WRITE)).toBe(-12);
    });
    expect(shape(mm)).toEqual(["0-1:1"]);
  });
});

describe("mremap", () => {
  it("grows in place when the space after is free", () => {
    const { m, mm } = setup();
    const r = runTask(m, function* () {
      yield* do_mmap(mm, { addr: BASE, len: P, prot: PROT_READ });
      return yield* do_mremap(mm, BASE, P, 3 * P);
    });
    expect(r).toBe(BASE);
    expect(shape(mm)).toEqual(["0-3:1"]);
  });

  it("moves with MREMAP_FIXED, carrying breakpoints along, and shrinks", () => {
    const { m, mm, exe } = setup();
    const r = runTask(m, function* () {
      yield* do_mmap(mm, { addr: BASE, len: 2 * P, prot: PROT_READ | PROT_EXEC, file: exe });
      const vma = mm.vma_lookup(BASE)!;
      yield* mm.mmap_write_lock();
      expect(mm.uprobe_write_opcode(vma, BASE + 0x1000, true)).toBe("changed");
      mm.mmap_write_unlock();
      const moved = yield* do_mremap(mm, BASE, 2 * P, 2 * P, { fixed: BASE + 16 * P });
      expect(yield* do_mremap(mm, moved, 2 * P, P)).toBe(moved);
      return moved;
    });
    expect(r).toBe(BASE + 16 * P);
    expect(shape(mm)).toEqual(["16-17:5"]);
    expect(mm.breakpointAt(BASE + 0x1000)).toBe(false);
    expect(mm.breakpointAt(BASE + 16 * P + 0x1000)).toBe(false); // shrunk away: offset 0x1000 is page 1
    expect(mm.anon_rss).toBe(0);
  });

  it("moves elsewhere when it cannot grow in place", () => {
    const { m, mm } = setup();
    const r = runTask(m, function* () {
      yield* do_mmap(mm, { addr: BASE, len: P, prot: PROT_READ });
      yield* do_mmap(mm, { addr: BASE + P, len: P, prot: PROT_WRITE });
      return yield* do_mremap(mm, BASE, P, 2 * P);
    });
    expect(r).not.toBe(BASE);
    expect(mm.vma_lookup(BASE)).toBeNull();
    expect(mm.vma_lookup(r)!.vm_end).toBe(r + 2 * P);
  });
});

describe("file mappings and i_mmap", () => {
  it("links file VMAs into i_mmap keyed by file pages and keeps it in step with splits", () => {
    const { m, mm, exe } = setup();
    runTask(m, function* () {
      yield* do_mmap(mm, { addr: BASE, len: 4 * P, prot: PROT_READ | PROT_EXEC, file: exe, pgoff: 2 });
    });
    expect(exe.i_mmap_query(0, 1)).toEqual([]);
    expect(exe.i_mmap_query(5, 9).length).toBe(1);
    runTask(m, function* () {
      yield* do_mprotect(mm, BASE + P, P, PROT_READ);
    });
    expect(exe.i_mapping.i_mmap.size).toBe(3);
    const hit = exe.i_mmap_query(3, 3);
    expect(hit.length).toBe(1);
    expect(hit[0].vm_start).toBe(BASE + P);
    expect(hit[0].vm_pgoff).toBe(3);
    runTask(m, function* () {
      yield* do_munmap(mm, BASE, 4 * P);
    });
    expect(exe.i_mapping.i_mmap.size).toBe(0);
  });

  it("calls uprobe_mmap after mapping a file and uprobe_munmap when unmapping it", () => {
    const { m, mm, exe } = setup();
    const calls: string[] = [];
    mm.sys.hooks = {
      ...NO_MM_HOOKS,
      *uprobe_mmap(vma) {
        calls.push(`mmap ${(vma.vm_start - BASE) / P}-${(vma.vm_end - BASE) / P}`);
        yield 0;
      },
      uprobe_munmap(_vma, start, end) {
        calls.push(`munmap ${(start - BASE) / P}-${(end - BASE) / P}`);
      },
    };
    runTask(m, function* () {
      yield* do_mmap(mm, { addr: BASE, len: 2 * P, prot: PROT_READ | PROT_EXEC, file: exe });
      yield* do_mmap(mm, { addr: BASE + 8 * P, len: P, prot: PROT_READ });
      yield* do_munmap(mm, BASE, 2 * P);
    });
    expect(calls).toEqual(["mmap 0-2", "munmap 0-2"]);
  });
});

describe("breakpoint pages", () => {
  it("installs once, reports the original instruction, COWs the page and vanishes on munmap", () => {
    const { m, mm, exe } = setup();
    runTask(m, function* () {
      yield* do_mmap(mm, { addr: BASE, len: 8 * P, prot: PROT_READ | PROT_EXEC, file: exe });
      yield* mm.mmap_write_lock();
      const vma = mm.vma_lookup(BASE)!;
      expect(vma.anon_vma).toBe(false);
      expect(mm.uprobe_write_opcode(vma, BASE + 0x1000, true)).toBe("changed");
      expect(mm.uprobe_write_opcode(vma, BASE + 0x1000, true)).toBe("unchanged");
      expect(mm.uprobe_write_opcode(vma, BASE + 0x1040, true)).toBe("changed");
      expect(mm.uprobe_write_opcode(vma, BASE + 0x5000, true)).toBe("changed");
      expect(vma.anon_vma).toBe(true);
      expect(mm.anon_rss).toBe(2);
      expect(mm.originalInsnAt(BASE + 0x1000)).toBe("push");
      expect(mm.originalInsnAt(BASE + 0x5000)).toBe("ret");
      expect(mm.is_trap_at_addr(BASE + 0x1040)).toBe(true);
      expect(mm.uprobe_write_opcode(vma, BASE + 0x1040, false)).toBe("changed");
      expect(mm.uprobe_write_opcode(vma, BASE + 0x1040, false)).toBe("unchanged");
      mm.mmap_write_unlock();
      expect(mm.breakpointAt(BASE + 0x1000)).toBe(true);
      expect(mm.breakpointAt(BASE + 0x1040)).toBe(false);
      yield* do_munmap(mm, BASE + P, P);
    });
    expect(mm.breakpointAt(BASE + 0x1000)).toBe(false);
    expect(mm.breakpointAt(BASE + 0x5000)).toBe(true);
    expect(mm.anon_rss).toBe(1);
  });
});

describe("fork and exit", () => {
  it("copies VMAs except VM_DONTCOPY, links them into i_mmap, copies breakpoints, runs the hooks in order", () => {
    const { m, mm, exe } = setup();
    const calls: string[] = [];
    mm.sys.hooks = {
      ...NO_MM_HOOKS,
      *uprobe_start_dup_mmap() {
        calls.push("start");
        yield 0;
      },
      uprobe_dup_mmap(oldmm, newmm) {
        calls.push(`dup ${oldmm.mmap_write_locked()} ${newmm.mmap_write_locked()}`);
      },
      uprobe_end_dup_mmap() {
        calls.push("end");
      },
      uprobe_clear_state(x) {
        calls.push(`clear ${x}`);
      },
    };
    const child = runTask(m, function* (): Sub<MmStruct> {
      yield* do_mmap(mm, { addr: BASE, len: 2 * P, prot: PROT_READ | PROT_EXEC, file: exe });
      yield* do_mmap(mm, { addr: BASE + 4 * P, len: P, prot: PROT_READ, dontcopy: true, name: "[uprobes]" });
      yield* mm.mmap_write_lock();
      mm.uprobe_write_opcode(mm.vma_lookup(BASE)!, BASE + 0x1000, true);
      mm.mmap_write_unlock();
      return yield* dup_mmap(mm);
    });
    expect(calls).toEqual(["start", "dup true false", "end"]); // before the new mm is locked
    expect(child.vmas().map((v) => v.vm_start)).toEqual([BASE]);
    // Every parent VMA was write-locked by the fork, the VM_DONTCOPY one too.
    expect(new Set(mm.vmas().map((v) => v.vm_lock_seq)).size).toBe(1);
    expect(child.vma_lookup(BASE)!.vm_mm).toBe(child);
    expect(child.breakpointAt(BASE + 0x1000)).toBe(true);
    expect(exe.i_mapping.i_mmap.size).toBe(2);
    runTask(m, function* () {
      yield* mmput(child);
    });
    expect(calls[calls.length - 1]).toBe(`clear ${child}`);
    expect(child.freed).toBe(true);
    expect(exe.i_mapping.i_mmap.size).toBe(1);
    expect(child.anon_rss).toBe(0);
  });

  it("exit_mmap detaches every VMA before freeing (all back in the slab with vm_refcnt 0)", () => {
    const { m, mm } = setup();
    runTask(m, function* () {
      for (let i = 0; i < 5; i++) yield* do_mmap(mm, { addr: BASE + 2 * i * P, len: P, prot: PROT_READ });
    });
    const vmas = mm.vmas();
    runTask(m, function* () {
      yield* exit_mmap(mm);
    });
    expect(mm.map_count).toBe(0);
    expect(vmas.every((v) => v.vm_refcnt === 0)).toBe(true);
    expect(mm.sys.vm_area_cachep.frees).toBe(5);
  });
});

describe("mmap_lock, mm_lock_seq and per-VMA locks", () => {
  it("mm_lock_seq is odd while write-locked (6.14+) and speculation fails then", () => {
    const { m, mm } = setup();
    runTask(m, function* () {
      expect(mm.mmap_lock_speculate_try_begin()).toBe(0);
      yield* mm.mmap_write_lock();
      expect(mm.mm_lock_seq.sequence % 2).toBe(1);
      expect(mm.mmap_lock_speculate_try_begin()).toBe(-1);
      mm.mmap_write_unlock();
      expect(mm.mmap_lock_speculate_retry(0)).toBe(true);
      const seq = mm.mmap_lock_speculate_try_begin();
      yield* mm.mmap_read_lock();
      mm.mmap_read_unlock();
      expect(mm.mmap_lock_speculate_retry(seq)).toBe(false);
    });
  });

  it("inc-on-unlock (<=6.13) bumps mm_lock_seq only at unlock and never speculates", () => {
    const m = new Machine({ cpus: 1, seed: 1 });
    const mm = new MmStruct(m, { mmLockSeq: "inc-on-unlock" });
    runTask(m, function* () {
      yield* mm.mmap_write_lock();
      expect(mm.mm_lock_seq.sequence).toBe(0);
      mm.mmap_write_unlock();
      expect(mm.mm_lock_seq.sequence).toBe(1);
      expect(mm.mmap_lock_speculate_try_begin()).toBe(-1);
    });
  });

  for (const vmaLock of ["refcount", "rwsem"] as const) {
    it(`lock_vma_under_rcu locks an attached VMA and fails while it is write-locked (${vmaLock})`, () => {
      const m = new Machine({ cpus: 1, seed: 1 });
      const mm = new MmStruct(m, { vmaLock, vmaSlab: vmaLock === "rwsem" ? "rcu-free" : "typesafe-by-rcu" });
      runTask(m, function* () {
        yield* do_mmap(mm, { addr: BASE, len: 2 * P, prot: PROT_READ | PROT_WRITE });
        const vma = yield* lock_vma_under_rcu(mm, BASE + P);
        expect(vma).not.toBeNull();
        expect(vma!.vm_flags & VM_WRITE).toBe(VM_WRITE);
        yield* vma_end_read(vma!);
        expect(yield* lock_vma_under_rcu(mm, BASE + 9 * P)).toBeNull();
        yield* mm.mmap_write_lock();
        yield* vma_start_write(mm.vma_lookup(BASE)!);
        expect(yield* lock_vma_under_rcu(mm, BASE)).toBeNull();
        mm.mmap_write_unlock();
        const again = yield* lock_vma_under_rcu(mm, BASE);
        expect(again).toBe(vma);
        yield* vma_end_read(again!);
      });
      expect(mm.sys.stats.vma_lock_success).toBe(2);
      expect(mm.sys.stats.vma_lock_abort).toBe(2);
    });
  }
});

describe("/proc/pid/maps", () => {
  function populate(mm: MmStruct, exe: Inode): () => Sub<void> {
    return function* () {
      yield* do_mmap(mm, { addr: 0x400000, len: P, prot: PROT_READ | PROT_EXEC, file: exe });
      yield* do_mmap(mm, { addr: 0x401000, len: 2 * P, prot: PROT_READ, file: exe, pgoff: 1 });
      yield* do_mmap(mm, { addr: 0x600000, len: 4 * P, prot: PROT_READ | PROT_WRITE, name: "[heap]" });
      for (let i = 0; i < 40; i++) {
        yield* do_mmap(mm, {
          addr: 0x7f0000000000 + 2 * i * P,
          len: P,
          prot: i % 2 ? PROT_READ : PROT_WRITE,
        });
      }
    };
  }

  it("prints lines in the /proc format", () => {
    const { m, mm, exe } = setup();
    runTask(m, populate(mm, exe));
    const text = runTask(m, () => new ProcMapsReader(mm).read_all());
    const lines = text.split("\n");
    expect(lines[0]).toBe("00400000-00401000 r-xp 00000000 00:00 123  /usr/bin/shopd");
    expect(lines[1]).toBe("00401000-00403000 r--p 00001000 00:00 123  /usr/bin/shopd");
    expect(lines[2]).toBe("00600000-00604000 rw-p 00000000 00:00 0  [heap]");
    expect(lines[3]).toBe("7f0000000000-7f0000001000 -w-p 00000000 00:00 0 ");
    expect(lines[lines.length - 2]).toBe(
      "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0  [vsyscall]",
    );
    expect(lines.length).toBe(3 + 40 + 1 + 1);
  });

  for (const mode of ["mmap-lock", "per-vma"] as const) {
    it(`produces the same text chunk by chunk (${mode}), each chunk at most chunkSize`, () => {
      const { m, mm, exe } = setup();
      runTask(m, populate(mm, exe));
      const whole = runTask(m, () => new ProcMapsReader(mm, { mode, chunkSize: 1 << 20 }).read_all());
      const reader = new ProcMapsReader(mm, { mode, chunkSize: 200 });
      const chunks = runTask(m, function* () {
        const out: string[] = [];
        for (let c = yield* reader.read_chunk(); c !== null; c = yield* reader.read_chunk()) out.push(c);
        return out;
      });
      expect(chunks.length).toBeGreaterThan(10);
      expect(chunks.every((c) => c.length <= 200)).toBe(true);
      expect(chunks.join("")).toBe(whole);
      expect(parse_maps(whole).length).toBe(44);
    });
  }
});
