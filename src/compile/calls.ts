/**
 * Function calls in expressions: printf and print push events into the output ring (which
 * copies the arguments, so one argument array per call site serves every hit); string and
 * map helpers run synchronously; clear() and zero() are events applied in stream order, as
 * in bpftrace, so a print() queued before them still sees the old contents.
 */

import type { CallExpr, Expr, MapExpr, Span } from "../lang/ast.js";
import { type Diagnostic, formatDiagnostics } from "../lang/diagnostics.js";
import { pton } from "../lang/inet-address.js";
import { PERCPU_BASE, PERCPU_STRIDE, PERCPU_SYMBOLS } from "../lang/kernel-structs.js";
import type { UstackType } from "../lang/types.js";
import { add, bswap, cast, type Int } from "../runtime/int64.js";
import { AF_INET6, ntop4, ntop6, signalName, strerror } from "../runtime/libc-text.js";
import { type FormatSpec, isFormatError, parseFormat } from "../runtime/printf.js";
import { formatStrftime } from "../runtime/strftime.js";
import type { Value, ValueType } from "../runtime/types.js";
import { makeString } from "../runtime/values.js";
import { arrayBytes } from "./array-casts.js";
import { compileStack, u64 } from "./builtins.js";
import type { HitContext } from "./context.js";
import {
  CompileError,
  type Eval,
  fixedFormat,
  locationOf,
  mapOf,
  type ProbeEnv,
  valueTypeOf,
} from "./env.js";
import { compileExpr, compileIntOperand } from "./expressions.js";
import { compileMapKey } from "./map-access.js";
import { LEAVE, UNWIND } from "./state.js";

type IntEval = (ctx: HitContext) => Int;

const NOTHING: Value = 0;
const EMPTY_BYTES = new Uint8Array(0);

