/**
 * USDT semaphores (uprobes with a ref_ctr_offset, since 4.20's "uprobes: Support SDT markers
 * having reference count (semaphore)"): a 16-bit counter in the probed file's private,
 * writable data mapping that the kernel bumps once per mm while the breakpoint is in place,
 * so the program can skip computing a probe's arguments when nothing listens. When the
 * breakpoint goes in before the data page is mapped, the bump waits on delayed_uprobe_list
 * until uprobe_mmap maps the page (delayed_ref_ctr_inc).
 *
 * Every delayed_uprobe_lock section here is one atomic step (nothing in it yields), which is
 * the mutual exclusion the mutex gives.
 */
import { type MmStruct, offset_to_vaddr, VM_SHARED, VM_WRITE, type VmAreaStruct } from "./mm-api.js";
import type { UprobesState } from "./state.js";
import type { Uprobe } from "./types.js";

/** struct delayed_uprobe: a counter bump owed to `mm` once its data page is mapped. */
export interface DelayedUprobe {
  readonly uprobe: Uprobe;
  readonly mm: MmStruct;
}

/** valid_ref_ctr_vma: a private writable mapping of the uprobe's file covering its counter. */
export function valid_ref_ctr_vma(uprobe: Uprobe, vma: VmAreaStruct): boolean {
  if (vma.vm_file === null || vma.vm_file.f_inode !== uprobe.inode) return false;
  if ((vma.vm_flags & (VM_WRITE | VM_SHARED)) !== VM_WRITE) return false;
  const vaddr = offset_to_vaddr(vma, uprobe.ref_ctr_offset);
  return vma.vm_start <= vaddr && vaddr < vma.vm_end;
}

function find_ref_ctr_vma(uprobe: Uprobe, mm: MmStruct): VmAreaStruct | null {
  for (const vma of mm.vmas()) if (valid_ref_ctr_vma(uprobe, vma)) return vma;
  return null;
}

/** __update_ref_ctr: add `d` to the counter at `vaddr`; refuses to go negative (-EINVAL). */
function __update_ref_ctr(u: UprobesState, mm: MmStruct, vaddr: number, d: number): number {
  const now = mm.ref_ctrs.get(vaddr) ?? 0;
  if (now + d < 0) {
    // The kernel only warns ("ref_ctr going negative"); for the model it is a lost bump.
    u.m.fail(`R28: ref_ctr at 0x${vaddr.toString(16)} in ${mm} going negative (${now} ${d})`);
    return -22;
  }
  mm.ref_ctrs.set(vaddr, now + d);
  return 0;
}

/** update_ref_ctr: bump the counter now, or owe the bump (d > 0) / forget the debt (d < 0). */
export function update_ref_ctr(u: UprobesState, uprobe: Uprobe, mm: MmStruct, d: number): number {
  const vma = find_ref_ctr_vma(uprobe, mm);
  if (vma !== null) {
    const r = __update_ref_ctr(u, mm, offset_to_vaddr(vma, uprobe.ref_ctr_offset), d);
    if (d > 0) return r;
  }
  if (d > 0) delayed_uprobe_add(u, uprobe, mm);
  else delayed_uprobe_remove(u, uprobe, mm);
  return 0;
}

function delayed_uprobe_add(u: UprobesState, uprobe: Uprobe, mm: MmStruct): void {
  const list = u.delayed_uprobe_list;
  for (const du of list) if (du.uprobe === uprobe && du.mm === mm) return; // delayed_uprobe_check
  list.push({ uprobe, mm });
}

/** delayed_uprobe_remove: drop the entries of `uprobe` (any if null) in `mm` (any if null). */
export function delayed_uprobe_remove(u: UprobesState, uprobe: Uprobe | null, mm: MmStruct | null): void {
  const list = u.delayed_uprobe_list;
  if (list.length === 0) return;
  let kept = 0;
  for (const du of list) {
    if ((uprobe === null || du.uprobe === uprobe) && (mm === null || du.mm === mm)) continue;
    list[kept++] = du;
  }
  list.length = kept;
}

/** delayed_ref_ctr_inc (uprobe_mmap): pay the bumps owed to the newly mapped data page. */
export function delayed_ref_ctr_inc(u: UprobesState, vma: VmAreaStruct): void {
  const list = u.delayed_uprobe_list;
  if (list.length === 0) return;
  let kept = 0;
  for (const du of list) {
    if (du.mm !== vma.vm_mm || !valid_ref_ctr_vma(du.uprobe, vma)) {
      list[kept++] = du;
      continue;
    }
    __update_ref_ctr(u, du.mm, offset_to_vaddr(vma, du.uprobe.ref_ctr_offset), 1);
  }
  list.length = kept;
}
