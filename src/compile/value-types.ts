/**
 * From the checker's types to the runtime's value types and map descriptors. The runtime
 * knows nothing of the AST; this is the one place where the two vocabularies meet.
 */

import type { MapInfo, StackMode, Type } from "../lang/types.js";
import type { Int } from "../runtime/int64.js";
import type {
  FrameResolver,
  FrameStyle,
  MapDescriptor,
  MapValueKind,
  SymbolResolver,
  ValueType,
} from "../runtime/types.js";

const INT64: ValueType = { kind: "int", bits: 64, signed: true };
const UINT64: ValueType = { kind: "int", bits: 64, signed: false };

/**
 * Names user-space addresses for printing. `func` records the concrete function it saw, so
 * a map keyed by `func` prints names even after the traced process is gone; other
 * addresses go through the session's symbolizer.
 */
export class SymbolNames {
  private readonly names = new Map<number, string>();
  private symbolize: ((addr: number) => string | null) | undefined;
  private symbolizeFrame: ((addr: number, style: FrameStyle) => string | null) | undefined;
  private lastAddr = -1;

  /** @param stackMode how a stack prints when the script names no mode (config stack_mode) */
  constructor(readonly stackMode: StackMode = "bpftrace") {}

  /** Remembers `name` for `addr` (cheap when the same function hits repeatedly). */
  note(addr: number, name: string, symbolize: (addr: number) => string | null): void {
    this.symbolize = symbolize;
    if (addr === this.lastAddr) return;
    this.lastAddr = addr;
    if (this.names.get(addr) !== name) this.names.set(addr, name);
  }

  /** Keeps the session's symbolizer for addresses `func` never saw (usym). */
  useSymbolizer(symbolize: (addr: number) => string | null): void {
    this.symbolize = symbolize;
  }

  /** Keeps the session's frame symbolizer (`sym+off`) for printing stacks. */
  useFrameSymbolizer(symbolizeFrame: (addr: number, style: FrameStyle) => string | null): void {
    this.symbolizeFrame = symbolizeFrame;
  }

  readonly frame: FrameResolver = (addr: Int, style: FrameStyle) =>
    typeof addr === "bigint" ? undefined : (this.symbolizeFrame?.(addr, style) ?? undefined);

  readonly resolve: SymbolResolver = (addr: Int) => {
    if (typeof addr === "bigint") return undefined;
    const known = this.names.get(addr);
    if (known !== undefined) return known;
    return this.symbolize?.(addr) ?? undefined;
  };
}

/** The runtime's description of a value of checked type `t`. */
export function toValueType(t: Type, symbols: SymbolNames): ValueType {
  switch (t.kind) {
    case "int":
      return t.enum
        ? { kind: "int", bits: t.bits, signed: t.signed, names: t.enum.names }
        : { kind: "int", bits: t.bits, signed: t.signed };
    case "bool":
      return { kind: "bool" };
    case "string":
      return { kind: "string", size: t.size };
    case "tuple":
      return { kind: "tuple", elements: t.elements.map((e) => toValueType(e, symbols)) };
    case "record":
      return {
        kind: "record",
        fields: t.fields.map((f) => ({ name: f.name, type: toValueType(f.type, symbols) })),
      };
    case "usym":
      return { kind: "usym", resolve: symbols.resolve };
    case "ustack": {
      const mode = t.mode ?? symbols.stackMode;
      // A kernel stack has no build IDs: config stack_mode = build_id prints kstack raw, as bpftrace.
      return { kind: "ustack", mode: mode === "build_id" && t.kernel ? "raw" : mode, resolve: symbols.frame };
    }
    case "timestamp":
      // strftime() is formatted when it is evaluated, so its value is already text.
      return { kind: "string", size: 64 };
    case "buffer":
      return { kind: "buffer" };
    case "struct":
      // A C struct read from memory is a record: printed `{ .m = 2, .n = 3 }`.
      return {
        kind: "record",
        fields: t.fields.map((f) => ({ name: f.name, type: toValueType(f.type, symbols) })),
      };
    case "array":
      return { kind: "array", element: toValueType(t.element, symbols), length: t.length };
    case "pointer":
      return { kind: "pointer" };
    case "none":
      return { kind: "none" };
    case "error":
      return INT64;
    case "count":
      return UINT64;
    case "sum":
    case "min":
    case "max":
    case "avg":
    case "stats":
      return t.signed ? INT64 : UINT64;
    case "hist":
    case "lhist":
    case "tseries":
      return UINT64;
  }
}

/** What a map holds per key, in the runtime's terms. */
export function toMapValueKind(t: Type, symbols: SymbolNames): MapValueKind {
  switch (t.kind) {
    case "count":
      return { kind: "count" };
    case "sum":
    case "avg":
    case "min":
    case "max":
    case "stats":
      return { kind: t.kind, signed: t.signed };
    case "hist":
      return { kind: "hist", k: t.k };
    case "lhist":
      return { kind: "lhist", min: Number(t.min), max: Number(t.max), step: Number(t.step) };
    case "tseries":
      return {
        kind: "tseries",
        intervalNs: Number(t.intervalNs),
        intervals: Number(t.intervals),
        agg: t.agg,
        signed: t.signed,
      };
    default:
      return { kind: "plain", type: toValueType(t, symbols) };
  }
}

export function toMapDescriptor(info: MapInfo, ncpus: number, symbols: SymbolNames): MapDescriptor {
  const desc: MapDescriptor = {
    name: info.name,
    keyed: info.keyType !== null,
    value: toMapValueKind(info.valueType, symbols),
    maxEntries: info.maxEntries,
    ncpus,
  };
  if (info.keyType !== null) desc.keyType = toValueType(info.keyType, symbols);
  if (info.kind === "lruhash" || info.kind === "percpulruhash") desc.lru = true;
  return desc;
}
