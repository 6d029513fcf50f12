/**
 * The one table of builtins and functions: name, parameters, result type. The checker reads
 * it for argument counts and types; special rules (printf formats, map arguments,
 * aggregations) are named here by `check` and implemented in the checker.
 */
import type { CallExpr, Expr } from "./ast.js";
import { pton } from "./inet-address.js";
import {
  BOOL,
  INT64,
  intType,
  NONE,
  stringType,
  type TseriesAgg,
  type Type,
  UINT8,
  UINT32,
  UINT64,
} from "./types.js";

/** Builtin values: identifiers that read the probe's context (`pid`, `comm`, `arg0`, ...). */
export interface BuiltinValueSpec {
  name: string;
  type: Type;
  /** Providers where the builtin has a value; undefined = every provider. */
  onlyIn?: readonly string[];
  /** What the error says when used elsewhere. */
  onlyInMessage?: string;
}

const ARG_PROVIDERS = ["uprobe", "uretprobe", "kprobe", "rawtracepoint", "usdt"] as const;
const FUNC_PROVIDERS = ["uprobe", "uretprobe", "kprobe", "kretprobe", "fentry", "fexit"] as const;
const ARG_MESSAGE = "can only be used with 'kprobes', 'uprobes' and 'usdt' probes";

/** Probes on a function of the model's kernel: kprobe, kretprobe, fentry, fexit. */
export function isKernelFunctionProvider(p: string): boolean {
  return p === "kprobe" || p === "kretprobe" || p === "fentry" || p === "fexit";
}

export const BUILTIN_VALUE_TABLE: readonly BuiltinValueSpec[] = [
  { name: "pid", type: UINT32 },
  { name: "tid", type: UINT32 },
  { name: "ppid", type: UINT32 },
  { name: "uid", type: UINT64 },
  { name: "gid", type: UINT64 },
  { name: "comm", type: stringType(16) },
  // The parent's comm, bpftrace's stdlib `curtask.real_parent.comm`.
  { name: "pcomm", type: stringType(16) },
  { name: "nsecs", type: UINT64 },
  { name: "elapsed", type: UINT64 },
  { name: "cpu", type: UINT32 },
  { name: "ncpus", type: UINT32 },
  ...[0, 1, 2, 3, 4, 5].map((i) => ({
    name: `arg${i}`,
    type: UINT64,
    onlyIn: ARG_PROVIDERS,
    onlyInMessage: ARG_MESSAGE,
  })),
  // A USDT site has up to 12 operands, more than a function has argument registers.
  ...[6, 7, 8, 9, 10, 11].map((i) => ({
    name: `arg${i}`,
    type: UINT64,
    onlyIn: ["usdt"],
    onlyInMessage: "can only be used with 'usdt' probes (functions pass six arguments in registers)",
  })),
  {
    name: "retval",
    type: UINT64,
    onlyIn: ["uretprobe", "kretprobe", "fexit"],
    onlyInMessage: "can only be used with 'kretprobe' and 'uretprobe' and 'fexit' probes",
  },
  {
    name: "func",
    type: { kind: "usym" },
    onlyIn: FUNC_PROVIDERS,
    onlyInMessage: "can only be used with uprobes, kprobes, fentry and fexit",
  },
  {
    // The type is the probe's own (its tracepoint's fields, its function's arguments): the checker sets it.
    name: "args",
    type: { kind: "record", fields: [] },
    onlyIn: ["tracepoint", "rawtracepoint", "fentry", "fexit"],
    onlyInMessage: "can only be used with 'tracepoint', 'rawtracepoint', 'fentry' and 'fexit' probes",
  },
  // The probe's context: a struct pt_regs * (a bpf_perf_event_data * in a sampling probe);
  // void * here, since the model ships no struct pt_regs. The checker refuses it where
  // bpftrace does.
  { name: "ctx", type: { kind: "pointer", to: { kind: "none" } } },
  { name: "probe", type: stringType(64) },
  { name: "probetype", type: stringType(16) },
  { name: "ustack", type: { kind: "ustack" } },
  { name: "kstack", type: { kind: "ustack", kernel: true } },
  { name: "rand", type: UINT32 },
  // What a simulated machine can answer: one NUMA node, the root cgroup, HZ=250 jiffies.
  { name: "usermode", type: UINT8 },
  { name: "numaid", type: UINT32 },
  { name: "cgroup", type: UINT64 },
  { name: "jiffies", type: UINT64 },
  { name: "username", type: stringType(16) },
  // `struct task_struct *` of the running task (the checker gives it the struct's type).
  { name: "curtask", type: UINT64 },
];

