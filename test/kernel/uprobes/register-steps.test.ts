/**
 * Registration and unregistration keep every interleaving point (the rw-semaphores, the
 * per-mm loop of register_for_each_vma, install_breakpoint, the "done" points) but, under the
 * default policy, run on through a point nobody can come between (Machine.mustYieldExact):
 * attaching and detaching many probes on an idle machine costs a couple of scheduler steps
 * per probe instead of thirteen, with the same simulated clocks.
 */
import { describe, expect, it } from "vitest";
import { resolveKernelConfig } from "../../../src/kernel/config.js";
import { Inode } from "../../../src/kernel/fs/inode.js";
import { Kernel } from "../../../src/kernel/kernel.js";
import { PROT_EXEC, PROT_READ } from "../../../src/kernel/mm/constants.js";
import { MmStruct } from "../../../src/kernel/mm/mm-struct.js";
import { do_mmap } from "../../../src/kernel/mm/mmap.js";
import type { VmAreaStruct } from "../../../src/kernel/mm/vma.js";
import {
  newConsumer,
  type Registration,
  uprobe_register,
  uprobe_unregister_all,
} from "../../../src/kernel/uprobes/index.js";
import type { Policy, Sub } from "../../../src/sim/machine.js";

const PROBES = 50;

/** Attach then detach PROBES uprobes in one task: steps taken, labels seen, simulated end. */
function attachDetach(policy: Policy): { steps: number; labels: Set<string>; end: number } {
  const labels = new Set<string>();
  const k = new Kernel(
    {
      cpus: 1,
      seed: 1,
      policy,
      config: resolveKernelConfig("latest"),
      observer: { step: (_cpu, _task, label) => labels.add(label) },
    },
    "latest",
  );
  const m = k.m;
  const symbols = Array.from({ length: PROBES }, (_, i) => ({
    name: `f${i}`,
    offset: 0x1000 + i * 16,
    size: 16,
    firstInsn: "nop" as const,
  }));
  const inode = new Inode<VmAreaStruct>(m, { ino: 1, path: "/usr/bin/many", size: 0x2000, symbols });
  const mm = new MmStruct(m, { subsystem: k.mm });
  let end = 0;
  m.spawn("bpftrace", function* (): Sub<void> {
    yield* do_mmap(mm, { len: 0x2000, prot: PROT_READ | PROT_EXEC, file: inode, pgoff: 0, addr: 0x400000 });
    const regs: Registration[] = [];
    for (const s of symbols) {
      const uc = newConsumer(() => 0);
      regs.push({ uprobe: yield* uprobe_register(k.u, inode, s.offset, uc), uc });
    }
    expect(mm.breakpoints.size).toBe(PROBES);
    yield* uprobe_unregister_all(k.u, regs);
    end = m.now();
  });
  m.runToCompletion();
  expect(mm.breakpoints.size).toBe(0);
  return { steps: m.steps, labels, end };
}

describe("registration steps", () => {
  it("runs on through points nobody can come between under the default policy", () => {
    const { steps } = attachDetach("time");
    expect(steps).toBeLessThanOrEqual(PROBES * 6);
  });

  it("still stops at every point under an exploration policy", () => {
    const { steps, labels } = attachDetach("random");
    expect(steps).toBeGreaterThan(PROBES * 20);
    for (const label of [
      "uprobe_register: done",
      "build_map_info",
      "register_for_each_vma: mm done",
      "install_breakpoint",
      "uprobe_unregister_nosync: done",
      "uprobe_unregister_sync: done",
    ]) {
      expect(labels.has(label)).toBe(true);
    }
  });

  it("ends at the same simulated time as a run that yields at every point", () => {
    // One CPU and one task: every policy runs the same steps in the same order, so a
    // yielding run's clock is the reference for the merged one.
    expect(attachDetach("time").end).toBe(attachDetach("random").end);
  });
});
