/**
 * The types of probelab's language, as the checker resolves them and the compiler consumes them.
 * They follow bpftrace's type resolver: integers carry a width and a sign, strings a byte size
 * (including the terminating NUL), aggregations have their own value kinds that only maps hold.
 */

export type IntBits = 8 | 16 | 32 | 64;

export interface IntType {
  kind: "int";
  bits: IntBits;
  signed: boolean;
  /** Set on the type of an enum's variants and of casts to the enum: values print as names. */
  enum?: EnumInfo;
}
/** A C enum: its name (`enum Foo`, or `enum` when anonymous) and variant names by value. */
export interface EnumInfo {
  name: string;
  /** Variant name by decimal value; the first variant wins when two share a value. */
  names: ReadonlyMap<string, string>;
}
export interface BoolType {
  kind: "bool";
}
/** A NUL-terminated string buffer of `size` bytes (`string[size]` in bpftrace's messages). */
export interface StringType {
  kind: "string";
  size: number;
  /**
   * Read from a `const char *` tracepoint field: in bpftrace a pointer into user memory, so
   * it may be tested as a condition (true unless NULL; here, unless the string is empty).
   */
  userPointer?: true;
}
export interface TupleType {
  kind: "tuple";
  elements: Type[];
}
export interface RecordField {
  name: string;
  type: Type;
}
export interface RecordType {
  kind: "record";
  fields: RecordField[];
}
/** The type of statements, of calls that return nothing and of `exit()`. */
export interface NoneType {
  kind: "none";
}
/** A user-space symbol: `func`, `usym(addr)`; prints as the symbol name. */
export interface UsymType {
  kind: "usym";
}
/**
 * How a stack prints (bpftrace's StackMode): `sym+off`, perf's `addr sym+off (file)`, raw
 * addresses, or each file's build ID and the offset in it (user stacks only).
 */
export type StackMode = "bpftrace" | "perf" | "raw" | "build_id";
export const STACK_MODES: readonly StackMode[] = ["bpftrace", "perf", "raw", "build_id"];

/**
 * `ustack`, `ustack([mode, ][limit])`, and `kstack` (probelab models no kernel frames, so a
 * kstack is always empty). Without a mode the config's stack_mode applies.
 */
export interface UstackType {
  kind: "ustack";
  mode?: StackMode;
  /** Most frames kept (bpftrace's default is 127, perf_event_max_stack). */
  limit?: number;
  kernel?: boolean;
}
/** The result of `strftime(fmt, ns)`: printed with `%s` through strftime. */
export interface TimestampType {
  kind: "timestamp";
}
export interface BufferType {
  kind: "buffer";
  size: number;
}
/**
 * A C struct or union defined at the top of the script, laid out with C alignment. The object
 * is shared by every use of the type (a pointer to it may come before its fields are known),
 * so two struct types are the same type exactly when they are the same object.
 */
export interface StructType {
  kind: "struct";
  /** As C spells it: `struct Foo`, `union U`. */
  name: string;
  fields: StructMember[];
  /** Bytes, padding included. */
  size: number;
  align: number;
}
export interface StructMember {
  name: string;
  type: Type;
  /** Byte offset from the start of the struct (for a bitfield, of the byte holding its first bit). */
  offset: number;
  /** Set on a bitfield member (`unsigned x : 3`): where its bits sit from `offset`. */
  bitfield?: Bitfield;
}
/**
 * A bitfield's bits, as bpftrace reads one: `bytes` bytes from the member's offset, read
 * little-endian, shifted right by `shift` (below 8) and masked to `bits` bits. No sign
 * extension, also as bpftrace.
 */
export interface Bitfield {
  shift: number;
  bits: number;
  bytes: number;
}
/**
 * A fixed array of integers, bools, pointers or structs: `int m[4]` in a struct, `(int8[8])x`
 * in a cast. Char arrays in structs are strings instead (bpftrace converts them).
 */