export const BUILTIN_VALUES: ReadonlyMap<string, BuiltinValueSpec> = new Map(
  BUILTIN_VALUE_TABLE.map((b) => [b.name, b]),
);

/**
 * The clocks `nsecs(clock)` reads. The simulated machine never suspends, so boot time is
 * monotonic time; TAI is the wall clock plus the 37 s TAI-UTC offset (sw_tai likewise).
 */
export const CLOCKS: readonly string[] = ["monotonic", "boot", "tai", "sw_tai"];

/** bpftrace builtins probelab does not model; using one is a clear error, not "unknown identifier". */
export const UNSUPPORTED_BUILTINS = new Set([
  "cpid",
  "has_cpid",
  "leader_tid",
  "leader_comm",
  "sarg0",
  "sarg1",
  "sarg2",
]);

/** What an argument must be. */
export type ParamKind =
  /** an integer (or bool) value */
  | "int"
  /** an integer literal (constant after positional parameters are substituted) */
  | "intLiteral"
  /** a string value */
  | "string"
  /** a string literal */
  | "stringLiteral"
  /** an integer or a string (`str()` accepts both) */
  | "intOrString"
  /** any value */
  | "any"
  /** a map, with or without key (`print(@m)`, `print(@m[k])`) */
  | "map"
  /** a map key value, typed against the map in the first argument */
  | "mapKey";

export interface ParamSpec {
  name: string;
  kind: ParamKind;
  optional?: boolean;
}

/** Special rules the checker applies beyond counts and kinds. */
export type SpecialCheck = "format" | "print" | "mapFunction" | "exit" | "aggregate";

export interface FunctionSpec {
  name: string;
  params: readonly ParamSpec[];
  /** Further arguments of any type (printf-style). */
  variadic?: boolean;
  /** The result type, given the checked argument types and the config's max_strlen. */
  result: (args: Type[], maxStrlen: number, literals: (bigint | null)[], texts: (string | null)[]) => Type;
  check?: SpecialCheck;
}

const none = () => NONE;
const int = (name: string, optional = false): ParamSpec => ({ name, kind: "int", optional });
const intLit = (name: string, optional = false): ParamSpec => ({ name, kind: "intLiteral", optional });
const map = (name = "map"): ParamSpec => ({ name, kind: "map" });
const signedOf = (args: Type[]) => args[0]?.kind === "int" && args[0].signed;

/** The aggregations tseries() accepts by name; without one an interval keeps its last value. */
export const TSERIES_AGGS: readonly TseriesAgg[] = ["avg", "max", "min", "sum"];

