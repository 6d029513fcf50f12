/**
 * /proc/pid/maps (fs/proc/task_mmu.c) and lock_next_vma (mm/mmap_lock.c).
 *
 * Output is produced one chunk at a time (a chunk = one page of output, what one read()
 * returns), so other CPUs can change the address space between chunks — and, in per-VMA
 * mode, between VMAs of a chunk.
 *
 * - "mmap-lock" (before 6.17): each chunk holds mmap_read_lock and walks the tree.
 * - "per-vma" (6.17): each chunk holds only RCU plus one VMA read lock at a time, taken by
 *   lock_next_vma with speculation, the "VMA behind from_addr" check and the false-gap
 *   re-walk, falling back to mmap_read_lock for one step or the rest of the chunk.
 *
 * Positions: after a VMA is emitted the position becomes its vm_end (not vm_start, so the
 * reader moves on even if that VMA merged with the next and they now share vm_start); a VMA
 * that did not fit into the chunk is looked up again from the previous position (last_pos).
 */

import type { Sub } from "../../sim/machine.js";
import { EAGAIN, type Eagain, PAGE_SIZE, VM_EXEC, VM_MAYSHARE, VM_READ, VM_WRITE } from "./constants.js";
import { mmput } from "./fork.js";
import type { MmStruct } from "./mm-struct.js";
import type { VmAreaStruct } from "./vma.js";
import type { VmaIterator } from "./vma-iterator.js";
import { vma_end_read, vma_start_read, vma_start_read_locked } from "./vma-lock.js";

/** x86-64's gate VMA, printed last. */
export const GATE_VMA_START = 0xffffffffff600000;
export const GATE_VMA_LINE = "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0  [vsyscall]\n";

const SENTINEL_VMA_END = -1;
const SENTINEL_VMA_GATE = -2;

export interface ProcMapsOptions {
  /** Default: the subsystem's design.mapsReader. */
  mode?: "mmap-lock" | "per-vma";
  /** Bytes per chunk (one read()); default one page. */
  chunkSize?: number;
  /** Print the [vsyscall] gate line at the end (default true). */
  gate?: boolean;
}

/** One /proc/pid/maps line for a VMA (fields read while it is locked). */
export function show_map_vma(vma: VmAreaStruct): string {
  const f = vma.vm_flags;
  const perms =
    (f & VM_READ ? "r" : "-") +
    (f & VM_WRITE ? "w" : "-") +
    (f & VM_EXEC ? "x" : "-") +
    (f & VM_MAYSHARE ? "s" : "p");
  const file = vma.vm_file;
  const pgoff = file !== null ? vma.vm_pgoff * PAGE_SIZE : 0;
  const ino = file !== null ? file.f_inode.i_ino : 0;
  const name = file !== null ? file.f_inode.path : vma.anon_name;
  const head = `${hex8(vma.vm_start)}-${hex8(vma.vm_end)} ${perms} ${hex8(pgoff)} 00:00 ${ino} `;
  return name !== "" ? `${head} ${name}\n` : `${head}\n`;
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, "0");
}

/** A range a maps line reported, parsed back (for checks and tests). */
export interface MapsRange {
  start: number;
  end: number;
  line: string;
}

export function parse_maps(text: string): MapsRange[] {
  const out: MapsRange[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const dash = line.indexOf("-");
    const space = line.indexOf(" ");
    out.push({
      start: Number.parseInt(line.slice(0, dash), 16),
      end: Number.parseInt(line.slice(dash + 1, space), 16),
      line,
    });
  }
  return out;
}

export class ProcMapsReaderStats {
  chunks = 0;
  /** Whole chunks switched to mmap_read_lock after EAGAIN. */
  chunkFallbacks = 0;
}

/**
 * A reader of one mm's /proc/pid/maps (struct proc_maps_private + the seq_file position).
 * `yield* reader.read_chunk()` returns the next page of output, or null at the end.
 */
export class ProcMapsReader {
  readonly mode: "mmap-lock" | "per-vma";
  readonly chunkSize: number;
  readonly gate: boolean;
  readonly stats = new ProcMapsReaderStats();
  /** seq_file position: an address, or a sentinel. */
  pos = 0;
  last_pos = 0;
  private readonly iter: VmaIterator;
  private mmap_locked = false;
  private locked_vma: VmAreaStruct | null = null;

