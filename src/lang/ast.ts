/**
 * The abstract syntax tree of a probelab script. Plain data: discriminated unions on `kind`,
 * a source span on every node, no parser types. The parser fills every expression's `type`
 * with NONE and every variable's `slot` with -1; the checker resolves both in place, so the
 * tree inside a TypedProgram is fully typed.
 */
import type { MapInfo, MapKind, Type } from "./types.js";

/** A source range: 1-based line and column, end column exclusive (as bpftrace prints it). */
export interface Span {
  line: number;
  col: number;
  endLine: number;
  endCol: number;
}

export interface Program {
  kind: "program";
  /** Entries of the `config = { ... }` block, in source order. */
  config: ConfigEntry[];
  /** `let @m = hash(N);` declarations, in source order. */
  mapDecls: MapDecl[];
  /** C `struct`/`union` definitions, in source order (they come before the probes). */
  structs: StructDef[];
  /** C `enum` definitions, in source order: their variants are integer constants. */
  enums: EnumDef[];
  /** `macro NAME(params) { }` definitions; expanded away before the checker runs. */
  macros: MacroDef[];
  /** Probes (action blocks) in declaration order. */
  probes: Probe[];
  span: Span;
}

export interface ConfigEntry {
  kind: "config";
  /** Key as written, lower-cased and with a `BPFTRACE_` prefix removed. */
  key: string;
  value: bigint | string | boolean;
  /** Span of the whole `key = value` entry; none for one from a BPFTRACE_* environment variable. */
  span?: Span;
}

export interface MapDecl {
  kind: "mapDecl";
  name: string;
  mapKind: MapKind;
  maxEntries: number;
  span: Span;
}

/** `enum Foo { A, B = 5 };` or an anonymous `enum { ... }`. */
export interface EnumDef {
  kind: "enumDef";
  /** `enum Foo`, or null for an anonymous enum. */
  name: string | null;
  variants: EnumVariantDef[];
  span: Span;
}

/** `B = 5` (`value` as written) or `A` (null: one more than the variant before, 0 first). */
export interface EnumVariantDef {
  kind: "enumVariant";
  name: string;
  value: bigint | null;
  span: Span;
}

/** `struct Foo { int m; struct Bar *next; };` (or `union`): laid out by the checker. */
export interface StructDef {
  kind: "structDef";
  /**
   * `struct Foo` or `union Foo`, as C spells the type; null for a nested definition without
   * a tag (`struct { int a; } s;`), whose type has no name to be used by.
   */
  name: string | null;
  union: boolean;
  fields: StructFieldDef[];
  /** `__attribute__((packed))`: every member at alignment 1. */
  packed?: boolean;
  /** `__attribute__((aligned(N)))`: at least N. */
  aligned?: number;
  span: Span;
}

/**
 * One member: its C type as written (`unsigned long`, `struct Bar *`, `char[16]`) and name.
 * A member whose type is defined in place (`struct { int a; } s;`) has that definition in
 * `inline` (its `type` text then names the definition's tag, or is empty); an anonymous
 * member (`union { ... };`) has the name "", its members being the enclosing struct's.
 */
export interface StructFieldDef {
  kind: "structField";
  name: string;
  type: TypeRef;
  inline?: StructDef;
  /** `NAME : BITS`: a bitfield of that many bits. */
  bits?: number;
  span: Span;
}

/**
 * `macro NAME($x, @m, ident) { body }`. A `$x` parameter binds the caller's variable (by
 * reference), `@m` the caller's map, a bare identifier an expression substituted at each use.
 */
export interface MacroDef {
  kind: "macroDef";
  name: string;
  params: MacroParam[];
  body: Block;
  span: Span;
}

export interface MacroParam {
  kind: "macroParam";
  /** "$x", "@m" or "x", as written. */
  name: string;
  binds: "variable" | "map" | "expression";
  span: Span;
}

/**
 * One action block. The predicate is kept separately (not desugared into an `if`): the
 * compiler evaluates it first and skips the body when it is false.
 */
export interface Probe {
  kind: "probe";
  /** Position among the program's probes, 0-based. */
  index: number;
  attachPoints: AttachPoint[];
  predicate: Expr | null;
  body: Block;
  span: Span;
}

