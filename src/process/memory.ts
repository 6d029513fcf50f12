/**
 * Simulated user memory of a process: a sparse byte store in 4 KiB pages. Only pages that
 * were written exist; reading a range that touches a page never written fails (returns
 * undefined), which is how a probe's read of a wild pointer fails. Which ranges are
 * *mapped* is the kernel's business (the mm's VMAs); this store only holds contents.
 */

import { PAGE_SIZE } from "../kernel/fs/inode.js";
import type { MemItemSpec, MemWidth } from "./schema.js";

export { PAGE_SIZE };

const PAGE_SHIFT = 12;

export class UserMemory {
  private readonly pages = new Map<number, Uint8Array>();

  /** Number of pages that hold data. */
  get pageCount(): number {
    return this.pages.size;
  }

  writeBytes(addr: number, bytes: Uint8Array): void {
    checkRange(addr, bytes.length);
    let done = 0;
    while (done < bytes.length) {
      const at = addr + done;
      const page = this.pageFor(at, true)!;
      const inPage = at % PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - inPage, bytes.length - done);
      page.set(bytes.subarray(done, done + n), inPage);
      done += n;
    }
  }

  /** Writes the string as UTF-8 followed by a NUL; returns the number of bytes written. */
  writeCString(addr: number, text: string): number {
    const bytes = encodeCString(text);
    this.writeBytes(addr, bytes);
    return bytes.length;
  }

  /** `len` bytes at `addr`, or undefined if any of them lies in a page never written. */
  readBytes(addr: number, len: number): Uint8Array | undefined {
    checkRange(addr, len);
    const out = new Uint8Array(len);
    let done = 0;
    while (done < len) {
      const at = addr + done;
      const page = this.pageFor(at, false);
      if (page === undefined) return undefined;
      const inPage = at % PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - inPage, len - done);
      out.set(page.subarray(inPage, inPage + n), done);
      done += n;
    }
    return out;
  }

  /**
   * The NUL-terminated string at `addr`, reading at most `max` bytes (like bpftrace's
   * `str()` with its size limit: no NUL within `max` bytes gives the first `max` bytes).
   * Undefined if the first byte is unreadable; a string running into an unwritten page
   * stops there.
   */
  readCString(addr: number, max: number): string | undefined {
    checkRange(addr, 0);
    const bytes: number[] = [];
    for (let i = 0; i < max; i++) {
      const page = this.pageFor(addr + i, false);
      if (page === undefined) {
        if (i === 0) return undefined;
        break;
      }
      const b = page[(addr + i) % PAGE_SIZE]!;
      if (b === 0) break;
      bytes.push(b);
    }
    return new TextDecoder().decode(Uint8Array.from(bytes));
  }

  /** An independent copy (a forked child's memory starts as its parent's). */
  clone(): UserMemory {
    const copy = new UserMemory();
    for (const [n, page] of this.pages) copy.pages.set(n, page.slice());
    return copy;
  }

  private pageFor(addr: number, create: boolean): Uint8Array | undefined {
    const n = Math.floor(addr / PAGE_SIZE);
    let page = this.pages.get(n);
    if (page === undefined && create) {
      page = new Uint8Array(PAGE_SIZE);
      this.pages.set(n, page);
    }
    return page;
  }
}

export function encodeCString(text: string): Uint8Array {
  const body = new TextEncoder().encode(text);
  const bytes = new Uint8Array(body.length + 1);
  bytes.set(body);
  return bytes;
}

/** Little-endian encoding of an integer in `width` bytes (two's complement for negatives). */
export function encodeLittleEndian(value: number, width: 1 | 2 | 4 | 8): Uint8Array {
  const out = new Uint8Array(width);
  let v = BigInt.asUintN(width * 8, BigInt(value));
  for (let i = 0; i < width; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function checkRange(addr: number, len: number): void {
  if (!Number.isSafeInteger(addr) || addr < 0 || !Number.isSafeInteger(len) || len < 0) {
    throw new RangeError(`bad user memory range ${addr}+${len}`);
  }
}

export { PAGE_SHIFT };

/** Lays out a `mem` block as C would lay out a struct of those fields (natural alignment). */
export function encodeMemBlock(c: { items: readonly MemItemSpec[]; width: MemWidth }): Uint8Array {
  const parts: { at: number; bytes: Uint8Array }[] = [];
  let size = 0;
  for (const item of c.items) {
    if (item.kind === "int") {
      size = Math.ceil(size / c.width) * c.width;
      parts.push({ at: size, bytes: encodeLittleEndian(item.value, c.width) });
      size += c.width;
    } else {
      const bytes = new Uint8Array(item.size);
      bytes.set(new TextEncoder().encode(item.value).subarray(0, item.size));
      parts.push({ at: size, bytes });
      size += item.size;
    }
  }
  const out = new Uint8Array(Math.ceil(size / c.width) * c.width);
  for (const p of parts) out.set(p.bytes, p.at);
  return out;
}
