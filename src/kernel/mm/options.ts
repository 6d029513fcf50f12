/**
 * Design switches (which kernel version's mm to model) and fault switches (one safety check
 * removed each). Design switches come in the options object; fault switches are read once,
 * from `m.faults`, when the mm subsystem is built.
 */
import type { Machine } from "../../sim/machine.js";
import { FS_FAULTS } from "../fs/file.js";

export interface MmDesign {
  /** Per-VMA lock: 6.4-6.14 vm_lock rwsem + detached bool, or the 6.15+ vm_refcnt. */
  vmaLock: "rwsem" | "refcount";
  /** vm_area_cachep: freed after an RCU grace period (<6.15) or reused at once (6.15+). */
  vmaSlab: "rcu-free" | "typesafe-by-rcu";
  /** mm_lock_seq: plain counter bumped at unlock (<=6.13) or a seqcount odd while write-locked (6.14+). */
  mmLockSeq: "inc-on-unlock" | "seqcount";
  /** /proc/pid/maps: under mmap_read_lock (<6.17) or per-VMA locks with lock_next_vma (6.17+). */
  mapsReader: "mmap-lock" | "per-vma";
}

/** Today's kernel. */
export const DEFAULT_MM_DESIGN: Readonly<MmDesign> = Object.freeze({
  vmaLock: "refcount",
  vmaSlab: "typesafe-by-rcu",
  mmLockSeq: "seqcount",
  mapsReader: "per-vma",
});

/** Every fault switch this model (and the file layer under it) reads, with the check it removes. */
export const MM_FAULTS = {
  ...FS_FAULTS,
  "vma-skip-mm-check": "vma_start_read / lock_vma_under_rcu do not check vma->vm_mm == mm (R19, 3.4 case 1)",
  "vma-skip-seq-recheck": "vma_start_read does not re-check vm_lock_seq after taking its reference (R22)",
  "vma-copy-refcnt": "vm_area_dup copies vm_refcnt, so a recycled VMA looks attached (R21)",
  "maps-skip-gap-recheck": "lock_next_vma does not re-walk when the VMA starts after from_addr (R23)",
  "fork-skip-vma-write-lock": "dup_mmap does not write-lock the parent's VMAs (R15, the 6.4 regression)",
  "vma-skip-mmgrab": "vma_start_read drops a foreign VMA's reference without pinning its mm (R20)",
  "maps-fallback-skip-iter-reset":
    "lock_next_vma_under_mmap_lock searches on from where the RCU walk stopped, not from from_addr (R24)",
  "mremap-merge-uprobe-mmap":
    "an mremap whose copy_vma merges into a neighbour runs uprobe_mmap on it before the page tables move (R17, before 6.16)",
  "mm-lock-seq-2bit":
    "mm_lock_seq is 2 bits wide instead of 32, so two write-lock cycles inside one speculation window look like none (R27)",
} as const;

export type MmFault = keyof typeof MM_FAULTS;

/** The fault switches as booleans, read once. */
export interface MmFaults {
  skipMmCheck: boolean;
  skipSeqRecheck: boolean;
  copyRefcnt: boolean;
  skipGapRecheck: boolean;
  forkSkipVmaWriteLock: boolean;
  skipMmgrab: boolean;
  mmLockSeq2bit: boolean;
  mremapMergeUprobeMmap: boolean;
  mapsFallbackSkipIterReset: boolean;
}

export function readMmFaults(m: Machine): MmFaults {
  const f = m.faults;
  return {
    skipMmCheck: f.has("vma-skip-mm-check"),
    skipSeqRecheck: f.has("vma-skip-seq-recheck"),
    copyRefcnt: f.has("vma-copy-refcnt"),
    skipGapRecheck: f.has("maps-skip-gap-recheck"),
    forkSkipVmaWriteLock: f.has("fork-skip-vma-write-lock"),
    skipMmgrab: f.has("vma-skip-mmgrab"),
    mmLockSeq2bit: f.has("mm-lock-seq-2bit"),
    mremapMergeUprobeMmap: f.has("mremap-merge-uprobe-mmap"),
    mapsFallbackSkipIterReset: f.has("maps-fallback-skip-iter-reset"),
  };
}
