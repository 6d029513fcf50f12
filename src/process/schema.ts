/**
 * The workload file format as validated data. `readWorkloadSpec` walks a parsed YAML
 * document and returns a WorkloadSpec in which every value has been checked; names that
 * refer to other parts of the file (call targets, `ret_of`, regions, dlopen paths) are
 * checked later, once binaries are laid out, using the `at` position kept on each step.
 */
import { PAGE_SIZE } from "../kernel/fs/inode.js";
import { PROT_EXEC, PROT_READ, PROT_WRITE } from "../kernel/mm/constants.js";
import type { Where } from "./errors.js";
import { encodeMemBlock } from "./memory.js";
import type { Field } from "./reader.js";
import { parseSize, parseTime } from "./units.js";

export type FirstInsn = "nop" | "nop5" | "push" | "ret";
export const FIRST_INSNS: readonly FirstInsn[] = ["nop", "nop5", "push", "ret"];

export interface FunctionSpec {
  name: string;
  size: number;
  /** File offset of the first instruction; undefined lays it out after the previous function. */
  offset: number | undefined;
  /** The symbol's address in the file's own layout (ELF st_value), when it is not the offset. */
  addr: number | undefined;
  firstInsn: FirstInsn;
  at: Where;
}

export interface BinarySpec {
  /** As written (absolute, or relative to the process cwd). */
  path: string;
  /** Listed in the file; they come first and win over a mirrored or ELF symbol of the same name. */
  functions: FunctionSpec[];
  /** `like: NAME`: the symbols of a bundled mirror of a real library (see mirrors.ts). */
  like: string | undefined;
  /** `elf: PATH`: the function symbols of a real ELF file on this machine. */
  elf: string | undefined;
  /** Initialised global variables (`int GLOBAL_A = 5;`), laid out after the functions. */
  data: DataSpec[];
  /** USDT probe sites (the file's `.note.stapsdt` entries), each inside one of its functions. */
  usdt: UsdtSpec[];
  at: Where;
}

/** One operand of a USDT site, as its note describes it (`-4@%edi`: a signed 4-byte value). */
export interface UsdtArgSpec {
  size: 1 | 2 | 4 | 8;
  signed: boolean;
}

/** A USDT site: `provider:name` at a `nop` inside function `fn`, maybe with a semaphore. */
export interface UsdtSpec {
  provider: string;
  name: string;
  fn: string;
  args: UsdtArgSpec[];
  /** The site has a semaphore: the program skips it (and its operands' work) while it reads 0. */
  semaphore: boolean;
  at: Where;
}

/** One global variable of a binary: what `uaddr("name")` finds and a probe can read. */
export interface DataSpec {
  name: string;
  /** Bytes: 1, 2, 4 or 8, as a C integer. */
  size: number;
  /** The initial value, stored little-endian (two's complement when negative). */
  value: number;
  at: Where;
}

/** A constant that can live in a `pick` list. */
export type ConstValueSpec =
  | { kind: "int"; value: number }
  | { kind: "str"; value: string }
  /** `offset`: the pointer is this many bytes into the block (`&foo.n` rather than `&foo`). */
  | { kind: "mem"; items: MemItemSpec[]; width: MemWidth; offset: number }
  /** A NULL-terminated array of string pointers, as execve's argv. */
  | { kind: "argv"; items: string[] };

export type MemWidth = 1 | 2 | 4 | 8;
/** An integer of the block's width, or a string of a fixed size (NUL-padded or cut). */
export type MemItemSpec = { kind: "int"; value: number } | { kind: "str"; value: string; size: number };

export type ValueSpec =
  | ConstValueSpec
  | { kind: "seq"; start: number; step: number }
  | { kind: "pick"; items: ConstValueSpec[] }
  | { kind: "uniform"; lo: number; hi: number }
  | { kind: "ret_of"; fn: string; at: Where }
  | { kind: "addr_of"; fn: string; at: Where }
  /** The id of the task this thread created last (pthread_create's thread, fork's child). */
  | { kind: "last_child" };

export type TimeSpec =
  | { kind: "fixed"; ns: number }
  | { kind: "uniform"; lo: number; hi: number }
  | { kind: "lognormal"; median: number; p99: number };

