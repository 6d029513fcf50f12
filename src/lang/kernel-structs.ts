/**
 * The kernel's `struct task_struct` as the model gives it to scripts: the members bpftrace's
 * tests and tools read through `curtask` (pid, tgid, comm, parent, real_parent,
 * group_leader), laid out by C's rules. The real struct is kilobytes of other members at other
 * offsets; a script that names only these cannot tell. A script that defines its own
 * `struct task_struct` uses that one instead (and reads whatever the model's image holds
 * there).
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
  size: 48,
} as const;

const MEMBERS: readonly [type: string, name: string][] = [
  ["int", "pid"],
  ["int", "tgid"],
  ["char[16]", "comm"],
  ["struct task_struct *", "parent"],
  ["struct task_struct *", "real_parent"],
  ["struct task_struct *", "group_leader"],
];

const NOWHERE = { line: 1, col: 1, endLine: 1, endCol: 1 };

/** The script's struct definitions, plus the model's task_struct unless the script has one. */
export function withKernelStructs(defs: readonly StructDef[]): StructDef[] {
  if (defs.some((d) => d.name === TASK_STRUCT)) return [...defs];
  const span = NOWHERE;
  const builtin: StructDef = {
    kind: "structDef",
    name: TASK_STRUCT,
    union: false,
    fields: MEMBERS.map(([text, name]) => ({
      kind: "structField",
      name,
      type: { kind: "typeRef", text, span },
      span,
    })),
    span,
  };
  return [...defs, builtin];
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
