/**
 * struct vma_iterator: a position in an mm's VMA tree. vma_next returns the first VMA whose
 * tree range ends above the position and moves the position to that range's end, so a
 * walk visits each range once even while VMAs are being reshaped under RCU.
 */
import type { MmStruct } from "./mm-struct.js";
import type { VmAreaStruct } from "./vma.js";

export class VmaIterator {
  constructor(
    readonly mm: MmStruct,
    public pos: number,
  ) {}

  /** vma_iter_set. */
  set(addr: number): void {
    this.pos = addr;
  }

  /** vma_next: the next VMA at or after the position, or null at the end. */
  next(): VmAreaStruct | null {
    const tree = this.mm.mm_mt;
    const end = tree.endKeyFrom(this.pos);
    const vma = tree.findFrom(this.pos);
    if (vma !== null) this.pos = end;
    return vma;
  }
}