/** Providers probelab runs; any other provider name is kept as written (lower-case) and rejected. */
export type SupportedProvider = "uprobe" | "uretprobe" | "begin" | "end" | "interval";

/** An attach point as parsed: not yet resolved against a process's mappings and symbols. */
export interface AttachPoint {
  kind: "attachPoint";
  /** Normalised provider: aliases expanded (`u` → `uprobe`), case folded for full names. */
  provider: SupportedProvider | string;
  /** The attach point text as written, after `$N` substitution and without a `name=` prefix. */
  raw: string;
  /** The `name=` prefix, if any. */
  label?: string;
  /** Parts after the provider, split on `:` outside quotes, quotes removed. */
  parts: string[];
  /** uprobe/uretprobe: the binary or library as written (`/usr/bin/shopd`, `libc`, may contain `*`). */
  target?: string;
  /** uprobe/uretprobe: the function name (may contain `*` wildcards). */
  func?: string;
  /** usdt: the provider part (`*` when omitted or empty); `func` is the probe's name. */
  usdtProvider?: string;
  /** uprobe `FUNC+OFF`: the byte offset into the function. */
  offset?: bigint;
  /** uprobe/uretprobe with a numeric FUNC: an address in the binary. */
  address?: bigint;
  /** interval: the period in nanoseconds. */
  intervalNs?: number;
  /** The text the `probe` builtin yields, e.g. `uprobe:/usr/bin/shopd:main`, `begin`, `interval:ms:100`. */
  canonical: string;
  span: Span;
}

export interface Block {
  kind: "block";
  statements: Stmt[];
  /** The trailing expression without `;` (block expressions); null for plain blocks. */
  value: Expr | null;
  span: Span;
}

// ---------------------------------------------------------------- statements

export type Stmt =
  | ExprStmt
  | AssignStmt
  | LetStmt
  | IfStmt
  | UnrollStmt
  | WhileStmt
  | ForMapStmt
  | ForRangeStmt
  | JumpStmt
  | ReturnStmt
  | BlockStmt;

export interface ExprStmt {
  kind: "exprStmt";
  expr: Expr;
  span: Span;
}

/** The targets an assignment may write: a variable, a map (with or without key), or `_`. */
export type LValue = VarExpr | MapExpr | DiscardExpr;

/** `x = e` and compound `x op= e` (op is the binary operator, e.g. "+" for `+=`). */
export interface AssignStmt {
  kind: "assign";
  target: LValue;
  op: CompoundOp | null;
  value: Expr;
  span: Span;
}

export type CompoundOp = "+" | "-" | "*" | "/" | "%" | "&" | "|" | "^" | "<<" | ">>";

/** `let $x [: type] [= e];` */
export interface LetStmt {
  kind: "let";
  variable: VarExpr;
  declaredType: TypeRef | null;
  value: Expr | null;
  span: Span;
}

export interface IfStmt {
  kind: "if";
  cond: Expr;
  then: Block;
  /** `else { }` is a Block, `else if` an IfStmt, absent else null. */
  else: Block | IfStmt | null;
  span: Span;
}

export interface UnrollStmt {
  kind: "unroll";
  /** The resolved constant repetition count (1..100). */
  count: number;
  countExpr: Expr;
  body: Block;
  span: Span;
}

export interface WhileStmt {
  kind: "while";
  cond: Expr;
  body: Block;
  span: Span;
}

/** `for ($kv : @map) { }`: $kv is a (key, value) tuple. */
export interface ForMapStmt {
  kind: "forMap";
  variable: VarExpr;
  map: MapExpr;
  body: Block;
  span: Span;
}

/** `for ($i : start..end) { }`: start inclusive, end exclusive, both evaluated once. */
export interface ForRangeStmt {
  kind: "forRange";
  variable: VarExpr;
  start: Expr;
  end: Expr;
  body: Block;
  span: Span;
}

export interface JumpStmt {
  kind: "break" | "continue";
  span: Span;
}

export interface ReturnStmt {
  kind: "return";
  value: Expr | null;
  span: Span;
}

export interface BlockStmt {
  kind: "blockStmt";
  block: Block;
  span: Span;
}

// ---------------------------------------------------------------- expressions