export function compileCall(env: ProbeEnv, e: CallExpr): Eval {
  switch (e.name) {
    case "printf":
      return compilePrintf(env, e, "printf");
    case "errorf":
      return compilePrintf(env, e, "errorf");
    case "warnf":
      return compilePrintf(env, e, "warnf");
    case "cat":
      return compilePrintf(env, e, "cat");
    case "system":
      return compilePrintf(env, e, "system");
    case "print":
      return compilePrint(env, e);
    case "exit": {
      const run = compileExitEffect(env, e);
      return (ctx) => {
        run(ctx);
        // exit() inside an expression: abandon the rest of the hit.
        UNWIND.code = LEAVE;
        throw UNWIND;
      };
    }
    case "time":
      return compileTime(env, e);
    case "strftime":
      return compileStrftime(env, e);
    case "str":
      return compileStr(env, e);
    case "buf":
      return compileBuf(env, e);
    case "ustack":
    case "kstack":
      return compileStack(env, e.type as UstackType);
    case "usym": {
      const addr = compileIntOperand(env, arg(e, 0));
      const symbols = env.script.symbols;
      return (ctx) => {
        symbols.useSymbolizer(ctx.symbolize);
        return addr(ctx);
      };
    }
    case "uaddr": {
      // Resolved when the script loaded: a constant.
      const address = e.address;
      if (address === undefined)
        throw new CompileError("uaddr() needs a workload to resolve the symbol in", e.span);
      return () => address;
    }
    case "strncmp":
      return compileStrncmp(env, e);
    case "nsecs":
      return compileClock(env, e);
    case "reg":
      return compileRegister(arg(e, 0));
    case "strerror": {
      const n = compileIntOperand(env, arg(e, 0));
      return (ctx) => strerror(Number(n(ctx)));
    }
    case "syscall_name": {
      const n = compileIntOperand(env, arg(e, 0));
      const names = env.script.syscallNames;
      return (ctx) => {
        const nr = Number(n(ctx));
        return (nr >= 0 && nr < names.length && names[nr]) || UNKNOWN_SYSCALL;
      };
    }
    case "join":
      return compileJoin(env, e);
    case "ksym": {
      const addr = compileIntOperand(env, arg(e, 0));
      const symbols = env.script.kernelSymbols;
      return (ctx) => {
        const a = BigInt.asUintN(64, BigInt(addr(ctx)));
        return symbols.symbolAt(Number(a)) ?? `0x${a.toString(16)}`;
      };
    }
    case "kaddr": {
      // Resolved when the script is compiled, as bpftrace resolves it.
      const name = arg(e, 0);
      const text = name.kind === "string" ? name.value : "";
      const addr = env.script.kernelSymbols.addressOf(text);
      if (addr === 0) throw new CompileError(`Failed to resolve kernel symbol: ${text}`, e.span);
      // Kernel addresses are above 2^53: exact as a u64.
      const exact = BigInt(addr);
      return () => exact;
    }
    case "percpu_kaddr":
      return compilePercpuKaddr(env, e);
    case "signal_name": {
      const n = compileIntOperand(env, arg(e, 0));
      return (ctx) => signalName(Number(n(ctx)));
    }
    case "pton":
      return compilePton(e);
    case "ntop":
      return compileNtop(env, e);
    case "bswap": {
      const n = compileIntOperand(env, arg(e, 0));
      const bits = e.type.kind === "int" ? e.type.bits : 64;
      return (ctx) => bswap(n(ctx), bits);
    }
    case "strcontains": {
      const hay = compileExpr(env, arg(e, 0)) as (ctx: HitContext) => string;
      const needle = compileExpr(env, arg(e, 1)) as (ctx: HitContext) => string;
      return (ctx) => hay(ctx).includes(needle(ctx));
    }
    case "strlen": {
      const s = compileExpr(env, arg(e, 0)) as (ctx: HitContext) => string;
      return (ctx) => s(ctx).length;
    }
    case "len": {
      const target = arg(e, 0);
      if (target.type.kind === "ustack") {
        // len(ustack): the stack's depth.
        const frames = compileExpr(env, target) as (ctx: HitContext) => readonly Value[];
        return (ctx) => frames(ctx).length;
      }
      const { map } = mapArg(env, e, 0);
      return () => map.len();
    }
    case "has_key": {
      const { map, info } = mapArg(env, e, 0);
      const key = compileMapKey(env, info, arg(e, 1));
      return (ctx) => map.hasKey(key(ctx));
    }
    case "delete":
      return compileDelete(env, e);
    case "clear": {
      const { map } = mapArg(env, e, 0);
      const ring = env.script.ring;
      return () => {
        ring.clearMap(map);
        return NOTHING;
      };
    }
    case "zero": {
      const { map } = mapArg(env, e, 0);
      const ring = env.script.ring;
      return () => {
        ring.zeroMap(map);
        return NOTHING;
      };
    }
    case "count":
    case "sum":
    case "avg":
    case "min":
    case "max":
    case "stats":
    case "hist":
    case "lhist":
    case "tseries":
      throw new CompileError(`${e.name}() must be assigned directly to a map`, e.span);
    default:
      throw new CompileError(`function ${e.name}() is not supported by probelab`, e.span);
  }
}

/** pton("addr"): the literal's bytes, computed once. */
function compilePton(e: CallExpr): Eval {
  const literal = arg(e, 0);
  const bytes = literal.kind === "string" ? pton(literal.value) : null;
  if (bytes === null) throw new CompileError("pton() expects an IPv4 or IPv6 address literal", literal.span);
  return () => bytes;
}

/**
 * ntop([af, ]addr): an integer is an IPv4 address as it lies in memory (little-endian, so
 * 0x0100007f is 127.0.0.1); bytes are IPv4 or IPv6 by the family, or by their length.
 */
function compileNtop(env: ProbeEnv, e: CallExpr): Eval {
  const addrExpr = e.args.length > 1 ? arg(e, 1) : arg(e, 0);
  const family = e.args.length > 1 ? compileIntOperand(env, arg(e, 0)) : null;
  const t = addrExpr.type;
  if (t.kind === "buffer" || t.kind === "array") {
    const value = compileExpr(env, addrExpr);
    // An array member (`in6_addr.s6_addr`, `uint32[4]`) holds the address bytes as they lie in memory.
    const toBytes = t.kind === "array" ? arrayBytes(t) : (v: Value) => v as Uint8Array;
    return (ctx) => {
      const b = toBytes(value(ctx));
      const v6 = family ? Number(family(ctx)) === AF_INET6 : b.length === 16;
      return v6 ? ntop6(b) : ntop4(b);
    };
  }
  const addr = compileIntOperand(env, addrExpr);
  const scratch = new Uint8Array(4);
  return (ctx) => {
    const v = Number(cast(addr(ctx), 32, false));
    scratch[0] = v & 0xff;
    scratch[1] = (v >>> 8) & 0xff;
    scratch[2] = (v >>> 16) & 0xff;
    scratch[3] = v >>> 24;
    return ntop4(scratch);
  };
}

