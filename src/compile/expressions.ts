/**
 * Expressions become closures `(ctx) => Value`, built once per program. Integer operators go
 * through src/runtime/int64.ts with the signedness the checker resolved, so small values run
 * as plain JS arithmetic and only values beyond ±2^53 touch BigInt.
 */

import type {
  BinaryExpr,
  CastExpr,
  Expr,
  FieldExpr,
  IncDecExpr,
  IndexExpr,
  RecordExpr,
  TernaryExpr,
  UnaryExpr,
} from "../lang/ast.js";
import { type ArrayType, type PointerType, pointerStride, type Type } from "../lang/types.js";
import type { Int } from "../runtime/int64.js";
import * as i64 from "../runtime/int64.js";
import type { Value } from "../runtime/types.js";
import { makeRecord, makeString, zeroValue } from "../runtime/values.js";
import { fromArray, toArray } from "./array-casts.js";
import { compileBuiltin } from "./builtins.js";
import { compileCall } from "./calls.js";
import type { HitContext } from "./context.js";
import { conversion, equality, isU64, truthTest } from "./conversions.js";
import { asInt, CompileError, type Eval, locationOf, type ProbeEnv } from "./env.js";
import { compileMapIncDec, compileMapRead } from "./map-access.js";
import { memoryReader } from "./memory-reads.js";
import { compileBlockValue } from "./statements.js";
import { toValueType } from "./value-types.js";
import { warnDivideByZero } from "./warnings.js";

export function compileExpr(env: ProbeEnv, e: Expr): Eval {
  switch (e.kind) {
    case "int": {
      const v = i64.normalize(e.value);
      return () => v;
    }
    case "string": {
      const v = makeString(e.value, 0);
      return () => v;
    }
    case "bool": {
      const v = e.value;
      return () => v;
    }
    case "var": {
      const locals = env.locals;
      const slot = e.slot;
      return () => locals[slot]!;
    }
    case "map":
      return compileMapRead(env, e);
    case "discard":
      throw new CompileError("'_' can only be assigned to", e.span);
    case "builtin":
      return compileBuiltin(env, e);
    case "sizeof":
    case "offsetof": {
      const v = i64.normalize(e.value);
      return () => v;
    }
    case "typeof":
      // The checker refuses a typeof used as a value, so none reaches here.
      throw new CompileError("typeof(...) is a type, not a value", e.span);
    case "call":
      return compileCall(env, e);
    case "binary":
      return compileBinary(env, e);
    case "unary":
      return compileUnary(env, e);
    case "incdec":
      return compileIncDec(env, e);
    case "ternary":
      return compileTernary(env, e);
    case "cast":
      return compileCast(env, e);
    case "tuple":
      return evaluateAll(e.elements.map((x) => compileExpr(env, x)));
    case "record":
      return compileRecord(env, e);
    case "field":
      return compileField(env, e);
    case "tupleIndex": {
      const operand = compileExpr(env, e.operand);
      const index = e.index;
      return (ctx) => (operand(ctx) as readonly Value[])[index]!;
    }
    case "index":
      return compileIndex(env, e);
    case "blockExpr":
      return compileBlockValue(env, e.block);
    case "ifExpr": {
      const cond = compileCond(env, e.cond);
      const then = compileBlockValue(env, e.then);
      const otherwise = e.else.kind === "block" ? compileBlockValue(env, e.else) : compileExpr(env, e.else);
      return (ctx) => (cond(ctx) ? then(ctx) : otherwise(ctx));
    }
  }
}

/**
 * A fresh array of the parts' values, in order. Tuples and records are values that outlive
 * the hit (stored in variables and maps, queued for printing), so each needs its own array;
 * the loop avoids creating a closure per evaluation.
 */
/** A record literal: fields evaluated as written, stored in its type's order (see the checker's inSlotOrder). */
function compileRecord(env: ProbeEnv, e: RecordExpr): Eval {
  const values = evaluateAll(e.fields.map((f) => compileExpr(env, f.value)));
  const order =
    e.type.kind === "record" ? e.type.fields.map((f) => e.fields.findIndex((g) => g.name === f.name)) : [];
  if (order.every((at, i) => at === i)) return (ctx) => makeRecord(values(ctx));
  return (ctx) => {
    const written = values(ctx);
    return makeRecord(order.map((at) => written[at]!));
  };
}

function evaluateAll(parts: Eval[]): (ctx: HitContext) => Value[] {
  const n = parts.length;
  return (ctx) => {
    const out = new Array<Value>(n);
    for (let i = 0; i < n; i++) out[i] = parts[i]!(ctx);
    return out;
  };
}

