/**
 * Semantic checks and type resolution. Walks the AST once per probe, in order:
 * resolves scratch variables to slots (lexical block scopes), gives every expression its type,
 * fixes each map's key and value types from its uses, and reports what bpftrace would reject.
 *
 * Maps are global, so a probe may read a map that a later probe writes. When that happens the
 * first walk learns the map's type silently and a second walk, seeded with every map's type,
 * produces the diagnostics.
 */

import { checkArgCount, isFormatError, parseFormat } from "../runtime/printf.js";
import type * as A from "./ast.js";
import {
  aggregateTail,
  BUILTIN_VALUES,
  CLOCKS,
  FUNCTIONS,
  type FunctionSpec,
  isKernelFunctionProvider,
  isSimulatedCommand,
  knownNames,
  REGISTERS,
  SIMULATED_COMMAND,
  TSERIES_AGGS,
  UNSUPPORTED_BUILTINS,
  UNSUPPORTED_FUNCTIONS,
} from "./builtins.js";
import { CTypes } from "./c-types.js";
import { checkConfig } from "./config.js";
import { substituteConfigReads } from "./config-reads.js";
import { DiagnosticSink } from "./diagnostics.js";
import { substituteEnumVariants } from "./enums.js";
import { pton } from "./inet-address.js";
import { PERCPU_SYMBOLS, TASK_STRUCT, withKernelStructs } from "./kernel-structs.js";
import { didYouMean } from "./suggest.js";
import { TypeRefs, typeDenoted } from "./type-refs.js";
import {
  type ArrayType,
  arrayOf,
  BOOL,
  ERROR_TYPE,
  INT64,
  type IntBits,
  intType,
  isAggregate,
  type MapInfo,
  NONE,
  STACK_MODES,
  type StructType,
  sizeOf,
  stringType,
  type Type,
  typeName,
  UINT64,
  type UstackType,
} from "./types.js";
import { checkUaddr, type UserSymbolResolver } from "./user-symbols.js";

/** bpftrace's cap on tseries() intervals (every key keeps one bucket per interval and CPU). */
const TSERIES_MAX_INTERVALS = 1_000_000n;

/** bpftrace's cap on lhist() buckets ((max - min) / step). */
const LHIST_MAX_BUCKETS = 1000n;

const I64_MAX = (1n << 63n) - 1n;

/** The smallest signed type holding v (positive literals are sign-flexible); above i64 max: uint64. */
export function literalType(v: bigint): Type {
  for (const bits of [8, 16, 32, 64] as IntBits[]) {
    const limit = 1n << BigInt(bits - 1);
    if (v >= -limit && v < limit) return intType(bits, true);
  }
  return v > I64_MAX ? UINT64 : INT64;
}

/** Integers, and what C treats as one in conditions, comparisons and printf: bools and pointers. */
function isIntLike(t: Type): boolean {
  return t.kind === "int" || t.kind === "bool" || t.kind === "pointer" || t.kind === "error";
}

/** Integer value of a map's aggregate when read in an expression (a synchronous reduction). */
function readValueType(t: Type): Type | null {
  switch (t.kind) {
    case "count":
      return UINT64;
    case "sum":
    case "avg":
    case "min":
    case "max":
      return t.signed ? INT64 : UINT64;
    case "stats":
    case "hist":
    case "lhist":
    case "tseries":
      return null;
    default:
      return t;
  }
}

/**
 * Merges two uses of one slot (variable, map key or value). Integers widen, strings grow,
 * tuples merge element-wise; anything else must match exactly. Null = incompatible.
 */
export function unify(a: Type, b: Type): Type | null {
  if (a.kind === "error") return b;
  if (b.kind === "error") return a;
  if (a.kind === "int" && b.kind === "int") {
    if (a.enum !== undefined && a.enum === b.enum) return a;
    return intType(Math.max(a.bits, b.bits) as IntBits, a.signed || b.signed);
  }
  if (a.kind === "string" && b.kind === "string") return stringType(Math.max(a.size, b.size));
  if (a.kind === "buffer" && b.kind === "buffer") return { kind: "buffer", size: Math.max(a.size, b.size) };
  if (a.kind === "tuple" && b.kind === "tuple") {
    if (a.elements.length !== b.elements.length) return null;
    const elements: Type[] = [];
    for (let i = 0; i < a.elements.length; i++) {
      const e = unify(a.elements[i]!, b.elements[i]!);
      if (!e) return null;
      elements.push(e);
    }
    return { kind: "tuple", elements };
  }
  if (a.kind === "record" && b.kind === "record") {
    if (a.fields.length !== b.fields.length) return null;
    const fields = [];
    for (let i = 0; i < a.fields.length; i++) {
      if (a.fields[i]!.name !== b.fields[i]!.name) return null;
      const ft = unify(a.fields[i]!.type, b.fields[i]!.type);
      if (!ft) return null;
      fields.push({ name: a.fields[i]!.name, type: ft });
    }
    return { kind: "record", fields };
  }
  if (a.kind === "array" && b.kind === "array") return typeName(a) === typeName(b) ? a : null;
  // A struct type is one shared object per definition; pointers match when their targets do.
  if (a.kind === "struct" || b.kind === "struct") return a === b ? a : null;
  if (a.kind === "pointer" && b.kind === "pointer") return typeName(a) === typeName(b) ? a : null;
  if (a.kind === "hist" && b.kind === "hist") return a.k === b.k ? a : null;
  if (a.kind === "lhist" && b.kind === "lhist") {
    return a.min === b.min && a.max === b.max && a.step === b.step ? a : null;
  }
  if (a.kind === "tseries" && b.kind === "tseries") {
    const same = a.intervalNs === b.intervalNs && a.intervals === b.intervals && a.agg === b.agg;
    return same ? { ...a, signed: a.signed || b.signed } : null;
  }
  if (isAggregate(a) && isAggregate(b) && a.kind === b.kind) {
    return "signed" in a && "signed" in b ? { ...a, signed: a.signed || b.signed } : a;
  }
  return a.kind === b.kind && ["bool", "none", "usym", "ustack", "timestamp"].includes(a.kind) ? a : null;
}

/** A map's types as learnt so far. */
interface MapState {
  name: string;
  keyType: Type | null | undefined;
  valueType: Type | undefined;
  /** Where the map was first written, for messages. */
  assigned: boolean;
}

interface Variable {
  name: string;
  slot: number;
  type: Type | null;
}

/**
 * A variable's identity: its name, plus the macro expansion that introduced it when it is a
 * macro's own local (so a macro's `$i` is never the caller's `$i`).
 */
function varKey(v: A.VarExpr): string {
  return v.expansion === undefined ? v.name : `${v.name}#${v.expansion}`;
}

class Scope {
  readonly vars = new Map<string, Variable>();
  constructor(readonly parent: Scope | null) {}

  lookup(name: string): Variable | undefined {
    for (let s: Scope | null = this; s; s = s.parent) {
      const v = s.vars.get(name);
      if (v) return v;
    }
    return undefined;
  }
}

/** One field of `args`: an integer (a register, a tracepoint's integer field) or a string. */
export interface ProbeArgField {
  name: string;
  type: "int" | "string";
  /** A string read through a `const char *` (a user pointer in bpftrace). */
  userPointer?: boolean;
  /** A C type for an int field that is a typed pointer (`struct task_struct *`). */
  ctype?: string;
}

/** The fields of `args` at an attach point, or null when it has none (see FrontEndOptions). */
export type ProbeArgsResolver = (ap: A.AttachPoint) => readonly ProbeArgField[] | null;

/** What the checker learns from outside the script: the targets' shapes, the user's permissions. */
export interface CheckEnv {
  /** The fields `args` has at an attach point. */
  probeArgs?: ProbeArgsResolver;
  /** Where `uaddr("sym")` finds a symbol; absent: uaddr() is typed but left unresolved. */
  userSymbol?: UserSymbolResolver;
  /** `--unsafe`: functions with effects outside tracing (system()) are allowed. */
  unsafe?: boolean;
}

interface ProbeContext {
  probe: A.Probe;
  providers: Set<string>;
  locals: A.LocalSlot[];
  scope: Scope;
  loopDepth: number;
}

export class Checker {
  private readonly maps = new Map<string, MapState>();
  private ctx!: ProbeContext;
  /** Set when a map was read before any write had given it a type. */
  forwardMapUse = false;
  private readonly typeRefs: TypeRefs;