  constructor(
    readonly mm: MmStruct,
    opts: ProcMapsOptions = {},
  ) {
    this.mode = opts.mode ?? mm.sys.design.mapsReader;
    this.chunkSize = opts.chunkSize ?? PAGE_SIZE;
    this.gate = opts.gate ?? true;
    this.iter = mm.vma_iter(0);
  }

  /** The whole file, chunk by chunk. */
  *read_all(): Sub<string> {
    let out = "";
    while (true) {
      const chunk = yield* this.read_chunk();
      if (chunk === null) return out;
      out += chunk;
    }
  }

  /** seq_read: one chunk of output, or null at the end of the file. */
  *read_chunk(): Sub<string | null> {
    const m = this.mm.m;
    if (this.pos === SENTINEL_VMA_END || (this.pos === SENTINEL_VMA_GATE && !this.gate)) return null;
    let v = yield* this.m_start();
    if (v === undefined) return null;
    let buf = "";
    while (v !== null) {
      const line = v === "gate" ? GATE_VMA_LINE : show_map_vma(v);
      if (buf.length > 0 && buf.length + line.length > this.chunkSize) break; // looked up again next time
      buf += line;
      v = yield* this.m_next();
      if (buf.length >= this.chunkSize) break;
    }
    yield* this.m_stop();
    this.stats.chunks++;
    if (m.labelsRead) m.label = `maps ${this.mm}: chunk of ${buf.length} bytes`;
    yield 0;
    return buf;
  }

  /** m_start: pin the mm, lock, and find the first VMA of this chunk (undefined: nothing to read). */
  private *m_start(): Sub<VmAreaStruct | "gate" | null | undefined> {
    const mm = this.mm;
    if (!mm.mmget_not_zero()) {
      this.pos = SENTINEL_VMA_END;
      return undefined;
    }
    if (this.mode === "per-vma") {
      mm.sys.rcu.readLock();
      this.mmap_locked = false;
      this.locked_vma = null;
    } else {
      yield* mm.mmap_read_lock();
      this.mmap_locked = true;
    }
    // The VMA fetched but not shown last time is looked up again from the previous position.
    if (this.pos > 0) this.pos = this.last_pos;
    if (this.pos === SENTINEL_VMA_GATE) return this.gate ? "gate" : null;
    this.iter.set(this.pos);
    return yield* this.proc_get_vma();
  }

  private *m_next(): Sub<VmAreaStruct | "gate" | null> {
    if (this.pos === SENTINEL_VMA_GATE) {
      this.pos = SENTINEL_VMA_END;
      return null;
    }
    return yield* this.proc_get_vma();
  }

  private *m_stop(): Sub<void> {
    const mm = this.mm;
    if (this.mmap_locked) {
      mm.mmap_read_unlock();
      this.mmap_locked = false;
    } else {
      if (this.locked_vma !== null) {
        const v = this.locked_vma;
        this.locked_vma = null;
        yield* vma_end_read(v);
      }
      mm.sys.rcu.readUnlock();
    }
    yield* mmput(mm);
  }

  private *proc_get_vma(): Sub<VmAreaStruct | "gate" | null> {
    let vma = yield* this.get_next_vma(this.pos);
    while (vma === EAGAIN) {
      yield* this.fallback_to_mmap_lock(this.pos);
      vma = yield* this.get_next_vma(this.pos);
    }
    this.last_pos = this.pos;
    if (vma !== null) {
      vma.line.read(this.mm.m);
      this.pos = vma.vm_end;
      return vma;
    }
    this.pos = SENTINEL_VMA_GATE;
    return this.gate ? "gate" : null;
  }

  private *get_next_vma(from: number): Sub<VmAreaStruct | null | Eagain> {
    if (this.mmap_locked) {
      const v = this.iter.next();
      if (this.mm.m.labelsRead) this.mm.m.label = `maps ${this.mm}: vma_next -> ${v ?? "none"}`;
      yield 0;
      return v;
    }
    if (this.locked_vma !== null) {
      const v = this.locked_vma;
      this.locked_vma = null;
      yield* vma_end_read(v);
    }
    const vma = yield* lock_next_vma(this.mm, this.iter, from);
    if (vma !== null && vma !== EAGAIN) this.locked_vma = vma;
    return vma;
  }

