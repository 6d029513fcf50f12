/**
 * A small reader of ELF files: just enough to list a binary's functions the way bpftrace's
 * symbol resolution sees them. It reads the section headers, the `.symtab` and `.dynsym`
 * symbol tables with their string tables, and the PT_LOAD program headers that turn a
 * symbol's virtual address into the file offset a uprobe is placed at.
 *
 * Every field read from the file is bounds-checked before use: a truncated or hostile file
 * gives an ElfError saying what is wrong and where, never an exception from a typed array.
 */

export class ElfError extends Error {
  override name = "ElfError";
}

/** One function symbol. */
export interface ElfSymbol {
  name: string;
  /** st_value: the virtual address in the file's own layout (what `uprobe:BIN:0xADDR` names). */
  vaddr: number;
  /** Where the first instruction is in the file (what the kernel's uprobe offset is). */
  offset: number;
  size: number;
  /** STT_GNU_IFUNC symbols (memcpy, strlen) name their resolver, as in bpftrace. */
  ifunc: boolean;
  /** Which table it came from; a name in both is kept once, from .symtab. */
  table: "symtab" | "dynsym";
}

export interface ElfInfo {
  /** ET_EXEC, ET_DYN, ... as a word. */
  type: string;
  /** True if there is a PT_INTERP program header (an executable, PIE or not). */
  interp: boolean;
  /** No .symtab: only the dynamic symbols remain (a stripped binary). */
  stripped: boolean;
  /** The separate debug file a `.gnu_debuglink` section names, if any. */
  debuglink: string | undefined;
  /** Defined STT_FUNC and STT_GNU_IFUNC symbols, sorted by offset then name. */
  functions: ElfSymbol[];
  fileSize: number;
}

const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;
const EM_NAMES = new Map<number, string>([
  [3, "x86 (32-bit)"],
  [40, "ARM"],
  [62, "x86-64"],
  [183, "AArch64"],
  [243, "RISC-V"],
]);
const ET_NAMES = ["ET_NONE", "ET_REL", "ET_EXEC", "ET_DYN", "ET_CORE"];
const SHT_SYMTAB = 2;
const SHT_DYNSYM = 11;
const SHT_GNU_VERSYM = 0x6fffffff;
/** In a .gnu.version entry: the symbol is a non-default version (`memcpy@GLIBC_2.2.5`). */
const VERSYM_HIDDEN = 0x8000;
const SHN_UNDEF = 0;
const SHN_LORESERVE = 0xff00;
const SHN_XINDEX = 0xffff;
const STT_FUNC = 2;
const STT_GNU_IFUNC = 10;
const PT_LOAD = 1;
const PT_INTERP = 3;
const EHDR_SIZE = 64;
const SHDR_SIZE = 64;
const PHDR_SIZE = 56;
const SYM_SIZE = 24;
/** Far more than any real file has; a header claiming more is damaged. */
const MAX_SECTIONS = 1 << 16;
const MAX_SEGMENTS = 1 << 12;
const MAX_SYMBOLS = 1 << 22;

interface Section {
  name: number;
  type: number;
  offset: number;
  size: number;
  link: number;
  entsize: number;
}

interface Segment {
  vaddr: number;
  offset: number;
  filesz: number;
}

