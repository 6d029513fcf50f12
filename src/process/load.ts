/**
 * Loading a workload: file (or bundled name) → YAML document → parameters → validated spec →
 * laid-out binaries and mappings → compiled thread programs. Every user mistake surfaces as
 * a WorkloadError whose message says where and why.
 */

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, extname } from "node:path";
import { fileURLToPath } from "node:url";
import { LineCounter, parseDocument } from "yaml";
import { deriveSeed } from "../sim/prng.js";
import { formatLimit, MAX_WORKLOAD_BYTES, readTextBounded } from "./bounded-read.js";
import { didYouMean, errorAt, WorkloadError } from "./errors.js";
import {
  type Binary,
  binaryMappings,
  dataBytes,
  heapMapping,
  layoutBinaries,
  type Mapping,
  placeBinaries,
  stackMapping,
} from "./layout.js";
import { UserMemory } from "./memory.js";
import {
  type CompileEnv,
  compileThread,
  type FunctionRef,
  functionTable,
  HeapBuilder,
  type Program,
  resolveBinaryRef,
} from "./program.js";
import { Field, type ParamValue, type ReadContext } from "./reader.js";
import { nestedSteps, readWorkloadSpec, type StepSpec, type WorkloadSpec } from "./schema.js";
import { parseInteger } from "./units.js";

export interface LoadOptions {
  /** `--set k=v` overrides of declared parameters. */
  set?: Record<string, string>;
  /** Simulated CPU count; also the built-in parameter `cpus`. */
  cpus: number;
  /** Run seed; each thread's PRNG is derived from it and the thread's index. */
  seed: number;
}

/** One simulated thread, ready to run. Threads from one entry with `count: N` share a program. */
export interface ThreadPlan {
  /** Position in `process.threads` (also the seed path). */
  index: number;
  /** The thread's comm (its `name`, cut to 15 characters). */
  comm: string;
  /** Which copy of a `count: N` entry this is, from 0. */
  instance: number;
  /** Index of the entry in the file's `process.threads`. */
  entry: number;
  /** CPU the thread is pinned to, or -1. */
  pinCpu: number;
  program: Program;
  seed: number;
}

export interface WorkloadProcess {
  comm: string;
  cwd: string;
  /** Binary indices. */
  exe: number;
  libs: number[];
  /** Load address of every binary's text (dlopen'ed libraries map there too). */
  placement: number[];
  /** The address space at start, sorted by address. */
  mappings: Mapping[];
  /** Initial user memory: the string and `mem` constants the threads pass around. */
  memory: UserMemory;
  threads: ThreadPlan[];
  /** Where the exec's argv (the executable's path alone) sits in memory. */
  argv: number;
}

export interface Workload {
  name: string;
  description: string;
  /** The file it came from (bundled ones as `workloads/NAME.yaml`). */
  source: string;
  /** Effective parameter values, `cpus` included. */
  params: Record<string, ParamValue>;
  cpus: number;
  seed: number;
  binaries: Binary[];
  /** Every symbol of every binary; ops and `lastRet` use these ids. */
  functions: FunctionRef[];
  process: WorkloadProcess;
}

/**
 * The binaries the process maps from its start, its executable and `libs`: what a probe with no
 * target searches, as bpftrace with `-p` searches the files the process maps.
 */
export function processBinaries(w: Workload): Binary[] {
  return [w.process.exe, ...w.process.libs].map((b) => w.binaries[b]!);
}

const BUNDLED_DIR = fileURLToPath(new URL("../../workloads/", import.meta.url));

/** Bundled workload names, sorted. */
export function bundledNames(): string[] {
  if (!existsSync(BUNDLED_DIR)) return [];
  return readdirSync(BUNDLED_DIR)
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => f.slice(0, -".yaml".length))
    .sort();
}

/** `probelab workloads`: every bundled workload with its one-line description. */
export function listWorkloads(): { name: string; description: string }[] {
  return bundledNames().map((name) => {
    const w = loadWorkload(name, { cpus: 1, seed: 0 });
    return { name, description: w.description };
  });
}

