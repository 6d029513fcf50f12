/**
 * Return probes against the kernel's x86 rules (arch_uretprobe_is_alive): a new call is alive
 * only strictly below an instance's stack (RP_CHECK_CALL), a chained call or a return also at
 * equal SP (RP_CHECK_CHAIN_CALL, RP_CHECK_RET); find_next_ret_chain follows each instance's
 * own `chained` flag. A tail call between two uretprobed functions keeps both instances, and
 * one return through the trampoline runs both return handlers.
 */
import { describe, expect, it } from "vitest";
import type { TaskStruct } from "../../../src/kernel/task.js";
import { get_trampoline_vaddr, handle_swbp } from "../../../src/kernel/uprobes/index.js";
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
const fns = functions(2);

/** Attach a return consumer to f0 and f1, then run `body` in one thread of a process. */
function withTwoRetProbes(
  body: (w: World, t: TaskStruct, c0: Counter, c1: Counter) => Generator<number, void>,
) {
  const c0 = counter({ entry: false, ret: true });
  const c1 = counter({ entry: false, ret: true });
  const r = runScenario(
    {
      cpus: 1,
      quiescent: false,
      build(w) {
        const bin = w.binary("/usr/bin/app", fns);
        const mm = w.addressSpace();
        w.task("exec", function* () {
          yield* w.mapText(mm, bin);
          yield* w.attach(bin, fns[0].offset, c0);
          yield* w.attach(bin, fns[1].offset, c1);
          w.thread(mm, "t", (t) => body(w, t, c0, c1));
        });
      },
    },
    { seed: 1, policy: "random" },
  );
  return { r, c0, c1 };
}

function* enter(w: World, t: TaskStruct, fn: number, sp: number, ret: number): Generator<number, void> {
  t.regs.sp = sp;
  t.regs.ret = ret;
  t.regs.ip = TEXT + fns[fn].offset;
  yield* handle_swbp(w.u, t);
}

function* returnThroughTrampoline(w: World, t: TaskStruct, sp: number): Generator<number, void> {
  t.regs.sp = sp + 8;
  t.regs.ip = get_trampoline_vaddr(t.mm);
  yield* handle_swbp(w.u, t);
}

describe("uretprobe liveness and chains (arch_uretprobe_is_alive, find_next_ret_chain)", () => {
  it("a tail call from f0 to f1 keeps both instances; one return runs both ret handlers", () => {
    const seen: Record<string, unknown> = {};
    const { r, c0, c1 } = withTwoRetProbes(function* (w, t) {
      yield* enter(w, t, 0, SP, CALLER_RET);
      const trampoline = t.regs.ret;
      // f0 ends in "jmp f1": same SP, and the return address is already the trampoline.
      yield* enter(w, t, 1, SP, trampoline);
      seen.depth = t.utask!.depth;
      seen.chained = t.utask!.return_instances!.chained;
      yield* returnThroughTrampoline(w, t, SP);
      seen.ip = t.regs.ip;
      seen.after = t.utask!.depth;
    });
    expect(r.violation?.message ?? null).toBeNull();
    expect(seen).toEqual({ depth: 2, chained: true, ip: CALLER_RET, after: 0 });
    expect([c0.rets, c1.rets]).toEqual([1, 1]);
  });

  it("a new plain call at the SP of a pending instance (after longjmp) drops the dead instance", () => {
    const seen: Record<string, unknown> = {};
    const { r, c0, c1 } = withTwoRetProbes(function* (w, t) {
      yield* enter(w, t, 0, SP, CALLER_RET);
      // f0 longjmp'd back to its caller, which now calls f1 from the same frame.
      yield* enter(w, t, 1, SP, CALLER_RET);
      seen.depth = t.utask!.depth;
      yield* returnThroughTrampoline(w, t, SP);
      seen.ip = t.regs.ip;
      seen.after = t.utask!.depth;
    });
    expect(r.violation?.message ?? null).toBeNull();
    expect(seen).toEqual({ depth: 1, ip: CALLER_RET, after: 0 });
    expect([c0.rets, c1.rets]).toEqual([0, 1]);
  });

  it("a nested call below the caller's frame keeps the caller's instance (strict for a call)", () => {
    const { r, c0, c1 } = withTwoRetProbes(function* (w, t) {
      yield* enter(w, t, 0, SP, CALLER_RET);
      yield* enter(w, t, 1, SP - 64, TEXT + fns[0].offset + 8);
      yield* returnThroughTrampoline(w, t, SP - 64);
      expect(t.utask!.depth).toBe(1);
      yield* returnThroughTrampoline(w, t, SP);
      expect(t.regs.ip).toBe(CALLER_RET);
    });
    expect(r.violation?.message ?? null).toBeNull();
    expect([c0.rets, c1.rets]).toEqual([1, 1]);
  });
});