/** TAI runs ahead of UTC by 37 leap seconds. */
const TAI_OFFSET_NS = 37_000_000_000;

/** nsecs(clock): monotonic and boot are the simulated time, TAI the wall clock plus its offset. */
function compileClock(env: ProbeEnv, e: CallExpr): Eval {
  const clock = arg(e, 0);
  if (clock.kind !== "call" || (clock.name !== "tai" && clock.name !== "sw_tai")) return (ctx) => ctx.nsecs;
  const base = env.script.wallClockBaseNs + TAI_OFFSET_NS;
  return (ctx) => base + ctx.nsecs;
}

function arg(e: CallExpr, i: number): Expr {
  const a = e.args[i];
  if (a === undefined) throw new CompileError(`${e.name}() is missing argument ${i + 1}`, e.span);
  return a;
}

function mapArg(env: ProbeEnv, e: CallExpr, i: number) {
  const a = arg(e, i);
  if (a.kind !== "map") throw new CompileError(`${e.name}() expects a map argument`, a.span);
  return mapOf(env, a.name, a.span);
}

/** A literal integer argument (print's top/div), or null when absent. */
function optionalInt(env: ProbeEnv, e: CallExpr, i: number): IntEval | null {
  const a = e.args[i];
  return a === undefined ? null : compileIntOperand(env, a);
}

function formatOf(e: CallExpr): FormatSpec {
  const first = arg(e, 0);
  if (first.kind !== "string")
    throw new CompileError(`${e.name}() needs a literal format string`, first.span);
  const spec = parseFormat(first.value);
  if (isFormatError(spec)) throw new CompileError(spec.error, first.span);
  return spec;
}

/** The runtime type each value argument prints with (`%s` of records, symbols...). */
function argTypes(env: ProbeEnv, args: readonly Expr[]): ValueType[] {
  return args.map((a) => valueTypeOf(env, a.type));
}

function compilePrintf(
  env: ProbeEnv,
  e: CallExpr,
  kind: "printf" | "errorf" | "warnf" | "cat" | "system",
): Eval {
  const spec = formatOf(e);
  const argExprs = e.args.slice(1);
  const parts = argExprs.map((a) => compileExpr(env, a));
  const types = argTypes(env, argExprs);
  const values: Value[] = new Array<Value>(parts.length).fill(0);
  const n = parts.length;
  const ring = env.script.ring;
  const fill = (ctx: HitContext) => {
    for (let i = 0; i < n; i++) values[i] = parts[i]!(ctx);
  };
  if (kind === "printf") {
    return (ctx) => {
      fill(ctx);
      ring.printf(spec, values, types);
      return NOTHING;
    };
  }
  if (kind === "cat") {
    return (ctx) => {
      fill(ctx);
      ring.cat(spec, values, ctx.nsecs, types);
      return NOTHING;
    };
  }
  if (kind === "system") {
    return (ctx) => {
      fill(ctx);
      ring.system(spec, values, types);
      return NOTHING;
    };
  }
  const loc = locationOf(env.script.source, e.span);
  if (e.expandedFrom !== undefined) loc.expansion = expansionLines(env, e.expandedFrom, kind);
  if (kind === "errorf") {
    return (ctx) => {
      fill(ctx);
      ring.errorf(spec, values, loc, types);
      return NOTHING;
    };
  }
  return (ctx) => {
    fill(ctx);
    ring.warnf(spec, values, loc, types);
    return NOTHING;
  };
}

/**
 * percpu_kaddr(name[, cpu]): the variable's copy on that CPU (the running one by default),
 * as bpf_per_cpu_ptr gives it; NULL for a CPU the machine does not have.
 */
function compilePercpuKaddr(env: ProbeEnv, e: CallExpr): Eval {
  const name = arg(e, 0);
  const symbol = PERCPU_SYMBOLS[name.kind === "string" ? name.value : ""];
  if (symbol === undefined) throw new CompileError("percpu_kaddr() of a variable the model lacks", e.span);
  const ncpus = env.script.ncpus;
  const cpuArg = e.args[1];
  const cpu = cpuArg === undefined ? (ctx: HitContext) => ctx.cpu : compileIntOperand(env, cpuArg);
  return (ctx) => {
    const c = cpu(ctx);
    if (typeof c !== "number" || c < 0 || c >= ncpus) return 0;
    return PERCPU_BASE + c * PERCPU_STRIDE + symbol.offset;
  };
}