  constructor(
    private readonly sink: DiagnosticSink,
    private readonly maxStrlen: number,
    private readonly cTypes: CTypes,
    seed?: Map<string, MapState>,
    private readonly env: CheckEnv = {},
  ) {
    if (seed) for (const [k, v] of seed) this.maps.set(k, { ...v });
    this.typeRefs = new TypeRefs(cTypes, sink, (e) => this.expr(e));
  }

  get mapStates(): Map<string, MapState> {
    return this.maps;
  }

  checkProbe(probe: A.Probe): A.ProbeInfo {
    this.ctx = {
      probe,
      providers: new Set(probe.attachPoints.map((ap) => ap.provider)),
      locals: [],
      scope: new Scope(null),
      loopDepth: 0,
    };
    if (probe.predicate) this.condition(probe.predicate, "predicate");
    this.blockStatements(probe.body);
    return { probe, locals: this.ctx.locals };
  }

  /** Maps used but never written anywhere: reported once all probes are checked. */
  reportUndefinedMaps(uses: Map<string, A.Span>, sink: DiagnosticSink): void {
    for (const [name, span] of uses) {
      const state = this.maps.get(name);
      if (state?.valueType !== undefined) continue;
      const hint = didYouMean(
        name,
        [...this.maps.values()].filter((m) => m.valueType !== undefined).map((m) => m.name),
      );
      sink.error(`Undefined map: ${name}`, span, hint);
    }
  }

  readonly mapUses = new Map<string, A.Span>();

  /** Whether any probe reads or writes the map. */
  usesMap(name: string): boolean {
    return this.mapUses.has(name) || this.maps.get(name)?.valueType != null;
  }

