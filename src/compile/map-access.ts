/**
 * Reading and writing maps from a hit: key evaluation, plain loads and stores, increments,
 * and aggregation updates (`@x[k] = count()`), all against the runtime's BpfMap.
 *
 * A multi-key access `@m[a, b]` builds its key tuple in one array per access site, reused
 * by every hit: BpfMap copies a key when it inserts it and only encodes it otherwise.
 */

import type { Block, CallExpr, CompoundOp, Expr, IncDecExpr, MapExpr, Span } from "../lang/ast.js";
import { sourceContext } from "../lang/diagnostics.js";
import { isAggregate, type MapInfo, pointerStride, type Type } from "../lang/types.js";
import type { Int } from "../runtime/int64.js";
import * as i64 from "../runtime/int64.js";
import type { BpfMap } from "../runtime/maps.js";
import type { Value } from "../runtime/types.js";
import type { HitContext } from "./context.js";
import { conversion } from "./conversions.js";
import {
  asInt,
  CompileError,
  type Eval,
  type Exec,
  fixedFormat,
  locationOf,
  mapOf,
  type ProbeEnv,
} from "./env.js";
import { arithmeticOp, compileExpr, compileIntOperand, incrementOf, signedOf } from "./expressions.js";
import { NORMAL } from "./state.js";
import { compileStatements } from "./statements.js";
import { warnDivideByZero } from "./warnings.js";

export type KeyEval = (ctx: HitContext) => Value | undefined;

const NO_KEY: KeyEval = () => undefined;

/** The key of an access to `info`'s map; undefined for scalar maps. */
export function compileMapKey(env: ProbeEnv, info: MapInfo, key: Expr | null): KeyEval {
  if (key === null || info.keyType === null) return NO_KEY;
  const keyType = info.keyType;
  if (key.kind === "tuple" && keyType.kind === "tuple" && key.elements.length === keyType.elements.length) {
    const parts = key.elements.map((el, i) => converted(env, el, keyType.elements[i]!));
    const scratch: Value[] = new Array<Value>(parts.length).fill(0);
    const n = parts.length;
    return (ctx) => {
      for (let i = 0; i < n; i++) scratch[i] = parts[i]!(ctx);
      return scratch;
    };
  }
  return converted(env, key, keyType);
}

/** An expression whose value is converted to `to` (wrapping/sign-extending integers). */
export function converted(env: ProbeEnv, e: Expr, to: Type): Eval {
  const value = compileExpr(env, e);
  const convert = conversion(e.type, to);
  return convert ? (ctx) => convert(value(ctx)) : value;
}

/** `@m` / `@m[k]` as a value: the stored value, a missing key reads as zero. */
export function compileMapRead(env: ProbeEnv, e: MapExpr): Eval {
  const { map, info } = mapOf(env, e.name, e.span);
  if (e.key === null && info.keyType !== null) {
    throw new CompileError(`${e.name} is a map with keys: index it, or pass it to a map function`, e.span);
  }
  if (e.key === null) return () => map.lookup();
  const key = compileMapKey(env, info, e.key);
  if (env.script.helperErrors) return checkedLookup(env, map, key, e.span);
  return (ctx) => map.lookup(key(ctx));
}

/**
 * `-k`: map_lookup_elem of a missing key returns NULL, which bpftrace reports as a warning at
 * the read, with the helper's name and return code, every time it happens.
 */
function checkedLookup(env: ProbeEnv, map: BpfMap, key: KeyEval, span: Span): Eval {
  const ring = env.script.ring;
  const loc = locationOf(env.script.source, span);
  loc.expansion = `Additional Info - helper: map_lookup_elem, retcode: 0\n${sourceContext(env.script.source, span)}`;
  const spec = fixedFormat(MISSING_ELEMENT);
  return (ctx) => {
    const k = key(ctx);
    if (!map.hasKey(k)) ring.warnf(spec, NO_VALUES, loc);
    return map.lookup(k);
  };
}

const MISSING_ELEMENT = "Can't lookup map element because it does not exist.";
const NO_VALUES: readonly Value[] = [];

/** `@m[k] = v` and `@m[k] op= v`. */
export function compileMapStore(env: ProbeEnv, target: MapExpr, value: Expr, op: CompoundOp | null): Exec {
  const { map, info } = mapOf(env, target.name, target.span);
  const key = compileMapKey(env, info, target.key);
  if (isAggregate(info.valueType)) {
    if (value.kind === "blockExpr") return compileAggregateBlock(env, map, key, value.block, target);
    if (value.kind !== "call") {
      throw new CompileError(
        `${target.name} holds an aggregation; assign it an aggregation call`,
        value.span,
      );
    }
    return compileAggregate(env, map, key, value);
  }
  if (op === null) {
    const v = converted(env, value, info.valueType);
    return (ctx) => {
      map.update(key(ctx), v(ctx));
      return NORMAL;
    };
  }
  const update = compileCompound(env, op, info.valueType, value);
  return (ctx) => {
    const k = key(ctx);
    map.update(k, update(ctx, map.lookup(k)));
    return NORMAL;
  };
}