/** Linux PROT_* bits, the kernel model's own. */
export { PROT_EXEC, PROT_READ, PROT_WRITE };

export type StepSpec =
  | {
      kind: "call";
      target: string;
      args: ValueSpec[];
      ret: ValueSpec | undefined;
      time: TimeSpec | undefined;
      body: StepSpec[];
      at: Where;
    }
  | { kind: "work"; time: TimeSpec; at: Where }
  | { kind: "sleep"; time: TimeSpec; at: Where }
  | { kind: "loop"; count: number | "forever"; body: StepSpec[]; at: Where }
  | {
      kind: "mmap";
      region: string;
      len: number;
      prot: number;
      file: string | undefined;
      offset: number;
      at: Where;
    }
  | { kind: "munmap"; region: string; range: [number, number] | undefined; at: Where }
  | { kind: "mprotect"; region: string; prot: number; range: [number, number] | undefined; at: Where }
  | { kind: "mremap"; region: string; len: number; mayMove: boolean; at: Where }
  | { kind: "dlopen"; path: string; at: Where }
  | { kind: "dlclose"; path: string; at: Where }
  | { kind: "fork"; comm: string | undefined; body: StepSpec[]; at: Where }
  | { kind: "thread"; comm: string | undefined; body: StepSpec[]; at: Where }
  | { kind: "replay"; trace: string; tid: number; at: Where }
  | { kind: "exit"; code: number; at: Where }
  | {
      kind: "syscall";
      name: string;
      args: ValueSpec[];
      ret: ValueSpec | undefined;
      time: TimeSpec | undefined;
      at: Where;
    }
  /** Run through a USDT site of the function being executed, with its operands' values. */
  | { kind: "usdt"; provider: string; name: string; args: ValueSpec[]; at: Where };

export interface ThreadSpec {
  name: string;
  count: number;
  pinCpu: number | undefined;
  pinAt: Where | undefined;
  body: StepSpec[];
  at: Where;
}

export interface ProcessSpec {
  comm: string;
  exe: string;
  exeAt: Where;
  libs: string[];
  libsAt: Where[];
  cwd: string;
  threads: ThreadSpec[];
  at: Where;
}

export interface WorkloadSpec {
  name: string;
  description: string;
  binaries: BinarySpec[];
  process: ProcessSpec;
}

export const MAX_ARGS = 6;
/** A USDT site has at most 12 operands (bpftrace's arg0..arg11). */
export const MAX_USDT_ARGS = 12;
/** Binaries up to 4 GiB: more than any real shared object's text. */
export const MAX_FILE_OFFSET = 2 ** 32;
export const MAX_THREADS = 1024;
/** Linux keeps 15 characters of a task's comm (TASK_COMM_LEN 16 with the NUL). */
export const TASK_COMM_LEN = 16;

const TOP_KEYS = ["name", "description", "params", "binaries", "process"] as const;
const STEP_KINDS = [
  "call",
  "work",
  "sleep",
  "loop",
  "mmap",
  "munmap",
  "mprotect",
  "mremap",
  "dlopen",
  "dlclose",
  "fork",
  "thread",
  "replay",
  "exit",
  "syscall",
  "usdt",
] as const;
/** Keys that may sit next to each step kind. */
const STEP_EXTRA: Record<(typeof STEP_KINDS)[number], readonly string[]> = {
  call: ["args", "ret", "time", "body"],
  loop: ["body"],
  work: [],
  sleep: [],
  mmap: [],
  munmap: [],
  mprotect: [],
  mremap: [],
  dlopen: [],
  dlclose: [],
  fork: [],
  thread: [],
  replay: [],
  exit: [],
  syscall: ["args", "ret", "time"],
  usdt: ["args"],
};
const ALL_STEP_KEYS = [...new Set([...STEP_KINDS, ...Object.values(STEP_EXTRA).flat()])];