export interface ArrayType {
  kind: "array";
  element: Type;
  length: number;
}
/**
 * A user-space address with what it points to: `(struct Foo *)arg0`, `(int32 *)p`. `to` is
 * NONE for `void *`. Its value is the address, an unsigned 64-bit integer.
 */
export interface PointerType {
  kind: "pointer";
  to: Type;
}
/**
 * Given to expressions the checker could not type. It is compatible with everything,
 * so one mistake yields one diagnostic instead of a cascade.
 */
export interface ErrorType {
  kind: "error";
}

/** Value kinds that only maps hold: the result of aggregation functions. */
export type AggregateType =
  | { kind: "count" }
  | { kind: "sum"; signed: boolean }
  | { kind: "avg"; signed: boolean }
  | { kind: "min"; signed: boolean }
  | { kind: "max"; signed: boolean }
  | { kind: "stats"; signed: boolean }
  | { kind: "hist"; k: number }
  | { kind: "lhist"; min: bigint; max: bigint; step: bigint }
  | TseriesType;

/** How tseries() combines the values recorded in one interval: the last one, or a reduction. */
export type TseriesAgg = "last" | "avg" | "max" | "min" | "sum";

/** tseries(n, interval, num_intervals[, agg]): a ring of `intervals` buckets `intervalNs` long. */
export interface TseriesType {
  kind: "tseries";
  intervalNs: bigint;
  intervals: bigint;
  agg: TseriesAgg;
  signed: boolean;
}

export type AggregateKind = AggregateType["kind"];

export type Type =
  | IntType
  | BoolType
  | StringType
  | TupleType
  | RecordType
  | NoneType
  | UsymType
  | UstackType
  | TimestampType
  | BufferType
  | StructType
  | ArrayType
  | PointerType
  | ErrorType
  | AggregateType;

export const AGGREGATE_KINDS: readonly AggregateKind[] = [
  "count",
  "sum",
  "avg",
  "min",
  "max",
  "stats",
  "hist",
  "lhist",
  "tseries",
];

export function isAggregate(t: Type): t is AggregateType {
  return (AGGREGATE_KINDS as readonly string[]).includes(t.kind);
}

export const NONE: NoneType = { kind: "none" };
export const BOOL: BoolType = { kind: "bool" };
export const ERROR_TYPE: ErrorType = { kind: "error" };

/** The eight integer types, shared: types are never mutated, and checking makes many. */
const WIDTHS: readonly IntBits[] = [8, 16, 32, 64];
const INT_TYPES: readonly IntType[] = WIDTHS.flatMap((bits) => [
  { kind: "int" as const, bits, signed: false },
  { kind: "int" as const, bits, signed: true },
]);

export function intType(bits: IntBits, signed: boolean): IntType {
  const width = bits === 8 ? 0 : bits === 16 ? 1 : bits === 32 ? 2 : 3;
  return INT_TYPES[width * 2 + (signed ? 1 : 0)]!;
}
export const UINT64 = intType(64, false);
export const INT64 = intType(64, true);
export const UINT32 = intType(32, false);
export const UINT8 = intType(8, false);

export function pointerTo(to: Type): PointerType {
  return { kind: "pointer", to };
}

/**
 * Bytes a value of type `t` takes in C memory (integers, bools, pointers, structs, and char
 * arrays, which are strings of their array's size); 0 otherwise.
 */
export function sizeOf(t: Type): number {
  switch (t.kind) {
    case "string":
      return t.size;
    case "int":
      return t.bits / 8;
    case "bool":
      return 1;
    case "pointer":
      return 8;
    case "struct":
      return t.size;
    case "array":
      return t.length * sizeOf(t.element);
    case "tuple":
    case "record": {
      const elements = elementsOf(t);
      const offsets = elementOffsets(t);
      const end =
        elements.length === 0 ? 0 : offsets[elements.length - 1]! + sizeOf(elements[elements.length - 1]!);
      const align = alignOf(t);
      return Math.ceil(end / align) * align;
    }
    default:
      return 0;
  }
}

