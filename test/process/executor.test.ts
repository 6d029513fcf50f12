/**
 * The executor runs a thread's ops in a plain function (`run`) that stops only at the
 * thread's interleaving points and generators, keeping its place in the thread (pc and the
 * point inside the op); the thread's generator only yields and runs those generators.
 */
import { describe, expect, it } from "vitest";
import type { TaskStruct } from "../../src/kernel/task.js";
import type { UprobesState } from "../../src/kernel/uprobes/state.js";
import { type AddressSpaceOps, Next, run, UserThread } from "../../src/process/executor.js";
import { createThreadState, loadWorkloadText } from "../../src/process/index.js";
import { Machine } from "../../src/sim/machine.js";

const workload = `binaries:
  /usr/bin/app:
    functions: [main, f]
process:
  exe: /usr/bin/app
  threads:
    - body:
        - loop: 3
          body:
            - call: f
              time: 5ns
        - work: 40ns
        - sleep: 1us
`;

/** The answers of `run` for the workload's thread on one idle CPU, with the pc of each. */
function answers(): { next: Next; pc: number }[] {
  const w = loadWorkloadText(workload, "t.yaml", { cpus: 1, seed: 1 });
  const program = w.process.threads[0]!.program;
  const m = new Machine({ cpus: 1 });
  const out: { next: Next; pc: number }[] = [];
  const sleeps: string[] = [];
  const as = {
    loadAddress: () => 0,
    layoutAddress: () => 0,
    nanosleepEnter: (_t: TaskStruct, ns: number) => sleeps.push(`enter ${ns}`),
    nanosleepExit: () => sleeps.push("exit"),
  } as unknown as AddressSpaceOps;
  const t = {
    exited: false,
    regs: {},
    mm: { breakpointAt: () => false, uprobes_state: { xol_area: null } },
  } as unknown as TaskStruct;
  m.spawn("thread", function* () {
    const x = new UserThread(
      { u: { m } as UprobesState, as, functionCount: 2 },
      t,
      program,
      createThreadState(program, 2, 1),
    );
    for (;;) {
      const next = run(x);
      out.push({ next, pc: x.pc });
      if (next === Next.Done) return;
      if (next === Next.Block) expect(sleeps).toEqual(["enter 1000"]);
      yield 0;
    }
  });
  m.runUntil(1e6);
  expect(sleeps).toEqual(["enter 1000", "exit"]);
  return out;
}

describe("the executor's plain op loop", () => {
  it("runs calls and returns nobody can come between in one call, and stops at work, a sleep and the end", () => {
    const ops = loadWorkloadText(workload, "t.yaml", { cpus: 1, seed: 1 }).process.threads[0]!.program.ops;
    expect(answers()).toEqual([
      { next: Next.Yield, pc: ops.length - 1 }, // after the work step, before the sleep
      { next: Next.Block, pc: ops.length - 1 }, // nanosleep entered: the step ends blocked
      { next: Next.Done, pc: ops.length }, // woken: nanosleep left, the program ends
    ]);
  });
});