/**
 * `x op= v` as a function of the old value: computed in 64 bits (signed if either side is,
 * and always for `-`), then wrapped to the target's type.
 */
export function compileCompound(
  env: ProbeEnv,
  op: CompoundOp,
  targetType: Type,
  value: Expr,
): (ctx: HitContext, old: Value) => Value {
  const operand = compileIntOperand(env, value);
  // `p += n` moves a pointer by n elements.
  const stride = targetType.kind === "pointer" ? pointerStride(targetType) : 1;
  const rhs = stride === 1 ? operand : (ctx: HitContext) => i64.mul(operand(ctx), stride, true);
  const signed = op === "-" || signedOf(targetType) || (value.type.kind === "int" && value.type.signed);
  const f = arithmeticOp(op);
  const store = conversion({ kind: "int", bits: 64, signed }, targetType);
  const divides = op === "/" || op === "%";
  const ring = env.script.ring;
  const loc = locationOf(env.script.source, value.span);
  return (ctx, old) => {
    let r: Value = f(asInt(old), rhs(ctx), signed);
    if (divides && i64.arith.divByZero) warnDivideByZero(ring, loc);
    if (store) r = store(r);
    return r;
  };
}

/** `@m[k]++` and friends: the key is evaluated once. */
export function compileMapIncDec(env: ProbeEnv, e: IncDecExpr): Eval {
  const target = e.target as MapExpr;
  const { map, info } = mapOf(env, target.name, target.span);
  if (isAggregate(info.valueType)) throw new CompileError(`cannot ${e.op} an aggregation map`, e.span);
  const key = compileMapKey(env, info, target.key);
  const signed = e.op === "--" || signedOf(info.valueType);
  const step = e.op === "++" ? i64.add : i64.sub;
  const store = conversion({ kind: "int", bits: 64, signed }, info.valueType);
  const prefix = e.prefix;
  const by = incrementOf(info.valueType);
  return (ctx) => {
    const k = key(ctx);
    const old = asInt(map.lookup(k));
    let next: Value = step(old, by, signed);
    if (store) next = store(next);
    map.update(k, next);
    return prefix ? next : old;
  };
}

/**
 * `@m[k] = { stmts; count() }`: the statements run (as a block statement would, so a
 * break/continue/return among them reaches the enclosing statement), then the aggregation
 * updates the map, its value and then the key evaluated last, as in the direct form.
 */
function compileAggregateBlock(
  env: ProbeEnv,
  map: BpfMap,
  key: KeyEval,
  block: Block,
  target: MapExpr,
): Exec {
  const value = block.value;
  if (value === null) {
    throw new CompileError(`${target.name} holds an aggregation; assign it an aggregation call`, block.span);
  }
  const body = compileStatements(env, block.statements);
  const update =
    value.kind === "blockExpr"
      ? compileAggregateBlock(env, map, key, value.block, target)
      : value.kind === "call"
        ? compileAggregate(env, map, key, value)
        : null;
  if (update === null) {
    throw new CompileError(`${target.name} holds an aggregation; assign it an aggregation call`, value.span);
  }
  return (ctx) => {
    const c = body(ctx);
    return c === NORMAL ? update(ctx) : c;
  };
}

const AGGREGATIONS = new Set(["count", "sum", "avg", "min", "max", "stats", "hist", "lhist", "tseries"]);

/** `@m[k] = count()`, `= sum(n)`, `= hist(n)`...: one per-CPU update, no allocation. */
function compileAggregate(
  env: ProbeEnv,
  map: BpfMap,
  key: (ctx: HitContext) => Value | undefined,
  call: CallExpr,
): Exec {
  if (!AGGREGATIONS.has(call.name)) {
    throw new CompileError(
      `${map.name} holds an aggregation; ${call.name}() cannot be assigned to it`,
      call.span,
    );
  }
  if (call.name === "count") {
    return (ctx) => {
      map.aggregate(ctx.cpu, key(ctx));
      return NORMAL;
    };
  }
  const arg = call.args[0];
  if (arg === undefined) throw new CompileError(`${call.name}() needs a value`, call.span);
  const value = compileIntOperand(env, arg) as (ctx: HitContext) => Int;
  if (call.name === "tseries") return compileTseries(env, map, key, value);
  return (ctx) => {
    // The value is computed before the key, as bpftrace's codegen does.
    const v = value(ctx);
    map.aggregate(ctx.cpu, key(ctx), v);
    return NORMAL;
  };
}

/** `@m[k] = tseries(n, ...)`: the sample lands in the interval of the wall clock (or the clock map). */
function compileTseries(env: ProbeEnv, map: BpfMap, key: KeyEval, value: (ctx: HitContext) => Int): Exec {
  const clock = env.script.tseriesClock;
  const base = env.script.wallClockBaseNs;
  return (ctx) => {
    const v = value(ctx);
    const now = clock ? Number(clock.lookup() as Int) : base + ctx.nsecs;
    map.aggregate(ctx.cpu, key(ctx), v, now);
    return NORMAL;
  };
}