/** Reads the function symbols of the ELF image in `bytes`; `what` names it in errors. */
export function readElf(bytes: Uint8Array, what: string): ElfInfo {
  const r = new Reader(bytes, what);
  if (bytes.length < 16 || r.u32(0) !== 0x464c457f) {
    throw new ElfError(`${what}: not an ELF file (no \\x7fELF magic at the start)`);
  }
  if (bytes[4] !== ELFCLASS64) {
    const cls = bytes[4] === 1 ? "32-bit (ELFCLASS32)" : `of unknown class ${bytes[4]}`;
    throw new ElfError(`${what}: the file is ${cls}; probelab reads 64-bit ELF files only`);
  }
  if (bytes[5] !== ELFDATA2LSB) {
    throw new ElfError(`${what}: the file is big-endian; probelab reads little-endian ELF files only`);
  }
  r.need(0, EHDR_SIZE, "the ELF header");
  const type = ET_NAMES[r.u16(16)] ?? `type ${r.u16(16)}`;
  const machine = r.u16(18);
  if (machine !== 62) {
    const name = EM_NAMES.get(machine) ?? `machine ${machine}`;
    throw new ElfError(`${what}: built for ${name}; the simulated machine is x86-64`);
  }
  const segments = readSegments(r);
  const sections = readSections(r);
  const names = sectionNames(r, sections);
  const symtab = sections.find((s) => s.type === SHT_SYMTAB);
  const dynsym = sections.find((s) => s.type === SHT_DYNSYM);
  const functions: ElfSymbol[] = [];
  const seen = new Set<string>();
  const versym = sections.find((s) => s.type === SHT_GNU_VERSYM);
  const tables = { sections, segments: segments.list, seen, out: functions };
  if (symtab) readSymbols(r, tables, symtab, "symtab", undefined);
  // Default versions first, so `memcpy` is memcpy@@GLIBC_2.14 as the dynamic linker binds it.
  if (dynsym) readSymbols(r, tables, dynsym, "dynsym", versym ? { versym, hidden: false } : undefined);
  if (dynsym && versym) readSymbols(r, tables, dynsym, "dynsym", { versym, hidden: true });
  functions.sort((a, b) => a.offset - b.offset || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const link = sections.find((s) => names(s) === ".gnu_debuglink");
  return {
    type,
    interp: segments.interp,
    stripped: symtab === undefined,
    debuglink: link
      ? r.cString(link.offset, link.offset + link.size, "the .gnu_debuglink section")
      : undefined,
    functions,
    fileSize: bytes.length,
  };
}

function readSegments(r: Reader): { list: Segment[]; interp: boolean } {
  const phoff = r.u64(32, "e_phoff");
  const phentsize = r.u16(54);
  const phnum = r.u16(56);
  const list: Segment[] = [];
  let interp = false;
  if (phnum === 0) return { list, interp };
  if (phentsize !== PHDR_SIZE) r.fail(`program headers of ${phentsize} bytes (expected ${PHDR_SIZE})`);
  if (phnum > MAX_SEGMENTS) r.fail(`${phnum} program headers claimed; at most ${MAX_SEGMENTS}`);
  r.need(phoff, phnum * PHDR_SIZE, `${phnum} program headers`);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * PHDR_SIZE;
    const type = r.u32(at);
    if (type === PT_INTERP) interp = true;
    if (type !== PT_LOAD) continue;
    list.push({
      offset: r.u64(at + 8, "p_offset"),
      vaddr: r.u64(at + 16, "p_vaddr"),
      filesz: r.u64(at + 32, "p_filesz"),
    });
  }
  return { list, interp };
}

function readSections(r: Reader): Section[] {
  const shoff = r.u64(40, "e_shoff");
  const shentsize = r.u16(58);
  let shnum = r.u16(60);
  if (shoff === 0) return [];
  if (shentsize !== SHDR_SIZE) r.fail(`section headers of ${shentsize} bytes (expected ${SHDR_SIZE})`);
  // More than SHN_LORESERVE sections: the real count is in section 0's sh_size.
  if (shnum === 0) {
    r.need(shoff, SHDR_SIZE, "section header 0");
    shnum = r.u64(shoff + 32, "sh_size of section 0");
  }
  if (shnum > MAX_SECTIONS) r.fail(`${shnum} sections claimed; at most ${MAX_SECTIONS}`);
  r.need(shoff, shnum * SHDR_SIZE, `${shnum} section headers at offset ${shoff}`);
  const out: Section[] = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * SHDR_SIZE;
    out.push({
      name: r.u32(at),
      type: r.u32(at + 4),
      offset: r.u64(at + 24, "sh_offset"),
      size: r.u64(at + 32, "sh_size"),
      link: r.u32(at + 40),
      entsize: r.u64(at + 56, "sh_entsize"),
    });
  }
  return out;
}

/** A lookup of section names through the section-name string table (e_shstrndx). */
function sectionNames(r: Reader, sections: Section[]): (s: Section) => string {
  let index = r.u16(62);
  if (index === SHN_XINDEX && sections.length > 0) index = sections[0]!.link;
  const table = sections[index];
  if (table === undefined || index === SHN_UNDEF) return () => "";
  r.need(table.offset, table.size, "the section name table");
  return (s) => r.cString(table.offset + s.name, table.offset + table.size, "a section name");
}

