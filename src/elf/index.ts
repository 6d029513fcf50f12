/** Real ELF files: their function symbols, for workloads that mirror a binary on this machine. */
import { readFileSync, statSync } from "node:fs";
import { ElfError, type ElfInfo, readElf } from "./reader.js";

export { ElfError, type ElfInfo, type ElfSymbol, readElf } from "./reader.js";

/** Shared objects and executables this big exist (debug builds), but not much bigger. */
const MAX_FILE_SIZE = 1 << 30;

/** Reads and parses the ELF file at `path`; any problem is an ElfError naming the file. */
export function readElfFile(path: string): ElfInfo {
  let bytes: Uint8Array;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new ElfError(`${path}: is a directory, not an ELF file`);
    if (!st.isFile()) throw new ElfError(`${path}: not a regular file`);
    if (st.size > MAX_FILE_SIZE)
      throw new ElfError(`${path}: ${st.size} bytes is larger than probelab reads`);
    bytes = readFileSync(path);
  } catch (err) {
    if (err instanceof ElfError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (code ?? String(err));
    throw new ElfError(`cannot read ${path}: ${why}`);
  }
  return readElf(bytes, path);
}
