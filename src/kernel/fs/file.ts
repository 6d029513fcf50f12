/**
 * struct file: an open file, what a file VMA's vm_file points to. Since 6.7 files come from
 * a SLAB_TYPESAFE_BY_RCU cache ("file: convert to SLAB_TYPESAFE_BY_RCU"): once the last
 * fput frees one, its memory may at once become another file, so an RCU reader that loaded
 * vma->vm_file earlier may read a different, well-formed file's f_inode (R2). Readers that
 * care re-validate (the speculative uprobe lookup re-checks mm_lock_seq afterwards).
 */
import { CacheLine } from "../../sim/cacheline.js";
import type { Machine } from "../../sim/machine.js";
import { type FreeDiscipline, ObjectCache, ObjState, type SlabObject } from "../../sim/slab.js";
import type { RcuDomain } from "../../sim/sync/rcu.js";
import type { AddressSpace, Inode, MappingVma } from "./inode.js";

export class File implements SlabObject {
  objState = ObjState.Live;
  generation = 0;
  /** f_inode and f_mapping share the head line with f_count in the model. */
  readonly line = new CacheLine("file");
  f_count = 0;
  // biome-ignore lint/suspicious/noExplicitAny: re-initialised on every allocation
  f_inode: Inode<any> = null as any;
  // biome-ignore lint/suspicious/noExplicitAny: re-initialised on every allocation
  f_mapping: AddressSpace<any> = null as any;
}

/** Fault switches of the file layer (listed with the mm ones). */
export const FS_FAULTS = {
  "backing-file-free-direct":
    "R2: the last fput frees a file's memory at once (backing files, 6.7-6.12) instead of keeping it type-stable under RCU",
} as const;

export interface VfsOptions {
  /** files_cachep discipline: typesafe-by-rcu since 6.7 (default); rcu-free before. */
  filesSlab?: FreeDiscipline;
  /** Needed for "rcu-free". */
  rcu?: RcuDomain;
}

/** The file side of the kernel: the files cache and reference counting. */
export class Vfs {
  readonly files_cachep: ObjectCache<File>;

  constructor(
    private readonly m: Machine,
    opts: VfsOptions = {},
  ) {
    const direct = m.faults.has("backing-file-free-direct");
    this.files_cachep = new ObjectCache<File>(
      m,
      "files_cachep",
      direct ? "immediate" : (opts.filesSlab ?? "typesafe-by-rcu"),
      () => new File(),
      opts.rcu ?? null,
    );
  }

  /** Open `inode`: a new file with one reference. */
  alloc_file<V extends MappingVma>(inode: Inode<V>): File {
    const f = this.files_cachep.alloc();
    f.f_count = 1;
    f.f_inode = inode;
    f.f_mapping = inode.i_mapping;
    f.line.reset();
    f.line.write(this.m);
    return f;
  }

  /** get_file: the caller already holds a reference. */
  get_file(f: File): File {
    this.files_cachep.check(f, "get_file");
    f.line.atomic(this.m);
    if (f.f_count <= 0) this.m.fail(`get_file on a file with f_count ${f.f_count} (use-after-free)`);
    f.f_count++;
    return f;
  }

  /** fput: drop a reference; the last one frees the file. */
  fput(f: File): void {
    this.files_cachep.check(f, "fput");
    f.line.atomic(this.m);
    if (f.f_count <= 0) this.m.fail(`fput on a file with f_count ${f.f_count}`);
    if (--f.f_count === 0) this.files_cachep.free(f);
  }
}

const perMachine = new WeakMap<Machine, Vfs>();

/** The machine's Vfs, created with default options on first use. */
export function vfsOf(m: Machine, opts?: VfsOptions): Vfs {
  let vfs = perMachine.get(m);
  if (vfs === undefined) {
    vfs = new Vfs(m, opts);
    perMachine.set(m, vfs);
  }
  return vfs;
}