/** bpftrace's `expanded from` lines: each macro call site, with its source line and marker. */
function expansionLines(env: ProbeEnv, sites: readonly Span[], kind: "errorf" | "warnf"): string {
  const severity = kind === "errorf" ? "error" : "warning";
  const notes: Diagnostic[] = sites.map((span) => ({ severity, message: "expanded from", span, hints: [] }));
  return formatDiagnostics(notes, env.script.source);
}

/** reg("name"): the argument registers are arg0..arg5 in order, `ax` the return value. */
function compileRegister(name: Expr): Eval {
  const which = name.kind === "string" ? name.value : "";
  const argument = ["di", "si", "dx", "cx", "r8", "r9"].indexOf(which);
  if (argument >= 0) return (ctx) => u64(ctx.args[argument] ?? 0);
  if (which === "ax") return (ctx) => u64(ctx.retval);
  if (which === "sp") return (ctx) => ctx.sp;
  return (ctx) => ctx.ip;
}

/** What syscall_name() answers for a number the kernel's table lacks, as bpftrace does. */
const UNKNOWN_SYSCALL = "Unknown syscall";
/** bpftrace reads at most 16 elements of an array join() prints, each up to 1024 bytes. */
const JOIN_MAX_ELEMENTS = 16;
const JOIN_ELEMENT_SIZE = 1024;

/**
 * join(arr, sep): the strings of a NULL-terminated array of `char *` in user memory (execve's
 * argv), printed on one line with `sep` (default " ") between them.
 */
function compileJoin(env: ProbeEnv, e: CallExpr): Eval {
  const arr = compileIntOperand(env, arg(e, 0));
  const sepArg = e.args[1];
  const sep = sepArg?.kind === "string" ? sepArg.value : " ";
  const spec = fixedFormat("%s\n");
  const values: Value[] = [""];
  const ring = env.script.ring;
  return (ctx) => {
    values[0] = joinStrings(ctx, Number(arr(ctx)), sep);
    ring.printf(spec, values);
    return NOTHING;
  };
}

function joinStrings(ctx: HitContext, base: number, sep: string): string {
  const parts: string[] = [];
  for (let i = 0; i < JOIN_MAX_ELEMENTS && base > 0; i++) {
    const slot = ctx.memory.readBytes(base + i * 8, 8);
    if (slot == null || slot.length < 8) break;
    const view = new DataView(slot.buffer, slot.byteOffset, 8);
    const ptr = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
    if (ptr === 0) break;
    parts.push(ctx.memory.readCString(ptr, JOIN_ELEMENT_SIZE) ?? "");
  }
  return parts.join(sep);
}

function compilePrint(env: ProbeEnv, e: CallExpr): Eval {
  const target = arg(e, 0);
  const ring = env.script.ring;
  if (target.kind === "map" && target.key === null) {
    const { map } = mapOf(env, target.name, target.span);
    const top = optionalInt(env, e, 1);
    const div = optionalInt(env, e, 2);
    return (ctx) => {
      ring.printMap(map, top ? Number(top(ctx)) : 0, div ? Number(div(ctx)) : 0);
      return NOTHING;
    };
  }
  const value = compileExpr(env, target);
  const type = valueTypeOf(env, target.type);
  return (ctx) => {
    ring.printValue(value(ctx), type);
    return NOTHING;
  };
}

/** exit()/exit(code): records the request and queues the exit event. */
export function compileExitEffect(env: ProbeEnv, e: CallExpr): (ctx: HitContext) => void {
  const code = e.args[0] ? compileIntOperand(env, e.args[0]) : () => 0;
  const { ring, state } = env.script;
  return (ctx) => {
    const c = Number(code(ctx));
    state.requestExit(c);
    ring.exit(c);
  };
}

function compileTime(env: ProbeEnv, e: CallExpr): Eval {
  const first = e.args[0];
  if (first !== undefined && first.kind !== "string") {
    throw new CompileError("time() needs a literal format string", first.span);
  }
  const fmt = first?.value;
  const { ring, wallClockBaseNs } = env.script;
  return (ctx) => {
    if (fmt === undefined) ring.time(wallClockBaseNs + ctx.nsecs);
    else ring.time(wallClockBaseNs + ctx.nsecs, fmt);
    return NOTHING;
  };
}

