/**
 * Binaries as the kernel model sees them (an inode with a symbol table) and where the
 * process maps them. Functions are laid out in the order written, after a 0x1000-byte
 * header, each 16-byte aligned; a binary's text is mapped r-x with file offset 0 at its load
 * address (vm_pgoff 0), the executable near 0x400000 and libraries near 0x7f0000000000.
 *
 * Address and offset convert through a mapping exactly as the kernel does:
 *   offset = pgoff * PAGE_SIZE + (addr - vm_start);   addr = vm_start + offset - pgoff * PAGE_SIZE.
 */
import { posix } from "node:path";
import { ElfError, type ElfInfo, readElfFile } from "../elf/index.js";
import { didYouMean, errorAt } from "./errors.js";
import { globMatch, hasWildcard } from "./glob.js";
import { PAGE_SIZE } from "./memory.js";
import { findMirror, mirrorNames } from "./mirrors.js";
import {
  type BinarySpec,
  type FirstInsn,
  MAX_FUNCTION_SIZE,
  PROT_EXEC,
  PROT_READ,
  PROT_WRITE,
  type UsdtArgSpec,
  type WorkloadSpec,
} from "./schema.js";

export { PAGE_SIZE };

export const ELF_HEADER_SIZE = 0x1000;
export const SYMBOL_ALIGN = 16;
export const EXE_BASE = 0x400000;
export const LIB_BASE = 0x7f0000000000;
/** Each library gets its own 1 MiB-aligned slot, so growing one never moves the next. */
export const LIB_SLOT_ALIGN = 0x100000;
/** The heap starts at the next 2 MiB boundary after the executable, as classic layouts do. */
export const HEAP_ALIGN = 0x200000;
export const STACK_END = 0x7ffffffff000;
export const STACK_SIZE = 0x21000;
/** First inode number handed out; binaries get consecutive numbers in file order. */
export const FIRST_INO = 131073;

export interface BinarySymbol {
  name: string;
  /** File offset of the first instruction. */
  offset: number;
  /** The address the file's own symbol table gives (`uprobe:BIN:0xADDR` names these); for
   * binaries written in a workload it equals the offset, as in a shared object. */
  vaddr: number;
  size: number;
  firstInsn: FirstInsn;
}

export interface Binary {
  /** Position in `Workload.binaries`; ops refer to binaries by this number. */
  index: number;
  path: string;
  basename: string;
  ino: number;
  /** File size in bytes (page-aligned). */
  size: number;
  /** In file order, so also sorted by offset. */
  symbols: BinarySymbol[];
  /** Global variables, after the functions; their bytes are in memory once the binary is mapped. */
  data: BinaryData[];
  /** USDT sites, in the order the workload lists them. */
  usdt: UsdtNote[];
  /**
   * File offset where the private writable data segment starts (page-aligned), or `size`
   * when the binary has none: only a binary with USDT semaphores gets one, since the kernel
   * bumps a semaphore only in such a mapping (valid_ref_ctr_vma).
   */
  dataSegment: number;
}

/** A USDT site as its note gives it: where the nop is, its operands, its semaphore. */
export interface UsdtNote {
  provider: string;
  name: string;
  /** The function the site is in. */
  symbol: BinarySymbol;
  /** File offset of the site's nop: where a usdt probe's breakpoint goes. */
  offset: number;
  args: UsdtArgSpec[];
  /** File offset of the 2-byte semaphore (its ref_ctr_offset), or -1 without one. */
  semaphore: number;
}

/** Bytes from a function's entry to its first USDT site, and between two sites in it. */
const USDT_SITE_START = 8;
const USDT_SITE_STRIDE = 4;

export interface BinaryData {
  name: string;
  offset: number;
  size: number;
  value: number;
}

export interface Mapping {
  /** Index into `Workload.binaries`, or -1 for an anonymous mapping. */
  binary: number;
  /** The name /proc/pid/maps shows: the binary's path, `[heap]`, `[stack]`, or "" (anonymous). */
  name: string;
  start: number;
  end: number;
  /** File offset of `start`, in pages (vm_pgoff). */
  pgoff: number;
  /** PROT_* bits. */
  prot: number;
}

export function alignUp(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}

/** Paths in the file are absolute, or relative to the process cwd. */
export function absolutePath(path: string, cwd: string): string {
  return posix.resolve(cwd, path);
}