/** Validates the whole document. `defaultName` is used when the file has no `name:`. */
export function readWorkloadSpec(root: Field, defaultName: string): WorkloadSpec {
  const top = root.entries(TOP_KEYS, "a workload");
  const name = top.get("name")?.string() ?? defaultName;
  const descField = top.get("description");
  const description =
    descField === undefined || descField.isNull ? "" : descField.string("a one-line description");
  const binField =
    top.get("binaries") ?? root.fail('missing "binaries": the simulated executables and libraries');
  const procField = top.get("process") ?? root.fail('missing "process": the process whose threads run');
  return { name, description, binaries: readBinaries(binField), process: readProcess(procField) };
}

function readBinaries(field: Field): BinarySpec[] {
  const out: BinarySpec[] = [];
  for (const [path, value] of field.freeEntries()) {
    if (path === "") value.fail("a binary needs a path");
    const keys = value.entries(["functions", "like", "elf", "data", "usdt"], "a binary");
    const like = keys.get("like")?.string("a mirrored library name");
    const elf = keys.get("elf")?.string("a path to an ELF file");
    if (like !== undefined && elf !== undefined) keys.get("elf")!.fail('"elf" does not go with "like"');
    const fnField = keys.get("functions");
    if (fnField === undefined && like === undefined && elf === undefined) {
      value.fail('missing "functions" (or "like" or "elf"): the symbols of this binary');
    }
    const functions = fnField === undefined ? [] : fnField.items().map(readFunction);
    const seen = new Set<string>();
    for (const fn of functions) {
      if (seen.has(fn.name)) fnField!.fail(`function "${fn.name}" is listed twice`);
      seen.add(fn.name);
    }
    const dataField = keys.get("data");
    const data = dataField === undefined ? [] : dataField.items().map(readData);
    for (const d of data) {
      if (seen.has(d.name)) dataField!.fail(`symbol "${d.name}" is listed twice`);
      seen.add(d.name);
    }
    const usdtField = keys.get("usdt");
    const usdt = usdtField === undefined ? [] : usdtField.items().map(readUsdt);
    out.push({ path, functions, like, elf, data, usdt, at: value.where() });
  }
  if (out.length === 0) field.fail("a workload needs at least one binary");
  return out;
}

/** What a function name may be: a C or mangled C++ symbol, maybe versioned; no wildcards. */
export const SYMBOL_NAME = /^[A-Za-z_.$][A-Za-z0-9_.$@]*$/;
/** The largest function a workload accepts (1 MiB); real ELF symbols bigger than that are cut. */
export const MAX_FUNCTION_SIZE = 1 << 20;

function readFunction(field: Field): FunctionSpec {
  if (!field.isMap) {
    const name = symbolName(field);
    return { name, size: 64, offset: undefined, addr: undefined, firstInsn: "nop", at: field.where() };
  }
  const keys = field.entries(["name", "size", "offset", "addr", "first_insn"], "a function");
  const nameField = keys.get("name") ?? field.fail('missing "name"');
  const size = keys.get("size")?.integer(1, MAX_FUNCTION_SIZE) ?? 64;
  const offset = keys.get("offset")?.integer(0, MAX_FILE_OFFSET);
  const addrField = keys.get("addr");
  if (addrField !== undefined && offset === undefined) addrField.fail('"addr" needs "offset"');
  const addr = addrField?.integer(0, Number.MAX_SAFE_INTEGER);
  const insnField = keys.get("first_insn");
  let firstInsn: FirstInsn = "nop";
  if (insnField) {
    const v = insnField.string("an instruction");
    if (!(FIRST_INSNS as readonly string[]).includes(v)) {
      insnField.fail(`unknown first instruction "${v}": use nop, nop5, push or ret`);
    }
    firstInsn = v as FirstInsn;
  }
  return { name: symbolName(nameField), size, offset, addr, firstInsn, at: field.where() };
}

const DATA_SIZES = [1, 2, 4, 8];

function readData(field: Field): DataSpec {
  const keys = field.entries(["name", "size", "value"], "a global variable");
  const nameField = keys.get("name") ?? field.fail('missing "name"');
  const sizeField = keys.get("size");
  const size = sizeField?.integer(1, 8) ?? 4;
  if (!DATA_SIZES.includes(size)) sizeField!.fail(`a global variable is 1, 2, 4 or 8 bytes, not ${size}`);
  const value = keys.get("value")?.integer(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER) ?? 0;
  return { name: symbolName(nameField), size, value, at: field.where() };
}