  /** Switch the rest of this chunk to mmap_read_lock. */
  private *fallback_to_mmap_lock(pos: number): Sub<void> {
    const mm = this.mm;
    if (this.mmap_locked) mm.m.fail("maps: EAGAIN while mmap-locked");
    mm.sys.rcu.readUnlock();
    yield* mm.mmap_read_lock();
    this.iter.set(pos);
    this.mmap_locked = true;
    this.stats.chunkFallbacks++;
    mm.sys.stats.maps_chunk_fallbacks++;
  }
}

/**
 * lock_next_vma(mm, iter, from_addr): called and returns inside rcu_read_lock. Returns the
 * next VMA at or after from_addr, read-locked; null at the end; EAGAIN when even the
 * mmap_lock fallback could not take a reference (overflow).
 */
export function* lock_next_vma(
  mm: MmStruct,
  iter: VmaIterator,
  from_addr: number,
): Sub<VmAreaStruct | null | Eagain> {
  const m = mm.m;
  const sys = mm.sys;
  while (true) {
    // 1. Start speculation in case the VMA has to be verified later.
    const seq = mm.mmap_lock_speculate_try_begin();
    const mmap_unlocked = seq >= 0;
    if (m.labelsRead)
      m.label = `lock_next_vma ${from_addr.toString(16)}: speculate ${mmap_unlocked ? seq : "failed"}`;
    yield 0;
    // 2. Find the next VMA.
    const found = iter.next();
    if (m.labelsRead) m.label = `lock_next_vma ${from_addr.toString(16)}: vma_next -> ${found ?? "none"}`;
    yield 0;
    if (found === null) return null;
    // 3. Lock it.
    const vma = yield* vma_start_read(mm, found);
    if (vma === EAGAIN) {
      sys.rcu.readLock(); // detached under us: search again from the last position
      iter.set(from_addr);
      continue;
    }
    if (vma === null) return yield* lock_next_vma_fallback(mm, iter, from_addr, null);
    // 4. Not behind the last position (it shrank after we found it)?
    vma.line.read(m);
    if (from_addr >= vma.vm_end) return yield* lock_next_vma_fallback(mm, iter, from_addr, vma);
    // 5. It starts after from_addr: make sure no VMA was installed in between since we looked.
    if (from_addr < vma.vm_start && !sys.faults.skipGapRecheck) {
      if (!mmap_unlocked || mm.mmap_lock_speculate_retry(seq)) {
        sys.stats.maps_gap_rechecks++;
        iter.set(from_addr);
        const again = iter.next();
        if (m.labelsRead)
          m.label = `lock_next_vma ${from_addr.toString(16)}: gap re-walk -> ${again ?? "none"}`;
        yield 0;
        if (again !== vma) return yield* lock_next_vma_fallback(mm, iter, from_addr, vma);
      }
    }
    // 6. Locked and in order.
    if (m.labelsRead) m.label = `lock_next_vma ${from_addr.toString(16)}: locked ${vma}`;
    yield 0;
    return vma;
  }
}

/** The fallback: leave RCU, find the VMA under mmap_read_lock, take its lock there. */
function* lock_next_vma_fallback(
  mm: MmStruct,
  iter: VmaIterator,
  from_addr: number,
  held: VmAreaStruct | null,
): Sub<VmAreaStruct | null | Eagain> {
  const sys = mm.sys;
  sys.stats.maps_fallbacks++;
  if (held !== null) {
    // fallback_unlock (when vma_start_read failed it has already left RCU)
    sys.rcu.readUnlock();
    yield* vma_end_read(held);
  }
  yield* mm.mmap_read_lock();
  if (!sys.faults.mapsFallbackSkipIterReset) iter.set(from_addr); // search again from the last address
  let vma: VmAreaStruct | null | Eagain = iter.next();
  if (vma !== null && !vma_start_read_locked(vma)) vma = EAGAIN;
  mm.mmap_read_unlock();
  if (mm.m.labelsRead)
    mm.m.label = `lock_next_vma_under_mmap_lock ${from_addr.toString(16)} -> ${vma ?? "none"}`;
  yield 0;
  sys.rcu.readLock();
  iter.set(vma === null || vma === EAGAIN ? from_addr : vma.vm_end);
  return vma;
}
