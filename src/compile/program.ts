/**
 * compileProgram: a checked program becomes one handler per probe block plus the maps it
 * uses. Everything is built here, once; a hit only calls the pre-bound closures.
 */

import type { AttachPoint, Probe, ProbeInfo, TypedProgram } from "../lang/ast.js";
import type { Diagnostic, SourceFile } from "../lang/diagnostics.js";
import type { MapInfo, StackMode } from "../lang/types.js";
import { arith } from "../runtime/int64.js";
import { BpfMap } from "../runtime/maps.js";
import type { OutputRing } from "../runtime/output.js";
import type { SourceLocation, Value } from "../runtime/types.js";
import type { HitContext } from "./context.js";
import {
  CompileError,
  fixedFormat,
  type KernelSymbols,
  locationOf,
  NO_KERNEL_SYMBOLS,
  type ProbeEnv,
  type ProbeKind,
  type ScriptEnv,
} from "./env.js";
import { compileCond } from "./expressions.js";
import { ProgramStack } from "./stack-memory.js";
import { DEFAULT_WORK_BUDGET, ScriptState, UNWIND } from "./state.js";
import { compileBlock } from "./statements.js";
import { SymbolNames, toMapDescriptor } from "./value-types.js";
import { reportBudget, reportInternal, warnText } from "./warnings.js";

export interface CompileOptions {
  ncpus: number;
  /** Where handlers push printf/print/exit/... events. */
  output: OutputRing;
  source: SourceFile;
  /** Positional parameters; the front end already substituted them, kept for reference. */
  args?: string[];
  /** Steps (statements and loop iterations) one hit may take; default 1,000,000. */
  workBudget?: number;
  /** Wall-clock ns at simulated time 0, for time() and strftime(); default 0 (the epoch). */
  wallClockBaseNs?: number;
  /** Output dialect: in "json" the exit dump has no leading blank lines. Default "text". */
  format?: "text" | "json";
  /** The kernel's system call names by number ("" for none), for syscall_name(); default none. */
  syscallNames?: readonly string[];
  /** The kernel's symbols for ksym() and kaddr(); default none. */
  kernelSymbols?: KernelSymbols;
  /** bpftrace's `-k`: a map lookup of a key that is not there warns at its location. */
  helperErrors?: boolean;
}

export interface CompiledProbe {
  /** From the AST; resolution against the process happens in the session. */
  attachPoints: AttachPoint[];
  kind: ProbeKind;
  /** Predicate + body; stops at exit(), the work budget, or return. Never throws. */
  run(ctx: HitContext): void;
}

export interface CompiledScript {
  /** In declaration order; begin/end/interval included. */
  probes: CompiledProbe[];
  /** Every map of the program, sorted by name (print order at exit). */
  maps: BpfMap[];
  exitRequested(): { code: number } | null;
  /**
   * Queues the exit dump: two newlines (text) + every non-empty map, in name order. Drain
   * the ring before calling it, so clear()/zero() events from end blocks are applied first.
   */
  printMapsAtExit(): void;
  /** Runs every begin block in order (sets ctx.probe to "begin"). */
  runBegin(ctx: HitContext): void;
  /** Runs every end block in order (sets ctx.probe to "end"). */
  runEnd(ctx: HitContext): void;
}

const SUPPORTED_KINDS = new Set<string>([
  "uprobe",
  "uretprobe",
  "usdt",
  "begin",
  "end",
  "interval",
  "kprobe",
  "kretprobe",
  "fentry",
  "fexit",
  "tracepoint",
  "rawtracepoint",
  "profile",
  "software",
]);

function probeKind(probe: Probe): ProbeKind {
  const provider = probe.attachPoints[0]?.provider ?? "";
  if (!SUPPORTED_KINDS.has(provider)) {
    throw new CompileError(`${provider} probes are not supported by probelab`, probe.span);
  }
  return provider as ProbeKind;
}

function hasProvider(probe: CompiledProbe, provider: string): boolean {
  return probe.attachPoints.some((a) => a.provider === provider);
}

/** Creates the runtime maps; a full map reports bpftrace's warning at the running probe. */
function createMaps(
  infos: readonly MapInfo[],
  opts: CompileOptions,
  symbols: SymbolNames,
  running: RunningProbe,
): Map<string, BpfMap> {
  const maps = new Map<string, BpfMap>();
  for (const info of infos) {
    const map = new BpfMap(toMapDescriptor(info, opts.ncpus, symbols), (message) =>
      warnText(opts.output, running.loc, message),
    );
    maps.set(info.name, map);
  }
  return maps;
}

/** Where the running hit is, for warnings raised outside any expression (a full map). */
interface RunningProbe {
  loc: SourceLocation;
}