function symbolName(field: Field): string {
  const name = field.string("a function name");
  if (!SYMBOL_NAME.test(name)) {
    field.fail(`"${name}" is not a symbol name (letters, digits, _ . $ @; no spaces, ':' or wildcards)`);
  }
  return name;
}

function readProcess(field: Field): ProcessSpec {
  const keys = field.entries(["comm", "exe", "libs", "cwd", "threads"], "process");
  const exeField = keys.get("exe") ?? field.fail('missing "exe": the binary the process runs');
  const exe = exeField.string("a path");
  const libsField = keys.get("libs");
  const libFields = libsField === undefined || libsField.isNull ? [] : libsField.items();
  const libs = libFields.map((f) => f.string("a path"));
  const cwdField = keys.get("cwd");
  const cwd = cwdField ? cwdField.string("a directory") : "/";
  if (cwdField && !cwd.startsWith("/")) cwdField.fail(`cwd must be an absolute path, found "${cwd}"`);
  const commField = keys.get("comm");
  const comm = truncateComm(commField ? commField.string() : (exe.split("/").pop() ?? exe));
  const threadsField = keys.get("threads") ?? field.fail('missing "threads": what the process does');
  const threads = threadsField.items().map((t) => readThread(t, comm));
  if (threads.length === 0) threadsField.fail("a process needs at least one thread");
  const total = threads.reduce((n, t) => n + t.count, 0);
  if (total > MAX_THREADS) threadsField.fail(`${total} threads in all; at most ${MAX_THREADS}`);
  const libsAt = libFields.map((f) => f.where());
  return { comm, exe, exeAt: exeField.where(), libs, libsAt, cwd, threads, at: field.where() };
}

/** The steps nested in a step (a call's, loop's, fork's or thread's body), for walks over a file. */
export function nestedSteps(s: StepSpec): StepSpec[] {
  return s.kind === "call" || s.kind === "loop" || s.kind === "fork" || s.kind === "thread" ? s.body : [];
}

export function truncateComm(name: string): string {
  return name.slice(0, TASK_COMM_LEN - 1);
}

function readThread(field: Field, comm: string): ThreadSpec {
  const keys = field.entries(["name", "count", "pin_cpu", "body"], "a thread");
  const nameField = keys.get("name");
  const count = keys.get("count")?.integer(1, MAX_THREADS) ?? 1;
  const pinField = keys.get("pin_cpu");
  const pinCpu = pinField?.integer(0, 4095);
  const bodyField = keys.get("body") ?? field.fail('missing "body": the steps the thread runs');
  return {
    name: nameField ? truncateComm(nameField.string()) : comm,
    count,
    pinCpu,
    pinAt: pinField?.where(),
    body: readSteps(bodyField),
    at: field.where(),
  };
}

function readSteps(field: Field): StepSpec[] {
  const steps = field.items().map(readStep);
  if (steps.length === 0) field.fail("a body needs at least one step");
  return steps;
}