/** An expression used as a condition: a closure returning a JS boolean. */
export function compileCond(env: ProbeEnv, e: Expr): (ctx: HitContext) => boolean {
  if (e.kind === "binary" && isComparison(e.op)) {
    const cmp = compileComparison(env, e);
    return cmp;
  }
  const value = compileExpr(env, e);
  if (e.type.kind === "bool") return (ctx) => value(ctx) === true;
  const test = truthTest(e.type);
  return (ctx) => test(value(ctx));
}

/** An operand used in arithmetic: booleans count as 1/0. */
export function compileIntOperand(env: ProbeEnv, e: Expr): (ctx: HitContext) => Int {
  const value = compileExpr(env, e);
  if (e.type.kind === "bool") return (ctx) => (value(ctx) ? 1 : 0);
  return value as (ctx: HitContext) => Int;
}

function isComparison(op: string): boolean {
  return op === "<" || op === ">" || op === "<=" || op === ">=" || op === "==" || op === "!=";
}

/** Signedness an operator result is computed in (the checker's resolved type). */
export function signedOf(t: Type): boolean {
  if (t.kind === "int") return t.signed;
  return t.kind !== "count";
}

type IntOp = (a: Int, b: Int, signed: boolean) => Int;

const ARITHMETIC: Record<string, IntOp> = {
  "+": i64.add,
  "-": i64.sub,
  "*": i64.mul,
  "/": i64.div,
  "%": i64.mod,
  "&": i64.and,
  "|": i64.or,
  "^": i64.xor,
  "<<": i64.shl,
  ">>": i64.shr,
};

/** The int64 function of a binary (or compound-assignment) operator. */
export function arithmeticOp(op: string): IntOp {
  const f = ARITHMETIC[op];
  if (f === undefined) throw new CompileError(`unknown operator ${op}`);
  return f;
}

function compileBinary(env: ProbeEnv, e: BinaryExpr): Eval {
  if (isComparison(e.op)) return compileComparison(env, e);
  if (e.op === "&&" || e.op === "||") {
    const left = compileCond(env, e.left);
    const right = compileCond(env, e.right);
    return e.op === "&&" ? (ctx) => left(ctx) && right(ctx) : (ctx) => left(ctx) || right(ctx);
  }
  if (e.left.type.kind === "pointer" || e.right.type.kind === "pointer")
    return compilePointerArithmetic(env, e);
  const left = compileIntOperand(env, e.left);
  const right = compileIntOperand(env, e.right);
  const signed = signedOf(e.type);
  const op = arithmeticOp(e.op);
  if (e.op === "/" || e.op === "%") {
    const ring = env.script.ring;
    const loc = locationOf(env.script.source, e.span);
    return (ctx) => {
      const r = op(left(ctx), right(ctx), signed);
      if (i64.arith.divByZero) warnDivideByZero(ring, loc);
      return r;
    };
  }
  if (e.op === ">>" || e.op === "<<") {
    // C shifts in the left operand's type: a uint64 shifts logically even by a signed
    // amount; the result is then read in the checker's result type.
    const shiftSigned = e.left.type.kind === "int" ? e.left.type.signed : signed;
    if (shiftSigned === signed) return (ctx) => op(left(ctx), right(ctx), signed);
    return (ctx) => i64.cast(op(left(ctx), right(ctx), shiftSigned), 64, signed);
  }
  // The two most common operators get direct calls (one less indirection per hit).
  if (e.op === "+") return (ctx) => i64.add(left(ctx), right(ctx), signed);
  if (e.op === "-") return (ctx) => i64.sub(left(ctx), right(ctx), signed);
  return (ctx) => op(left(ctx), right(ctx), signed);
}

/** `p + n`, `n + p` and `p - n` move by whole elements; `p - q` counts the elements between. */
function compilePointerArithmetic(env: ProbeEnv, e: BinaryExpr): Eval {
  const left = compileIntOperand(env, e.left);
  const right = compileIntOperand(env, e.right);
  const lt = e.left.type;
  const rt = e.right.type;
  if (lt.kind === "pointer" && rt.kind === "pointer") {
    const stride = pointerStride(lt);
    return (ctx) => i64.div(i64.sub(left(ctx), right(ctx), true), stride, true);
  }
  if (lt.kind === "pointer") {
    const stride = pointerStride(lt);
    const op = e.op === "-" ? i64.sub : i64.add;
    return (ctx) => op(left(ctx), i64.mul(right(ctx), stride, true), false);
  }
  const stride = pointerStride(rt as PointerType);
  return (ctx) => i64.add(i64.mul(left(ctx), stride, true), right(ctx), false);
}

