/**
 * Attach N uprobes to one binary (one consumer each), then detach them all, the way the
 * configured kernel detaches (a synchronize per probe, or N x unregister_nosync + one sync):
 * how many grace periods were waited for, and how long each phase took in simulated time.
 */
import { resolveKernelConfig } from "../kernel/config.js";
import { Inode } from "../kernel/fs/inode.js";
import { Kernel } from "../kernel/kernel.js";
import { PROT_EXEC, PROT_READ } from "../kernel/mm/constants.js";
import { MmStruct } from "../kernel/mm/mm-struct.js";
import { do_mmap } from "../kernel/mm/mmap.js";
import type { VmAreaStruct } from "../kernel/mm/vma.js";
import {
  newConsumer,
  type Registration,
  uprobe_register,
  uprobe_unregister_all,
} from "../kernel/uprobes/index.js";
import type { Sub } from "../sim/machine.js";

export interface DetachFigures {
  probes: number;
  unregister: string;
  attachNs: number;
  detachNs: number;
  /** Grace periods completed during the detach (Tasks Trace + SRCU + RCU). */
  gracePeriods: number;
  syncCalls: number;
  breakpointsLeft: number;
}

export function detachBench(probes: number, profile: string, switches: string[] = []): DetachFigures {
  const config = resolveKernelConfig(profile, switches);
  const k = new Kernel({ cpus: 4, seed: 1, config }, profile);
  const m = k.m;
  const symbols = Array.from({ length: probes }, (_, i) => ({
    name: `f${i}`,
    offset: 0x1000 + i * 16,
    size: 16,
    firstInsn: "nop" as const,
  }));
  const size = Math.ceil((0x1000 + probes * 16) / 4096) * 4096;
  const inode = new Inode<VmAreaStruct>(m, { ino: 1, path: "/usr/bin/many", size, symbols });
  const mm = new MmStruct(m, { subsystem: k.mm });
  const figures: DetachFigures = {
    probes,
    unregister: config.unregister,
    attachNs: 0,
    detachNs: 0,
    gracePeriods: 0,
    syncCalls: 0,
    breakpointsLeft: 0,
  };
  const u = k.u;
  m.spawn("bpftrace", function* (): Sub<void> {
    yield* do_mmap(mm, { len: size, prot: PROT_READ | PROT_EXEC, file: inode, pgoff: 0, addr: 0x400000 });
    const t0 = m.now();
    const regs: Registration[] = [];
    for (const s of symbols) {
      const uc = newConsumer(() => 0);
      regs.push({ uprobe: yield* uprobe_register(u, inode, s.offset, uc), uc });
    }
    const t1 = m.now();
    const gp0 = u.gracePeriods();
    yield* uprobe_unregister_all(u, regs);
    figures.attachNs = t1 - t0;
    figures.detachNs = m.now() - t1;
    figures.gracePeriods = u.gracePeriods() - gp0;
    figures.syncCalls = u.stats.syncCalls;
  });
  m.runToCompletion();
  figures.breakpointsLeft = mm.breakpoints.size;
  return figures;
}