function readStep(field: Field): StepSpec {
  if (!field.isMap) {
    // A bare `- exit` is the one step that needs no value.
    if (!field.isSeq && field.scalar() === "exit") return { kind: "exit", code: 0, at: field.where() };
    field.fail(`expected a step (a map with one of ${STEP_KINDS.join(", ")}), found ${field.describe()}`);
  }
  const keys = field.entries(ALL_STEP_KEYS, "a step");
  const kinds = STEP_KINDS.filter((k) => keys.has(k));
  if (kinds.length === 0) field.fail(`a step needs one of ${STEP_KINDS.join(", ")}`);
  if (kinds.length > 1) field.fail(`a step does one thing; found both "${kinds[0]}" and "${kinds[1]}"`);
  const kind = kinds[0]!;
  for (const key of keys.keys()) {
    if (key !== kind && !STEP_EXTRA[kind].includes(key)) {
      keys.get(key)!.fail(`"${key}" does not go with "${kind}"`);
    }
  }
  const main = keys.get(kind)!;
  const at = main.where();
  switch (kind) {
    case "call":
      return readCall(main, keys, at);
    case "work":
    case "sleep":
      return { kind, time: readTime(main), at };
    case "loop": {
      const body = keys.get("body") ?? field.fail('a loop needs a "body"');
      const loop = { kind, count: readLoopCount(main), body: readSteps(body), at };
      if (!loop.body.some(advancesTime)) {
        main.fail(
          "this loop's body takes no simulated time, so the loop would spin with the clock stopped; give a step a time (work: 1us)",
        );
      }
      return loop;
    }
    case "mmap":
      return readMmap(main, at);
    case "munmap": {
      const k = main.entries(["target", "range"], "munmap");
      return { kind, region: regionRef(k, main), range: readRange(k.get("range")), at };
    }
    case "mprotect": {
      const k = main.entries(["target", "prot", "range"], "mprotect");
      const prot = readProt(k.get("prot") ?? main.fail('missing "prot" (r, rw, rx, rwx or none)'));
      return { kind, region: regionRef(k, main), prot, range: readRange(k.get("range")), at };
    }
    case "mremap": {
      const k = main.entries(["target", "len", "may_move"], "mremap");
      const len = readLength(k.get("len") ?? main.fail('missing "len": the new length'));
      return { kind, region: regionRef(k, main), len, mayMove: k.get("may_move")?.boolean() ?? true, at };
    }
    case "dlopen":
    case "dlclose":
      return { kind, path: main.string("a library path"), at };
    case "fork":
    case "thread": {
      const k = main.entries(["comm", "body"], kind);
      const what = kind === "fork" ? "the child process" : "the new thread";
      const body = k.get("body") ?? main.fail(`missing "body": what ${what} does`);
      const comm = k.get("comm");
      return { kind, comm: comm ? truncateComm(comm.string()) : undefined, body: readSteps(body), at };
    }
    case "replay": {
      const k = main.entries(["trace", "tid"], "replay");
      const trace = (k.get("trace") ?? main.fail('missing "trace": a trace-event JSON file')).string(
        "a path",
      );
      const tid = (k.get("tid") ?? main.fail('missing "tid": which thread of the trace')).integer();
      return { kind, trace, tid, at };
    }
    case "exit":
      return { kind, code: main.isNull ? 0 : main.integer(0, 255), at };
    case "syscall":
      return readSyscall(main, keys, at);
    case "usdt":
      return readUsdtStep(main, keys, at);
  }
}

/** `usdt: PROVIDER:NAME` with the site's operands as `args`. */
function readUsdtStep(main: Field, keys: Map<string, Field>, at: Where): StepSpec {
  const probe = readUsdtProbeName(main);
  const argsField = keys.get("args");
  const args = argsField === undefined || argsField.isNull ? [] : argsField.items().map(readValue);
  if (args.length > MAX_USDT_ARGS)
    argsField!.fail(`at most ${MAX_USDT_ARGS} operands (arg0..arg11), found ${args.length}`);
  return { kind: "usdt", ...probe, args, at };
}

/** `PROVIDER:NAME`, each part a C identifier as the USDT macros require. */
function readUsdtProbeName(field: Field): { provider: string; name: string } {
  const text = field.string("a USDT probe (PROVIDER:NAME)");
  const m = /^([A-Za-z_][A-Za-z0-9_]*):([A-Za-z_][A-Za-z0-9_]*)$/.exec(text);
  if (m === null) field.fail(`"${text}" is not a USDT probe name: write PROVIDER:NAME (C identifiers)`);
  return { provider: m![1]!, name: m![2]! };
}

const USDT_ARG_TYPES: Record<string, UsdtArgSpec> = {
  int8: { size: 1, signed: true },
  int16: { size: 2, signed: true },
  int32: { size: 4, signed: true },
  int64: { size: 8, signed: true },
  uint8: { size: 1, signed: false },
  uint16: { size: 2, signed: false },
  uint32: { size: 4, signed: false },
  uint64: { size: 8, signed: false },
};

