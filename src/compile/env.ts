/**
 * What the closures of a script are built against: the output ring, the maps, the script
 * state, and per probe the array of scratch variables. Built once at compile time; nothing
 * here is created per hit.
 */

import type { Span } from "../lang/ast.js";
import type { SourceFile } from "../lang/diagnostics.js";
import type { MapInfo, Type } from "../lang/types.js";
import type { Int } from "../runtime/int64.js";
import type { BpfMap } from "../runtime/maps.js";
import type { OutputRing } from "../runtime/output.js";
import { type FormatSpec, isFormatError, parseFormat } from "../runtime/printf.js";
import type { SourceLocation, Value, ValueType } from "../runtime/types.js";
import type { HitContext } from "./context.js";
import type { ProgramStack } from "./stack-memory.js";
import type { ScriptState } from "./state.js";
import { type SymbolNames, toValueType } from "./value-types.js";

/** An expression: evaluates to a runtime value. */
export type Eval = (ctx: HitContext) => Value;
/** A statement: runs and says how it finished (a Completion). */
export type Exec = (ctx: HitContext) => number;

/** A program the front end accepted but this compiler cannot run; carries a source span. */
export class CompileError extends Error {
  constructor(
    message: string,
    readonly span?: Span,
  ) {
    super(message);
    this.name = "CompileError";
  }
}

export type ProbeKind =
  | "uprobe"
  | "uretprobe"
  | "usdt"
  | "begin"
  | "end"
  | "interval"
  | "kprobe"
  | "kretprobe"
  | "fentry"
  | "fexit"
  | "tracepoint"
  | "rawtracepoint"
  | "profile"
  | "software";

export interface ScriptEnv {
  readonly source: SourceFile;
  readonly ring: OutputRing;
  readonly state: ScriptState;
  readonly maps: ReadonlyMap<string, BpfMap>;
  readonly mapInfo: ReadonlyMap<string, MapInfo>;
  readonly symbols: SymbolNames;
  readonly ncpus: number;
  readonly maxStrlen: number;
  /** Wall-clock ns at simulated time 0, for time() and strftime(). */
  readonly wallClockBaseNs: number;
  /** The scalar map tseries() takes its clock from (BPFTRACE_DUMMY_TS_MAP), when one is named. */
  readonly tseriesClock?: BpfMap;
  /** The kernel's system call names by number ("" for none), for syscall_name(). */
  readonly syscallNames: readonly string[];
  /** The kernel's symbols, for ksym() and kaddr(). */
  readonly kernelSymbols: KernelSymbols;
  /** `-k`: a failed map lookup warns (bpftrace's helper error check). */
  readonly helperErrors: boolean;
}

/** kallsyms as a script sees it. */
export interface KernelSymbols {
  /** The address of a kernel function, 0 when there is none. */
  addressOf(name: string): number;
  /** The function an address lies in, or null. */
  symbolAt(addr: number): string | null;
}

/** For a script compiled without a kernel: no symbols. */
export const NO_KERNEL_SYMBOLS: KernelSymbols = { addressOf: () => 0, symbolAt: () => null };

export interface ProbeEnv {
  readonly script: ScriptEnv;
  /** Scratch variables of the probe, by slot; reused by every hit. */
  readonly locals: Value[];
  /** Where the variables whose address the probe takes live (`&$x`). */
  readonly stack: ProgramStack;
  readonly kind: ProbeKind;
}

/** Where a node sits, in the form errorf/warnf events carry. */
export function locationOf(source: SourceFile, span: Span): SourceLocation {
  const colEnd = span.endLine > span.line ? span.col + 1 : span.endCol;
  return { filename: source.name, line: span.line, col: span.col, colEnd };
}

/** A format that is known to be valid (ours, or checked by the front end). */
export function fixedFormat(fmt: string, span?: Span): FormatSpec {
  const spec = parseFormat(fmt);
  if (isFormatError(spec)) throw new CompileError(spec.error, span);
  return spec;
}

/** Booleans take part in arithmetic as 1 and 0. */
export function asInt(v: Value): Int {
  if (typeof v === "number" || typeof v === "bigint") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  return 0;
}

export function valueTypeOf(env: ProbeEnv, t: Type): ValueType {
  return toValueType(t, env.script.symbols);
}

export function mapOf(env: ProbeEnv, name: string, span: Span): { map: BpfMap; info: MapInfo } {
  const map = env.script.maps.get(name);
  const info = env.script.mapInfo.get(name);
  if (map === undefined || info === undefined) throw new CompileError(`Undefined map: ${name}`, span);
  return { map, info };
}
