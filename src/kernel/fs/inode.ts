/**
 * struct inode and its page-cache side (struct address_space) as the uprobes stack sees
 * them: a file identity, a size, the binary's symbol table, and `i_mmap`, the index of every
 * VMA in any mm that maps the file. Registration walks `i_mmap` under `i_mmap_rwsem` to
 * find each mm it must patch; every mapping change updates it under the same rwsem held
 * for write.
 */
import type { Machine, Sub } from "../../sim/machine.js";
import { RwSemaphore } from "../../sim/sync/rwsem.js";

export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;

/**
 * The first instruction of a function, which decides how a probe on it is handled. `nop5` is
 * the 5-byte NOP (0f 1f 44 00 00) that 6.18 can turn into a call to a trampoline.
 */
export type FirstInsn = "nop" | "nop5" | "push" | "ret";
/** What sits at a file offset: a function's first instruction, or anything else. */
export type InsnKind = FirstInsn | "other";

/** One function of the binary (structurally the same as the workload's symbols). */
export interface InodeSymbol {
  name: string;
  /** File offset of the first instruction. */
  offset: number;
  size: number;
  firstInsn: FirstInsn;
}

export interface InodeInit {
  ino: number;
  path: string;
  /** File size in bytes. */
  size: number;
  /** Sorted by offset. */
  symbols?: readonly InodeSymbol[];
}

/** What i_mmap needs to know about a mapping (a vm_area_struct satisfies it). */
export interface MappingVma {
  vm_start: number;
  vm_end: number;
  vm_pgoff: number;
}

/** One i_mmap entry, keyed by the file pages the VMA covered when it was linked. */
interface IntervalEntry<V> {
  vma: V;
  first: number;
  last: number;
}

/**
 * struct address_space's i_mmap: an interval index over file page ranges. The kernel uses
 * an augmented rb-tree; this keeps entries sorted by first page and stops a query at the
 * first entry starting after the range, which is O(log n + k') for the k' entries that
 * start before the range's end. Entries are keyed at link time, so a VMA whose range or
 * pgoff changes must be unlinked and relinked (the kernel does the same in vma_prepare /
 * vma_complete), all under i_mmap_rwsem held for write.
 */
export class IMmap<V extends MappingVma = MappingVma> {
  private readonly entries: IntervalEntry<V>[] = [];

  get size(): number {
    return this.entries.length;
  }

  /** vma_interval_tree_insert. */
  insert(vma: V): void {
    const first = vma.vm_pgoff;
    const last = first + Math.ceil((vma.vm_end - vma.vm_start) / PAGE_SIZE) - 1;
    const at = this.upperBound(first);
    this.entries.splice(at, 0, { vma, first, last });
  }

  /** vma_interval_tree_remove; false when the VMA was not linked. */
  remove(vma: V): boolean {
    const i = this.entries.findIndex((e) => e.vma === vma);
    if (i < 0) return false;
    this.entries.splice(i, 1);
    return true;
  }

  has(vma: V): boolean {
    return this.entries.some((e) => e.vma === vma);
  }

  /** vma_interval_tree_foreach: every VMA mapping some page in [firstPage, lastPage]. */
  query(firstPage: number, lastPage: number): V[] {
    const out: V[] = [];
    const stop = this.upperBound(lastPage);
    for (let i = 0; i < stop; i++) {
      const e = this.entries[i];
      if (e.last >= firstPage) out.push(e.vma);
    }
    return out;
  }

  /** Every linked VMA, in order of first page. */
  all(): V[] {
    return this.entries.map((e) => e.vma);
  }

  /** Index of the first entry whose first page is > page. */
  private upperBound(page: number): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.entries[mid].first <= page) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** struct address_space (only the mapping side). */
export class AddressSpace<V extends MappingVma = MappingVma> {
  readonly i_mmap = new IMmap<V>();
  readonly i_mmap_rwsem: RwSemaphore;

  constructor(
    m: Machine,
    readonly host: Inode,
  ) {
    this.i_mmap_rwsem = new RwSemaphore(m, `i_mmap_rwsem(${host.i_ino})`);
  }

  *i_mmap_lock_write(): Sub<void> {
    yield* this.i_mmap_rwsem.downWrite();
  }

  i_mmap_unlock_write(): number {
    return this.i_mmap_rwsem.upWrite();
  }

  *i_mmap_lock_read(): Sub<void> {
    yield* this.i_mmap_rwsem.downRead();
  }

  i_mmap_unlock_read(): number {
    return this.i_mmap_rwsem.upRead();
  }

  /** VMAs (any mm) mapping a page of the file in [firstPage, lastPage]; hold i_mmap_rwsem. */
  vma_interval_tree_foreach(firstPage: number, lastPage: number): V[] {
    return this.i_mmap.query(firstPage, lastPage);
  }
}

/** struct inode: identity, size, symbols and the mapping. */
export class Inode<V extends MappingVma = MappingVma> {
  readonly i_ino: number;
  readonly path: string;
  readonly i_size: number;
  readonly symbols: readonly InodeSymbol[];
  readonly i_mapping: AddressSpace<V>;
  private readonly byOffset = new Map<number, InodeSymbol>();

  constructor(m: Machine, init: InodeInit) {
    this.i_ino = init.ino;
    this.path = init.path;
    this.i_size = init.size;
    this.symbols = [...(init.symbols ?? [])].sort((a, b) => a.offset - b.offset);
    for (const s of this.symbols) this.byOffset.set(s.offset, s);
    this.i_mapping = new AddressSpace<V>(m, this);
  }

  /** The symbol whose first instruction is at `offset`, if any. */
  symbolAt(offset: number): InodeSymbol | undefined {
    return this.byOffset.get(offset);
  }

  /** The function containing `offset`, if any. */
  symbolContaining(offset: number): InodeSymbol | undefined {
    const list = this.symbols;
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = list[mid];
      if (offset < s.offset) hi = mid - 1;
      else if (offset >= s.offset + s.size) lo = mid + 1;
      else return s;
    }
    return undefined;
  }

  /** The instruction kind at a file offset: a function's first instruction, else "other". */
  insnAt(offset: number): InsnKind {
    return this.byOffset.get(offset)?.firstInsn ?? "other";
  }

  /** The i_mmap query of the brief: VMAs mapping any page in file page range [a, b]. */
  i_mmap_query(firstPage: number, lastPage: number): V[] {
    return this.i_mapping.vma_interval_tree_foreach(firstPage, lastPage);
  }
}
