/**
 * The VMA tree (mm->mm_mt, a maple tree in the kernel): ranges [start, end) -> VMA, kept in
 * address order, with O(log n) lookups that are safe under RCU.
 *
 * The tree keeps its own range keys ("pivots"), separate from the VMAs' vm_start/vm_end,
 * exactly as the maple tree does: a reader walking under RCU gets whatever VMA the tree
 * pointed at when it looked, and that VMA may since have been shrunk, moved, detached or
 * freed and recycled. That is the point of the model: callers must lock and re-check.
 *
 * Each store is one atomic step (the maple tree publishes a modified node with one pointer
 * store), and `store` overwrites whatever ranges it overlaps, like mas_store: a split is a
 * single store of the new part over the old VMA's range.
 *
 * Cost: a walk visits `depth` nodes of 16 slots and reads one cache line per level; a store
 * writes the leaf's line and its parent's, so a writer churning one part of the tree
 * invalidates only the readers that walk through it (and, through the parent, its
 * neighbourhood). Index shifts from inserting into the flat arrays are not charged: the
 * real tree would absorb them inside one node.
 */
import { CacheLine } from "../../sim/cacheline.js";
import type { Machine } from "../../sim/machine.js";
import type { MmStruct } from "./mm-struct.js";
import type { VmAreaStruct } from "./vma.js";

const SLOTS_SHIFT = 4; // 16 slots per node

export class VmaTree {
  /** Range keys, sorted and non-overlapping. */
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly vmas: VmAreaStruct[] = [];
  /** lines[level][i]: the line of node i at that level (level 0 = leaves). */
  private readonly lines: CacheLine[][] = [];
  /** Node visits of the last walk (for tests and benches). */
  nodesVisited = 0;

  constructor(
    private readonly m: Machine,
    readonly owner: MmStruct,
  ) {}

  get size(): number {
    return this.vmas.length;
  }

  /** Levels of 16-slot nodes needed for the current size. */
  depth(): number {
    let d = 1;
    let cap = 1 << SLOTS_SHIFT;
    while (cap < this.vmas.length) {
      cap <<= SLOTS_SHIFT;
      d++;
    }
    return d;
  }

  // ---------------------------------------------------------------- readers

  /** mtree_load: the VMA whose tree range contains addr, or null. */
  load(addr: number): VmAreaStruct | null {
    const i = this.firstEndAbove(addr);
    this.chargeWalk(i);
    if (i < this.vmas.length && this.starts[i] <= addr) return this.vmas[i];
    return null;
  }

  /** The VMA the tree holds for addr, with no cost and no cache traffic (invariant checks). */
  peek(addr: number): VmAreaStruct | null {
    const i = this.firstEndAbove(addr);
    return i < this.vmas.length && this.starts[i] <= addr ? this.vmas[i] : null;
  }

  /** mas_find from addr: the first VMA whose tree range ends above addr, or null. */
  findFrom(addr: number): VmAreaStruct | null {
    const i = this.firstEndAbove(addr);
    this.chargeWalk(i);
    return i < this.vmas.length ? this.vmas[i] : null;
  }

  /** The tree's end key for the first range ending above addr (where an iterator moves to). */
  endKeyFrom(addr: number): number {
    const i = this.firstEndAbove(addr);
    return i < this.vmas.length ? this.ends[i] : Number.POSITIVE_INFINITY;
  }

  /** The last VMA whose tree range starts below addr, or null (find_vma_prev's prev). */
  findBefore(addr: number): VmAreaStruct | null {
    const i = this.firstEndAbove(addr);
    const j = i < this.vmas.length && this.starts[i] < addr ? i : i - 1;
    this.chargeWalk(Math.max(j, 0));
    return j >= 0 ? this.vmas[j] : null;
  }

  /** Every VMA in address order (a snapshot; for writers and tests). */
  toArray(): VmAreaStruct[] {
    const out: VmAreaStruct[] = [];
    for (let i = 0; i < this.vmas.length; i++)
      if (i === 0 || this.vmas[i] !== this.vmas[i - 1]) out.push(this.vmas[i]);
    return out;
  }

  /** The tree's ranges, for tests: [start, end, vma] triples. */
  ranges(): [number, number, VmAreaStruct][] {
    return this.vmas.map((v, i) => [this.starts[i], this.ends[i], v]);
  }