export const FUNCTION_TABLE: readonly FunctionSpec[] = [
  {
    name: "printf",
    params: [{ name: "fmt", kind: "stringLiteral" }],
    variadic: true,
    result: none,
    check: "format",
  },
  {
    name: "errorf",
    params: [{ name: "fmt", kind: "stringLiteral" }],
    variadic: true,
    result: none,
    check: "format",
  },
  {
    name: "warnf",
    params: [{ name: "fmt", kind: "stringLiteral" }],
    variadic: true,
    result: none,
    check: "format",
  },
  {
    name: "system",
    params: [{ name: "fmt", kind: "stringLiteral" }],
    variadic: true,
    result: none,
    check: "format",
  },
  {
    name: "cat",
    params: [{ name: "path", kind: "stringLiteral" }],
    variadic: true,
    result: none,
    check: "format",
  },
  {
    name: "print",
    params: [{ name: "value", kind: "any" }, int("top", true), int("div", true)],
    result: none,
    check: "print",
  },
  { name: "exit", params: [int("code", true)], result: none, check: "exit" },
  { name: "time", params: [{ name: "fmt", kind: "stringLiteral", optional: true }], result: none },
  {
    name: "strftime",
    params: [{ name: "fmt", kind: "stringLiteral" }, int("ns")],
    result: () => ({ kind: "timestamp" }),
  },
  {
    name: "str",
    params: [{ name: "ptr", kind: "intOrString" }, int("len", true)],
    result: (args, maxStrlen, lits) => {
      // The length is unsigned, as in bpftrace: a negative one is huge and clamps to max_strlen.
      const len = lits[1];
      const limit = len != null && len >= 0n ? Math.min(Number(len) + 1, maxStrlen) : maxStrlen;
      return stringType(args[0]?.kind === "string" ? Math.min(args[0].size, limit) : limit);
    },
  },
  {
    name: "buf",
    // A pointer to read from, or a string (an array of chars) to take the bytes of.
    params: [{ name: "data", kind: "intOrString" }, intLit("len")],
    result: (_args, _max, lits) => ({ kind: "buffer", size: Number(lits[1] ?? 0n) }),
  },
  { name: "usym", params: [int("addr")], result: () => ({ kind: "usym" }) },
  { name: "reg", params: [{ name: "name", kind: "stringLiteral" }], result: () => UINT64 },
  { name: "strerror", params: [int("errno")], result: () => stringType(64) },
  { name: "signal_name", params: [int("sig")], result: () => stringType(32) },
  { name: "ksym", params: [int("addr")], result: () => stringType(64) },
  { name: "kaddr", params: [{ name: "name", kind: "stringLiteral" }], result: () => UINT64 },
  {
    // The address of a per-CPU variable's copy on a CPU (this one by default); 0 past the last.
    name: "percpu_kaddr",
    params: [{ name: "name", kind: "stringLiteral" }, int("cpu", true)],
    result: () => ({ kind: "pointer", to: UINT64 }),
  },
  // The longest name in the kernel's syscall table, with its NUL.
  { name: "syscall_name", params: [int("nr_syscall")], result: () => stringType(32) },
  {
    name: "join",
    params: [int("arr"), { name: "sep", kind: "stringLiteral", optional: true }],
    result: none,
  },
  {
    name: "pton",
    params: [{ name: "address", kind: "stringLiteral" }],
    // inet_pton's bytes: 4 for IPv4, 16 for IPv6; the checker refuses anything else.
    result: (_args, _max, _lits, texts) => ({ kind: "buffer", size: pton(texts[0] ?? "")?.length ?? 4 }),
  },
  {
    name: "ntop",
    // ntop(addr) or ntop(af, addr): an IPv4 address as an integer, or the bytes pton() gives.
    params: [
      { name: "af", kind: "any" },
      { name: "addr", kind: "any", optional: true },
    ],
    result: () => stringType(46),
  },
  {
    name: "bswap",
    params: [int("n")],
    // The same width, unsigned: bswap((int16)x) is a uint16.
    result: (args) => intType(args[0]?.kind === "int" ? args[0].bits : 64, false),
  },
  {
    name: "strncmp",
    params: [{ name: "a", kind: "string" }, { name: "b", kind: "string" }, intLit("n")],
    result: () => UINT64,
  },
  {
    name: "strcontains",
    params: [
      { name: "haystack", kind: "string" },
      { name: "needle", kind: "string" },
    ],
    result: () => BOOL,
  },
  { name: "strlen", params: [{ name: "s", kind: "string" }], result: () => UINT64 },
  { name: "len", params: [{ name: "map", kind: "any" }], result: () => INT64, check: "mapFunction" },
  {
    name: "has_key",
    params: [map(), { name: "key", kind: "mapKey" }],
    result: () => BOOL,
    check: "mapFunction",
  },
  {
    name: "delete",
    params: [map(), { name: "key", kind: "mapKey", optional: true }],
    result: () => BOOL,
    check: "mapFunction",
  },
  { name: "clear", params: [map()], result: none, check: "mapFunction" },
  { name: "zero", params: [map()], result: none, check: "mapFunction" },
  // Aggregations: only ever the whole right-hand side of a map assignment.
  { name: "count", params: [], result: () => ({ kind: "count" }), check: "aggregate" },
  {
    name: "sum",
    params: [int("n")],
    result: (args) => ({ kind: "sum", signed: signedOf(args) }),
    check: "aggregate",
  },
  {
    name: "avg",
    params: [int("n")],
    result: (args) => ({ kind: "avg", signed: signedOf(args) }),
    check: "aggregate",
  },
  {
    name: "min",
    params: [int("n")],
    result: (args) => ({ kind: "min", signed: signedOf(args) }),
    check: "aggregate",
  },
  {
    name: "max",
    params: [int("n")],
    result: (args) => ({ kind: "max", signed: signedOf(args) }),
    check: "aggregate",
  },
  {
    name: "stats",
    params: [int("n")],
    result: (args) => ({ kind: "stats", signed: signedOf(args) }),
    check: "aggregate",
  },
  {
    name: "hist",
    params: [int("n"), intLit("k", true)],
    result: (_args, _max, lits) => ({ kind: "hist", k: Number(lits[1] ?? 0n) }),
    check: "aggregate",
  },
  {
    name: "lhist",
    params: [int("n"), intLit("min"), intLit("max"), intLit("step")],
    result: (_args, _max, lits) => ({
      kind: "lhist",
      min: lits[1] ?? 0n,
      max: lits[2] ?? 0n,
      step: lits[3] ?? 1n,
    }),
    check: "aggregate",
  },
  {
    name: "tseries",
    params: [
      int("n"),
      intLit("interval_ns"),
      intLit("num_intervals"),
      { name: "agg", kind: "stringLiteral", optional: true },
    ],
    result: (args, _max, lits, texts) => ({
      kind: "tseries",
      intervalNs: lits[1] ?? 1n,
      intervals: lits[2] ?? 1n,
      agg: TSERIES_AGGS.find((a) => a === texts[3]) ?? "last",
      signed: signedOf(args),
    }),
    check: "aggregate",
  },
];