function compileStrftime(env: ProbeEnv, e: CallExpr): Eval {
  const first = arg(e, 0);
  if (first.kind !== "string") throw new CompileError("strftime() needs a literal format string", first.span);
  const fmt = first.value;
  const ns = compileIntOperand(env, arg(e, 1));
  const base = env.script.wallClockBaseNs;
  // Formatted at once: the value is text from here on (see value-types.ts).
  return (ctx) => formatStrftime(fmt, add(base, ns(ctx), false));
}

/** The address an integer argument points at, or -1 when it cannot be a user address. */
function address(v: Int): number {
  return typeof v === "number" && v >= 0 ? v : -1;
}

/** str()'s length is unsigned: a negative value is a huge one, so it clamps to `max`. */
function unsignedLength(len: Int, max: number): number {
  const n = Number(len);
  return n < 0 ? max : Math.min(n, max);
}

function compileStr(env: ProbeEnv, e: CallExpr): Eval {
  const source = arg(e, 0);
  const size = e.type.kind === "string" ? e.type.size : env.script.maxStrlen;
  const limit = optionalInt(env, e, 1);
  if (source.type.kind === "string") {
    const s = compileExpr(env, source) as (ctx: HitContext) => string;
    if (limit === null) return (ctx) => makeString(s(ctx), size);
    return (ctx) => s(ctx).slice(0, unsignedLength(limit(ctx), size));
  }
  const ptr = compileIntOperand(env, source);
  return (ctx) => {
    const addr = address(ptr(ctx));
    if (limit !== null) {
      const n = unsignedLength(limit(ctx), size);
      return addr < 0 || n === 0 ? "" : (ctx.memory.readCString(addr, n) ?? "");
    }
    // Reading `size` bytes tells a string that fits from one that must be cut with "..".
    const raw = addr < 0 ? null : ctx.memory.readCString(addr, size);
    return raw == null ? "" : makeString(raw, size);
  };
}

function compileBuf(env: ProbeEnv, e: CallExpr): Eval {
  const source = arg(e, 0);
  const len = optionalInt(env, e, 1);
  const max = env.script.maxStrlen;
  if (source.type.kind === "string") {
    // The string's whole array, its NUL padding included: buf("ok", 3) ends in a zero byte.
    const s = compileExpr(env, source) as (ctx: HitContext) => string;
    const size = source.type.size;
    return (ctx) => {
      const text = s(ctx);
      const n = len ? Math.min(Number(len(ctx)), size) : size;
      const bytes = new Uint8Array(Math.max(0, n));
      for (let i = 0; i < bytes.length && i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
      return bytes;
    };
  }
  const ptr = compileIntOperand(env, source);
  return (ctx) => {
    const addr = address(ptr(ctx));
    const n = Math.max(0, Math.min(len ? Number(len(ctx)) : max, max));
    if (addr < 0 || n === 0) return EMPTY_BYTES;
    return ctx.memory.readBytes(addr, n) ?? EMPTY_BYTES;
  };
}

function compileStrncmp(env: ProbeEnv, e: CallExpr): Eval {
  const a = compileExpr(env, arg(e, 0)) as (ctx: HitContext) => string;
  const b = compileExpr(env, arg(e, 1)) as (ctx: HitContext) => string;
  const n = compileIntOperand(env, arg(e, 2));
  return (ctx) => {
    const x = a(ctx);
    const y = b(ctx);
    const limit = Number(n(ctx));
    // Strings are NUL-terminated: past its end a string reads as NUL.
    for (let i = 0; i < limit; i++) {
      const cx = i < x.length ? x.charCodeAt(i) : 0;
      const cy = i < y.length ? y.charCodeAt(i) : 0;
      if (cx !== cy) return 1;
      if (cx === 0) return 0;
    }
    return 0;
  };
}

function compileDelete(env: ProbeEnv, e: CallExpr): Eval {
  const first = arg(e, 0) as MapExpr;
  if (first.kind !== "map") throw new CompileError("delete() expects a map argument", first.span);
  const { map, info } = mapOf(env, first.name, first.span);
  // delete(@m, k), the deprecated delete(@m[k]), and delete(@m) for a scalar map.
  const keyExpr = e.args[1] ?? first.key;
  if (keyExpr === null) return () => map.delete();
  const key = compileMapKey(env, info, keyExpr);
  return (ctx) => map.delete(key(ctx));
}