function readUsdt(field: Field): UsdtSpec {
  const keys = field.entries(["probe", "in", "args", "semaphore"], "a USDT site");
  const probe = readUsdtProbeName(keys.get("probe") ?? field.fail('missing "probe": PROVIDER:NAME'));
  const fn = symbolName(keys.get("in") ?? field.fail('missing "in": the function the site is in'));
  const argsField = keys.get("args");
  const argFields = argsField === undefined || argsField.isNull ? [] : argsField.items();
  if (argFields.length > MAX_USDT_ARGS)
    argsField!.fail(`at most ${MAX_USDT_ARGS} operands (arg0..arg11), found ${argFields.length}`);
  const args = argFields.map((f) => {
    const name = f.string("an operand type (int8 .. int64, uint8 .. uint64)");
    const spec = Object.hasOwn(USDT_ARG_TYPES, name) ? USDT_ARG_TYPES[name] : undefined;
    if (spec === undefined)
      f.fail(`unknown operand type "${name}": use int8, int16, int32, int64 or uint8 .. uint64`);
    return spec!;
  });
  const semaphore = keys.get("semaphore")?.boolean() ?? false;
  return { ...probe, fn, args, semaphore, at: field.where() };
}

/** `syscall: NAME` with its `args` (registers), `ret` (what it returns) and `time` (inside the kernel). */
function readSyscall(main: Field, keys: Map<string, Field>, at: Where): StepSpec {
  const name = main.string("a system call name (openat, read, kill, ...)");
  const retField = keys.get("ret");
  const timeField = keys.get("time");
  return {
    kind: "syscall",
    name,
    args: readArgs(keys.get("args")),
    ret: retField ? readValue(retField) : undefined,
    time: timeField ? readTime(timeField) : undefined,
    at,
  };
}

/** A step's `args`: at most six values, one per argument register. */
function readArgs(argsField: Field | undefined): ValueSpec[] {
  const args = argsField === undefined || argsField.isNull ? [] : argsField.items().map(readValue);
  if (args.length > MAX_ARGS)
    argsField!.fail(`at most ${MAX_ARGS} arguments (arg0..arg5), found ${args.length}`);
  return args;
}

function readCall(main: Field, keys: Map<string, Field>, at: Where): StepSpec {
  const target = main.string("a function (FN, FN+OFF or BINARY:FN)");
  const retField = keys.get("ret");
  const timeField = keys.get("time");
  const bodyField = keys.get("body");
  return {
    kind: "call",
    target,
    args: readArgs(keys.get("args")),
    ret: retField ? readValue(retField) : undefined,
    time: timeField ? readTime(timeField) : undefined,
    body: bodyField ? readSteps(bodyField) : [],
    at,
  };
}

/**
 * Whether a step can move the simulated clock: calls, system calls and thread or process
 * changes always cost something; work and sleep only when their time can be above zero.
 */
function advancesTime(step: StepSpec): boolean {
  switch (step.kind) {
    case "work":
    case "sleep":
      return maxTime(step.time) > 0;
    case "loop":
      return step.count !== 0 && step.body.some(advancesTime);
    case "usdt":
      // A USDT site is a nop.
      return false;
    default:
      return true;
  }
}

function maxTime(time: TimeSpec): number {
  if (time.kind === "fixed") return time.ns;
  return time.kind === "uniform" ? time.hi : time.median;
}

function readLoopCount(field: Field): number | "forever" {
  if (field.scalar() === "forever") return "forever";
  const v = field.scalar();
  if (typeof v === "string" && !/^\s*-?(0x)?[0-9a-fA-F]+\s*$/.test(v)) {
    field.fail(`expected a count or "forever", found ${field.describe()}`);
  }
  return field.integer(0, 2 ** 31 - 1);
}

const VALUE_FORMS = [
  "seq",
  "step",
  "pick",
  "uniform",
  "ret_of",
  "addr_of",
  "last_child",
  "mem",
  "width",
  "offset",
  "argv",
];