export const FUNCTIONS: ReadonlyMap<string, FunctionSpec> = new Map(FUNCTION_TABLE.map((f) => [f.name, f]));

/**
 * The aggregation call that ends `e` when `e` is a block expression (possibly nested, as
 * `{ a; { b; count() } }`): bpftrace lets such a block be assigned to a map, the statements
 * running first. An if expression does not qualify, in bpftrace either.
 */
export function aggregateTail(e: Expr): CallExpr | null {
  let tail: Expr = e;
  while (tail.kind === "blockExpr") {
    if (tail.block.value === null) return null;
    tail = tail.block.value;
  }
  if (tail === e || tail.kind !== "call" || tail.bare) return null;
  return FUNCTIONS.get(tail.name)?.check === "aggregate" ? tail : null;
}

/** bpftrace functions probelab does not implement: named in the error instead of "unknown". */
export const UNSUPPORTED_FUNCTIONS = new Set([
  "signal",
  "signal_thread",
  "override",
  "write_user",
  "macaddr",
  "cgroup_path",
  "path",
  "skboutput",
  "socket_cookie",
  "fail",
  "static_assert",
  "kptr",
  "uptr",
  "str_concat",
  "strstr",
  "find",
  "print_once",
  "debugf",
  "unwatch",
]);

/**
 * The x86-64 pt_regs registers `reg("name")` reads: those the simulated threads have, the
 * instruction and stack pointers, the argument registers in calling-convention order, and
 * `ax`, the return value.
 */
export const REGISTERS: readonly string[] = ["ip", "sp", "di", "si", "dx", "cx", "r8", "r9", "ax"];

/** The one command system() may run: a simulated run performs `echo` (src/runtime/simulated-shell.ts). */
export const SIMULATED_COMMAND = "echo";

/** Whether a system() format starts with the one command the simulation performs. */
export function isSimulatedCommand(format: string): boolean {
  return format.trimStart().split(/[ \t]/, 1)[0] === SIMULATED_COMMAND;
}

/** Every name a user might have meant, for "did you mean" hints. */
export function knownNames(): string[] {
  return [...BUILTIN_VALUES.keys(), ...FUNCTIONS.keys()];
}
