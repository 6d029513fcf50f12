/**
 * Kernel memory the model lays some objects out in byte by byte (the fs model's dentries,
 * mounts and fs_structs), so a probe that follows their pointers reads real bytes of model
 * memory. It starts at 2^49, above the task_struct slots (2^48 + 4 KiB per tid) and every
 * user address, and fits a double exactly.
 */
export const KMEM_BASE = 2 ** 49;

export class KernelMemory {
  private bytes = new Uint8Array(16 * 1024);
  private view = new DataView(this.bytes.buffer);
  /** Bytes handed out so far. */
  private top = 0;

  /** kmalloc: `size` zeroed bytes, 8-byte aligned. */
  kmalloc(size: number): number {
    const at = this.top;
    this.top = (at + size + 7) & ~7;
    if (this.top > this.bytes.length) this.grow(this.top);
    return KMEM_BASE + at;
  }

  /** `len` bytes at `addr` (a copy), or null if any of them lies outside what was allocated. */
  read(addr: number, len: number): Uint8Array | null {
    const at = addr - KMEM_BASE;
    if (at < 0 || at + len > this.top) return null;
    return this.bytes.slice(at, at + len);
  }

  /** Up to `max` bytes at `addr`, cut at the end of what was allocated (a string read); null outside it. */
  readUpTo(addr: number, max: number): Uint8Array | null {
    const at = addr - KMEM_BASE;
    if (at < 0 || at >= this.top) return null;
    return this.bytes.slice(at, Math.min(at + max, this.top));
  }

  writeU32(addr: number, v: number): void {
    this.view.setUint32(addr - KMEM_BASE, v, true);
  }

  writeU64(addr: number, v: number): void {
    this.view.setBigUint64(addr - KMEM_BASE, BigInt(v), true);
  }

  writeBytes(addr: number, b: Uint8Array): void {
    this.bytes.set(b, addr - KMEM_BASE);
  }

  /** Copies `len` bytes from `from` to `to` (a struct assignment). */
  copy(to: number, from: number, len: number): void {
    this.bytes.copyWithin(to - KMEM_BASE, from - KMEM_BASE, from - KMEM_BASE + len);
  }

  private grow(min: number): void {
    let size = this.bytes.length;
    while (size < min) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.bytes);
    this.bytes = bigger;
    this.view = new DataView(bigger.buffer);
  }
}