  /** Highest free gap [lo, hi) of at least len below `below`, or -1 (top-down search). */
  freeAreaTopDown(len: number, floor: number, below: number): number {
    let hi = below;
    let i = this.firstEndAbove(below) - 1;
    if (i + 1 < this.vmas.length && this.starts[i + 1] < below) hi = this.starts[i + 1];
    for (; i >= -1; i--) {
      const lo = i >= 0 ? this.ends[i] : floor;
      if (hi - Math.max(lo, floor) >= len) return hi - len;
      if (i < 0) break;
      hi = this.starts[i];
      if (hi <= floor) break;
    }
    return -1;
  }

  // ---------------------------------------------------------------- writers

  /**
   * mas_store: make [start, end) point at `vma` (or at nothing when vma is null), trimming or
   * removing the ranges it overlaps. One atomic step for readers.
   */
  store(start: number, end: number, vma: VmAreaStruct | null): void {
    if (!(start < end)) this.m.fail(`vma tree: empty store [${start}, ${end})`);
    const i = this.firstEndAbove(start);
    let j = i;
    while (j < this.vmas.length && this.starts[j] < end) j++;
    const newS: number[] = [];
    const newE: number[] = [];
    const newV: VmAreaStruct[] = [];
    if (i < j && this.starts[i] < start) {
      newS.push(this.starts[i]);
      newE.push(start);
      newV.push(this.vmas[i]);
    }
    if (vma !== null) {
      newS.push(start);
      newE.push(end);
      newV.push(vma);
    }
    if (i < j && this.ends[j - 1] > end) {
      newS.push(end);
      newE.push(this.ends[j - 1]);
      newV.push(this.vmas[j - 1]);
    }
    for (let k = i; k < j; k++) this.unslot(this.vmas[k]);
    for (const v of newV) this.slot(v);
    this.starts.splice(i, j - i, ...newS);
    this.ends.splice(i, j - i, ...newE);
    this.vmas.splice(i, j - i, ...newV);
    this.mergeAdjacentSlots(Math.max(i - 1, 0), i + newV.length);
    this.chargeStore(i);
  }

  /** Drop every range (exit_mmap's __mt_destroy). */
  destroy(): void {
    for (const v of this.vmas) this.unslot(v);
    this.starts.length = 0;
    this.ends.length = 0;
    this.vmas.length = 0;
    this.chargeStore(0);
  }

  // ---------------------------------------------------------------- internals

  /** Index of the first range with end > addr. */
  private firstEndAbove(addr: number): number {
    let lo = 0;
    let hi = this.ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ends[mid] <= addr) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Two neighbouring slots for the same VMA with touching ranges become one. */
  private mergeAdjacentSlots(from: number, to: number): void {
    for (let k = Math.min(to, this.vmas.length - 1); k > from; k--) {
      if (this.vmas[k] === this.vmas[k - 1] && this.ends[k - 1] === this.starts[k]) {
        this.ends[k - 1] = this.ends[k];
        this.unslot(this.vmas[k]);
        this.starts.splice(k, 1);
        this.ends.splice(k, 1);
        this.vmas.splice(k, 1);
      }
    }
  }

  private slot(v: VmAreaStruct): void {
    v.__tree_slots++;
    v.__tree_mm = this.owner;
  }

  private unslot(v: VmAreaStruct): void {
    if (--v.__tree_slots === 0) v.__tree_mm = null;
  }

  private line(level: number, index: number): CacheLine {
    let row = this.lines[level];
    if (row === undefined) row = this.lines[level] = [];
    let l = row[index];
    if (l === undefined) l = row[index] = new CacheLine(`mm_mt.l${level}[${index}]`);
    return l;
  }

  private chargeWalk(index: number): void {
    const m = this.m;
    const d = this.depth();
    this.nodesVisited = d;
    m.cost(d * m.profile.treeNode);
    for (let level = d - 1; level >= 0; level--)
      this.line(level, index >> (SLOTS_SHIFT * (level + 1))).read(m);
  }

  private chargeStore(index: number): void {
    const m = this.m;
    m.cost(this.depth() * m.profile.treeNode);
    this.line(0, index >> SLOTS_SHIFT).write(m);
    this.line(1, index >> (2 * SLOTS_SHIFT)).write(m);
  }
}