/** A bundled name (`default`, `trigger`, ...) or a path to a YAML file. */
export function loadWorkload(nameOrPath: string, opts: LoadOptions): Workload {
  const { text, source, defaultName } = readSource(nameOrPath);
  return loadWorkloadText(text, source, opts, defaultName);
}

/** Loads from text already in hand; `source` is the name used in messages. */
export function loadWorkloadText(
  text: string,
  source: string,
  opts: LoadOptions,
  defaultName?: string,
): Workload {
  if (!Number.isSafeInteger(opts.cpus) || opts.cpus < 1) {
    throw new WorkloadError(`${source}: the CPU count must be a whole number ≥ 1, got ${opts.cpus}`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) {
    const { line, col } = lines.linePos(problem.pos[0]);
    throw new WorkloadError(`${source}:${line}:${col}: YAML: ${firstLine(problem.message)}`);
  }
  const base: ReadContext = { file: source, lines, doc, params: new Map([["cpus", opts.cpus]]), visited: 0 };
  const root = new Field(base, doc.contents, "", 0);
  if (root.isNull) root.fail("the file is empty; a workload needs binaries and a process");
  const params = readParams(root, opts, source);
  const ctx: ReadContext = { ...base, params, setByUser: new Set(Object.keys(opts.set ?? {})), visited: 0 };
  const spec = readWorkloadSpec(new Field(ctx, doc.contents, "", 0), defaultName ?? "workload");
  return build(spec, source, Object.fromEntries(params), opts);
}

function readSource(nameOrPath: string): { text: string; source: string; defaultName: string } {
  const looksLikePath = nameOrPath.includes("/") || /\.ya?ml$/.test(nameOrPath);
  if (!looksLikePath) {
    const names = bundledNames();
    if (!names.includes(nameOrPath)) {
      throw new WorkloadError(
        `unknown workload "${nameOrPath}"${didYouMean(nameOrPath, names)}; bundled: ${names.join(", ")} (or give a file path)`,
      );
    }
    const file = `${BUNDLED_DIR}${nameOrPath}.yaml`;
    return {
      text: readFileSync(file, "utf8"),
      source: `workloads/${nameOrPath}.yaml`,
      defaultName: nameOrPath,
    };
  }
  let text: string | null;
  try {
    text = readTextBounded(nameOrPath, MAX_WORKLOAD_BYTES);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : (code ?? "unreadable");
    throw new WorkloadError(`cannot read workload file "${nameOrPath}": ${why}`);
  }
  if (text === null) {
    throw new WorkloadError(
      `workload file "${nameOrPath}" is larger than ${formatLimit(MAX_WORKLOAD_BYTES)}; probelab refuses workloads that big`,
    );
  }
  return { text, source: nameOrPath, defaultName: basename(nameOrPath, extname(nameOrPath)) };
}

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Declared defaults, then `--set` overrides, then the built-in `cpus`. */
function readParams(root: Field, opts: LoadOptions, source: string): Map<string, ParamValue> {
  const params = new Map<string, ParamValue>();
  const declared = root.isMap ? findKey(root, "params") : undefined;
  if (declared && !declared.isNull) {
    for (const [name, field] of declared.freeEntries()) {
      if (!PARAM_NAME.test(name)) field.fail(`"${name}" is not a parameter name (letters, digits, _)`);
      if (name === "cpus") field.fail('"cpus" is built in (the simulated CPU count); pick another name');
      const v = field.scalar();
      if (typeof v === "string" || typeof v === "number") params.set(name, v);
      else field.fail(`expected a name or a number, found ${field.describe()}`);
    }
  }
  for (const [name, value] of Object.entries(opts.set ?? {})) {
    if (name === "cpus") throw new WorkloadError(`${source}: --set cpus: "cpus" is built in; use --cpus`);
    if (!params.has(name)) {
      const known = [...params.keys()];
      const list = known.length > 0 ? `its parameters are ${known.join(", ")}` : "it declares no parameters";
      throw new WorkloadError(
        `${source}: --set ${name}: unknown parameter "${name}"${didYouMean(name, known)}; ${list}`,
      );
    }
    params.set(name, parseInteger(value) ?? value);
  }
  params.set("cpus", opts.cpus);
  return params;
}

/** The field under `key` of a map, found without rejecting the other keys. */
function findKey(root: Field, key: string): Field | undefined {
  const all = root.entries(["name", "description", "params", "binaries", "process"], "a workload");
  return all.get(key);
}

function firstLine(message: string): string {
  return message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
}

function build(
  spec: WorkloadSpec,
  source: string,
  params: Record<string, ParamValue>,
  opts: LoadOptions,
): Workload {
  const binaries = layoutBinaries(spec);
  const proc = spec.process;
  const lookup = { binaries, cwd: proc.cwd };
  const exe = resolveBinaryRef(lookup, proc.exe, proc.exeAt);
  const libs: number[] = [];
  proc.libs.forEach((lib, i) => {
    const at = proc.libsAt[i]!;
    const b = resolveBinaryRef(lookup, lib, at);
    if (b === exe) throw errorAt(at, `${binaries[b]!.path} is the executable; list only libraries here`);
    if (libs.includes(b)) throw errorAt(at, `${binaries[b]!.path} is listed twice`);
    libs.push(b);
  });
  const mappable = new Set<number>([exe, ...libs]);
  for (const t of proc.threads) {
    for (const path of dlopenPaths(t.body)) mappable.add(resolveBinaryRef(lookup, path.path, path.at));
  }
  const placement = placeBinaries(binaries, exe, libs);
  const exeMappings = binaryMappings(binaries[exe]!, placement[exe]!);
  const exeMapping = exeMappings[exeMappings.length - 1]!;
  const memory = new UserMemory();
  for (const b of [exe, ...libs]) writeGlobals(memory, binaries[b]!, placement[b]!);
  const heap = new HeapBuilder(heapMapping(exeMapping, 0).start, memory);
  const { functions, functionIds } = functionTable(binaries);
  const searchOrder = [
    exe,
    ...libs,
    ...binaries.map((b) => b.index).filter((i) => i !== exe && !libs.includes(i)),
  ];
  const env: CompileEnv = {
    binaries,
    functions,
    functionIds,
    cwd: proc.cwd,
    exe,
    searchOrder,
    mappable,
    placement,
    heap,
  };

  const threads: ThreadPlan[] = [];
  proc.threads.forEach((t, entry) => {
    if (t.pinCpu !== undefined && t.pinCpu >= opts.cpus) {
      throw errorAt(t.pinAt!, `CPU ${t.pinCpu} does not exist: the machine has ${opts.cpus} CPU(s) (--cpus)`);
    }
    const program = compileThread(t.body, env);
    for (let instance = 0; instance < t.count; instance++) {
      const index = threads.length;
      // Copies of a pinned entry go to consecutive CPUs, wrapping around.
      const pinCpu = t.pinCpu === undefined ? -1 : (t.pinCpu + instance) % opts.cpus;
      threads.push({
        index,
        comm: t.name,
        instance,
        entry,
        pinCpu,
        program,
        seed: deriveSeed(opts.seed, index),
      });
    }
  });

  // The exec's argv (placed after the threads' constants, which keep their addresses).
  const argv = heap.placeArgv([binaries[exe]!.path]);
  const mappings = [...exeMappings, heapMapping(exeMapping, heap.used)];
  for (const lib of libs) mappings.push(...binaryMappings(binaries[lib]!, placement[lib]!));
  mappings.push(stackMapping());
  mappings.sort((a, b) => a.start - b.start);

  return {
    name: spec.name,
    description: spec.description,
    source,
    params,
    cpus: opts.cpus,
    seed: opts.seed,
    binaries,
    functions,
    process: { comm: proc.comm, cwd: proc.cwd, exe, libs, placement, mappings, memory, threads, argv },
  };
}

/** A binary mapped at start-up has its initialised globals in memory from the first instruction. */
function writeGlobals(memory: UserMemory, binary: Binary, loadAddress: number): void {
  for (const d of binary.data) memory.writeBytes(loadAddress + d.offset, dataBytes(d));
}

function dlopenPaths(steps: StepSpec[]): { path: string; at: StepSpec["at"] }[] {
  const out: { path: string; at: StepSpec["at"] }[] = [];
  for (const s of steps) {
    if (s.kind === "dlopen") out.push({ path: s.path, at: s.at });
    out.push(...dlopenPaths(nestedSteps(s)));
  }
  return out;
}
