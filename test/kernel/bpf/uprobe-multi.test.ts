/**
 * The uprobe_multi link's consumers: the pid filter at registration and at the hit, and a
 * session link's entry answer deciding whether the return runs.
 */
import { describe, expect, it } from "vitest";
import { bpf_uprobe_consumer, bpf_uprobe_multi_link } from "../../../src/kernel/bpf/uprobe-multi.js";
import type { MmStruct, PtRegs, UprobeConsumer } from "../../../src/kernel/uprobes/index.js";
import { UPROBE_HANDLER_IGNORE } from "../../../src/kernel/uprobes/index.js";
import type { Machine } from "../../../src/sim/machine.js";

/** A machine whose current task belongs to thread group `pid`: all a link's handlers read of it. */
function running(pid: number): Machine {
  return { task: { ctx: { pid } } } as unknown as Machine;
}

const regs: PtRegs = { ip: 0x1000, sp: 0, ax: 0, args: [0, 0, 0, 0, 0, 0], ret: 0 };
const mmA = {} as MmStruct;
const mmB = {} as MmStruct;

function hit(uc: UprobeConsumer): number {
  return uc.handler!(uc, regs, { value: 0 });
}

describe("uprobe_multi link consumers", () => {
  it("without a pid: no filter, every task runs the program, and the answer is 0", () => {
    const runs: number[] = [];
    const uc = bpf_uprobe_consumer(running(7), bpf_uprobe_multi_link(null), () => runs.push(1), null);
    expect(uc.filter).toBeNull();
    expect(uc.ret_handler).toBeNull();
    expect(hit(uc)).toBe(0);
    expect(runs).toEqual([1]);
  });

  it("with a pid: breakpoints only in the target's mm, programs only in its thread group", () => {
    let entries = 0;
    let returns = 0;
    const link = bpf_uprobe_multi_link({ pid: 4100, mm: mmA });
    const program = () => {
      entries++;
      return 0;
    };
    const ret = () => {
      returns++;
      return 0;
    };
    const child = bpf_uprobe_consumer(running(4101), link, program, ret);
    expect(child.filter!(child, mmA)).toBe(true);
    expect(child.filter!(child, mmB)).toBe(false);
    // A forked child traps on the breakpoints it inherited: nothing runs.
    expect(hit(child)).toBe(0);
    expect(child.ret_handler!(child, 0x1000, regs, { value: 0 })).toBe(0);
    expect([entries, returns]).toEqual([0, 0]);
    const own = bpf_uprobe_consumer(running(4100), link, program, ret);
    hit(own);
    own.ret_handler!(own, 0x1000, regs, { value: 0 });
    expect([entries, returns]).toEqual([1, 1]);
  });

  it("a session link's non-zero entry answer is UPROBE_HANDLER_IGNORE: the return is skipped", () => {
    let answer = 1;
    const link = bpf_uprobe_multi_link(null, true);
    const uc = bpf_uprobe_consumer(
      running(1),
      link,
      () => answer,
      () => 0,
    );
    expect(hit(uc)).toBe(UPROBE_HANDLER_IGNORE);
    answer = 0;
    expect(hit(uc)).toBe(0);
    // Outside a session the answer is ignored, as uprobe_multi_link_handler does.
    const plain = bpf_uprobe_consumer(
      running(1),
      bpf_uprobe_multi_link(null),
      () => 1,
      () => 0,
    );
    expect(hit(plain)).toBe(0);
  });

  it("a return-only link has no entry handler", () => {
    const uc = bpf_uprobe_consumer(running(1), bpf_uprobe_multi_link(null), null, () => 0);
    expect(uc.handler).toBeNull();
    expect(uc.ret_handler).not.toBeNull();
  });
});