export type Expr =
  | IntExpr
  | StringExpr
  | BoolExpr
  | VarExpr
  | MapExpr
  | DiscardExpr
  | BuiltinExpr
  | CallExpr
  | BinaryExpr
  | UnaryExpr
  | IncDecExpr
  | TernaryExpr
  | CastExpr
  | TupleExpr
  | RecordExpr
  | FieldExpr
  | TupleIndexExpr
  | IndexExpr
  | BlockExpr
  | IfExpr
  | SizeofExpr
  | OffsetofExpr
  | TypeofExpr;

/**
 * `typeof(T)` or `typeof(e)`: a type, not a value. It stands where a type is written (a cast,
 * `let $x: T`, sizeof) or is passed to a macro parameter that the body uses as a type.
 */
export interface TypeofExpr extends ExprBase {
  kind: "typeof";
  of: TypeRef | Expr;
}

/** `sizeof(T)` or `sizeof(e)`: bytes of a type, or of an expression's type; set by the checker. */
export interface SizeofExpr extends ExprBase {
  kind: "sizeof";
  of: TypeRef | Expr;
  value: bigint;
}

/** `offsetof(struct S, a.b)`: the byte offset of a (nested) member; set by the checker. */
export interface OffsetofExpr extends ExprBase {
  kind: "offsetof";
  struct: TypeRef;
  path: string[];
  value: bigint;
}

interface ExprBase {
  span: Span;
  /** Resolved by the checker; NONE straight out of the parser. */
  type: Type;
}

/** An integer literal: exact u64 value; `$N` positional parameters that are numbers land here too. */
export interface IntExpr extends ExprBase {
  kind: "int";
  value: bigint;
  /** The literal as written (`1_000`, `10ms`, `$1`). */
  text: string;
  /** Set when this literal came from the positional parameter `$N` (or `$#`, as 0). */
  positional?: number;
  /** Set when this literal is an enum variant (`ONE` of `enum Foo`): the enum's name. */
  enumName?: string;
}

/**
 * A string literal. `value` is a byte string: every char code is one byte (0–255); UTF-8
 * text in the source is stored as its bytes, escapes as the byte they denote.
 */
export interface StringExpr extends ExprBase {
  kind: "string";
  value: string;
  positional?: number;
}

export interface BoolExpr extends ExprBase {
  kind: "bool";
  value: boolean;
}

/** A scratch variable `$name`; the checker gives each distinct variable of a probe its own slot. */
export interface VarExpr extends ExprBase {
  kind: "var";
  name: string;
  slot: number;
  /**
   * The macro expansion that introduced this variable as one of the macro's own locals
   * (absent for the program's variables). Two variables are the same only when both name
   * and expansion match: that is what keeps macros hygienic.
   */
  expansion?: number;
}

/** `@name` or `@name[key]`; a multi-key access `@m[a, b]` has a tuple key. */
export interface MapExpr extends ExprBase {
  kind: "map";
  name: string;
  key: Expr | null;
}

/** The `_` in `_ = e;`. */
export interface DiscardExpr extends ExprBase {
  kind: "discard";
}

export type BuiltinName =
  | "pid"
  | "tid"
  | "ppid"
  | "uid"
  | "gid"
  | "comm"
  | "pcomm"
  | "nsecs"
  | "elapsed"
  | "cpu"
  | "ncpus"
  | "arg0"
  | "arg1"
  | "arg2"
  | "arg3"
  | "arg4"
  | "arg5"
  | "arg6"
  | "arg7"
  | "arg8"
  | "arg9"
  | "arg10"
  | "arg11"
  | "retval"
  | "func"
  | "probe"
  | "probetype"
  | "ustack"
  | "kstack"
  | "rand"
  | "usermode"
  | "numaid"
  | "cgroup"
  | "jiffies"
  | "username"
  | "curtask"
  | "ctx"
  | "args";

export interface BuiltinExpr extends ExprBase {
  kind: "builtin";
  name: BuiltinName;
}

/** A function call: `printf(...)`, `count()`, `exit()`, ... (see builtins.ts for the table). */
export interface CallExpr extends ExprBase {
  kind: "call";
  name: string;
  args: Expr[];
  /** Written without parentheses (`count`, `exit`): only zero-argument functions may be. */
  bare?: boolean;
  /** `uaddr("sym")`: the symbol's address in the target process, set by the checker. */
  address?: number;
  /**
   * errorf/warnf copied out of a user macro's body: the macro calls it was expanded from,
   * innermost first, which its message names after its own location (`expanded from`).
   */
  expandedFrom?: Span[];
}

