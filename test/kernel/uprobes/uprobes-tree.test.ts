/** uprobes_tree's nodes (UprobesTree): keyed by inode and offset, counted, walked inode by inode. */
import { describe, expect, it } from "vitest";
import { Inode } from "../../../src/kernel/fs/inode.js";
import type { VmAreaStruct } from "../../../src/kernel/mm/vma.js";
import { UprobesTree } from "../../../src/kernel/uprobes/state.js";
import { Uprobe } from "../../../src/kernel/uprobes/types.js";
import { Machine } from "../../../src/sim/machine.js";

describe("UprobesTree", () => {
  const m = new Machine({ cpus: 1 });
  const inode = (ino: number) =>
    new Inode<VmAreaStruct>(m, { ino, path: `/bin/f${ino}`, size: 1 << 24, symbols: [] });
  // Workload inode numbers start above 2^17; offsets run past 2^20 in large binaries.
  const a = inode(131073);
  const b = inode(131074);

  it("finds a node by inode and offset, never another inode's at the same offset", () => {
    const t = new UprobesTree();
    const ua = new Uprobe(m, a, 0x1139, 0);
    const ub = new Uprobe(m, b, 0x1139, 0);
    t.link(ua);
    t.link(ub);
    expect(t.get(131073, 0x1139)).toBe(ua);
    expect(t.get(131074, 0x1139)).toBe(ub);
    expect(t.get(131073, 0x113a)).toBeUndefined();
    expect(t.get(131075, 0x1139)).toBeUndefined();
    expect(t.size).toBe(2);
  });

  it("counts each key once, and unlinks whatever node holds a key", () => {
    const t = new UprobesTree();
    const old = new Uprobe(m, a, 0x200000, 0);
    const fresh = new Uprobe(m, a, 0x200000, 0);
    t.link(old);
    t.link(fresh);
    expect(t.size).toBe(1);
    expect(t.get(131073, 0x200000)).toBe(fresh);
    t.unlink(131073, 0x200000);
    t.unlink(131073, 0x200000);
    expect(t.size).toBe(0);
    expect(t.get(131073, 0x200000)).toBeUndefined();
  });

  it("walks one inode's nodes by offset, and all nodes inode by inode in link order", () => {
    const t = new UprobesTree();
    const nodes = [new Uprobe(m, a, 0x30, 0), new Uprobe(m, b, 0x10, 0), new Uprobe(m, a, 0x20, 0)];
    for (const n of nodes) t.link(n);
    expect([...t.ofInode(131073)!.keys()]).toEqual([0x30, 0x20]);
    expect(t.ofInode(131075)).toBeUndefined();
    expect([...t.values()]).toEqual([nodes[0], nodes[2], nodes[1]]);
  });
});