/** What `++`/`--` add to a value of type `t`: one element for a pointer, else 1. */
export function incrementOf(t: Type): number {
  return t.kind === "pointer" ? pointerStride(t) : 1;
}

function compileComparison(env: ProbeEnv, e: BinaryExpr): (ctx: HitContext) => boolean {
  const lt = e.left.type;
  const rt = e.right.type;
  if (e.op === "==" || e.op === "!=") {
    const left = compileExpr(env, e.left);
    const right = compileExpr(env, e.right);
    const eq = equality(lt, rt);
    return e.op === "==" ? (ctx) => eq(left(ctx), right(ctx)) : (ctx) => !eq(left(ctx), right(ctx));
  }
  if (lt.kind === "string" && rt.kind === "string") {
    const left = compileExpr(env, e.left) as (ctx: HitContext) => string;
    const right = compileExpr(env, e.right) as (ctx: HitContext) => string;
    return orderTest(e.op, (ctx) => {
      const a = left(ctx);
      const b = right(ctx);
      return a < b ? -1 : a > b ? 1 : 0;
    });
  }
  const left = compileIntOperand(env, e.left);
  const right = compileIntOperand(env, e.right);
  // C's usual conversions: a uint64 operand makes the comparison unsigned.
  const signed = !isU64(lt) && !isU64(rt);
  if (signed) {
    // Both normalised signed values: JS ordering on number|bigint is exact.
    switch (e.op) {
      case "<":
        return (ctx) => left(ctx) < right(ctx);
      case ">":
        return (ctx) => left(ctx) > right(ctx);
      case "<=":
        return (ctx) => left(ctx) <= right(ctx);
      default:
        return (ctx) => left(ctx) >= right(ctx);
    }
  }
  return orderTest(e.op, (ctx) => i64.compare(left(ctx), right(ctx), false));
}

function orderTest(op: string, cmp: (ctx: HitContext) => number): (ctx: HitContext) => boolean {
  switch (op) {
    case "<":
      return (ctx) => cmp(ctx) < 0;
    case ">":
      return (ctx) => cmp(ctx) > 0;
    case "<=":
      return (ctx) => cmp(ctx) <= 0;
    default:
      return (ctx) => cmp(ctx) >= 0;
  }
}

function compileUnary(env: ProbeEnv, e: UnaryExpr): Eval {
  switch (e.op) {
    case "!": {
      const cond = compileCond(env, e.operand);
      return (ctx) => !cond(ctx);
    }
    case "~": {
      const operand = compileIntOperand(env, e.operand);
      const signed = signedOf(e.type);
      const bits = e.type.kind === "int" ? e.type.bits : 64;
      return (ctx) => i64.cast(i64.not(operand(ctx), signed), bits, signed);
    }
    case "-": {
      const operand = compileIntOperand(env, e.operand);
      const signed = signedOf(e.type);
      return (ctx) => i64.neg(operand(ctx), signed);
    }
    case "*": {
      // `*p`: the pointee, read from the traced process (a struct becomes a record).
      const pointer = compileIntOperand(env, e.operand);
      const read = memoryReader(e.type, 0, env.script.symbols, env.stack);
      return (ctx) => read(ctx, pointer(ctx));
    }
    case "&": {
      // The checker allows only a scratch variable: its address on the program's stack.
      const v = e.operand;
      if (v.kind !== "var" || v.slot === undefined)
        throw new CompileError("the address-of operator '&' takes a scratch variable", e.span);
      const addr = env.stack.addressOf(v.slot, v.type);
      return () => addr;
    }
  }
}

function compileTernary(env: ProbeEnv, e: TernaryExpr): Eval {
  const otherwise = compileExpr(env, e.else);
  if (e.then === null) {
    // `c ?: b`: c is evaluated once and is the result when true.
    const cond = compileExpr(env, e.cond);
    const test = truthTest(e.cond.type);
    return (ctx) => {
      const c = cond(ctx);
      return test(c) ? c : otherwise(ctx);
    };
  }
  const cond = compileCond(env, e.cond);
  const then = compileExpr(env, e.then);
  return (ctx) => (cond(ctx) ? then(ctx) : otherwise(ctx));
}

