/**
 * Out-of-line single-step as in kernel/events/uprobes.c: the [uprobes] page is a real VMA
 * (xol_add_vma: in /proc/pid/maps, VM_DONTCOPY so fork does not copy it), its instruction
 * slots are a bitmap with a wait queue (xol_get_insn_slot / xol_free_insn_slot), and the step
 * itself runs after handle_swbp left the RCU Tasks Trace section, holding only pre_ssout's
 * reference (handle_singlestep drops it), so uprobe_unregister_sync does not wait for it.
 */
import { describe, expect, it } from "vitest";
import {
  do_mremap,
  dup_mmap,
  EFAULT,
  EPERM,
  type MmStruct,
  PAGE_SIZE,
  show_map_vma,
} from "../../../src/kernel/mm/index.js";
import type { TaskStruct } from "../../../src/kernel/task.js";
import type { Registration } from "../../../src/kernel/uprobes/index.js";
import { UtaskState } from "../../../src/kernel/uprobes/types.js";
import {
  counter,
  FAST_GP_PROFILE,
  functions,
  runScenario,
  type Scenario,
  TEXT,
  type World,
} from "../../../src/race/harness.js";

function mapsOf(mm: MmStruct): string {
  return mm.vmas().map(show_map_vma).join("");
}

/**
 * A process whose f0 starts with a single-stepped instruction and has one consumer; `spawn`
 * starts the scenario's tasks once the text is mapped and the probe attached.
 */
function steppedProbe(
  shape: Omit<Scenario, "build">,
  spawn: (w: World, mm: MmStruct, f0: number, reg: Registration) => void,
): Scenario {
  return {
    ...shape,
    build(w) {
      const fns = functions(1, "ret");
      w.process(fns, function* (mm, bin) {
        const reg = yield* w.attach(bin, fns[0].offset, counter());
        spawn(w, mm, TEXT + fns[0].offset, reg);
      });
    },
  };
}

/** One thread calls a single-stepped function once; `after` runs in the thread afterwards. */
function stepOnce(after: (mm: MmStruct) => Generator<number, void> | undefined): Scenario {
  return steppedProbe({ cpus: 1 }, (w, mm, f0) =>
    w.thread(mm, "t", function* (t) {
      yield* w.call(t, f0);
      const more = after(t.mm);
      if (more !== undefined) yield* more;
    }),
  );
}

describe("the [uprobes] XOL area is a VMA", () => {
  it("appears in /proc/pid/maps after the first single-step, --xp and named [uprobes]", () => {
    let maps = "";
    const r = runScenario(
      stepOnce((mm) => {
        maps = mapsOf(mm);
        return undefined;
      }),
      { seed: 1, policy: "random" },
    );
    expect(r.violation?.message ?? null).toBeNull();
    expect(maps).toMatch(/^7ffff7ff0000-7ffff7ff1000 --xp 00000000 00:00 0 +\[uprobes\]$/m);
  });

  it("is not copied by fork (VM_DONTCOPY): the child has no [uprobes] line", () => {
    let child = "";
    let parent = "";
    const r = runScenario(
      stepOnce(function* (mm) {
        const c = yield* dup_mmap(mm);
        child = mapsOf(c);
        parent = mapsOf(mm);
      }),
      { seed: 1, policy: "random" },
    );
    expect(r.violation?.message ?? null).toBeNull();
    expect(parent).toContain("[uprobes]");
    expect(child).not.toContain("[uprobes]");
    expect(child).toContain("/usr/bin/app");
  });

  it("cannot be moved or grown by mremap (xol_mremap: EPERM; VM_DONTEXPAND: EFAULT)", () => {
    const xol = 0x7ffff7ff0000;
    const results: number[] = [];
    let before = "";
    let after = "";
    const r = runScenario(
      stepOnce(function* (mm) {
        before = mapsOf(mm);
        results.push(yield* do_mremap(mm, xol, PAGE_SIZE, PAGE_SIZE, { fixed: 0x60000000 }));
        results.push(yield* do_mremap(mm, xol, PAGE_SIZE, 2 * PAGE_SIZE));
        after = mapsOf(mm);
      }),
      { seed: 1, policy: "random" },
    );
    expect(r.violation?.message ?? null).toBeNull();
    expect(results).toEqual([-EPERM, -EFAULT]);
    expect(before).toContain("[uprobes]");
    expect(after).toBe(before);
  });
});

describe("XOL slots and the step outside the read section", () => {
  it("more steppers than slots: some wait on area->wq, every slot is freed, no slot is shared", () => {
    const threads = 40;
    // Long steps, so they overlap.
    const s = steppedProbe(
      { cpus: threads, profile: { ...FAST_GP_PROFILE, singleStep: 200_000 } },
      (w, mm, f0) => {
        for (let i = 0; i < threads; i++) w.hitter(mm, `t${i}`, f0, { max: 2, cpu: i });
      },
    );
    const r = runScenario(s, { seed: 3, policy: "time" });
    expect(r.violation?.message ?? null).toBeNull();
    const u = r.world.u;
    expect(u.stats.singleSteps).toBe(threads * 2);
    expect(u.stats.xolSlotWaits).toBeGreaterThan(0);
    const area = r.world.mms[0].uprobes_state.xol_area as { bitmap: Uint8Array };
    expect([...area.bitmap].reduce((a, b) => a + b, 0)).toBe(1); // only the trampoline slot
  });

  it("the step runs in UTASK_SSTEP with the slot and the reference, after rcu_read_unlock_trace", () => {
    const seen: { state: number; slot: number; inTasksTrace: boolean }[] = [];
    const s = steppedProbe(
      { cpus: 2, profile: { ...FAST_GP_PROFILE, singleStep: 5_000_000 } },
      (w, mm, f0, reg) => {
        let stepper: TaskStruct | null = null;
        w.thread(mm, "t", (t) => {
          stepper = t;
          return w.call(t, f0);
        });
        w.task("observer", function* () {
          yield* w.m.sleep(1_000_000); // the thread is mid-step by now
          const t = stepper!;
          seen.push({
            state: t.utask?.state ?? -1,
            slot: t.utask?.xol_vaddr ?? 0,
            inTasksTrace: t.task.rcuNest.some((n) => n > 0),
          });
          const t0 = w.m.now();
          yield* w.detach([reg]);
          seen.push({ state: w.m.now() - t0 < 4_000_000 ? 1 : 0, slot: 0, inTasksTrace: false });
        });
      },
    );
    const r = runScenario(s, { seed: 1, policy: "time" });
    expect(r.violation?.message ?? null).toBeNull();
    expect(seen[0]).toEqual({ state: UtaskState.Sstep, slot: 0x7ffff7ff0000 + 128, inTasksTrace: false });
    expect(seen[1].state).toBe(1); // the sync did not wait for the 5 ms step
  });
});
