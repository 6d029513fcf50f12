/**
 * A uprobe's lines and locks are named after it when a name is read (sim/name.ts), and labels
 * built from names are put together only where labels are read (Machine.labelsRead).
 */
import { describe, expect, it } from "vitest";
import { Inode } from "../../../src/kernel/fs/inode.js";
import type { VmAreaStruct } from "../../../src/kernel/mm/vma.js";
import { Uprobe } from "../../../src/kernel/uprobes/types.js";
import { Machine, type Sub } from "../../../src/sim/machine.js";
import { ownedName } from "../../../src/sim/name.js";
import type { RwSemaphore } from "../../../src/sim/sync/rwsem.js";

function uprobeOn(m: Machine): Uprobe {
  const inode = new Inode<VmAreaStruct>(m, { ino: 7, path: "/usr/bin/shopd", size: 8192, symbols: [] });
  return new Uprobe(m, inode, 0x1139, 0);
}

describe("names of a uprobe's objects", () => {
  it("name every line and lock after the uprobe, as the kernel model always has", () => {
    const u = uprobeOn(new Machine({ cpus: 1 }));
    expect(u.nameKey()).toBe("/usr/bin/shopd+0x1139");
    expect(u.line.name).toBe("uprobe(/usr/bin/shopd+0x1139)");
    expect(u.ref.name).toBe("uprobe.ref(/usr/bin/shopd+0x1139)");
    expect(u.ref.line.name).toBe("uprobe(/usr/bin/shopd+0x1139)");
    expect(u.register_rwsem.name).toBe("register_rwsem(/usr/bin/shopd+0x1139)");
    expect(u.register_rwsem.line).toBe(u.ref.line); // one line holds ref and the rwsem's count
    expect(u.consumer_rwsem.name).toBe("consumer_rwsem(/usr/bin/shopd+0x1139)");
    expect(u.consumer_rwsem.line.name).toBe("consumer_rwsem(/usr/bin/shopd+0x1139)");
    expect(u.register_seq.name).toBe("register_seq(/usr/bin/shopd+0x1139)");
  });

  it("leave an object nobody owns its role alone", () => {
    expect(ownedName("uprobes_treelock", null)).toBe("uprobes_treelock");
  });
});

describe("labels built from names", () => {
  function lockOnce(m: Machine, sem: RwSemaphore): void {
    m.spawn("t", function* (): Sub<void> {
      yield* sem.downWrite();
      sem.upWrite();
      yield 1;
    });
    m.runToCompletion();
  }

  it("are recorded with the interleaving", () => {
    const m = new Machine({ cpus: 1, traceSteps: 8 });
    const u = uprobeOn(m);
    expect(m.labelsRead).toBe(true);
    lockOnce(m, u.register_rwsem);
    expect(m.traceEvents().map((e) => e.label)).toContain(
      "register_rwsem(/usr/bin/shopd+0x1139): down_write",
    );
  });

  it("reach a step observer even when no interleaving is recorded", () => {
    const seen: string[] = [];
    const locks: string[] = [];
    const m = new Machine({
      cpus: 1,
      observer: {
        step: (_cpu, _task, label) => seen.push(label),
        lock: (lock, acquired) => locks.push(`${acquired ? "+" : "-"}${lock}`),
      },
    });
    expect(m.labelsRead).toBe(true);
    lockOnce(m, uprobeOn(m).register_rwsem);
    expect(seen).toContain("register_rwsem(/usr/bin/shopd+0x1139): down_write");
    expect(locks).toEqual([
      "+register_rwsem(/usr/bin/shopd+0x1139)",
      "-register_rwsem(/usr/bin/shopd+0x1139)",
    ]);
  });

  it("are not built when nothing reads them", () => {
    const m = new Machine({ cpus: 1 });
    expect(m.labelsRead).toBe(false);
    const sem = uprobeOn(m).register_rwsem;
    let label: string | null = null;
    m.spawn("t", function* (): Sub<void> {
      yield* sem.downWrite();
      label = m.label;
      sem.upWrite();
    });
    m.runToCompletion();
    expect(label).toBe("");
  });
});