function compileCast(env: ProbeEnv, e: CastExpr): Eval {
  const to = e.type;
  const from = e.operand.type;
  if (to.kind === "array" || (from.kind === "array" && to.kind === "int")) {
    const operand = compileExpr(env, e.operand);
    const convert = to.kind === "array" ? toArray(from, to) : fromArray(from as ArrayType, to);
    return (ctx) => convert(operand(ctx));
  }
  if (to.kind === "bool") {
    const cond = compileCond(env, e.operand);
    return (ctx) => cond(ctx);
  }
  if (to.kind === "int") {
    const operand = compileIntOperand(env, e.operand);
    const { bits, signed } = to;
    return (ctx) => i64.cast(operand(ctx), bits, signed);
  }
  if (to.kind === "pointer") {
    // An address is an unsigned 64-bit integer, zero-extended from a narrower integer as LLVM's
    // inttoptr does in bpftrace: `(uint8 *)-1` (an int8 literal) is 0xff, `(uint8 *)$x` with
    // an int64 $x of -1 is 0xffffffffffffffff.
    const operand = compileIntOperand(env, e.operand);
    const from = e.operand.type;
    const bits = from.kind === "int" ? from.bits : 64;
    return (ctx) => i64.cast(operand(ctx), bits, false);
  }
  if (to.kind === "string" && e.operand.type.kind === "string") {
    const operand = compileExpr(env, e.operand) as (ctx: HitContext) => string;
    const size = to.size;
    return (ctx) => {
      const s = operand(ctx);
      return s.length > size - 1 ? s.slice(0, size - 1) : s;
    };
  }
  const operand = compileExpr(env, e.operand);
  const convert = conversion(e.operand.type, to);
  return convert ? (ctx) => convert(operand(ctx)) : operand;
}

function compileField(env: ProbeEnv, e: FieldExpr): Eval {
  const t = e.operand.type;
  if (e.operand.kind === "builtin" && e.operand.name === "args" && t.kind === "record") {
    // `args.f`: straight from the hit's fields, no record built.
    const index = t.fields.findIndex((f) => f.name === e.field);
    if (index < 0) throw new CompileError(`args has no field named '${e.field}'`, e.span);
    return (ctx) => ctx.fields[index]!;
  }
  if (t.kind === "pointer" && t.to.kind === "struct") {
    // `p->f` / `p.f`: the member's bytes at p + offset, read when the hit runs.
    const member = t.to.fields.find((f) => f.name === e.field);
    if (member === undefined) throw new CompileError(`${t.to.name} has no field named '${e.field}'`, e.span);
    const pointer = compileIntOperand(env, e.operand);
    const read = memoryReader(member.type, member.offset, env.script.symbols, env.stack, member.bitfield);
    return (ctx) => read(ctx, pointer(ctx));
  }
  if (t.kind === "record" || t.kind === "struct") {
    const index = t.fields.findIndex((f) => f.name === e.field);
    if (index < 0) throw new CompileError(`record has no field named '${e.field}'`, e.span);
    const operand = compileExpr(env, e.operand);
    return (ctx) => (operand(ctx) as { record: readonly Value[] }).record[index]!;
  }
  throw new CompileError(`field access needs a record, not '${t.kind}'`, e.span);
}

function compileIndex(env: ProbeEnv, e: IndexExpr): Eval {
  const t = e.operand.type;
  const operand = compileExpr(env, e.operand);
  const index = compileIntOperand(env, e.index);
  if (t.kind === "string") {
    // A byte of the NUL-terminated buffer, as int8; past the end reads the NUL (0).
    return (ctx) => {
      const s = operand(ctx) as string;
      const i = index(ctx);
      if (typeof i !== "number" || i < 0 || i >= s.length) return 0;
      return (s.charCodeAt(i) << 24) >> 24;
    };
  }
  if (t.kind === "tuple") {
    return (ctx) => {
      const i = index(ctx);
      return (operand(ctx) as readonly Value[])[Number(i)] ?? 0;
    };
  }
  if (t.kind === "array") {
    // Past the end reads as the element's zero (a failed read of what lies beyond).
    const zero = zeroValue(toValueType(t.element, env.script.symbols));
    return (ctx) => {
      const i = index(ctx);
      return (typeof i === "number" ? (operand(ctx) as readonly Value[])[i] : undefined) ?? zero;
    };
  }
  throw new CompileError("only strings, tuples and arrays can be indexed", e.span);
}

function compileIncDec(env: ProbeEnv, e: IncDecExpr): Eval {
  if (e.target.kind === "map") return compileMapIncDec(env, e);
  const locals = env.locals;
  const slot = e.target.slot;
  const t = e.target.type;
  const signed = signedOf(t);
  const step = e.op === "++" ? i64.add : i64.sub;
  const store = conversion(i64Type(t), t);
  const prefix = e.prefix;
  const by = incrementOf(t);
  return () => {
    const old = asInt(locals[slot]!);
    let next: Value = step(old, by, signed);
    if (store) next = store(next);
    locals[slot] = next;
    return prefix ? next : old;
  };
}

/** The 64-bit type an increment computes in before it is stored back. */
export function i64Type(t: Type): Type {
  return { kind: "int", bits: 64, signed: signedOf(t) };
}
