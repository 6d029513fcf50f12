/**
 * The kernel structs the model gives scripts, as BTF would: `struct task_struct` with the
 * members bpftrace's tests and tools read through `curtask` (pid, tgid, comm, parent,
 * real_parent, group_leader, fs), and the fs structs behind `curtask->fs->pwd` that
 * opensnoop walks (fs_struct, path, dentry, qstr, vfsmount, mount), laid out by C's rules.
 * The real structs are larger, with other members at other offsets; a script that names
 * only these cannot tell. A script that defines one of them itself uses its own (and reads
 * whatever the model's memory holds there).
 */
import type { StructDef } from "./ast.js";

export const TASK_STRUCT = "struct task_struct";

/** Member offsets, which the task image the session serves must match (a test checks them). */
export const TASK_STRUCT_LAYOUT = {
  pid: 0,
  tgid: 4,
  comm: 8,
  parent: 24,
  real_parent: 32,
  group_leader: 40,
  fs: 48,
  size: 56,
} as const;

/**
 * Each struct's members in order; the fs structs' offsets match the kernel model's layout
 * (src/kernel/fs/namespace.ts; a test checks them). Dependencies come first.
 */
const KERNEL_STRUCTS: readonly [name: string, members: readonly [type: string, name: string][]][] = [
  // The hash-chain links; pointers to structs the model does not describe are void *.
  [
    "struct hlist_bl_node",
    [
      ["void *", "next"],
      ["void *", "pprev"],
    ],
  ],
  [
    "struct hlist_node",
    [
      ["void *", "next"],
      ["void *", "pprev"],
    ],
  ],
  [
    "struct qstr",
    [
      ["unsigned int", "hash"],
      ["unsigned int", "len"],
      ["const unsigned char *", "name"],
    ],
  ],
  [
    "struct dentry",
    [
      ["unsigned int", "d_flags"],
      ["unsigned int", "d_seq"],
      ["struct hlist_bl_node", "d_hash"],
      ["struct dentry *", "d_parent"],
      ["struct qstr", "d_name"],
      ["void *", "d_inode"],
      ["char[40]", "d_iname"],
    ],
  ],
  [
    "struct vfsmount",
    [
      ["struct dentry *", "mnt_root"],
      ["void *", "mnt_sb"],
      ["int", "mnt_flags"],
    ],
  ],
  [
    "struct mount",
    [
      ["struct hlist_node", "mnt_hash"],
      ["struct mount *", "mnt_parent"],
      ["struct dentry *", "mnt_mountpoint"],
      ["struct vfsmount", "mnt"],
    ],
  ],
  [
    "struct path",
    [
      ["struct vfsmount *", "mnt"],
      ["struct dentry *", "dentry"],
    ],
  ],
  [
    "struct fs_struct",
    [
      ["int", "users"],
      ["unsigned int", "lock"],
      ["unsigned int", "seq"],
      ["int", "umask"],
      ["int", "in_exec"],
      ["struct path", "root"],
      ["struct path", "pwd"],
    ],
  ],
  [
    "struct rq",
    [
      ["unsigned int", "__lock"],
      ["unsigned int", "nr_running"],
    ],
  ],
  [
    TASK_STRUCT,
    [
      ["int", "pid"],
      ["int", "tgid"],
      ["char[16]", "comm"],
      ["struct task_struct *", "parent"],
      ["struct task_struct *", "real_parent"],
      ["struct task_struct *", "group_leader"],
      ["struct fs_struct *", "fs"],
    ],
  ],
];

/** struct rq: the run queue of one CPU, as far as the model keeps one (raw_spinlock_t is 4 bytes). */
export const RQ_LAYOUT = { nr_running: 4, size: 8 } as const;

/**
 * The per-CPU variables percpu_kaddr() names: each CPU's copy lies at PERCPU_BASE plus the
 * CPU's stride (__per_cpu_offset) plus the variable's offset, and what a read there sees is
 * made on demand from the model's state (src/trace/percpu-image.ts).
 */
export const PERCPU_BASE = 2 ** 50;
export const PERCPU_STRIDE = 2 ** 20;
export const PERCPU_SYMBOLS: Readonly<Record<string, { offset: number; type: string }>> = {
  /** Processes forked on the CPU (copy_process counts one per new thread group). */
  process_counts: { offset: 0, type: "unsigned long" },
  runqueues: { offset: 0x100, type: "struct rq" },
};

const NOWHERE = { line: 1, col: 1, endLine: 1, endCol: 1 };

/** The script's struct definitions, plus each of the model's kernel structs the script does not define. */
export function withKernelStructs(defs: readonly StructDef[]): StructDef[] {
  const span = NOWHERE;
  const builtin: StructDef[] = KERNEL_STRUCTS.filter(([name]) => !defs.some((d) => d.name === name)).map(
    ([name, members]) => ({
      kind: "structDef",
      name,
      union: false,
      fields: members.map(([text, member]) => ({
        kind: "structField",
        name: member,
        type: { kind: "typeRef", text, span },
        span,
      })),
      span,
    }),
  );
  return [...defs, ...builtin];
}

/**
 * Where the model puts each task's task_struct: one 4 KiB slot per tid from 2^48, above every
 * user address (user space ends below 2^47), so a read of it never lands in process memory.
 * Real kernel addresses (0xffff8880...) do not fit a double exactly; these do.
 */
export const TASK_STRUCT_BASE = 2 ** 48;
const TASK_SLOT = 0x1000;

export function taskStructAddress(tid: number): number {
  return TASK_STRUCT_BASE + tid * TASK_SLOT;
}

/** The tid whose task_struct holds `addr`, and the offset into it; null below the base. */
export function taskStructAt(addr: number): { tid: number; offset: number } | null {
  if (addr < TASK_STRUCT_BASE) return null;
  const rel = addr - TASK_STRUCT_BASE;
  return { tid: Math.floor(rel / TASK_SLOT), offset: rel % TASK_SLOT };
}