export function layoutBinaries(spec: WorkloadSpec): Binary[] {
  const seen = new Map<string, number>();
  return spec.binaries.map((b, index) => {
    const path = absolutePath(b.path, spec.process.cwd);
    if (seen.has(path)) throw errorAt(b.at, `binary "${path}" is listed twice`);
    seen.set(path, index);
    const { symbols, fileSize } = binarySymbols(b);
    const textEnd = Math.max(
      symbols.reduce((n, s) => Math.max(n, s.offset + s.size), fileSize),
      ELF_HEADER_SIZE,
    );
    const semaphores = b.usdt.filter((u) => u.semaphore);
    // Semaphores live in their own page-aligned writable segment, after the other globals.
    const dataSegment = semaphores.length > 0 ? alignUp(textEnd, PAGE_SIZE) : -1;
    const data = layoutData(b.data, textEnd);
    const semaphoreData = layoutData(
      semaphores.map((u) => ({ name: `${u.provider}_${u.name}_semaphore`, size: 2, value: 0 })),
      dataSegment,
    );
    data.push(...semaphoreData);
    const end = data.reduce((n, d) => Math.max(n, d.offset + d.size), textEnd);
    const size = alignUp(Math.max(end, ELF_HEADER_SIZE + 1), PAGE_SIZE);
    const usdt = usdtNotes(b, symbols, semaphoreData);
    const basename = posix.basename(path);
    return {
      index,
      path,
      basename,
      ino: FIRST_INO + index,
      size,
      symbols,
      data,
      usdt,
      dataSegment: dataSegment < 0 ? size : dataSegment,
    };
  });
}

/** Global variables in the order given, each aligned to its size, from `start` on. */
function layoutData(
  globals: readonly { name: string; size: number; value: number }[],
  start: number,
): BinaryData[] {
  let cursor = start;
  return globals.map((d) => {
    const offset = alignUp(cursor, d.size);
    cursor = offset + d.size;
    return { name: d.name, offset, size: d.size, value: d.value };
  });
}

/**
 * Each site sits a few bytes into its function, the next one further on, as the compiler
 * places the USDT macros' nops in the function's code; a semaphore is the 2-byte global
 * laid out for it.
 */
function usdtNotes(b: BinarySpec, symbols: BinarySymbol[], semaphores: BinaryData[]): UsdtNote[] {
  const sitesIn = new Map<string, number>();
  let nextSemaphore = 0;
  return b.usdt.map((u) => {
    const symbol = symbols.find((s) => s.name === u.fn);
    if (symbol === undefined) {
      throw errorAt(
        u.at,
        `USDT site ${u.provider}:${u.name} is in unknown function "${u.fn}"${didYouMean(
          u.fn,
          symbols.map((s) => s.name),
        )}`,
      );
    }
    const index = sitesIn.get(u.fn) ?? 0;
    sitesIn.set(u.fn, index + 1);
    const at = USDT_SITE_START + index * USDT_SITE_STRIDE;
    if (at >= symbol.size) {
      throw errorAt(
        u.at,
        `function "${u.fn}" (size ${symbol.size}) is too small for ${index + 1} USDT sites`,
      );
    }
    const semaphore = u.semaphore ? semaphores[nextSemaphore++]!.offset : -1;
    return {
      provider: u.provider,
      name: u.name,
      symbol,
      offset: symbol.offset + at,
      args: u.args,
      semaphore,
    };
  });
}