export function readValue(field: Field): ValueSpec {
  if (!field.isMap) return readConstScalar(field);
  const keys = field.entries(VALUE_FORMS, "a value");
  if (keys.has("seq")) {
    only(field, keys, ["seq", "step"]);
    return { kind: "seq", start: keys.get("seq")!.integer(), step: keys.get("step")?.integer() ?? 1 };
  }
  if (keys.has("step")) keys.get("step")!.fail('"step" goes with "seq"');
  if (keys.has("pick")) {
    only(field, keys, ["pick"]);
    const items = keys.get("pick")!.items().map(readConstValue);
    if (items.length === 0) keys.get("pick")!.fail("pick needs at least one value");
    return { kind: "pick", items };
  }
  if (keys.has("uniform")) {
    only(field, keys, ["uniform"]);
    const [lo, hi] = readPair(keys.get("uniform")!, (f) => f.integer());
    return { kind: "uniform", lo, hi };
  }
  if (keys.has("ret_of")) {
    only(field, keys, ["ret_of"]);
    const fn = keys.get("ret_of")!;
    return { kind: "ret_of", fn: fn.string("a function name"), at: fn.where() };
  }
  if (keys.has("last_child")) {
    only(field, keys, ["last_child"]);
    keys.get("last_child")!.boolean();
    return { kind: "last_child" };
  }
  if (keys.has("addr_of")) {
    only(field, keys, ["addr_of"]);
    const fn = keys.get("addr_of")!;
    return { kind: "addr_of", fn: fn.string("a function (FN or BINARY:FN)"), at: fn.where() };
  }
  return readConstValue(field);
}

function readConstValue(field: Field): ConstValueSpec {
  if (!field.isMap) return readConstScalar(field);
  const keys = field.entries(["mem", "width", "offset", "argv"], "a constant");
  const argv = keys.get("argv");
  if (argv !== undefined) {
    only(field, keys, ["argv"]);
    const items = argv.items().map((item) => item.string("a string"));
    if (items.length === 0) argv.fail("argv needs at least one string (the program's name)");
    return { kind: "argv", items };
  }
  const mem =
    keys.get("mem") ?? field.fail("expected an integer, a string, {mem: [...], width: N} or {argv: [...]}");
  const widthField = keys.get("width");
  const width = widthField ? widthField.integer(1, 8) : 8;
  if (![1, 2, 4, 8].includes(width)) widthField!.fail("width must be 1, 2, 4 or 8 bytes");
  const items = mem.items().map((item) => readMemItem(item, width as MemWidth));
  if (items.length === 0) mem.fail("mem needs at least one item");
  const offset =
    keys.get("offset")?.integer(0, encodeMemBlock({ items, width: width as MemWidth }).length - 1) ?? 0;
  return { kind: "mem", items, width: width as MemWidth, offset };
}

function readMemItem(field: Field, width: MemWidth): MemItemSpec {
  if (field.isMap) {
    const k = field.entries(["str", "size"], "a mem item");
    const text = (k.get("str") ?? field.fail("expected an integer or {str: TEXT, size: N}")).scalar();
    const size = k.get("size")?.integer(1, 1 << 16) ?? new TextEncoder().encode(String(text)).length + 1;
    return { kind: "str", value: String(text ?? ""), size };
  }
  const bits = BigInt(width * 8);
  const value = field.integer();
  if (BigInt(value) >= 1n << bits || BigInt(value) < -(1n << (bits - 1n))) {
    field.fail(`${value} does not fit in ${width} byte${width === 1 ? "" : "s"}`);
  }
  return { kind: "int", value };
}

function readConstScalar(field: Field): ConstValueSpec {
  if (field.isSeq)
    field.fail("expected a value (integer, string or {seq|pick|uniform|ret_of|mem: ...}), found a list");
  const v = field.scalar();
  if (typeof v === "number") {
    if (Number.isInteger(v) && !Number.isSafeInteger(v)) {
      field.fail(
        `${field.describe()} is out of range: a workload value is exact only within ±${Number.MAX_SAFE_INTEGER} (2^53 - 1)`,
      );
    }
    if (!Number.isSafeInteger(v)) field.fail(`expected an integer, found ${field.describe()}`);
    return { kind: "int", value: v };
  }
  if (typeof v === "string") return { kind: "str", value: v };
  if (typeof v === "boolean") return { kind: "int", value: v ? 1 : 0 };
  return field.fail(
    "expected a value (integer, string or {seq|pick|uniform|ret_of|mem: ...}), found nothing",
  );
}

