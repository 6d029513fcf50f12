/**
 * The end-of-run sweep itself: on a settled run it is silent, and each kind of damage it
 * exists to catch — a wanted breakpoint gone (R8), a breakpoint nobody owns (R16), a uprobe
 * missing from the tree (R7), a lease or a reference never given back (R11) — makes it fail
 * with the matching message.
 */
import { describe, expect, it } from "vitest";
import { uprobes_invariant_sweep } from "../../../src/kernel/uprobes/invariants.js";
import {
  counter,
  functions,
  runScenario,
  type Scenario,
  TEXT,
  type World,
} from "../../../src/race/harness.js";
import { SimViolation } from "../../../src/sim/machine.js";

const FNS = functions(2);

/** One process calling f0 a few times with a consumer attached for the whole run. */
const settled: Scenario = {
  build(w) {
    const bin = w.binary("/usr/bin/app", FNS);
    const mm = w.addressSpace();
    w.task("exec", function* () {
      yield* w.mapText(mm, bin);
      yield* w.attach(bin, FNS[0].offset, counter({ ret: true }));
      w.thread(mm, "caller", function* (t) {
        for (let i = 0; i < 3; i++) yield* w.call(t, TEXT + FNS[0].offset);
      });
    });
  },
};

function settledWorld(): World {
  const out = runScenario(settled, { seed: 1, policy: "random" });
  expect(out.violation).toBeNull();
  return out.world;
}

function sweepMessage(w: World): string {
  try {
    uprobes_invariant_sweep(w.u, { mms: w.mms, quiescent: true });
  } catch (e) {
    if (e instanceof SimViolation) return e.message;
    throw e;
  }
  return "";
}

describe("uprobes_invariant_sweep", () => {
  it("is silent on a settled run", () => {
    const w = settledWorld();
    expect(w.mms[0].breakpoints.size).toBe(1);
    expect(sweepMessage(w)).toBe("");
  });

  it("flags a breakpoint a registered consumer wants but the mm lacks (R8)", () => {
    const w = settledWorld();
    w.mms[0].breakpoints.clear();
    expect(sweepMessage(w)).toMatch(
      /^R8: mm\d+ is wanted by consumer \d+ of \/usr\/bin\/app:0x100 but has no breakpoint at 0x400100/,
    );
  });

  it("flags a breakpoint no registered consumer explains (R16)", () => {
    const w = settledWorld();
    w.mms[0].breakpoints.set(TEXT + FNS[1].offset, "nop");
    expect(sweepMessage(w)).toMatch(
      /^R16: breakpoint at 0x400200 in mm\d+ \(\/usr\/bin\/app\+0x200\) survives/,
    );
  });

  it("flags a registered consumer whose uprobe left the tree (R7)", () => {
    const w = settledWorld();
    const [uprobe] = [...w.u.tree.values()];
    // what the deferred free of an older uprobe does to it under free-erase-unconditionally
    w.u.tree.unlink(uprobe.inode.i_ino, uprobe.offset);
    uprobe.rb_linked = false;
    expect(sweepMessage(w)).toMatch(
      /^R7: consumer \d+ is registered on \/usr\/bin\/app:0x100, which is no longer/,
    );
  });

  it("flags a lease never released and a reference never dropped (R11)", () => {
    const w = settledWorld();
    w.m.spawn("leaker", function* () {
      w.u.uretprobes_srcu.readLock();
      yield 0;
    });
    w.m.runToCompletion();
    expect(sweepMessage(w)).toMatch(/^R11: 1 uretprobes_srcu read lock\(s\) never released/);

    const v = settledWorld();
    const [uprobe] = [...v.u.tree.values()];
    uprobe.ref.value++;
    expect(sweepMessage(v)).toMatch(/has refcount 2 with 1 consumers and nothing in flight/);
  });
});
