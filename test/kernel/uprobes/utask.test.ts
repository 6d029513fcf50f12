/**
 * Fork and exit reach the return-probe code: uprobe_copy_process gives a child forked inside a
 * uretprobed call its own copies of the pending instances (dup_utask) and a [uprobes] page at
 * the parent's address (dup_xol_work), so the child's return through the inherited trampoline
 * address runs the return handler and lands on the real return address; a thread that exits
 * with instances pending releases their SRCU leases at once (uprobe_free_utask from
 * mm_release), instead of holding up uprobe_unregister_sync until the 100 ms ri_timer.
 */
import { describe, expect, it } from "vitest";
import { begin_new_exec } from "../../../src/kernel/exec.js";
import { dup_mmap, type MmStruct, show_map_vma } from "../../../src/kernel/mm/index.js";
import type { TaskStruct } from "../../../src/kernel/task.js";
import type { Registration } from "../../../src/kernel/uprobes/index.js";
import { get_trampoline_vaddr, handle_swbp, RI_TIMER_PERIOD_NS } from "../../../src/kernel/uprobes/index.js";
import {
  CALLER_RET,
  type Counter,
  counter,
  functions,
  runScenario,
  TEXT,
  type World,
} from "../../../src/race/harness.js";

const SP = 0x7ffffffde000 - 8;

function xolLine(mm: MmStruct): string {
  return (
    mm
      .vmas()
      .map(show_map_vma)
      .find((l) => l.includes("[uprobes]")) ?? ""
  );
}

/** A process whose f0 has the return consumer `uc`; the exec task then runs `body`. */
function withRetProbe(
  uc: Counter,
  body: (w: World, mm: MmStruct, reg: Registration) => Generator<number, void> | void,
) {
  return runScenario(
    {
      cpus: 2,
      quiescent: false,
      build(w) {
        const fns = functions(1);
        w.process(fns, function* (mm, bin) {
          const rest = body(w, mm, yield* w.attach(bin, fns[0].offset, uc));
          if (rest !== undefined) yield* rest;
        });
      },
    },
    { seed: 1, policy: "random" },
  );
}

/** Call f0 (its return address CALLER_RET) and take its breakpoint. */
function* enterF0(w: World, t: TaskStruct): Generator<number, void> {
  t.regs.sp = SP;
  t.regs.ret = CALLER_RET;
  t.regs.ip = TEXT + 0x100;
  yield* handle_swbp(w.u, t);
}

describe("fork inside a uretprobed call (uprobe_copy_process, dup_utask, dup_xol_work)", () => {
  it("the child returns through its own trampoline to the real return address, running the ret handler", () => {
    const c = counter({ entry: false, ret: true });
    const seen: Record<string, unknown> = {};
    const r = withRetProbe(c, (w, mm) => {
      w.thread(mm, "parent", function* (t) {
        yield* enterF0(w, t);
        const hijacked = t.regs.ret;
        yield* w.fork(t, "child", function* (child: TaskStruct) {
          seen.depth = child.utask?.depth;
          seen.childXol = xolLine(child.mm);
          seen.parentXol = xolLine(t.mm);
          // The child returns from f0: its return slot holds the parent's trampoline.
          child.regs.sp = SP + 8;
          child.regs.ip = hijacked;
          seen.isTrampoline = hijacked === get_trampoline_vaddr(child.mm);
          yield* handle_swbp(w.u, child);
          seen.ip = child.regs.ip;
        });
      });
    });
    expect(r.violation?.message ?? null).toBeNull();
    expect(seen.depth).toBe(1);
    expect(seen.isTrampoline).toBe(true);
    expect(seen.childXol).not.toBe("");
    expect(seen.childXol).toBe(seen.parentXol);
    expect(seen.ip).toBe(CALLER_RET);
    expect(c.rets).toBe(1);
  });
});

describe("exit with return instances pending (uprobe_free_utask from mm_release)", () => {
  it("releases the leases at exit: unregister + sync does not wait for the ri_timer", () => {
    let syncNs = -1;
    let leftover = -1;
    const r = withRetProbe(counter({ entry: false, ret: true }), function* (w, mm, reg) {
      // The thread takes f0's breakpoint (a lease) and then calls pthread_exit inside f0.
      const t = w.thread(mm, "exiter", (t) => enterF0(w, t));
      yield* w.m.sleep(50_000);
      leftover = t.utask === null ? 0 : t.utask.depth;
      const t0 = w.m.now();
      yield* w.detach([reg]);
      syncNs = w.m.now() - t0;
    });
    expect(r.violation?.message ?? null).toBeNull();
    expect(leftover).toBe(0);
    expect(syncNs).toBeGreaterThan(0);
    expect(syncNs).toBeLessThan(RI_TIMER_PERIOD_NS / 10);
  });
});

describe("exec with return instances pending (uprobe_free_utask from exec_mm_release)", () => {
  it("the new program starts with no utask, an empty mm, and the old leases released at once", () => {
    const seen: Record<string, unknown> = {};
    const r = withRetProbe(counter({ entry: false, ret: true }), function* (w, mm, reg) {
      const child = yield* dup_mmap(mm); // a process of its own: exec releases its mm
      const t = w.thread(child, "execer", function* (t) {
        yield* enterF0(w, t);
        seen.depthBefore = t.utask?.depth;
        yield* begin_new_exec(w.u, t);
        seen.utask = t.utask;
        seen.vmas = t.mm.vmas().length;
        seen.oldFreed = child.freed;
      });
      yield* w.m.sleep(50_000);
      seen.sameTask = t.mm !== child;
      const t0 = w.m.now();
      yield* w.detach([reg]);
      seen.syncNs = w.m.now() - t0;
    });
    expect(r.violation?.message ?? null).toBeNull();
    expect(seen.depthBefore).toBe(1);
    expect(seen.utask).toBeNull();
    expect(seen.vmas).toBe(0);
    expect(seen.oldFreed).toBe(true);
    expect(seen.sameTask).toBe(true);
    expect(seen.syncNs as number).toBeLessThan(RI_TIMER_PERIOD_NS / 10);
  });
});