function only(field: Field, keys: Map<string, Field>, allowed: string[]): void {
  for (const key of keys.keys()) {
    if (!allowed.includes(key)) field.fail(`"${key}" does not go with "${allowed[0]}"`);
  }
}

function readPair(field: Field, read: (f: Field) => number): [number, number] {
  const items = field.items();
  if (items.length !== 2) field.fail(`expected [LOW, HIGH], found ${items.length} values`);
  const lo = read(items[0]!);
  const hi = read(items[1]!);
  if (lo > hi) field.fail(`the low end ${lo} is above the high end ${hi}`);
  return [lo, hi];
}

export function readTime(field: Field): TimeSpec {
  if (field.isMap) {
    const keys = field.entries(["uniform", "lognormal"], "a time");
    const logn = keys.get("lognormal");
    if (logn !== undefined) {
      // Latencies of real calls are skewed: most are near the median, a few far out.
      only(field, keys, ["lognormal"]);
      const [median, p99] = readPair(logn, timeOf);
      if (median === 0) logn.fail("the median of a lognormal time must be above 0");
      return { kind: "lognormal", median, p99 };
    }
    const [lo, hi] = readPair(
      keys.get("uniform") ?? field.fail("expected {uniform: [A, B]} or {lognormal: [MEDIAN, P99]}"),
      timeOf,
    );
    return { kind: "uniform", lo, hi };
  }
  return { kind: "fixed", ns: timeOf(field) };
}

function timeOf(field: Field): number {
  const v = field.scalar();
  const ns = typeof v === "number" || typeof v === "string" ? parseTime(v) : "expected a time such as 2us";
  if (typeof ns === "string") field.fail(ns);
  return ns;
}

function readLength(field: Field): number {
  const v = field.scalar();
  const n = typeof v === "number" || typeof v === "string" ? parseSize(v) : "expected a size such as 8K";
  if (typeof n === "string") field.fail(n);
  if (n === 0) field.fail("a length must be above 0");
  return n;
}

function readOffset(field: Field): number {
  const v = field.scalar();
  const n = typeof v === "number" || typeof v === "string" ? parseSize(v) : "expected a size such as 4K";
  if (typeof n === "string") field.fail(n);
  if (n % PAGE_SIZE !== 0) field.fail(`${n} is not a multiple of the 4 KiB page size`);
  return n;
}

function readRange(field: Field | undefined): [number, number] | undefined {
  if (field === undefined) return undefined;
  const [from, to] = readPair(field, readOffset);
  if (from === to) field.fail("an empty range");
  return [from, to];
}

function readMmap(main: Field, at: Where): StepSpec {
  const k = main.entries(["len", "prot", "as", "file", "offset"], "mmap");
  const len = readLength(k.get("len") ?? main.fail('missing "len": how many bytes to map'));
  const prot = k.has("prot") ? readProt(k.get("prot")!) : PROT_READ | PROT_WRITE;
  const region = (k.get("as") ?? main.fail('missing "as": a name later steps use as their target')).string();
  const file = k.get("file")?.string("a binary path");
  const offset = k.has("offset") ? readOffset(k.get("offset")!) : 0;
  if (offset !== 0 && file === undefined) k.get("offset")!.fail('"offset" needs "file"');
  return { kind: "mmap", region, len, prot, file, offset, at };
}

function regionRef(keys: Map<string, Field>, main: Field): string {
  return (keys.get("target") ?? main.fail('missing "target": the name an mmap gave with "as"')).string();
}

/** `r`, `rw`, `r-x`, `rwx`, `none`, `---` → PROT_* bits. */
export function readProt(field: Field): number {
  const text = field.string("a protection such as rw");
  if (text === "none") return 0;
  const m = /^(r?)(w?)(x?)$/.exec(text.replace(/-/g, ""));
  if (!m || text.length > 3)
    field.fail(`bad protection "${text}": use letters r, w, x (e.g. rw, r-x) or none`);
  return (m[1] ? PROT_READ : 0) | (m[2] ? PROT_WRITE : 0) | (m[3] ? PROT_EXEC : 0);
}
