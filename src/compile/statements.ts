/**
 * Statements become closures `(ctx) => Completion`. A block runs its statements in order and
 * stops at the first one that does not complete normally; loops consume BREAK and CONTINUE
 * and pass LEAVE (return, exit, budget) outwards.
 *
 * The work budget: a block charges one step per statement when it starts and every loop
 * iteration charges one more, so a runaway `while` stops after `budget` steps with the hit
 * abandoned (LEAVE) and `state.overBudget` set for the probe runner to report.
 */

import type {
  AssignStmt,
  Block,
  ForMapStmt,
  ForRangeStmt,
  IfStmt,
  LetStmt,
  Stmt,
  UnrollStmt,
  WhileStmt,
} from "../lang/ast.js";
import type { Int } from "../runtime/int64.js";
import * as i64 from "../runtime/int64.js";
import type { Value } from "../runtime/types.js";
import { zeroValue } from "../runtime/values.js";
import { compileExitEffect } from "./calls.js";
import { conversion } from "./conversions.js";
import { CompileError, type Eval, type Exec, mapOf, type ProbeEnv, valueTypeOf } from "./env.js";
import { compileCond, compileExpr, compileIntOperand } from "./expressions.js";
import { compileCompound, compileMapStore } from "./map-access.js";
import { BREAK, CONTINUE, type Completion, LEAVE, NORMAL, UNWIND } from "./state.js";

/** A block used as a statement (its trailing value, if any, is evaluated and dropped). */
export function compileBlock(env: ProbeEnv, block: Block): Exec {
  const stmts = block.statements.map((s) => compileStmt(env, s));
  if (block.value !== null) {
    const value = compileExpr(env, block.value);
    stmts.push((ctx) => {
      value(ctx);
      return NORMAL;
    });
  }
  return sequence(env, stmts);
}

/** A block's statements without its trailing value, run as one sequence. */
export function compileStatements(env: ProbeEnv, stmts: readonly Stmt[]): Exec {
  return sequence(
    env,
    stmts.map((s) => compileStmt(env, s)),
  );
}

/** Runs statements in order, charging the budget once for the whole block. */
function sequence(env: ProbeEnv, stmts: Exec[]): Exec {
  const state = env.script.state;
  const n = stmts.length;
  if (n === 0) return () => (state.charge(1) ? NORMAL : LEAVE);
  if (n === 1) {
    const only = stmts[0]!;
    return (ctx) => (state.charge(1) ? only(ctx) : LEAVE);
  }
  return (ctx) => {
    if (!state.charge(n)) return LEAVE;
    for (let i = 0; i < n; i++) {
      const c = stmts[i]!(ctx);
      if (c !== NORMAL) return c;
    }
    return NORMAL;
  };
}

/**
 * A block used as an expression: `{ stmts; value }`. A statement inside that leaves early
 * (exit, return, budget) abandons the whole hit by unwinding to the probe runner.
 */
export function compileBlockValue(env: ProbeEnv, block: Block): Eval {
  const body = compileStatements(env, block.statements);
  const value: Eval = block.value ? compileExpr(env, block.value) : () => 0;
  return (ctx) => {
    const c = body(ctx);
    if (c !== NORMAL) {
      // break/continue are caught by the enclosing loop (see loopBody), LEAVE by the runner.
      UNWIND.code = c as Completion;
      throw UNWIND;
    }
    return value(ctx);
  };
}

/** True when `node` holds a block or if expression (which may unwind with break/continue). */
function hasValueBlock(node: unknown): boolean {
  if (node === null || typeof node !== "object") return false;
  if (Array.isArray(node)) return node.some(hasValueBlock);
  const kind = (node as { kind?: unknown }).kind;
  if (kind === "blockExpr" || kind === "ifExpr") return true;
  for (const key of Object.keys(node)) {
    if (key !== "type" && key !== "span" && hasValueBlock((node as Record<string, unknown>)[key]))
      return true;
  }
  return false;
}

/**
 * A loop's body. Only when it contains a block expression can a break/continue arrive as
 * an unwind; then (and only then) the body runs under try/catch to turn it back into a code.
 */
function loopBody(env: ProbeEnv, body: Block): Exec {
  const run = compileBlock(env, body);
  if (!hasValueBlock(body)) return run;
  return (ctx) => {
    try {
      return run(ctx);
    } catch (err) {
      if (err === UNWIND && UNWIND.code !== LEAVE) {
        const code = UNWIND.code;
        UNWIND.code = LEAVE;
        return code;
      }
      throw err;
    }
  };
}

export function compileStmt(env: ProbeEnv, s: Stmt): Exec {
  switch (s.kind) {
    case "exprStmt": {
      if (s.expr.kind === "call" && s.expr.name === "exit") {
        const exit = compileExitEffect(env, s.expr);
        return (ctx) => {
          exit(ctx);
          return LEAVE;
        };
      }
      const e = compileExpr(env, s.expr);
      return (ctx) => {
        e(ctx);
        return NORMAL;
      };
    }
    case "assign":
      return compileAssign(env, s);
    case "let":
      return compileLet(env, s);
    case "if":
      return compileIf(env, s);
    case "unroll":
      return compileUnroll(env, s);
    case "while":
      return compileWhile(env, s);
    case "forMap":
      return compileForMap(env, s);
    case "forRange":
      return compileForRange(env, s);
    case "break":
      return () => BREAK;
    case "continue":
      return () => CONTINUE;
    case "return": {
      if (s.value === null) return () => LEAVE;
      const value = compileExpr(env, s.value);
      return (ctx) => {
        value(ctx);
        return LEAVE;
      };
    }
    case "blockStmt":
      return compileBlock(env, s.block);
  }
}