/** A tuple's elements, or a record's field types, in order. */
export function elementsOf(t: TupleType | RecordType): Type[] {
  return t.kind === "tuple" ? t.elements : t.fields.map((f) => f.type);
}

/** Where each element of a tuple or record lies: laid out as bpftrace lays one out, a C struct of its elements. */
export function elementOffsets(t: TupleType | RecordType): number[] {
  const offsets: number[] = [];
  let offset = 0;
  for (const e of elementsOf(t)) {
    const align = alignOf(e);
    offset = Math.ceil(offset / align) * align;
    offsets.push(offset);
    offset += sizeOf(e);
  }
  return offsets;
}

/** Bytes one step of pointer arithmetic moves: C scales by the pointee's size, `void *` by 1. */
export function pointerStride(p: PointerType): number {
  return Math.max(1, sizeOf(p.to));
}

/** Alignment of a C object of type `t` (x86-64: natural alignment, structs their largest member's). */
export function alignOf(t: Type): number {
  if (t.kind === "struct") return t.align;
  if (t.kind === "array") return alignOf(t.element);
  if (t.kind === "tuple") return Math.max(1, ...t.elements.map(alignOf));
  if (t.kind === "record") return Math.max(1, ...t.fields.map((f) => alignOf(f.type)));
  return t.kind === "string" ? 1 : Math.max(1, sizeOf(t));
}

export function arrayOf(element: Type, length: number): ArrayType {
  return { kind: "array", element, length };
}

export function stringType(size: number): StringType {
  return { kind: "string", size };
}

/** How bpftrace spells a type in diagnostics: `int8`, `uint64`, `string[2]`, `(int8,string[3])`. */
export function typeName(t: Type): string {
  switch (t.kind) {
    case "int":
      return `${t.signed ? "" : "u"}int${t.bits}`;
    case "bool":
      return "bool";
    case "string":
      return `string[${t.size}]`;
    case "tuple":
      return `(${t.elements.map(typeName).join(",")})`;
    case "record":
      return `record { ${t.fields.map((f) => `${typeName(f.type)} ${f.name}`).join(", ")} }`;
    case "none":
      return "none";
    case "usym":
      return "usym_t";
    case "ustack":
      return "ustack_t";
    case "timestamp":
      return "timestamp";
    case "buffer":
      return `buffer[${t.size}]`;
    case "struct":
      return t.name;
    case "array":
      return `${typeName(t.element)}[${t.length}]`;
    case "pointer":
      // C's spelling: `struct Foo *`, `int32 **`, `void *`.
      if (t.to.kind === "pointer") return `${typeName(t.to)}*`;
      return `${t.to.kind === "none" ? "void" : typeName(t.to)} *`;
    case "error":
      return "<error>";
    case "count":
      return "count_t";
    case "sum":
      return `${t.signed ? "" : "u"}sum_t`;
    case "avg":
      return `${t.signed ? "" : "u"}avg_t`;
    case "min":
      return `${t.signed ? "" : "u"}min_t`;
    case "max":
      return `${t.signed ? "" : "u"}max_t`;
    case "stats":
      return `${t.signed ? "" : "u"}stats_t`;
    case "hist":
      return "hist_t";
    case "lhist":
      return "lhist_t";
    case "tseries":
      return "tseries_t";
  }
}

/** Declared kinds of map (`let @m = hash(N);`); undeclared maps are hashes of max_map_keys entries. */
export type MapKind = "hash" | "lruhash" | "percpuhash" | "percpulruhash";

/** What the compiler needs to allocate one map. */
export interface MapInfo {
  /** Name with its sigil: "@" for the anonymous map, "@start", ... */
  name: string;
  /** Key type; null for a scalar map (used without `[key]`). Multi-key maps have a tuple key. */
  keyType: Type | null;
  valueType: Type;
  kind: MapKind;
  /** Declared size, else the `max_map_keys` config value. */
  maxEntries: number;
  /** True when the program declared the map with `let @m = kind(N);`. */
  declared: boolean;
}