/** A global variable's bytes as the binary's file holds them (little-endian). */
export function dataBytes(d: BinaryData): Uint8Array {
  const bytes = new Uint8Array(d.size);
  let v = BigInt.asUintN(d.size * 8, BigInt(d.value));
  for (let i = 0; i < d.size; i++) {
    bytes[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return bytes;
}

/**
 * The functions written in the file (laid out in order after the header unless they give an
 * `offset`), then those of the mirror or ELF file the binary is `like`, sorted by offset.
 */
function binarySymbols(b: BinarySpec): { symbols: BinarySymbol[]; fileSize: number } {
  let cursor = ELF_HEADER_SIZE;
  const symbols: BinarySymbol[] = b.functions.map((fn) => {
    const offset = fn.offset ?? alignUp(cursor, SYMBOL_ALIGN);
    cursor = offset + fn.size;
    return { name: fn.name, offset, vaddr: fn.addr ?? offset, size: fn.size, firstInsn: fn.firstInsn };
  });
  const source = b.like !== undefined ? mirrorSymbols(b) : b.elf !== undefined ? elfSymbols(b) : undefined;
  if (source === undefined) return { symbols, fileSize: 0 };
  const listed = new Set(symbols.map((s) => s.name));
  for (const s of source.symbols) {
    if (!listed.has(s.name)) symbols.push(s);
  }
  symbols.sort((x, y) => x.offset - y.offset);
  return { symbols, fileSize: source.fileSize };
}

function mirrorSymbols(b: BinarySpec): { symbols: BinarySymbol[]; fileSize: number } {
  const mirror = findMirror(b.like!);
  if (mirror === undefined) {
    const names = mirrorNames();
    throw errorAt(
      b.at,
      `no mirror named "${b.like}"${didYouMean(b.like!, names)}; mirrors: ${names.join(", ")}`,
    );
  }
  let cursor = ELF_HEADER_SIZE;
  const symbols = mirror.functions.map(([name, at, size, insn]) => {
    const offset = at > 0 ? at : alignUp(cursor, SYMBOL_ALIGN);
    cursor = offset + size;
    return { name, offset, vaddr: offset, size, firstInsn: insn ?? "nop" };
  });
  return { symbols, fileSize: mirror.fileSize };
}

function elfSymbols(b: BinarySpec): { symbols: BinarySymbol[]; fileSize: number } {
  let info: ElfInfo;
  try {
    info = readElfFile(b.elf!);
  } catch (err) {
    if (err instanceof ElfError) throw errorAt(b.at, err.message);
    throw err;
  }
  const symbols = info.functions.map((f) => ({
    name: f.name,
    offset: f.offset,
    vaddr: f.vaddr,
    size: Math.min(Math.max(f.size, 1), MAX_FUNCTION_SIZE),
    firstInsn: "nop" as FirstInsn,
  }));
  return { symbols, fileSize: info.fileSize };
}

/** The r-x text mapping of a binary loaded at `start` (all of it, without a data segment). */
export function textMapping(binary: Binary, start: number): Mapping {
  return {
    binary: binary.index,
    name: binary.path,
    start,
    end: start + binary.dataSegment,
    pgoff: 0,
    prot: PROT_READ | PROT_EXEC,
  };
}

/** What mapping a binary at `start` makes: its text, then its private writable data segment if any. */
export function binaryMappings(binary: Binary, start: number): Mapping[] {
  const text = textMapping(binary, start);
  if (binary.dataSegment === binary.size) return [text];
  const data: Mapping = {
    binary: binary.index,
    name: binary.path,
    start: start + binary.dataSegment,
    end: start + binary.size,
    pgoff: binary.dataSegment / PAGE_SIZE,
    prot: PROT_READ | PROT_WRITE,
  };
  return [text, data];
}

/**
 * Load addresses: the executable at EXE_BASE; libraries (those in `libs` first, then those
 * only ever dlopen'ed, in file order) in consecutive slots from LIB_BASE. A dlopen maps a
 * library at its slot, so every run places it at the same address.
 */
export function placeBinaries(binaries: Binary[], exe: number, libs: number[]): number[] {
  const start = binaries.map(() => -1);
  start[exe] = EXE_BASE;
  let next = LIB_BASE;
  const order = [...libs, ...binaries.map((b) => b.index).filter((i) => i !== exe && !libs.includes(i))];
  for (const i of order) {
    start[i] = next;
    next = alignUp(next + binaries[i]!.size, LIB_SLOT_ALIGN);
  }
  return start;
}

export function heapMapping(exeMapping: Mapping, bytes: number): Mapping {
  const start = alignUp(exeMapping.end, HEAP_ALIGN);
  const end = start + alignUp(Math.max(bytes, 1), PAGE_SIZE);
  return { binary: -1, name: "[heap]", start, end, pgoff: 0, prot: PROT_READ | PROT_WRITE };
}

export function stackMapping(): Mapping {
  const start = STACK_END - STACK_SIZE;
  return { binary: -1, name: "[stack]", start, end: STACK_END, pgoff: 0, prot: PROT_READ | PROT_WRITE };
}

// ---- address <-> offset ----

export function addressToOffset(m: Mapping, addr: number): number {
  return m.pgoff * PAGE_SIZE + (addr - m.start);
}

export function offsetToAddress(m: Mapping, offset: number): number {
  return m.start + offset - m.pgoff * PAGE_SIZE;
}

/** Does this file mapping cover `offset` of its file? */
export function mappingCoversOffset(m: Mapping, offset: number): boolean {
  const first = m.pgoff * PAGE_SIZE;
  return offset >= first && offset < first + (m.end - m.start);
}

// ---- symbols ----

const byNameCache = new WeakMap<Binary, Map<string, BinarySymbol>>();

export function findSymbol(binary: Binary, name: string): BinarySymbol | undefined {
  let byName = byNameCache.get(binary);
  if (!byName) {
    byName = new Map(binary.symbols.map((s) => [s.name, s]));
    byNameCache.set(binary, byName);
  }
  return byName.get(name);
}

/** The symbol whose [vaddr, vaddr+size) contains a virtual address of the file's own layout. */
export function symbolAtVaddr(binary: Binary, vaddr: number): BinarySymbol | undefined {
  return binary.symbols.find((s) => vaddr >= s.vaddr && vaddr < s.vaddr + s.size);
}

/** The symbol whose [offset, offset+size) contains the file offset (binary search). */
export function symbolAtOffset(binary: Binary, offset: number): BinarySymbol | undefined {
  const syms = binary.symbols;
  let lo = 0;
  let hi = syms.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = syms[mid]!;
    if (offset < s.offset) hi = mid - 1;
    else if (offset >= s.offset + s.size) lo = mid + 1;
    else return s;
  }
  return undefined;
}

export interface AddressInfo {
  mapping: Mapping;
  binary: Binary;
  /** File offset of the address. */
  offset: number;
  symbol: BinarySymbol | undefined;
}

/** What is at a virtual address, given the mappings of a process at some moment. */
export function lookupAddress(
  binaries: Binary[],
  mappings: readonly Mapping[],
  addr: number,
): AddressInfo | undefined {
  for (const m of mappings) {
    if (addr < m.start || addr >= m.end || m.binary < 0) continue;
    const binary = binaries[m.binary]!;
    const offset = addressToOffset(m, addr);
    return { mapping: m, binary, offset, symbol: symbolAtOffset(binary, offset) };
  }
  return undefined;
}

export function matchSymbols(binary: Binary, pattern: string): BinarySymbol[] {
  if (!hasWildcard(pattern)) {
    const s = findSymbol(binary, pattern);
    return s ? [s] : [];
  }
  return binary.symbols.filter((s) => globMatch(pattern, s.name));
}

// ---- probe targets (uprobe:TARGET:FUNC) ----

/**
 * The binaries a probe's TARGET names, the way bpftrace resolves them:
 * - an absolute path, or a path with a `/` (`./testprogs/x`, `testprogs/x`) resolved against cwd;
 * - a bare library name starting with `lib` (`libc`, `libssl`) → the library whose file name is
 *   NAME.so or NAME.so.VERSION; a versioned soname (`libc.so.6`) matches that file name;
 * - any other bare name → a binary with that file name (`shopd`);
 * - with `*`, `?` or `[..]`: every binary whose path matches (a bare pattern matches file names).
 * Libraries that are only dlopen'ed later are files on disk too, so they resolve (the uprobe
 * is installed when the library gets mapped).
 */
export function resolveTarget(binaries: readonly Binary[], cwd: string, target: string): Binary[] {
  const hasSlash = target.includes("/");
  if (hasWildcard(target)) {
    if (hasSlash) {
      const pattern = target.startsWith("/") ? target : absolutePath(target, cwd);
      return binaries.filter((b) => globMatch(pattern, b.path));
    }
    return binaries.filter((b) => globMatch(target, b.basename));
  }
  if (hasSlash) {
    const path = absolutePath(target, cwd);
    return binaries.filter((b) => b.path === path);
  }
  const exact = binaries.filter((b) => b.basename === target);
  if (exact.length > 0 || !target.startsWith("lib")) return exact;
  return binaries.filter((b) => b.basename === `${target}.so` || b.basename.startsWith(`${target}.so.`));
}

/**
 * How bpftrace names a binary a uprobe target matched (in `probe`, in `-l`): a path written
 * without a wildcard stays as written; a relative glob names the match relative to the cwd,
 * as glob(3) returns it (`./testprogs/uprobe*` gives `./testprogs/uprobe_test`); a bare name
 * (looked up like a command or a library) and an absolute glob give the file's path.
 */
export function shownTarget(target: string, binary: Binary, cwd: string): string {
  if (!target.includes("/")) return binary.path;
  if (!hasWildcard(target)) return target;
  if (target.startsWith("/")) return binary.path;
  const base = cwd.endsWith("/") ? cwd : `${cwd}/`;
  if (!binary.path.startsWith(base)) return binary.path;
  const rel = binary.path.slice(base.length);
  return target.startsWith("./") ? `./${rel}` : rel;
}

/** Every (binary, function) pair, for `probelab list`. */
export function listSymbols(binaries: readonly Binary[]): { binary: Binary; symbol: BinarySymbol }[] {
  return binaries.flatMap((binary) => binary.symbols.map((symbol) => ({ binary, symbol })));
}
