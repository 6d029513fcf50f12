/**
 * The runtime's own description of values and maps. It is deliberately independent of the
 * parser's AST: the compiler maps its checked types onto these. The shapes mirror the
 * checker's (same `kind` names, `elements` for tuples, `fields` for records) so that the
 * mapping is mostly the identity.
 */

import type { Int } from "./int64.js";

export type IntBits = 8 | 16 | 32 | 64;

/** Resolves a user-space address to a symbol name, or undefined when no symbol holds it. */
export type SymbolResolver = (addr: Int) => string | undefined;

export interface IntValueType {
  kind: "int";
  bits: IntBits;
  signed: boolean;
  /** An enum's variant names by decimal value: such a value prints as its name (text, not JSON). */
  names?: ReadonlyMap<string, string>;
}
export interface BoolValueType {
  kind: "bool";
}
/** A NUL-terminated string buffer of `size` bytes, NUL included (max_strlen for `str()`). */
export interface StringValueType {
  kind: "string";
  size: number;
}
export interface TupleValueType {
  kind: "tuple";
  elements: readonly ValueType[];
}
/** A fixed C array: printed `[1,2,3]` (no spaces, unlike a tuple). */
export interface ArrayValueType {
  kind: "array";
  element: ValueType;
  length: number;
}
export interface RecordValueField {
  name: string;
  type: ValueType;
}
export interface RecordValueType {
  kind: "record";
  fields: readonly RecordValueField[];
}
/** A code address printed as its symbol name (`func`, `usym(addr)`); `0x...` when unresolved. */
export interface UsymValueType {
  kind: "usym";
  resolve?: SymbolResolver;
}
/**
 * How a resolver names a frame: `sym+off` (bpftrace), `sym+off (file)` (perf), or the file's
 * GNU build ID and the offset in the file (build_id, `0123...ef 0x1a2b`).
 */
export type FrameStyle = "bpftrace" | "perf" | "build_id";

/** Names one stack frame in `style`; undefined when no symbol (or no file) holds the address. */
export type FrameResolver = (addr: Int, style: FrameStyle) => string | undefined;

/** A user stack: frame addresses, innermost first, printed in bpftrace's `mode` (default bpftrace). */
export interface UstackValueType {
  kind: "ustack";
  mode?: "bpftrace" | "perf" | "raw" | "build_id";
  resolve?: FrameResolver;
}
/** A `strftime(fmt, ns)` result: the value is wall-clock ns, printed through `format`. */
export interface TimestampValueType {
  kind: "timestamp";
  format: string;
}
export interface BufferValueType {
  kind: "buffer";
}
/** A raw pointer: printed `0x` + lowercase hex. */
export interface PointerValueType {
  kind: "pointer";
}
/** The value of void calls; prints as nothing. */
export interface NoneValueType {
  kind: "none";
}

export type ValueType =
  | IntValueType
  | BoolValueType
  | StringValueType
  | TupleValueType
  | ArrayValueType
  | RecordValueType
  | UsymValueType
  | UstackValueType
  | TimestampValueType
  | BufferValueType
  | PointerValueType
  | NoneValueType;

/**
 * A runtime value. Integers are `Int` (a number when safe, else a bigint), bools are JS
 * booleans, strings JS strings, tuples and C arrays JS arrays, records `RecordValue`s, buffers Uint8Arrays,
 * usym/pointer/timestamp values are integers and ustacks arrays of frame addresses.
 */
export type Value = Int | boolean | string | readonly Value[] | RecordValue | Uint8Array;

/** A record keeps its fields in declaration order; names live in its type. */
export interface RecordValue {
  readonly record: readonly Value[];
}

/** What a map holds per key: a plain value or one kind of aggregation. */
export type MapValueKind =
  | { kind: "plain"; type: ValueType }
  | { kind: "count" }
  | { kind: "sum"; signed: boolean }
  | { kind: "avg"; signed: boolean }
  | { kind: "min"; signed: boolean }
  | { kind: "max"; signed: boolean }
  | { kind: "stats"; signed: boolean }
  | { kind: "hist"; k: number }
  | { kind: "lhist"; min: number; max: number; step: number }
  | TseriesKind;

/** A tseries() map's shape: see TseriesState. `agg` "last" keeps an interval's last value. */
export interface TseriesKind {
  kind: "tseries";
  intervalNs: number;
  intervals: number;
  agg: "last" | "avg" | "max" | "min" | "sum";
  signed: boolean;
}

/** Everything needed to allocate one map store. */
export interface MapDescriptor {
  /** Name with its sigil: "@", "@start", ... */
  name: string;
  /** False for a scalar map (`@x = 1`), true for `@x[k] = 1`. */
  keyed: boolean;
  /** Key type of a keyed map (a tuple for multi-key maps); used to sort and print keys. */
  keyType?: ValueType;
  value: MapValueKind;
  /** Entries allowed before "Map full" (declared size or max_map_keys). */
  maxEntries: number;
  /** Simulated CPUs: aggregations keep one slot per CPU. */
  ncpus: number;
  /** lruhash / percpulruhash: a full map evicts its least recently used key instead of refusing. */
  lru?: boolean;
}

/** Where an `errorf`/`warnf` call sits in the script. */
export interface SourceLocation {
  filename: string;
  line: number;
  /** 1-based first column. */
  col: number;
  /** Exclusive end column; defaults to `col + 1`. */
  colEnd?: number;
  /** Last line of a span covering several lines (printed as `FILE:L1-L2`). */
  lineEnd?: number;
  /**
   * For errorf/warnf from a macro: the `expanded from` lines that follow the message, one
   * per macro call site with its source line and marker, already rendered.
   */
  expansion?: string;
}

/** A destination for output text (stdout, a file, a test buffer). */
export interface Sink {
  write(s: string): void;
}

export const INT64_T: IntValueType = { kind: "int", bits: 64, signed: true };
export const UINT64_T: IntValueType = { kind: "int", bits: 64, signed: false };
export const BOOL_T: BoolValueType = { kind: "bool" };