function compileAssign(env: ProbeEnv, s: AssignStmt): Exec {
  const target = s.target;
  if (target.kind === "map") return compileMapStore(env, target, s.value, s.op);
  if (target.kind === "discard") {
    const value = compileExpr(env, s.value);
    return (ctx) => {
      value(ctx);
      return NORMAL;
    };
  }
  const locals = env.locals;
  const slot = target.slot;
  if (s.op !== null) {
    const update = compileCompound(env, s.op, target.type, s.value);
    return (ctx) => {
      locals[slot] = update(ctx, locals[slot]!);
      return NORMAL;
    };
  }
  const value = compileExpr(env, s.value);
  const convert = conversion(s.value.type, target.type);
  if (convert) {
    return (ctx) => {
      locals[slot] = convert(value(ctx));
      return NORMAL;
    };
  }
  return (ctx) => {
    locals[slot] = value(ctx);
    return NORMAL;
  };
}

function compileLet(env: ProbeEnv, s: LetStmt): Exec {
  const locals = env.locals;
  const slot = s.variable.slot;
  if (s.value === null) {
    // An uninitialised declared variable reads as its type's zero.
    const zero = zeroValue(valueTypeOf(env, s.variable.type));
    return () => {
      locals[slot] = zero;
      return NORMAL;
    };
  }
  const value = compileExpr(env, s.value);
  // `let $x: uint8 = 300` narrows like a cast; an undeclared type only fixes the sign.
  const convert = conversion(s.value.type, s.variable.type, s.declaredType !== null);
  return (ctx) => {
    const v = value(ctx);
    locals[slot] = convert ? convert(v) : v;
    return NORMAL;
  };
}

function compileIf(env: ProbeEnv, s: IfStmt): Exec {
  const cond = compileCond(env, s.cond);
  const then = compileBlock(env, s.then);
  if (s.else === null) return (ctx) => (cond(ctx) ? then(ctx) : NORMAL);
  const otherwise = s.else.kind === "block" ? compileBlock(env, s.else) : compileIf(env, s.else);
  return (ctx) => (cond(ctx) ? then(ctx) : otherwise(ctx));
}

/** `unroll (N)`: the body N times; it is not a loop, so break/continue pass through. */
function compileUnroll(env: ProbeEnv, s: UnrollStmt): Exec {
  const body = compileBlock(env, s.body);
  const count = s.count;
  return (ctx) => {
    for (let i = 0; i < count; i++) {
      const c = body(ctx);
      if (c !== NORMAL) return c;
    }
    return NORMAL;
  };
}

/** Runs one loop iteration's body; returns LEAVE to stop the hit, BREAK to end the loop. */
function loopStep(c: number): number {
  if (c === CONTINUE) return NORMAL;
  return c;
}

function compileWhile(env: ProbeEnv, s: WhileStmt): Exec {
  const cond = compileCond(env, s.cond);
  const body = loopBody(env, s.body);
  const state = env.script.state;
  return (ctx) => {
    for (;;) {
      if (!state.charge(1)) return LEAVE;
      if (!cond(ctx)) return NORMAL;
      const c = loopStep(body(ctx));
      if (c === BREAK) return NORMAL;
      if (c === LEAVE) return LEAVE;
    }
  };
}

/** `for ($kv : @m)`: iterates a snapshot of the entries, each as a (key, value) tuple. */
function compileForMap(env: ProbeEnv, s: ForMapStmt): Exec {
  const { map } = mapOf(env, s.map.name, s.map.span);
  if (!map.desc.keyed)
    throw new CompileError(`for-loops need a map with keys; ${map.name} has none`, s.map.span);
  const body = loopBody(env, s.body);
  const state = env.script.state;
  const locals = env.locals;
  const slot = s.variable.slot;
  return (ctx) => {
    const pairs = map.pairs();
    for (let i = 0; i < pairs.length; i++) {
      if (!state.charge(1)) return LEAVE;
      locals[slot] = pairs[i]! as Value;
      const c = loopStep(body(ctx));
      if (c === BREAK) return NORMAL;
      if (c === LEAVE) return LEAVE;
    }
    return NORMAL;
  };
}

/** `for ($i : a..b)`: a inclusive, b exclusive, both evaluated once. */
function compileForRange(env: ProbeEnv, s: ForRangeStmt): Exec {
  const start = compileIntOperand(env, s.start);
  const end = compileIntOperand(env, s.end);
  const body = loopBody(env, s.body);
  const state = env.script.state;
  const locals = env.locals;
  const slot = s.variable.slot;
  const vt = s.variable.type;
  const signed = vt.kind === "int" ? vt.signed : true;
  return (ctx) => {
    let i: Int = start(ctx);
    const stop: Int = end(ctx);
    while (i64.compare(i, stop, signed) < 0) {
      if (!state.charge(1)) return LEAVE;
      locals[slot] = i;
      const c = loopStep(body(ctx));
      if (c === BREAK) return NORMAL;
      if (c === LEAVE) return LEAVE;
      i = i64.add(i, 1, signed);
    }
    return NORMAL;
  };
}
