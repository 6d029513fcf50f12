/**
 * Reading user input with a ceiling. A script, a workload file or stdin may be `/dev/zero`, a
 * FIFO that never ends or a file of gigabytes; reading it whole first would exhaust memory
 * before any check could refuse it. These read in chunks and stop one byte past the limit.
 */
import { closeSync, openSync, readSync } from "node:fs";

/** Scripts: a 1 MB script of 80,000 statements still loads in seconds. */
export const MAX_SCRIPT_BYTES = 4 * 1024 * 1024;
/** Workload files: the 200,000-value cap of the loader is reached well below this. */
export const MAX_WORKLOAD_BYTES = 8 * 1024 * 1024;

const CHUNK = 64 * 1024;

/**
 * The UTF-8 text of `file` (a path, or an open descriptor such as 0 for stdin), or null when it
 * holds more than `maxBytes`. Open and read errors are thrown as Node raises them.
 */
export function readTextBounded(file: string | number, maxBytes: number): string | null {
  const fd = typeof file === "number" ? file : openSync(file, "r");
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    while (total <= maxBytes) {
      const chunk = Buffer.allocUnsafe(Math.min(CHUNK, maxBytes + 1 - total));
      const n = readChunk(fd, chunk);
      if (n === 0) break;
      chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
      total += n;
    }
    return total > maxBytes ? null : Buffer.concat(chunks, total).toString("utf8");
  } finally {
    if (typeof file !== "number") closeSync(fd);
  }
}

/** One read; a non-blocking descriptor (a terminal as stdin) that has nothing yet is waited for. */
function readChunk(fd: number, chunk: Buffer): number {
  for (;;) {
    try {
      return readSync(fd, chunk, 0, chunk.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EOF") return 0;
      if (code !== "EAGAIN") throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
}

/** "4 MiB": a limit as the messages show it. */
export function formatLimit(bytes: number): string {
  return `${bytes / (1024 * 1024)} MiB`;
}
