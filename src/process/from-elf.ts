/**
 * `probelab workload from-elf`: a workload skeleton from real ELF files. The first file is
 * the executable, the others its libraries; every function symbol is written with its real
 * file offset and size (and its address when that differs), so probes name and resolve them
 * as bpftrace would on this machine. One thread calls a few of them in a loop; edit it to
 * make the process do what the real one does.
 */
import { basename, resolve } from "node:path";
import { type ElfInfo, type ElfSymbol, readElfFile } from "../elf/index.js";
import { MAX_FUNCTION_SIZE, SYMBOL_NAME } from "./schema.js";

export interface SkeletonResult {
  yaml: string;
  /** Things the user should know (stripped binaries, symbols left out). */
  notes: string[];
}

/** Functions the default thread prefers to call, when a binary has them. */
const FAVOURITES = ["main", "malloc", "free", "read", "write", "memcpy"];
const CALLS_PER_BINARY = 3;

interface Loaded {
  path: string;
  info: ElfInfo;
  functions: ElfSymbol[];
}

export function workloadFromElf(paths: string[]): SkeletonResult {
  if (paths.length === 0) throw new Error("from-elf needs at least one ELF file");
  const notes: string[] = [];
  const loaded = paths.map((p) => load(resolve(p), notes));
  const exe = loaded[0]!;
  const comm = basename(exe.path).slice(0, 15);
  const lines = [
    `# Written by probelab workload from-elf: the function symbols of ${loaded.map((l) => l.path).join(", ")}`,
    "# with their real file offsets and sizes. Edit process.threads to make it behave like the program.",
    `name: ${JSON.stringify(basename(exe.path))}`,
    `description: ${JSON.stringify(`Symbols of ${loaded.map((l) => basename(l.path)).join(", ")} as read from their ELF files`)}`,
    "binaries:",
  ];
  for (const l of loaded) lines.push(...binaryLines(l));
  lines.push(
    "process:",
    `  comm: ${JSON.stringify(comm)}`,
    `  exe: ${JSON.stringify(exe.path)}`,
    `  libs: [${loaded
      .slice(1)
      .map((l) => JSON.stringify(l.path))
      .join(", ")}]`,
    "  threads:",
    `    - name: ${JSON.stringify(comm)}`,
    "      body:",
    "        - loop: forever",
    "          body:",
    ...callLines(loaded),
    "            - sleep: { uniform: [200us, 1ms] }",
  );
  return { yaml: `${lines.join("\n")}\n`, notes };
}

function load(path: string, notes: string[]): Loaded {
  const info = readElfFile(path);
  const functions = info.functions.filter((f) => SYMBOL_NAME.test(f.name));
  const skipped = info.functions.length - functions.length;
  if (info.stripped) {
    const debug = info.debuglink ? ` (debug symbols would be in ${info.debuglink})` : "";
    notes.push(
      `${path} is stripped: only its ${functions.length} dynamic symbols (.dynsym) are listed${debug}`,
    );
  }
  if (skipped > 0) notes.push(`${path}: ${skipped} symbols with names a workload cannot spell were left out`);
  if (functions.length === 0) notes.push(`${path} has no function symbols at all`);
  return { path, info, functions };
}

function binaryLines(l: Loaded): string[] {
  const out = [`  ${JSON.stringify(l.path)}:`];
  if (l.functions.length === 0) return [...out, "    functions: []"];
  out.push("    functions:");
  for (const f of l.functions) {
    const size = Math.min(Math.max(f.size, 1), MAX_FUNCTION_SIZE);
    const addr = f.vaddr === f.offset ? "" : `, addr: ${hex(f.vaddr)}`;
    out.push(`      - { name: ${JSON.stringify(f.name)}, offset: ${hex(f.offset)}${addr}, size: ${size} }`);
  }
  return out;
}

/** A few calls per binary: its favourite functions if it has them, else its first ones. */
function callLines(loaded: Loaded[]): string[] {
  const out: string[] = [];
  for (const l of loaded) {
    const byName = new Map(l.functions.map((f) => [f.name, f]));
    const picked = FAVOURITES.filter((n) => byName.has(n));
    for (const f of l.functions) {
      if (picked.length >= CALLS_PER_BINARY) break;
      if (!picked.includes(f.name)) picked.push(f.name);
    }
    for (const name of picked.slice(0, CALLS_PER_BINARY)) {
      out.push(
        `            - call: ${JSON.stringify(`${l.path}:${name}`)}`,
        "              time: { lognormal: [2us, 40us] }",
      );
    }
  }
  if (out.length === 0) out.push("            - work: 1us");
  return out;
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