/**
 * One probe block: predicate and body closures, wrapped in the runner that starts the hit's
 * budget and turns everything that can end a hit early into output events, never throws.
 */
function compileProbe(script: ScriptEnv, info: ProbeInfo, running: RunningProbe): CompiledProbe {
  const probe = info.probe;
  const kind = probeKind(probe);
  const locals = new Array<Value>(info.locals.length).fill(0);
  const env: ProbeEnv = { script, locals, stack: new ProgramStack(locals), kind };
  const predicate = probe.predicate ? compileCond(env, probe.predicate) : null;
  const body = compileBlock(env, probe.body);
  const loc = locationOf(script.source, probe.attachPoints[0]?.span ?? probe.span);
  const { ring, state } = script;
  const run = (ctx: HitContext): void => {
    state.startHit();
    running.loc = loc;
    try {
      if (predicate === null || predicate(ctx)) body(ctx);
    } catch (err) {
      // UNWIND is how an expression abandons a hit; anything else is our own bug.
      if (err !== UNWIND) reportInternal(ring, loc, ctx.probe, err);
    }
    if (state.overBudget) reportBudget(ring, loc, ctx.probe, state.budget);
    arith.divByZero = false;
  };
  return { attachPoints: probe.attachPoints, kind, run };
}

/**
 * The map BPFTRACE_DUMMY_TS_MAP names: a scalar map of integers. (bpftrace also wants them
 * unsigned; here `@ts += 10 * $ms` widens to signed, so the sign is not checked.)
 */
function tseriesClockMap(program: TypedProgram, maps: ReadonlyMap<string, BpfMap>): BpfMap | undefined {
  const name = program.config.other.dummy_ts_map;
  if (typeof name !== "string") return undefined;
  const info = program.maps.find((m) => m.name === name);
  const v = info?.valueType;
  if (info === undefined) throw new CompileError(`dummy_ts_map: "${name}" not found`);
  if (info.keyType !== null) throw new CompileError(`dummy_ts_map: "${name}" must be scalar`);
  if (v?.kind !== "int") {
    throw new CompileError(`dummy_ts_map: "${name}" value must be an integer`);
  }
  return maps.get(name);
}

function byName(a: BpfMap, b: BpfMap): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export function compileProgram(program: TypedProgram, opts: CompileOptions): CompiledScript {
  const symbols = new SymbolNames(program.config.other.stack_mode as StackMode | undefined);
  const running: RunningProbe = { loc: { filename: opts.source.name, line: 1, col: 1, colEnd: 2 } };
  const maps = createMaps(program.maps, opts, symbols, running);
  const state = new ScriptState(opts.workBudget ?? DEFAULT_WORK_BUDGET);
  // The ring reads cat()'s files when it drains: it needs the machine's size and the limit.
  opts.output.ncpus = opts.ncpus;
  const maxCat = program.config.other.max_cat_bytes;
  if (typeof maxCat === "bigint") opts.output.maxCatBytes = Number(maxCat);
  const script: ScriptEnv = {
    source: opts.source,
    ring: opts.output,
    state,
    maps,
    mapInfo: new Map(program.maps.map((m) => [m.name, m])),
    symbols,
    ncpus: opts.ncpus,
    maxStrlen: program.config.maxStrlen,
    wallClockBaseNs: opts.wallClockBaseNs ?? 0,
    helperErrors: opts.helperErrors ?? false,
    tseriesClock: tseriesClockMap(program, maps),
    syscallNames: opts.syscallNames ?? [],
    kernelSymbols: opts.kernelSymbols ?? NO_KERNEL_SYMBOLS,
  };
  const probes = program.probes.map((info) => compileProbe(script, info, running));
  const sortedMaps = [...maps.values()].sort(byName);
  const blankLines = fixedFormat("\n\n");

  const runSpecial = (provider: "begin" | "end", ctx: HitContext) => {
    for (const p of probes) {
      if (!hasProvider(p, provider)) continue;
      ctx.probe = provider;
      p.run(ctx);
    }
  };
  const printMapsAtExit = () => {
    if (opts.format !== "json") opts.output.printf(blankLines, []);
    if (!program.config.printMapsOnExit) return;
    for (const m of sortedMaps) if (m.len() > 0) opts.output.printMap(m);
  };

  return {
    probes,
    maps: sortedMaps,
    exitRequested: () => state.exit,
    printMapsAtExit,
    runBegin: (ctx) => runSpecial("begin", ctx),
    runEnd: (ctx) => runSpecial("end", ctx),
  };
}

/** A CompileError as a front-end style diagnostic, for formatDiagnostics. */
export function compileErrorDiagnostic(err: CompileError): Diagnostic {
  return err.span
    ? { severity: "error", message: err.message, span: err.span, hints: [] }
    : { severity: "error", message: err.message, hints: [] };
}