interface SymbolSink {
  sections: Section[];
  segments: Segment[];
  /** Names taken so far: a name is kept once. */
  seen: Set<string>;
  out: ElfSymbol[];
}

/** Which versions of .dynsym to take in this pass: default ones or hidden ones. */
interface VersionPass {
  versym: Section;
  hidden: boolean;
}

function readSymbols(
  r: Reader,
  sink: SymbolSink,
  table: Section,
  kind: "symtab" | "dynsym",
  pass: VersionPass | undefined,
): void {
  const { sections, segments, seen, out } = sink;
  const label = kind === "symtab" ? ".symtab" : ".dynsym";
  if (table.entsize !== SYM_SIZE) r.fail(`${label} entries of ${table.entsize} bytes (expected ${SYM_SIZE})`);
  r.need(table.offset, table.size, label);
  const count = Math.floor(table.size / SYM_SIZE);
  if (count > MAX_SYMBOLS) r.fail(`${label} claims ${count} symbols; at most ${MAX_SYMBOLS}`);
  const strings = sections[table.link];
  if (strings === undefined) r.fail(`${label} links to section ${table.link}, which does not exist`);
  r.need(strings.offset, strings.size, `the string table of ${label}`);
  const strEnd = strings.offset + strings.size;
  if (pass) r.need(pass.versym.offset, count * 2, "the .gnu.version section");
  for (let i = 1; i < count; i++) {
    if (pass && ((r.u16(pass.versym.offset + i * 2) & VERSYM_HIDDEN) !== 0) !== pass.hidden) continue;
    const at = table.offset + i * SYM_SIZE;
    const info = r.u8(at + 4);
    const symType = info & 0xf;
    const shndx = r.u16(at + 6);
    if (symType !== STT_FUNC && symType !== STT_GNU_IFUNC) continue;
    if (shndx === SHN_UNDEF || (shndx >= SHN_LORESERVE && shndx !== SHN_XINDEX)) continue;
    const name = r.cString(strings.offset + r.u32(at), strEnd, `a name in ${label}`);
    if (name === "" || seen.has(name)) continue;
    const vaddr = r.u64(at + 8, "st_value");
    const offset = fileOffset(segments, vaddr);
    if (offset === undefined) continue;
    seen.add(name);
    out.push({
      name,
      vaddr,
      offset,
      size: r.u64(at + 16, "st_size"),
      ifunc: symType === STT_GNU_IFUNC,
      table: kind,
    });
  }
}

/** The file offset of a virtual address, through the PT_LOAD segment holding it. */
function fileOffset(segments: Segment[], vaddr: number): number | undefined {
  if (segments.length === 0) return vaddr;
  for (const s of segments) {
    if (vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz) return vaddr - s.vaddr + s.offset;
  }
  return undefined;
}

const decoder = new TextDecoder();

/** Bounds-checked little-endian reads; every failure names the file and what was read. */
class Reader {
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    readonly what: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(message: string): never {
    throw new ElfError(`${this.what}: ${message}`);
  }

  /** `len` bytes from `at` must lie inside the file. */
  need(at: number, len: number, what: string): void {
    if (at < 0 || len < 0 || at + len > this.bytes.length) {
      this.fail(
        `truncated or damaged: ${what} would end at byte ${at + len}, but the file has ${this.bytes.length}`,
      );
    }
  }

  u8(at: number): number {
    this.need(at, 1, "a byte");
    return this.view.getUint8(at);
  }

  u16(at: number): number {
    this.need(at, 2, "a 16-bit field");
    return this.view.getUint16(at, true);
  }

  u32(at: number): number {
    this.need(at, 4, "a 32-bit field");
    return this.view.getUint32(at, true);
  }

  /** A 64-bit field that must fit a JavaScript number exactly. */
  u64(at: number, what: string): number {
    this.need(at, 8, what);
    const v = this.view.getBigUint64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${what} is 0x${v.toString(16)}, past any real file`);
    return Number(v);
  }

  /** The NUL-terminated string at `at`, which must end before `end`. */
  cString(at: number, end: number, what: string): string {
    if (at >= end || end > this.bytes.length) this.fail(`${what} starts outside its string table`);
    const text = this.bytes.subarray(at, end);
    const stop = text.indexOf(0);
    if (stop < 0) this.fail(`${what} runs past the end of its string table`);
    return decoder.decode(text.subarray(0, stop));
  }
}