export type BinaryOp =
  | "||"
  | "&&"
  | "|"
  | "^"
  | "&"
  | "=="
  | "!="
  | "<"
  | ">"
  | "<="
  | ">="
  | "<<"
  | ">>"
  | "+"
  | "-"
  | "*"
  | "/"
  | "%";

export interface BinaryExpr extends ExprBase {
  kind: "binary";
  op: BinaryOp;
  left: Expr;
  right: Expr;
}

export type UnaryOp = "!" | "~" | "-" | "*" | "&";

export interface UnaryExpr extends ExprBase {
  kind: "unary";
  op: UnaryOp;
  operand: Expr;
}

/** `x++`, `++x`, `x--`, `--x` on a variable or map. */
export interface IncDecExpr extends ExprBase {
  kind: "incdec";
  op: "++" | "--";
  prefix: boolean;
  target: VarExpr | MapExpr;
}

/** `c ? a : b`; the short form `c ?: b` has `then` null (c is evaluated once). */
export interface TernaryExpr extends ExprBase {
  kind: "ternary";
  cond: Expr;
  then: Expr | null;
  else: Expr;
}

/** A type as written in a cast or `let $x: T`: `int32`, `string[8]`, `struct Foo *`. */
export interface TypeRef {
  kind: "typeRef";
  /** The type's name; with `typeOf`, only what follows it (` *`, `[2]`, or nothing). */
  text: string;
  /** `typeof(...)` in place of the name: `(typeof($x) *)0`, `let $y: typeof(x)`. */
  typeOf?: TypeofExpr;
  span: Span;
}

export interface CastExpr extends ExprBase {
  kind: "cast";
  to: TypeRef;
  operand: Expr;
}

export interface TupleExpr extends ExprBase {
  kind: "tuple";
  elements: Expr[];
}

export interface RecordExpr extends ExprBase {
  kind: "record";
  fields: { name: string; value: Expr; span: Span }[];
}

/** `e.name` / `e->name` on a record, a struct, or a pointer to a struct (read from memory). */
export interface FieldExpr extends ExprBase {
  kind: "field";
  operand: Expr;
  field: string;
}

/** `t.N` on a tuple (and `t[const]`, which the checker folds into this form). */
export interface TupleIndexExpr extends ExprBase {
  kind: "tupleIndex";
  operand: Expr;
  index: number;
}

/** `e[i]`: string indexing (a byte, int8) or tuple indexing with a constant. */
export interface IndexExpr extends ExprBase {
  kind: "index";
  operand: Expr;
  index: Expr;
}

export interface BlockExpr extends ExprBase {
  kind: "blockExpr";
  block: Block;
}

export interface IfExpr extends ExprBase {
  kind: "ifExpr";
  cond: Expr;
  then: Block;
  else: Block | IfExpr;
}

// ---------------------------------------------------------------- checked program

/** A scratch variable's storage: the compiler keeps one array of locals per probe. */
export interface LocalSlot {
  slot: number;
  name: string;
  type: Type;
}

export interface ProbeInfo {
  probe: Probe;
  /** Every scratch variable of the probe, indexed by slot. */
  locals: LocalSlot[];
}

/** The config block's values after validation, with defaults filled in. */
export interface ResolvedConfig {
  maxMapKeys: number;
  /** Probes a script may attach (bpftrace's max_probes, default 1024). */
  maxProbes: number;
  maxStrlen: number;
  missingProbes: "error" | "warn" | "ignore";
  printMapsOnExit: boolean;
  /** Every other known key as written, for completeness. */
  other: Record<string, bigint | string | boolean>;
}

/** The front end's output: the AST with every type and slot resolved, plus the tables the compiler needs. */
export interface TypedProgram {
  ast: Program;
  probes: ProbeInfo[];
  /** Every map the program uses, sorted by name (bpftrace's print order at exit). */
  maps: MapInfo[];
  config: ResolvedConfig;
  /** The positional arguments the program was checked with. */
  args: string[];
}