  finalMaps(decls: A.MapDecl[], maxMapKeys: number): MapInfo[] {
    const declared = new Map(decls.map((d) => [d.name, d]));
    const infos: MapInfo[] = [];
    for (const state of this.maps.values()) {
      if (state.valueType === undefined) continue;
      const decl = declared.get(state.name);
      infos.push({
        name: state.name,
        keyType: state.keyType ?? null,
        valueType: state.valueType,
        kind: decl?.mapKind ?? "hash",
        maxEntries: decl?.maxEntries ?? maxMapKeys,
        declared: decl !== undefined,
      });
    }
    return infos.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  // ------------------------------------------------------------ statements

  private withScope<T>(fn: () => T): T {
    const saved = this.ctx.scope;
    this.ctx.scope = new Scope(saved);
    try {
      return fn();
    } finally {
      this.ctx.scope = saved;
    }
  }

  private blockStatements(block: A.Block, tail: (value: A.Expr) => Type = (v) => this.expr(v)): Type {
    return this.withScope(() => {
      const stmts = block.statements;
      for (let i = 0; i < stmts.length; i++) {
        const stmt = stmts[i]!;
        this.statement(stmt);
        const next = stmts[i + 1] ?? block.value;
        if (next && endsControl(stmt)) this.sink.warning("Unreachable statement", next.span);
      }
      return block.value ? tail(block.value) : NONE;
    });
  }

  /**
   * `@m = { stmts; count() }`: as bpftrace does, an aggregation that ends a block expression
   * (or nested block expressions) assigned to a map updates that map after the statements
   * run. The call is checked inside the block's scope, where its `let` variables live.
   */
  private aggregateBlock(e: A.BlockExpr): Type {
    const t = this.blockStatements(e.block, (tail) => {
      if (tail.kind === "blockExpr") return this.aggregateBlock(tail);
      const call = tail as A.CallExpr;
      call.type = this.call(call, FUNCTIONS.get(call.name)!, true);
      return call.type;
    });
    e.type = t;
    return t;
  }

  private statement(stmt: A.Stmt): void {
    switch (stmt.kind) {
      case "exprStmt":
        this.expr(stmt.expr);
        return;
      case "assign":
        this.assign(stmt);
        return;
      case "let":
        this.let(stmt);
        return;
      case "if":
        this.ifStatement(stmt);
        return;
      case "unroll":
        this.unroll(stmt);
        return;
      case "while":
        this.condition(stmt.cond, "while");
        this.loopBody(stmt.body);
        return;
      case "forMap":
        this.forMap(stmt);
        return;
      case "forRange":
        this.forRange(stmt);
        return;
      case "break":
      case "continue":
        if (this.ctx.loopDepth === 0) {
          this.sink.error(`'${stmt.kind}' statement is not allowed outside of a loop`, stmt.span);
        }
        return;
      case "return":
        if (stmt.value) this.expr(stmt.value);
        return;
      case "blockStmt":
        this.blockStatements(stmt.block);
        return;
    }
  }

  private loopBody(body: A.Block): void {
    this.ctx.loopDepth++;
    this.blockStatements(body);
    this.ctx.loopDepth--;
  }

  private ifStatement(stmt: A.IfStmt): void {
    this.condition(stmt.cond, "if");
    this.blockStatements(stmt.then);
    if (stmt.else?.kind === "if") this.ifStatement(stmt.else);
    else if (stmt.else) this.blockStatements(stmt.else);
  }

  private condition(e: A.Expr, where: string): void {
    const t = this.expr(e);
    const pointer = t.kind === "string" && t.userPointer === true;
    if (!isIntLike(t) && !pointer) this.sink.error(`Invalid condition in ${where}: ${typeName(t)}`, e.span);
  }

  private unroll(stmt: A.UnrollStmt): void {
    const e = stmt.countExpr;
    this.expr(e);
    if (e.kind !== "int") {
      this.sink.error("unroll count must be an integer literal", e.span);
    } else if (e.value > 100n) {
      this.sink.error("unroll maximum value is 100", e.span);
    } else if (e.value < 1n) {
      this.sink.error("unroll minimum value is 1", e.span);
    } else {
      stmt.count = Number(e.value);
    }
    this.blockStatements(stmt.body);
  }

  private forMap(stmt: A.ForMapStmt): void {
    const state = this.mapRead(stmt.map, true);
    let elem: Type = ERROR_TYPE;
    if (state?.valueType !== undefined) {
      if (state.keyType === null) {
        this.sink.error(
          `${stmt.map.name} has no explicit keys (scalar map), and cannot be used for iteration`,
          stmt.map.span,
        );
      } else {
        const value = readValueType(state.valueType) ?? ERROR_TYPE;
        elem = { kind: "tuple", elements: [state.keyType ?? ERROR_TYPE, value] };
      }
    }
    stmt.map.type = state.valueType ?? ERROR_TYPE;
    this.withScope(() => {
      this.declare(stmt.variable, elem);
      this.loopBody(stmt.body);
    });
  }

  private forRange(stmt: A.ForRangeStmt): void {
    for (const e of [stmt.start, stmt.end]) {
      const t = this.expr(e);
      if (!isIntLike(t)) this.sink.error(`Loop range requires an integer, got ${typeName(t)}`, e.span);
    }
    this.withScope(() => {
      this.declare(stmt.variable, INT64);
      this.loopBody(stmt.body);
    });
  }

  private let(stmt: A.LetStmt): void {
    const existing = this.ctx.scope.vars.get(varKey(stmt.variable));
    if (existing) {
      this.sink.error(
        `Variable ${stmt.variable.name} was already declared in this scope`,
        stmt.variable.span,
      );
    }
    let type: Type | null = null;
    if (stmt.declaredType) type = this.typeRefs.resolve(stmt.declaredType, "declaration");
    if (stmt.value) {
      const vt = this.valueForStorage(stmt.value, stmt.variable.name);
      if (type && vt.kind !== "error" && !unify(type, vt)) {
        this.sink.error(
          `Type mismatch for ${stmt.variable.name}: trying to assign value of type '${typeName(vt)}' when variable already has a type '${typeName(type)}'`,
          stmt.value.span,
        );
      }
      type = type ?? vt;
    }
    this.declare(stmt.variable, type);
  }

  /** Creates a variable in the current scope with a new slot. */
  private declare(v: A.VarExpr, type: Type | null): void {
    const slot = this.ctx.locals.length;
    this.ctx.locals.push({ slot, name: v.name, type: type ?? INT64 });
    this.ctx.scope.vars.set(varKey(v), { name: v.name, slot, type });
    v.slot = slot;
    v.type = type ?? INT64;
  }

  private setVarType(variable: Variable, type: Type): void {
    variable.type = type;
    this.ctx.locals[variable.slot]!.type = type;
  }

  private assign(stmt: A.AssignStmt): void {
    const target = stmt.target;
    if (target.kind === "discard") {
      target.type = this.expr(stmt.value);
      return;
    }
    if (target.kind === "map") {
      this.assignMap(target, stmt);
      return;
    }
    if (target.kind !== "var") return;
    if (stmt.op !== null) {
      this.compound(stmt, this.expr(target));
      return;
    }
    const vt = this.valueForStorage(stmt.value, target.name);
    const variable = this.ctx.scope.lookup(varKey(target));
    if (!variable) {
      this.declare(target, vt);
      return;
    }
    const merged =
      variable.type === null ? vt : unify(variable.type, inSlotOrder(stmt.value, vt, variable.type));
    if (!merged) {
      this.sink.error(
        `Type mismatch for ${target.name}: trying to assign value of type '${typeName(vt)}' when variable already contains a value of type '${typeName(variable.type!)}'`,
        stmt.span,
      );
    } else {
      this.setVarType(variable, merged);
    }
    target.slot = variable.slot;
    target.type = merged ?? ERROR_TYPE;
  }

  /** `x op= e` on an integer. */
  private compound(stmt: A.AssignStmt, targetType: Type): void {
    const vt = this.expr(stmt.value);
    if (targetType.kind === "pointer" || vt.kind === "pointer") {
      this.pointerCompound(stmt, targetType, vt);
      return;
    }
    if (!isIntLike(targetType) || !isIntLike(vt)) {
      this.sink.error(
        `Type mismatch for '${stmt.op}=': '${typeName(targetType)}' and '${typeName(vt)}'`,
        stmt.span,
      );
    }
  }

  /** A value stored in a variable: no aggregations, no void. */
  private valueForStorage(value: A.Expr, into: string): Type {
    const t = this.expr(value);
    if (t.kind === "none") {
      this.sink.error(`Value of type 'none' cannot be assigned to ${into}`, value.span);
      return ERROR_TYPE;
    }
    return t;
  }

  private assignMap(target: A.MapExpr, stmt: A.AssignStmt): void {
    const state = this.mapState(target.name);
    this.mapKey(target, state);
    const value = stmt.value;
    if (stmt.op !== null) {
      const vt = this.expr(value);
      if (state.valueType?.kind === "pointer" || vt.kind === "pointer") {
        this.pointerCompound(stmt, state.valueType ?? INT64, vt);
        target.type = state.valueType ?? ERROR_TYPE;
        return;
      }
      if (!isIntLike(vt)) this.sink.error(`Type mismatch for '${stmt.op}=': '${typeName(vt)}'`, value.span);
      this.setMapValue(state, INT64, target, stmt.span);
      return;
    }
    let vt: Type;
    const spec = value.kind === "call" ? FUNCTIONS.get(value.name) : undefined;
    if (value.kind === "call" && spec?.check === "aggregate") {
      vt = this.call(value, spec, true);
      value.type = vt;
    } else if (aggregateTail(value) !== null) {
      vt = this.aggregateBlock(value as A.BlockExpr);
    } else {
      vt = this.expr(value);
      if (vt.kind === "none") {
        this.sink.error(`Value of type 'none' cannot be assigned to ${target.name}`, value.span);
        vt = ERROR_TYPE;
      } else if (isAggregate(vt)) {
        this.sink.error(`Map value of type '${typeName(vt)}' cannot be copied to ${target.name}`, value.span);
        vt = ERROR_TYPE;
      }
    }
    this.setMapValue(
      state,
      state.valueType ? inSlotOrder(value, vt, state.valueType) : vt,
      target,
      stmt.span,
    );
  }

  private setMapValue(state: MapState, vt: Type, target: A.MapExpr, span: A.Span): void {
    state.assigned = true;
    if (state.valueType === undefined) {
      state.valueType = vt;
    } else {
      const merged = unify(state.valueType, vt);
      if (!merged) {
        this.sink.error(
          `Type mismatch for ${state.name}: trying to assign value of type '${typeName(vt)}' when map already has a type '${typeName(state.valueType)}'`,
          span,
        );
      } else {
        state.valueType = merged;
      }
    }
    target.type = state.valueType;
  }

  // ------------------------------------------------------------ maps

  private mapState(name: string): MapState {
    let state = this.maps.get(name);
    if (!state) {
      state = { name, keyType: undefined, valueType: undefined, assigned: false };
      this.maps.set(name, state);
    }
    return state;
  }

  /** Checks `@m` vs `@m[k]` against earlier uses and merges the key type. */
  private mapKey(m: A.MapExpr, state: MapState): void {
    if (!this.mapUses.has(m.name)) this.mapUses.set(m.name, m.span);
    if (m.key === null) {
      if (state.keyType !== undefined && state.keyType !== null) {
        this.sink.error(
          `${m.name} used as a map without an explicit key (scalar map), previously used with an explicit key (non-scalar map)`,
          m.span,
        );
        return;
      }
      state.keyType = null;
      return;
    }
    const kt = this.expr(m.key);
    if (kt.kind === "none" || isAggregate(kt) || kt.kind === "ustack") {
      if (kt.kind !== "ustack") this.sink.error(`Invalid map key type: ${typeName(kt)}`, m.key.span);
    }
    if (state.keyType === null) {
      this.sink.error(
        `${m.name} used as a map with an explicit key (non-scalar map), previously used without an explicit key (scalar map)`,
        m.span,
      );
      return;
    }
    if (state.keyType === undefined) {
      state.keyType = kt;
      return;
    }
    const merged = unify(state.keyType, kt);
    if (!merged) {
      this.sink.error(
        `Argument mismatch for ${m.name}: trying to access with arguments: '${typeName(kt)}' when map expects arguments: '${typeName(state.keyType)}'`,
        m.span,
      );
      return;
    }
    state.keyType = merged;
  }

  /** A map read as a whole (for loops, map functions) or through a key. */
  private mapRead(m: A.MapExpr, whole = false): MapState {
    const state = this.mapState(m.name);
    if (!whole) this.mapKey(m, state);
    else if (!this.mapUses.has(m.name)) this.mapUses.set(m.name, m.span);
    if (state.valueType === undefined) this.forwardMapUse = true;
    return state;
  }

  private mapValueExpr(m: A.MapExpr): Type {
    const state = this.mapRead(m);
    if (state.valueType === undefined) return (m.type = ERROR_TYPE);
    const t = readValueType(state.valueType);
    if (!t) {
      this.sink.error(
        `${m.name} holds a ${state.valueType.kind}() aggregation and cannot be used as a value`,
        m.span,
      );
      return (m.type = ERROR_TYPE);
    }
    return (m.type = t);
  }

  // ------------------------------------------------------------ expressions

  expr(e: A.Expr): Type {
    const t = this.exprType(e);
    e.type = t;
    return t;
  }

  private exprType(e: A.Expr): Type {
    switch (e.kind) {
      case "int":
        // An enum variant keeps its enum's type (it prints as the variant's name).
        return (
          (e.enumName !== undefined && this.cTypes.enumConstants.get(e.text)?.type) || literalType(e.value)
        );
      case "string":
        return stringType(e.value.length + 1);
      case "bool":
        return BOOL;
      case "var":
        return this.varRead(e);
      case "map":
        return this.mapValueExpr(e);
      case "discard":
        this.sink.error("_ can only be assigned to (_ = expr)", e.span);
        return ERROR_TYPE;
      case "builtin":
        return this.builtin(e);
      case "call":
        return this.callExpr(e);
      case "binary":
        return this.binary(e);
      case "unary":
        return this.unary(e);
      case "incdec":
        return this.incDec(e);
      case "ternary":
        return this.ternary(e);
      case "cast":
        return this.cast(e);
      case "tuple":
        return { kind: "tuple", elements: e.elements.map((x) => this.storable(x)) };
      case "record":
        return this.record(e);
      case "field":
        return this.field(e);
      case "tupleIndex":
        return this.tupleIndex(e, this.expr(e.operand), e.index);
      case "index":
        return this.index(e);
      case "blockExpr":
        return this.blockStatements(e.block);
      case "ifExpr":
        return this.ifExpr(e);
      case "sizeof":
        return this.sizeofExpr(e);
      case "offsetof":
        return this.offsetofExpr(e);
      case "typeof":
        this.sink.error(
          "typeof(...) is a type, not a value: use it in a cast, a declaration or sizeof",
          e.span,
        );
        return ERROR_TYPE;
    }
  }

  /** The bytes of a C type, or of an expression's type (which is not evaluated). */
  private sizeofExpr(e: A.SizeofExpr): Type {
    const ref = e.of.kind === "typeRef" ? e.of : typeDenoted(e.of);
    if (ref) {
      const size = this.typeRefs.sizeOf(ref);
      if (size !== null) e.value = BigInt(size);
      return UINT64;
    }
    const t = this.expr(e.of as A.Expr);
    if (t.kind === "error") return UINT64;
    const size = sizeOf(t);
    if (size === 0) this.sink.error(`sizeof of type '${typeName(t)}' is not supported by probelab`, e.span);
    e.value = BigInt(size);
    return UINT64;
  }

  /** The byte offset of `a.b.c` in a struct: the members' offsets summed down the path. */
  private offsetofExpr(e: A.OffsetofExpr): Type {
    let t = this.typeRefs.resolve(e.struct, "member");
    let offset = 0;
    for (const name of e.path) {
      if (t.kind === "error") return UINT64;
      if (t.kind !== "struct") {
        this.sink.error(`offsetof: '${typeName(t)}' is not a struct, so it has no member '${name}'`, e.span);
        return UINT64;
      }
      const member = t.fields.find((f) => f.name === name);
      if (!member) {
        this.sink.error(`offsetof: ${t.name} has no member '${name}'`, e.span);
        return UINT64;
      }
      offset += member.offset;
      t = member.type;
    }
    e.value = BigInt(offset);
    return UINT64;
  }

  /** A value that goes into a tuple, record or map key: not void, not an aggregation. */
  private storable(e: A.Expr): Type {
    const t = this.expr(e);
    if (t.kind === "none") {
      this.sink.error("Value of type 'none' cannot be used here", e.span);
      return ERROR_TYPE;
    }
    return t;
  }

  private varRead(e: A.VarExpr): Type {
    const variable = this.ctx.scope.lookup(varKey(e));
    if (!variable) {
      this.sink.error(`Undefined or undeclared variable: ${e.name}`, e.span);
      return ERROR_TYPE;
    }
    e.slot = variable.slot;
    if (variable.type === null) this.setVarType(variable, INT64);
    return variable.type!;
  }

  private builtin(e: A.BuiltinExpr): Type {
    const spec = BUILTIN_VALUES.get(e.name)!;
    if (spec.onlyIn) {
      const wrong = [...this.ctx.providers].filter((p) => !spec.onlyIn!.includes(p));
      if (wrong.length > 0) {
        this.sink.error(`The ${e.name} builtin ${spec.onlyInMessage}`, e.span);
        return spec.type;
      }
    }
    if (e.name === "args") return this.argsType(e);
    if (e.name === "ctx") this.checkCtx(e);
    // In a kernel function's probe `func` is a ksym_t, as ksym() gives: its name, as text.
    if (e.name === "func" && [...this.ctx.providers].every(isKernelFunctionProvider)) return stringType(64);
    if (e.name === "curtask") {
      // The script's own `struct task_struct` when it defines one, else the model's.
      return this.cTypes.resolveCast({ kind: "typeRef", text: `${TASK_STRUCT} *`, span: e.span }, this.sink);
    }
    return spec.type;
  }

  /** `ctx` exists where bpftrace's program has a pt_regs or perf-event context. */
  private checkCtx(e: A.BuiltinExpr): void {
    for (const p of this.ctx.providers) {
      if (p === "tracepoint") this.sink.error("Use args instead of ctx in tracepoint", e.span);
      else if (p === "fentry" || p === "fexit" || p === "rawtracepoint")
        this.sink.error(`The ctx builtin can not be used with '${p}' probes`, e.span);
      else continue;
      return;
    }
  }

  /** `args` is a record of the attach point's fields; every attach point of the probe must agree. */
  private argsType(e: A.BuiltinExpr): Type {
    // An attach point that matches nothing has no fields: resolving it reports that as
    // missing_probes says (an error, or a warning and the probe attaches to the rest).
    const resolver = this.env.probeArgs;
    const all = this.ctx.probe.attachPoints;
    const found = resolver === undefined ? [] : all.filter((ap) => resolver(ap) !== null);
    const aps = found.length > 0 ? found : all;
    const first = resolver === undefined || found.length === 0 ? null : resolver(aps[0]!);
    if (first === null) {
      const ap = aps[0]!;
      const why =
        resolver === undefined
          ? ""
          : `: it matches nothing here (\`probelab list '${ap.provider}:*'\` lists what there is)`;
      this.sink.error(`The args builtin has no fields at ${ap.canonical}${why}`, e.span);
      return ERROR_TYPE;
    }
    // Several attach points: a tracepoint probe's `args` has the fields they all have (by name
    // and type, as killsnoop's kill/tkill/tgkill); function arguments are positional, so
    // fentry/fexit probes must agree on them all.
    const shape = (fields: readonly ProbeArgField[]) =>
      fields.map((f) => `${f.name}:${f.type}:${f.ctype ?? ""}`).join(",");
    const byName = aps[0]!.provider === "tracepoint";
    let common: readonly ProbeArgField[] = first;
    for (const ap of aps.slice(1)) {
      const other = resolver!(ap)!;
      if (!byName && shape(other) !== shape(first)) {
        this.sink.error(`args has different fields at ${aps[0]!.canonical} and ${ap.canonical}`, e.span);
        return ERROR_TYPE;
      }
      common = common.filter((f) => other.some((g) => g.name === f.name && g.type === f.type));
    }
    return {
      kind: "record",
      fields: common.map((f) => ({
        name: f.name,
        type:
          f.ctype !== undefined
            ? this.cTypes.resolveCast({ kind: "typeRef", text: f.ctype, span: e.span }, this.sink)
            : f.type === "int"
              ? INT64
              : f.userPointer === true
                ? { ...stringType(this.maxStrlen), userPointer: true as const }
                : stringType(this.maxStrlen),
      })),
    };
  }

  private callExpr(e: A.CallExpr): Type {
    if (!e.bare && (e.name === "ustack" || e.name === "kstack")) return this.stackCall(e);
    if (!e.bare && e.name === "nsecs") return this.clockCall(e);
    if (!e.bare && e.name === "uaddr") {
      for (const a of e.args) this.expr(a);
      return checkUaddr(e, this.ctx.probe.attachPoints, this.env.userSymbol ?? null, this.sink);
    }
    const spec = FUNCTIONS.get(e.name);
    if (spec) {
      if (spec.check === "aggregate") {
        this.call(e, spec, false);
        this.sink.error(`${e.name}() must be assigned directly to a map`, e.span);
        return ERROR_TYPE;
      }
      if (e.bare && spec.params.some((p) => !p.optional)) {
        this.sink.error(`${e.name} is a function: call it with arguments, ${e.name}(...)`, e.span);
        return ERROR_TYPE;
      }
      return this.call(e, spec, false);
    }
    for (const a of e.args) this.expr(a);
    if (e.name === "config") {
      this.sink.error("config() is read one option at a time, as config().max_strlen", e.span);
      return ERROR_TYPE;
    }
    if (e.bare) {
      if (UNSUPPORTED_BUILTINS.has(e.name)) {
        this.sink.error(`The ${e.name} builtin is not supported by probelab`, e.span);
      } else {
        this.sink.error(`Unknown identifier: '${e.name}'`, e.span, didYouMean(e.name, knownNames()));
      }
      return ERROR_TYPE;
    }
    if (UNSUPPORTED_FUNCTIONS.has(e.name) || UNSUPPORTED_BUILTINS.has(e.name)) {
      this.sink.error(`${e.name}() is not supported by probelab`, e.span);
    } else if (BUILTIN_VALUES.has(e.name)) {
      this.sink.error(`${e.name}(...) with arguments is not supported by probelab; use ${e.name}`, e.span);
    } else {
      this.sink.error(`Unknown function: '${e.name}'`, e.span, didYouMean(e.name, knownNames()));
    }
    return ERROR_TYPE;
  }

  /** `nsecs(clock)`: the clock is a bare word. */
  private clockCall(e: A.CallExpr): Type {
    const clock = e.args[0];
    if (e.args.length !== 1 || clock?.kind !== "call" || !clock.bare || !CLOCKS.includes(clock.name)) {
      this.sink.error(
        `nsecs() takes one clock name: ${CLOCKS.join(", ")}`,
        e.span,
        clock?.kind === "call" ? didYouMean(clock.name, CLOCKS) : undefined,
      );
      return ERROR_TYPE;
    }
    return UINT64;
  }

  /** `ustack([mode, ][limit])`, `kstack(...)`: the mode is a bare word, the limit an integer literal. */
  private stackCall(e: A.CallExpr): Type {
    const t: UstackType = e.name === "kstack" ? { kind: "ustack", kernel: true } : { kind: "ustack" };
    const args = e.args;
    let next = 0;
    const first = args[0];
    if (first?.kind === "call" && first.bare) {
      next = 1;
      const mode = STACK_MODES.find((m) => m === first.name);
      if (mode === undefined) {
        this.sink.error(
          `Unknown stack mode: '${first.name}' (probelab knows ${STACK_MODES.join(", ")})`,
          first.span,
          didYouMean(first.name, STACK_MODES),
        );
      }
      if (mode === "build_id" && t.kernel) {
        this.sink.error("'build_id' stack mode can only be used for ustack", first.span);
      }
      t.mode = mode;
    }
    const limit = args[next];
    if (limit !== undefined) {
      if (limit.kind !== "int" || limit.value < 1n || limit.value > 1024n) {
        this.sink.error(`${e.name}() limit must be an integer literal from 1 to 1024`, limit.span);
      } else t.limit = Number(limit.value);
    }
    if (args.length > next + 1) {
      this.sink.error(
        `${e.name}() takes a stack mode and a limit, at most (${args.length} provided)`,
        e.span,
      );
    }
    return t;
  }

  /** Argument count and kinds from the table, then the function's special rule. */
  private call(e: A.CallExpr, spec: FunctionSpec, asMapValue: boolean): Type {
    const required = spec.params.filter((p) => !p.optional).length;
    const max = spec.variadic ? Number.POSITIVE_INFINITY : spec.params.length;
    if (e.args.length < required || e.args.length > max) {
      this.sink.error(`${e.name}() ${expectedArgs(required, max)} (${e.args.length} provided)`, e.span);
      for (const a of e.args) if (a.kind !== "map") this.expr(a);
      return spec.check === "aggregate" && !asMapValue ? ERROR_TYPE : spec.result([], this.maxStrlen, [], []);
    }
    if (spec.check === "mapFunction") return this.mapFunction(e, spec);
    if (spec.check === "print") return this.print(e);
    if (spec.check === "exit" && this.ctx.loopDepth > 0) {
      this.sink.error("exit() is not allowed inside a loop", e.span);
    }
    const types: Type[] = [];
    const literals: (bigint | null)[] = [];
    const texts: (string | null)[] = [];
    e.args.forEach((arg, i) => {
      const param = spec.params[i];
      const t = this.expr(arg);
      types.push(t);
      literals.push(arg.kind === "int" ? arg.value : null);
      texts.push(arg.kind === "string" ? arg.value : null);
      if (param) this.checkArgKind(e, i, param.kind, arg, t);
    });
    if (spec.check === "format") this.format(e, types);
    if (e.name === "system") this.systemCall(e);
    if (e.name === "reg" && texts[0] != null && !REGISTERS.includes(texts[0])) {
      this.sink.error(
        `'${texts[0]}' is not a register probelab models (it has ${REGISTERS.join(", ")})`,
        e.span,
        didYouMean(texts[0], REGISTERS),
      );
    }
    if (e.name === "percpu_kaddr" && texts[0] != null && !Object.hasOwn(PERCPU_SYMBOLS, texts[0])) {
      // bpftrace's words; the model's kernel has only the per-CPU variables it keeps.
      this.sink.error(`Could not resolve variable "${texts[0]}" from BTF`, e.args[0]!.span, [
        `the model's per-CPU variables are ${Object.keys(PERCPU_SYMBOLS).join(", ")}`,
      ]);
    }
    if (e.name === "pton" && texts[0] != null && pton(texts[0]) === null) {
      this.sink.error(`pton() expects an IPv4 or IPv6 address literal ('${texts[0]}' is neither)`, e.span);
    }
    if (spec.check === "aggregate") this.aggregateArgs(e, literals);
    if (e.name === "tseries") this.tseriesArgs(e, literals, texts);
    return spec.result(types, this.maxStrlen, literals, texts);
  }

  /** system(): only with --unsafe, and only the command the simulation performs. */
  private systemCall(e: A.CallExpr): void {
    if (!this.env.unsafe) {
      this.sink.error("system() is an unsafe function being used in safe mode (run with --unsafe)", e.span);
      return;
    }
    const fmt = e.args[0];
    if (fmt?.kind === "string" && !isSimulatedCommand(fmt.value)) {
      this.sink.error(
        `system(): probelab runs no program on the host; a simulated run performs only '${SIMULATED_COMMAND}'`,
        fmt.span,
      );
    }
  }

  private checkArgKind(e: A.CallExpr, i: number, kind: string, arg: A.Expr, t: Type): void {
    const nth = ordinal(i);
    const bad = (what: string) =>
      this.sink.error(`${e.name}() expects ${what} as ${nth} argument (${typeName(t)} provided)`, arg.span);
    if (t.kind === "error") return;
    switch (kind) {
      case "int":
        if (!isIntLike(t)) bad("an integer");
        return;
      case "intLiteral":
        if (arg.kind !== "int") bad("an integer literal");
        return;
      case "string":
        if (t.kind !== "string") bad("a string");
        return;
      case "stringLiteral":
        if (arg.kind !== "string") bad("a string literal");
        return;
      case "intOrString":
        if (!isIntLike(t) && t.kind !== "string") bad("an integer or a string");
        return;
      default:
        if (t.kind === "none") bad("a value");
    }
  }

  private aggregateArgs(e: A.CallExpr, literals: (bigint | null)[]): void {
    if (e.name === "hist" && literals[1] !== undefined && literals[1] !== null && literals[1] > 5n) {
      this.sink.error("hist() k must be between 0 and 5", e.args[1]!.span);
    }
    if (e.name === "lhist") {
      const [, min, max, step] = literals;
      if (min !== null && max !== null && min !== undefined && max !== undefined && min >= max) {
        this.sink.error("lhist() min must be less than max", e.span);
      }
      if (step === 0n) this.sink.error("lhist() step must be greater than 0", e.args[3]!.span);
      // bpftrace's limit: the buckets are allocated per key and per CPU.
      if (min != null && max != null && step != null && step > 0n && min < max) {
        const buckets = (max - min) / step;
        if (buckets > LHIST_MAX_BUCKETS) {
          this.sink.error(
            `lhist() too many buckets, must be <= ${LHIST_MAX_BUCKETS} (would need ${buckets})`,
            e.span,
          );
        }
      }
    }
  }

  /** bpftrace's limits on tseries(): at least one interval of at least 1 ns, a known aggregation. */
  private tseriesArgs(e: A.CallExpr, literals: (bigint | null)[], texts: (string | null)[]): void {
    const [, intervalNs, intervals] = literals;
    if (intervalNs != null && intervalNs <= 0n) {
      this.sink.error(`tseries() interval_ns must be >= 1 (${intervalNs} provided)`, e.args[1]!.span);
    }
    if (intervals != null && intervals <= 0n) {
      this.sink.error(`tseries() num_intervals must be >= 1 (${intervals} provided)`, e.args[2]!.span);
    } else if (intervals != null && intervals > TSERIES_MAX_INTERVALS) {
      this.sink.error(
        `tseries() num_intervals must be < ${TSERIES_MAX_INTERVALS} (${intervals} provided)`,
        e.args[2]!.span,
      );
    }
    const agg = texts[3];
    if (agg != null && !(TSERIES_AGGS as readonly string[]).includes(agg)) {
      this.sink.error(
        `tseries() expects one of the following aggregation functions: ${TSERIES_AGGS.join(", ")} ("${agg}" provided)`,
        e.args[3]!.span,
      );
    }
  }

  /** printf/errorf/warnf: the format must parse and its specifiers must match the arguments. */
  private format(e: A.CallExpr, types: Type[]): void {
    const fmtArg = e.args[0];
    if (fmtArg?.kind !== "string") return;
    // The runtime's own parser: what the checker accepts is exactly what gets printed.
    const parsed = parseFormat(fmtArg.value);
    if (isFormatError(parsed)) {
      this.sink.error(`${e.name}: ${parsed.error}`, fmtArg.span);
      return;
    }
    const kinds = parsed.argKinds;
    // bpftrace's words for a count that does not match.
    const countError = checkArgCount(parsed, e.args.length - 1);
    if (countError !== undefined) {
      this.sink.error(`${e.name}: ${countError}`, e.span);
      return;
    }
    kinds.forEach((kind, i) => {
      const t = types[i + 1]!;
      const arg = e.args[i + 1]!;
      if (t.kind === "error") return;
      if (kind === "int" && !isIntLike(t)) {
        this.sink.error(
          `${e.name}: %d-style specifier expects an integer (${typeName(t)} supplied)`,
          arg.span,
        );
      } else if (kind === "buffer" && t.kind !== "buffer") {
        this.sink.error(`${e.name}: %r specifier expects a buffer (${typeName(t)} supplied)`, arg.span);
      } else if (t.kind === "none") {
        this.sink.error(`${e.name}: cannot print a value of type 'none'`, arg.span);
      }
    });
  }

  /** print(@m [, top [, div]]), print(@m[k]), print(value). */
  private print(e: A.CallExpr): Type {
    const [first, ...rest] = e.args as [A.Expr, ...A.Expr[]];
    if (first.kind === "map" && first.key === null) {
      const state = this.mapRead(first, true);
      first.type = state.valueType ?? ERROR_TYPE;
    } else {
      const t = this.expr(first);
      if (t.kind === "none") this.sink.error("print() cannot print a value of type 'none'", first.span);
      if (rest.length > 0) this.sink.error("Non-map print() only takes 1 argument", e.span);
    }
    rest.forEach((a, i) => {
      this.checkArgKind(e, i + 1, "int", a, this.expr(a));
    });
    return NONE;
  }

  /** len, has_key, delete, clear, zero: their first argument is a map itself, not its value. */
  private mapFunction(e: A.CallExpr, spec: FunctionSpec): Type {
    const first = e.args[0]!;
    if (first.kind !== "map") {
      this.expr(first);
      if (e.name === "len" && first.type.kind === "ustack") return INT64;
      this.sink.error(`${e.name}() expects a map argument`, first.span);
      for (const a of e.args.slice(1)) this.expr(a);
      return spec.result([], this.maxStrlen, [], []);
    }
    if (first.key !== null) {
      if (e.name === "delete" && e.args.length === 1) {
        // Deprecated `delete(@m[k])`: same as delete(@m, k).
        this.mapRead(first);
        return BOOL;
      }
      this.sink.error(
        `${e.name}() expects a map without a key (${first.name}, not ${first.name}[...])`,
        first.span,
      );
      return spec.result([], this.maxStrlen, [], []);
    }
    const state = this.mapRead(first, true);
    first.type = state.valueType ?? ERROR_TYPE;
    const key = e.args[1];
    const needsKeys = e.name === "has_key" || e.name === "len" || (e.name === "delete" && key !== undefined);
    if (needsKeys && state.keyType === null) {
      this.sink.error(`call to ${e.name}() expects a map with explicit keys (non-scalar map)`, first.span);
    } else if (
      e.name === "delete" &&
      key === undefined &&
      state.keyType !== null &&
      state.keyType !== undefined
    ) {
      this.sink.error(
        `call to delete() on a map with explicit keys needs a key: delete(${first.name}, key)`,
        e.span,
      );
    }
    if (key) {
      const kt = this.expr(key);
      if (state.keyType && kt.kind !== "error" && !unify(state.keyType, kt)) {
        this.sink.error(
          `Argument mismatch for ${first.name}: trying to access with arguments: '${typeName(kt)}' when map expects arguments: '${typeName(state.keyType)}'`,
          key.span,
        );
      }
    }
    return spec.result([], this.maxStrlen, [], []);
  }

  private binary(e: A.BinaryExpr): Type {
    const l = this.expr(e.left);
    const r = this.expr(e.right);
    if (l.kind === "error" || r.kind === "error") return e.op === "&&" || e.op === "||" ? BOOL : ERROR_TYPE;
    const comparison = ["==", "!=", "<", ">", "<=", ">="].includes(e.op);
    if (e.op === "&&" || e.op === "||") {
      if (!isIntLike(l) || !isIntLike(r)) this.mismatch(e, l, r);
      return BOOL;
    }
    if (l.kind === "string" && r.kind === "string" && (e.op === "==" || e.op === "!=")) return BOOL;
    if (l.kind === "buffer" && r.kind === "buffer" && (e.op === "==" || e.op === "!=")) return BOOL;
    const composite =
      (l.kind === "tuple" && r.kind === "tuple") || (l.kind === "array" && r.kind === "array");
    if (composite && (e.op === "==" || e.op === "!=")) {
      if (!unify(l, r)) this.mismatch(e, l, r);
      return BOOL;
    }
    if (!isIntLike(l) || !isIntLike(r)) {
      this.mismatch(e, l, r);
      return comparison ? BOOL : ERROR_TYPE;
    }
    if (comparison) return BOOL;
    if (l.kind === "pointer" || r.kind === "pointer") return this.pointerArithmetic(e, l, r);
    if ((e.op === "/" || e.op === "%") && signedDivision(e.left, l, e.right, r)) {
      this.sink.warning(
        `signed operands for '${e.op}' can lead to undefined behavior (cast to unsigned to silence warning)`,
        e.span,
      );
    }
    if (e.op === "-") return INT64;
    // A non-negative literal takes the other side's sign, as bpftrace's sign-flexible
    // literals do: `$u % 10` of a uint64 is a uint64.
    let ls = l.kind === "int" && l.signed;
    let rs = r.kind === "int" && r.signed;
    const lFlex = isFlexibleLiteral(e.left);
    const rFlex = isFlexibleLiteral(e.right);
    if (lFlex && !rFlex) ls = rs;
    else if (rFlex && !lFlex) rs = ls;
    return ls || rs ? INT64 : UINT64;
  }

  /** C's pointer arithmetic: `p + n`, `n + p`, `p - n` move by elements; `p - q` counts them. */
  private pointerArithmetic(e: A.BinaryExpr, l: Type, r: Type): Type {
    if (l.kind === "pointer" && r.kind === "pointer") {
      if (e.op === "-" && typeName(l) === typeName(r)) return INT64;
    } else if (l.kind === "pointer" && (e.op === "+" || e.op === "-")) {
      return l;
    } else if (r.kind === "pointer" && e.op === "+") {
      return r;
    }
    this.sink.error(
      `Type mismatch for '${e.op}': ${typeName(l)} and ${typeName(r)} (pointers take only + and - of an integer, and - of a pointer of the same type)`,
      e.span,
    );
    return ERROR_TYPE;
  }

  /** `p += n`, `p -= n`: the only compound assignments a pointer takes. */
  private pointerCompound(stmt: A.AssignStmt, targetType: Type, vt: Type): void {
    if (
      targetType.kind === "pointer" &&
      (vt.kind === "int" || vt.kind === "bool") &&
      (stmt.op === "+" || stmt.op === "-")
    )
      return;
    this.sink.error(
      `Type mismatch for '${stmt.op}=': '${typeName(targetType)}' and '${typeName(vt)}' (a pointer takes only += and -= of an integer)`,
      stmt.span,
    );
  }

  private mismatch(e: A.BinaryExpr, l: Type, r: Type): void {
    this.sink.error(`Type mismatch for '${e.op}': comparing ${typeName(l)} with ${typeName(r)}`, e.span);
  }

  private unary(e: A.UnaryExpr): Type {
    if (e.op === "*") return this.dereference(e);
    if (e.op === "&") return this.addressOf(e);
    if (e.op === "-" && e.operand.kind === "int") {
      this.expr(e.operand);
      return literalType(-e.operand.value);
    }
    const t = this.expr(e.operand);
    if (t.kind === "error") return e.op === "!" ? BOOL : ERROR_TYPE;
    if (!isIntLike(t)) {
      this.sink.error(`Invalid type for unary operator '${e.op}': ${typeName(t)}`, e.span);
      return ERROR_TYPE;
    }
    if (e.op === "!") return BOOL;
    if (t.kind === "pointer") {
      this.sink.error(`Invalid type for unary operator '${e.op}': ${typeName(t)}`, e.span);
      return ERROR_TYPE;
    }
    if (e.op === "-") return INT64;
    return t.kind === "int" ? intType(64, t.signed) : UINT64;
  }

  private incDec(e: A.IncDecExpr): Type {
    const target = e.target;
    if (target.kind === "map") {
      const state = this.mapState(target.name);
      this.mapKey(target, state);
      if (state.valueType !== undefined && !isIntLike(state.valueType)) {
        this.sink.error(
          `'${e.op}' needs an integer map value; ${target.name} holds ${typeName(state.valueType)}`,
          e.span,
        );
        return ERROR_TYPE;
      }
      if (state.valueType?.kind === "pointer") {
        target.type = state.valueType;
        return state.valueType;
      }
      this.setMapValue(state, INT64, target, e.span);
      return INT64;
    }
    if (target.kind !== "var") return ERROR_TYPE;
    const variable = this.ctx.scope.lookup(varKey(target));
    if (!variable) {
      this.sink.error(
        `Undefined or undeclared variable: ${target.name} (assign it before using ${e.op})`,
        target.span,
      );
      return ERROR_TYPE;
    }
    target.slot = variable.slot;
    const t = variable.type ?? INT64;
    if (variable.type === null) this.setVarType(variable, INT64);
    target.type = t;
    if (!isIntLike(t)) {
      this.sink.error(`'${e.op}' needs an integer variable; ${target.name} holds ${typeName(t)}`, e.span);
      return ERROR_TYPE;
    }
    return t;
  }

  private ternary(e: A.TernaryExpr): Type {
    const c = this.expr(e.cond);
    if (!isIntLike(c) && !(e.then === null && c.kind === "string")) {
      this.sink.error(`Invalid condition in ternary: ${typeName(c)}`, e.cond.span);
    }
    const a = e.then ? this.expr(e.then) : c;
    const b = this.expr(e.else);
    const merged = unify(a, b);
    if (!merged) {
      this.sink.error(
        `Ternary operator branches have different types: '${typeName(a)}' and '${typeName(b)}'`,
        e.span,
      );
      return ERROR_TYPE;
    }
    return merged;
  }

  private ifExpr(e: A.IfExpr): Type {
    this.condition(e.cond, "if");
    const a = this.blockStatements(e.then);
    const b = e.else.kind === "ifExpr" ? this.expr(e.else) : this.blockStatements(e.else);
    const merged = unify(a, b);
    if (!merged) {
      this.sink.error(
        `if expression branches have different types: '${typeName(a)}' and '${typeName(b)}'`,
        e.span,
      );
      return ERROR_TYPE;
    }
    return merged;
  }

  /**
   * `&$x`: a pointer to a scratch variable on the program's stack, whose reads see the
   * variable's value. Maps, builtins and other expressions have no address in probelab.
   */
  private addressOf(e: A.UnaryExpr): Type {
    const t = this.expr(e.operand);
    if (t.kind === "error") return t;
    if (e.operand.kind !== "var") {
      this.sink.error(
        "address-of (&) takes a scratch variable ($x) in probelab: maps and other expressions have no address",
        e.span,
      );
      return ERROR_TYPE;
    }
    if (
      isAggregate(t) ||
      t.kind === "none" ||
      t.kind === "usym" ||
      t.kind === "ustack" ||
      t.kind === "buffer"
    ) {
      this.sink.error(`address-of (&) cannot take the address of a value of type '${typeName(t)}'`, e.span);
      return ERROR_TYPE;
    }
    return { kind: "pointer", to: t };
  }

  /** `*p`: the value p points to, read from the traced process's memory when the hit runs. */
  private dereference(e: A.UnaryExpr): Type {
    const t = this.expr(e.operand);
    if (t.kind === "error") return t;
    // An integer is an address whose 8 bytes bpftrace reads as a uint64 (`*kaddr("avenrun")`).
    if (t.kind === "int" || t.kind === "bool") return UINT64;
    if (t.kind !== "pointer") {
      this.sink.error(`Can not dereference type '${typeName(t)}'. It is not a pointer.`, e.span);
      return ERROR_TYPE;
    }
    if (t.to.kind === "none") {
      this.sink.error("Can not dereference a void pointer: cast it to a typed pointer first", e.span);
      return ERROR_TYPE;
    }
    return t.to;
  }

  private cast(e: A.CastExpr): Type {
    const from = this.expr(e.operand);
    const to = this.typeRefs.resolve(e.to, "cast");
    if (to.kind === "error" || from.kind === "error") return to;
    if (to.kind === "array") return this.arrayCast(e, from, to);
    // An array's bytes read back as one integer of the same size.
    const fromArray = from.kind === "array" && to.kind === "int" && sizeOf(from) === sizeOf(to);
    if (!isIntLike(from) && !fromArray) {
      this.sink.error(`Cannot cast from '${typeName(from)}' to '${typeName(to)}'`, e.span);
      return ERROR_TYPE;
    }
    return to;
  }

  /**
   * `(int8[8])x`, `(bool[2])y`, `(int8[])"str"`: the operand's bytes as an array, as bpftrace
   * casts. `[]` takes its length from the operand's size; an integer may widen into an array
   * of up to 8 bytes, otherwise the sizes must match.
   */
  private arrayCast(e: A.CastExpr, from: Type, to: ArrayType): Type {
    const bad = (why = "") => {
      this.sink.error(`Cannot cast from '${typeName(from)}' to '${typeName(to)}'${why}`, e.span);
      return ERROR_TYPE;
    };
    if (from.kind !== "int" && from.kind !== "bool" && from.kind !== "string") return bad();
    const fromSize = sizeOf(from);
    const elementSize = sizeOf(to.element);
    let length = to.length;
    if (length === 0) {
      if (fromSize % elementSize !== 0) {
        return bad(": cannot determine the array size, the element size does not divide the operand's");
      }
      length = fromSize / elementSize;
    }
    const array = arrayOf(to.element, length);
    const size = sizeOf(array);
    const widens = from.kind === "int" && size <= 8 && size > fromSize;
    if (size !== fromSize && !widens) return bad(`: sizes differ (${fromSize} and ${size} bytes)`);
    return array;
  }

  private record(e: A.RecordExpr): Type {
    const seen = new Set<string>();
    const fields = e.fields.map((f) => {
      if (seen.has(f.name)) this.sink.error(`Duplicate record field: ${f.name}`, f.span);
      seen.add(f.name);
      return { name: f.name, type: this.storable(f.value) };
    });
    return { kind: "record", fields };
  }

  private field(e: A.FieldExpr): Type {
    const t = this.expr(e.operand);
    if (t.kind === "error") return t;
    // `p->f` and `p.f` on a struct pointer read the member through the pointer.
    const struct = t.kind === "pointer" && t.to.kind === "struct" ? t.to : t;
    if (struct.kind === "struct") return this.structMember(e, struct);
    if (t.kind !== "record") {
      this.sink.error(`Can not access field '${e.field}' on expression of type '${typeName(t)}'`, e.span);
      return ERROR_TYPE;
    }
    const f = t.fields.find((x) => x.name === e.field);
    if (!f) {
      this.sink.error(
        `Record does not contain a field named '${e.field}'`,
        e.span,
        didYouMean(
          e.field,
          t.fields.map((x) => x.name),
        ),
      );
      return ERROR_TYPE;
    }
    return f.type;
  }

  private structMember(e: A.FieldExpr, struct: StructType): Type {
    const member = struct.fields.find((f) => f.name === e.field);
    if (member) return member.type;
    this.sink.error(
      `Struct/union of type '${struct.name}' does not contain a field named '${e.field}'`,
      e.span,
      didYouMean(
        e.field,
        struct.fields.map((f) => f.name),
      ),
    );
    return ERROR_TYPE;
  }

  private tupleIndex(e: A.Expr, t: Type, index: number): Type {
    if (t.kind === "error") return t;
    if (t.kind !== "tuple") {
      this.sink.error(`Can not access index ${index} on expression of type '${typeName(t)}'`, e.span);
      return ERROR_TYPE;
    }
    if (index >= t.elements.length) {
      this.sink.error(`Invalid tuple index: ${index}. Found ${t.elements.length} elements in tuple.`, e.span);
      return ERROR_TYPE;
    }
    return t.elements[index]!;
  }

  /** `s[i]` on strings; `t[const]` on tuples is folded into a tupleIndex node in place. */
  private index(e: A.IndexExpr): Type {
    const t = this.expr(e.operand);
    const it = this.expr(e.index);
    if (t.kind === "error") return t;
    if (t.kind === "string") {
      if (!isIntLike(it))
        this.sink.error(`String index must be an integer (${typeName(it)} provided)`, e.index.span);
      return intType(8, true);
    }
    if (t.kind === "tuple") {
      const value = constantValue(e.index);
      if (value === null) {
        this.sink.error("Tuple index must be a constant integer expression", e.index.span);
        return ERROR_TYPE;
      }
      const folded = e as unknown as { kind: string; index: number };
      folded.kind = "tupleIndex";
      folded.index = Number(value);
      return this.tupleIndex(e, t, Number(value));
    }
    if (t.kind === "array") return this.arrayIndex(e, t, it);
    this.sink.error(`Can not index expression of type '${typeName(t)}'`, e.span);
    return ERROR_TYPE;
  }

  /** `a[i]` on a C array: its element; a constant index must lie within the array. */
  private arrayIndex(e: A.IndexExpr, t: ArrayType, it: Type): Type {
    const value = constantValue(e.index);
    if (value !== null && (value < 0n || value >= BigInt(t.length))) {
      this.sink.error(`the index ${value} is out of bounds for array of size ${t.length}`, e.span);
    } else if (!isIntLike(it)) {
      this.sink.error(`Array index must be an integer (${typeName(it)} provided)`, e.index.span);
    }
    return t.element;
  }
}

/** Literals are sign-flexible: only a signed non-literal operand makes a division signed. */
/** An integer operand as bpftrace's type resolver sees it for the signed-division warning. */
interface DivisionOperand {
  bits: number;
  signed: boolean;
  /** A non-negative literal that fits int64: it takes the other operand's sign. */
  flexible: boolean;
}

const INT64_MAX = (1n << 63n) - 1n;

/** A literal is typed as the smallest int that holds it (int8 for 7, int32 for 1e6). */
function literalBits(magnitude: bigint): number {
  if (magnitude <= 127n) return 8;
  if (magnitude <= 32767n) return 16;
  if (magnitude <= 2147483647n) return 32;
  return 64;
}

function divisionOperand(e: A.Expr, t: Type): DivisionOperand {
  // `$1` is an int64, as bpftrace types a numeric positional parameter.
  if (e.kind === "int" && e.positional !== undefined) return { bits: 64, signed: true, flexible: false };
  if (e.kind === "int" && e.value >= 0n && e.value <= INT64_MAX)
    return { bits: literalBits(e.value), signed: true, flexible: true };
  if (e.kind === "unary" && e.op === "-" && e.operand.kind === "int" && e.operand.value <= INT64_MAX + 1n)
    return { bits: literalBits(e.operand.value - 1n), signed: true, flexible: false };
  if (t.kind === "int") return { bits: t.bits, signed: t.signed, flexible: false };
  return { bits: 64, signed: false, flexible: false };
}

/**
 * bpftrace warns about a signed `/` or `%` only when the two operands' types still differ
 * after a literal has taken the other side's sign, and one of them is signed: `$a / $b` of
 * two int64s is quiet, `(nsecs - $t) / 1000` (int64 by int16) and `-1 / @u` warn.
 */
/**
 * A record literal stored where a record of the same field names in another order lives
 * (`$a = (foo=1, bar=2); $a = (bar=3, foo=4)`) takes the slot's order, as in bpftrace: its
 * fields are still evaluated as written. Any other value keeps its type.
 */
function inSlotOrder(value: A.Expr, vt: Type, slot: Type): Type {
  if (value.kind !== "record" || vt.kind !== "record" || slot.kind !== "record") return vt;
  if (vt.fields.length !== slot.fields.length) return vt;
  const fields = slot.fields.map((f) => vt.fields.find((g) => g.name === f.name));
  if (fields.some((f) => f === undefined)) return vt;
  const ordered: Type = { kind: "record", fields: fields as { name: string; type: Type }[] };
  value.type = ordered;
  return ordered;
}

/** An integer literal bpftrace types sign-flexibly: written as a number, at most INT64_MAX. */
function isFlexibleLiteral(e: A.Expr): boolean {
  return e.kind === "int" && e.positional === undefined && e.value >= 0n && e.value <= INT64_MAX;
}

function signedDivision(le: A.Expr, lt: Type, re: A.Expr, rt: Type): boolean {
  const l = divisionOperand(le, lt);
  const r = divisionOperand(re, rt);
  // Two literals fold to a constant before bpftrace types them.
  if (l.flexible && r.flexible) return false;
  if (l.flexible && !r.flexible) l.signed = r.signed;
  else if (r.flexible && !l.flexible) r.signed = l.signed;
  if (l.bits === r.bits && l.signed === r.signed) return false;
  return l.signed || r.signed;
}

/** Folds integer literals and + - * on them (tuple indices like `$t[1 + 1]`). */
function constantValue(e: A.Expr): bigint | null {
  if (e.kind === "int") return e.value;
  if (e.kind === "binary" && (e.op === "+" || e.op === "-" || e.op === "*")) {
    const l = constantValue(e.left);
    const r = constantValue(e.right);
    if (l === null || r === null) return null;
    return e.op === "+" ? l + r : e.op === "-" ? l - r : l * r;
  }
  return null;
}

/** exit(), return, break and continue: nothing after them in the same block runs. */
function endsControl(stmt: A.Stmt): boolean {
  if (stmt.kind === "return" || stmt.kind === "break" || stmt.kind === "continue") return true;
  return stmt.kind === "exprStmt" && stmt.expr.kind === "call" && stmt.expr.name === "exit";
}

function ordinal(i: number): string {
  return ["first", "second", "third", "fourth", "fifth"][i] ?? `#${i + 1}`;
}

function expectedArgs(required: number, max: number): string {
  const plural = (n: number) => (n === 1 ? "argument" : "arguments");
  if (max === Number.POSITIVE_INFINITY) return `requires at least ${required} ${plural(required)}`;
  if (required === max) return `requires ${required} ${plural(required)}`;
  return `requires ${required} to ${max} arguments`;
}

/** Checks a whole program: config, map declarations, every probe; returns the typed program or null. */
export function checkProgram(
  program: A.Program,
  sink: DiagnosticSink,
  args: string[],
  env: CheckEnv = {},
): A.TypedProgram | null {
  const config = checkConfig(program.config, sink);
  const cTypes = new CTypes(withKernelStructs(program.structs), sink, program.enums);
  substituteEnumVariants(program, cTypes);
  substituteConfigReads(program, config, sink);
  let pass = new DiagnosticSink();
  let checker = runChecker(program, pass, config.maxStrlen, cTypes, undefined, env);
  if (checker.forwardMapUse) {
    // A map was read before the probe that writes it: check again knowing every map's type.
    pass = new DiagnosticSink();
    checker = runChecker(program, pass, config.maxStrlen, cTypes, checker.mapStates, env);
  }
  sink.list.push(...pass.list);
  checker.reportUndefinedMaps(checker.mapUses, sink);
  checkMapDecls(program.mapDecls, sink);
  for (const d of program.mapDecls)
    if (!checker.usesMap(d.name)) sink.warning(`Unused map: ${d.name}`, d.span);
  if (sink.hasErrors) return null;
  return {
    ast: program,
    probes: checker.probeInfos,
    maps: checker.finalMaps(program.mapDecls, config.maxMapKeys),
    config,
    args,
  };
}

function checkMapDecls(decls: A.MapDecl[], sink: DiagnosticSink): void {
  const seen = new Set<string>();
  for (const d of decls) {
    if (seen.has(d.name)) sink.error(`Map ${d.name} is declared more than once`, d.span);
    seen.add(d.name);
  }
}

function runChecker(
  program: A.Program,
  sink: DiagnosticSink,
  maxStrlen: number,
  cTypes: CTypes,
  seed?: Map<string, MapState>,
  env: CheckEnv = {},
): Checker & { probeInfos: A.ProbeInfo[] } {
  const checker = new Checker(sink, maxStrlen, cTypes, seed, env) as Checker & {
    probeInfos: A.ProbeInfo[];
  };
  checker.probeInfos = program.probes.map((p) => checker.checkProbe(p));
  return checker;
}
