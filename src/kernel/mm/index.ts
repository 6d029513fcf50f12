/**
 * The mm model: mm_struct, the VMA tree, per-VMA locks, address-space operations, fork and
 * exit, breakpoint pages and /proc/pid/maps. API for the uprobes layer and the process model:
 *
 * Construction
 *   new MmStruct(m: Machine, opts?: MmOptions)       one address space; mms of one machine share
 *                                                    an MmSubsystem (VMA slab, RCU, hooks, switches):
 *                                                    mmSubsystemOf(m, opts) or opts.subsystem
 *   MmOptions: vmaLock "rwsem"|"refcount", vmaSlab "rcu-free"|"typesafe-by-rcu",
 *              mmLockSeq "inc-on-unlock"|"seqcount", mapsReader "mmap-lock"|"per-vma",
 *              rcu?, hooks?, vfs?, mmapBase?, mmapMin?, mmLockSeqWidth?
 *   Fault switches (m.faults): MM_FAULTS keys — vma-skip-mm-check, vma-skip-seq-recheck,
 *              vma-copy-refcnt, maps-skip-gap-recheck, fork-skip-vma-write-lock, vma-skip-mmgrab
 *
 * MmStruct
 *   mmap_lock: RwSemaphore; mm_lock_seq: Seqcount; vma_writer_wait: WaitQueue; mm_mt: VmaTree
 *   mm_users, mm_count, map_count, flags, uprobes_state.xol_area: unknown, anon_rss
 *   test_bit(bit) / set_bit(bit) / clear_bit(bit) / test_and_clear_bit(bit)  (MMF_HAS_UPROBES,
 *     MMF_RECALC_UPROBES)
 *   vma_lookup(addr), find_vma(addr), vma_iter(addr) -> VmaIterator (.next(), .set(addr)), vmas()
 *   *mmap_read_lock(), mmap_read_trylock(), mmap_read_unlock(), *mmap_write_lock(),
 *   mmap_write_unlock(), mmap_write_downgrade(), mmap_write_locked(), vma_end_write_all()
 *   mmap_lock_speculate_try_begin() -> seq | -1, mmap_lock_speculate_retry(seq) -> changed?
 *   breakpointAt(vaddr) -> boolean (O(1), no allocation), originalInsnAt(vaddr),
 *   is_trap_at_addr(vaddr), uprobe_write_opcode(vma, vaddr, install) -> "changed"|"unchanged"
 *   mmget(), mmget_not_zero(), mmgrab(), mmdrop(); hooks: MmHooks (getter; set sys.hooks)
 *
 * VmAreaStruct: vm_start, vm_end, vm_pgoff, vm_file, vm_flags (VM_*), vm_mm, vm_lock_seq,
 *   vm_refcnt (VMA_LOCK_OFFSET, VMA_REF_LIMIT), vm_lock/detached (6.4-6.14 form), anon_vma,
 *   anon_name, line / vm_lock_line (CacheLines), vma_pages(), offsetOf(addr), addrOf(offset)
 *
 * Per-VMA locks: *vma_start_read(mm, vma) -> vma | null | EAGAIN, *vma_end_read(vma),
 *   vma_start_read_locked(vma), *vma_start_write(vma), vma_mark_attached(vma),
 *   *vma_mark_detached(vma), *lock_vma_under_rcu(mm, addr) -> vma | null
 *
 * Address space (return address / 0, or -errno): *do_mmap(mm, {len, prot, file?, pgoff?, addr?,
 *   hint?, shared?, dontcopy?, extraFlags?, name?}), *do_munmap(mm, start, len),
 *   *do_mprotect(mm, start, len, prot), *do_mremap(mm, old, oldLen, newLen, {fixed?, mayMove?}),
 *   *dup_mmap(oldmm) -> newmm, *exit_mmap(mm), *mmput(mm), *exec_mmap(oldmm) -> newmm,
 *   *handle_mm_fault(vma, addr, write)
 *
 * Hooks (MmHooks, default NO_MM_HOOKS): uprobe_mmap(vma): Sub, uprobe_munmap(vma, start, end),
 *   uprobe_start_dup_mmap(): Sub, uprobe_end_dup_mmap(), uprobe_dup_mmap(oldmm, newmm),
 *   uprobe_clear_state(mm)
 *
 * /proc/pid/maps: new ProcMapsReader(mm, {mode?, chunkSize?, gate?}); *read_chunk() -> string |
 *   null; *read_all(); *lock_next_vma(mm, iter, from_addr); show_map_vma(vma); parse_maps(text)
 *
 * Files: Inode (i_mapping.i_mmap, i_mmap_rwsem, i_mmap_query(firstPage, lastPage)), Vfs
 *   (alloc_file, get_file, fput) — see ../fs/index.ts.
 */
export * from "../fs/index.js";
export * from "./constants.js";
export * from "./fork.js";
export * from "./hooks.js";
export * from "./mm-struct.js";
export * from "./mmap.js";
export * from "./options.js";
export * from "./proc-maps.js";
export * from "./vma.js";
export * from "./vma-iterator.js";
export * from "./vma-lock.js";
export * from "./vma-tree.js";
