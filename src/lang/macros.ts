/**
 * Macro expansion, between parsing and checking: every call of a user macro is replaced by a
 * copy of the macro's body block, specialised for that call site:
 *
 *   - a `$x` parameter becomes the caller's variable itself, so `$x += 1` changes the caller's;
 *   - an `@m` parameter becomes the caller's map;
 *   - a bare identifier parameter is replaced, at each use, by the argument expression;
 *   - every other variable of the body is the macro's own: it is tagged with a fresh expansion
 *     number, so it can neither see nor clobber a caller's variable of the same name (hygiene);
 *   - a map the body names without it being a parameter is an error, for the same reason.
 *
 * Used as a statement the copy is a block statement; used as a value it is a block expression,
 * whose value is the body's trailing expression. The checker then sees ordinary blocks.
 */
import type * as A from "./ast.js";
import type { DiagnosticSink } from "./diagnostics.js";

/** Enough for any real script; stops a macro that calls another twice per level from exploding. */
const MAX_EXPANSIONS = 10_000;
/**
 * Nodes copied into expansions. An argument expression is copied at each use, so macros that
 * nest calls in their own arguments grow the tree quadratically long before MAX_EXPANSIONS.
 */
const MAX_COPIED_NODES = 200_000;
/**
 * Macros expanding inside one another. The expander recurses a few frames per level, so a cap
 * far below what the stack holds keeps any chain from overflowing it; real scripts nest a few.
 */
export const MAX_NESTED_EXPANSIONS = 200;

export type AnyNode = { kind: string } & Record<string, unknown>;

function isNode(v: unknown): v is AnyNode {
  return typeof v === "object" && v !== null && typeof (v as AnyNode).kind === "string";
}

/**
 * A deep copy of a subtree. Types are shared rather than copied: the parser's NONE placeholder
 * is replaced by the checker anyway, and struct types must keep their identity.
 */
function cloneTree<T>(v: T, copied: { nodes: number } = { nodes: 0 }): T {
  if (Array.isArray(v)) return v.map((item) => cloneTree(item, copied)) as T;
  if (typeof v !== "object" || v === null) return v;
  copied.nodes++;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(v)) out[key] = key === "type" ? value : cloneTree(value, copied);
  return out as T;
}

/**
 * Rewrites a subtree in place, top down: `visit` returns a replacement for a node (not walked
 * further), or undefined to keep the node and walk its children. Record fields (plain objects
 * holding a node) are walked through.
 */
export function rewriteChildren(node: object, visit: (n: AnyNode) => AnyNode | undefined): void {
  // A for-in walk: every script's tree passes through here, so no entry arrays are built.
  const record = node as Record<string, unknown>;
  for (const key in record) {
    if (key === "type" || key === "span") continue;
    const value = record[key];
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) value[i] = rewriteValue(value[i], visit);
    } else if (typeof value === "object" && value !== null) {
      record[key] = rewriteValue(value, visit);
    }
  }
}

function rewriteValue(value: unknown, visit: (n: AnyNode) => AnyNode | undefined): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (isNode(value)) {
    const replacement = visit(value);
    if (replacement !== undefined) return replacement;
  }
  rewriteChildren(value, visit);
  return value;
}

/** A builtin that a macro overrides, as the call of that macro with no arguments. */
function asCall(e: A.Expr): A.CallExpr {
  if (e.kind === "call") return e;
  return { kind: "call", name: (e as A.BuiltinExpr).name, args: [], span: e.span, type: e.type };
}

/** What one argument binds its parameter to at a call site. */
type Binding =
  | { binds: "variable"; name: string; expansion: number | undefined }
  | { binds: "map"; name: string }
  | { binds: "expression"; expr: A.Expr };

export class MacroExpander {
  private readonly macros = new Map<string, A.MacroDef>();
  /** bpftrace's standard library macros (stdlib.ts), behind the script's own. */
  private readonly stdlib = new Map<string, A.MacroDef>();
  private expansions = 0;
  private readonly copied = { nodes: 0 };
  private tooLarge = false;
  private tooDeep = false;

  constructor(
    definitions: readonly A.MacroDef[],
    private readonly sink: DiagnosticSink,
    stdlib: readonly A.MacroDef[] = [],
  ) {
    for (const def of stdlib) this.stdlib.set(def.name, def);
    for (const def of definitions) {
      if (this.macros.has(def.name)) {
        sink.error(`Redefinition of macro: ${def.name}`, def.span);
        continue;
      }
      this.checkDefinition(def);
      this.macros.set(def.name, def);
    }
  }

  /** Replaces every macro call in the program's probes by its expansion. */
  expandProgram(program: A.Program): void {
    if (this.macros.size === 0 && this.stdlib.size === 0) return;
    for (const probe of program.probes) {
      if (probe.predicate) probe.predicate = this.expandIn(probe.predicate, []);
      this.expandIn(probe.body, []);
    }
  }

  /** Parameters must be distinct, and the body must not redeclare a variable parameter. */
  private checkDefinition(def: A.MacroDef): void {
    const seen = new Set<string>();
    for (const p of def.params) {
      if (seen.has(p.name)) {
        this.sink.error(`Variable for macro argument has already been used: ${p.name}`, p.span);
      }
      seen.add(p.name);
    }
    const variables = new Set(def.params.filter((p) => p.binds === "variable").map((p) => p.name));
    if (variables.size === 0) return;
    rewriteChildren(cloneTree(def.body), (n) => {
      if (n.kind === "let" && variables.has((n as unknown as A.LetStmt).variable.name)) {
        const v = (n as unknown as A.LetStmt).variable;
        this.sink.error(`Variable declaration shadows macro arg ${v.name}`, v.span);
      }
      return undefined;
    });
  }

  /**
   * Expands the macro calls inside `node` (in place; the node itself is returned, or its
   * expansion when it is a call). `chain` is the macros being expanded around it.
   */
  private expandIn<T extends object>(node: T, chain: string[]): T {
    const visit = (n: AnyNode): AnyNode | undefined => {
      if (n.kind === "exprStmt") {
        const stmt = n as unknown as A.ExprStmt;
        const def = this.macroCalled(stmt.expr);
        if (def) return this.expand(def, stmt.expr as A.CallExpr, chain, "statement") as unknown as AnyNode;
        return undefined;
      }
      const def = this.macroCalled(n as unknown as A.Expr);
      if (def) return this.expand(def, asCall(n as unknown as A.Expr), chain, "value") as unknown as AnyNode;
      return undefined;
    };
    const replaced = isNode(node) ? visit(node) : undefined;
    if (replaced !== undefined) return replaced as unknown as T;
    rewriteChildren(node, visit);
    return node;
  }

  private macroCalled(e: A.Expr): A.MacroDef | undefined {
    if (e.kind === "call") {
      const own = this.macros.get(e.name);
      if (own) return own;
      const lib = this.stdlib.get(e.name);
      return lib && !e.bare && lib.params.length === e.args.length ? lib : undefined;
    }
    // A user macro named like a builtin (`macro cpu() { ... }`) overrides it, as in bpftrace,
    // whose builtins are macros of its standard library.
    if (e.kind === "builtin") {
      const def = this.macros.get(e.name);
      return def?.params.length === 0 ? def : undefined;
    }
    return undefined;
  }

  /** One call site: the body copied, its parameters bound, then the calls inside it expanded. */
  private expand(
    def: A.MacroDef,
    call: A.CallExpr,
    chain: string[],
    use: "statement" | "value",
  ): A.Stmt | A.Expr {
    const placeholder = (): A.Expr => ({
      kind: "int",
      value: 0n,
      text: "0",
      span: call.span,
      type: call.type,
    });
    if (chain.includes(def.name)) {
      this.sink.error(
        `Recursive macro call detected. Call chain: ${[...chain, def.name].join(" > ")}`,
        call.span,
      );
      return placeholder();
    }
    if (chain.length >= MAX_NESTED_EXPANSIONS) {
      if (!this.tooDeep) {
        this.tooDeep = true;
        this.sink.error(
          `the script is nested too deeply: more than ${MAX_NESTED_EXPANSIONS} macros expanding inside one another`,
          call.span,
        );
      }
      return placeholder();
    }
    if (++this.expansions > MAX_EXPANSIONS || this.copied.nodes > MAX_COPIED_NODES) {
      if (!this.tooLarge) {
        this.tooLarge = true;
        const what =
          this.expansions > MAX_EXPANSIONS
            ? `more than ${MAX_EXPANSIONS} expansions`
            : `more than ${MAX_COPIED_NODES} nodes`;
        this.sink.error(`macro expansion too large (${what})`, call.span);
      }
      return placeholder();
    }
    // Arguments belong to the caller: their own macro calls expand in the caller's chain.
    call.args = call.args.map((a) => this.expandIn(a, chain));
    const bindings = this.bind(def, call);
    if (bindings === null) return placeholder();
    const block = cloneTree(def.body, this.copied);
    if (this.stdlib.get(def.name) === def) locateAt(block, call.span);
    this.specialise(block, bindings, this.expansions);
    this.expandIn(block, [...chain, def.name]);
    if (this.stdlib.get(def.name) !== def) noteExpansion(block, call.span);
    if (use === "statement") return { kind: "blockStmt", block, span: call.span };
    if (block.value === null) {
      this.sink.error(
        `Macro '${def.name}' expanded to a block instead of a block expression. Try removing the semicolon from the end of the last statement in the macro body.`,
        call.span,
      );
    }
    // A body that is one literal is that literal (so `printf(m())` still has a literal format).
    const v = block.value;
    if (block.statements.length === 0 && (v?.kind === "string" || v?.kind === "int" || v?.kind === "bool"))
      return v;
    return { kind: "blockExpr", block, span: call.span, type: call.type };
  }

  /** Matches arguments to parameters; null (after reporting) when they do not fit. */
  private bind(def: A.MacroDef, call: A.CallExpr): Map<string, Binding> | null {
    const expected = def.params.length;
    if (call.bare && expected > 0) {
      this.sink.error(`Call to macro '${def.name}' has no arguments. Expected: ${expected}`, call.span);
      return null;
    }
    if (call.args.length !== expected) {
      this.sink.error(
        `Call to macro '${def.name}' has the wrong number of arguments. Expected: ${expected} but got ${call.args.length}`,
        call.span,
      );
      return null;
    }
    const bindings = new Map<string, Binding>();
    let ok = true;
    def.params.forEach((p, i) => {
      const arg = call.args[i]!;
      const binding = this.bindOne(p, arg);
      if (binding) bindings.set(p.name, binding);
      else ok = false;
    });
    return ok ? bindings : null;
  }

  private bindOne(p: A.MacroParam, arg: A.Expr): Binding | null {
    if (p.binds === "expression") return { binds: "expression", expr: arg };
    if (p.binds === "variable" && arg.kind === "var") {
      return { binds: "variable", name: arg.name, expansion: arg.expansion };
    }
    if (p.binds === "map" && arg.kind === "map" && arg.key === null) return { binds: "map", name: arg.name };
    const wanted = p.binds === "variable" ? "a variable" : "a map";
    const got =
      arg.kind === "var" ? "a variable" : arg.kind === "map" && arg.key === null ? "a map" : "an expression";
    this.sink.error(
      `Mismatched arg to macro call. Macro expects ${wanted} for arg ${p.name} but got ${got}.`,
      arg.span,
    );
    return null;
  }

  /** Binds the parameters inside a fresh copy of the body and makes its own variables private. */
  private specialise(block: A.Block, bindings: Map<string, Binding>, expansion: number): void {
    rewriteChildren(block, (n) => {
      if (n.kind === "var") {
        const v = n as unknown as A.VarExpr;
        const b = bindings.get(v.name);
        if (b?.binds === "variable") {
          v.name = b.name;
          if (b.expansion === undefined) delete v.expansion;
          else v.expansion = b.expansion;
        } else {
          v.expansion = expansion;
        }
        return n;
      }
      if (n.kind === "map") {
        const m = n as unknown as A.MapExpr;
        const b = bindings.get(m.name);
        if (b?.binds === "map") m.name = b.name;
        else {
          this.sink.error(
            `Unhygienic access to map: ${m.name}. Maps must be passed into the macro as arguments`,
            m.span,
          );
        }
        return undefined;
      }
      if (n.kind === "typeRef")
        return bindTypeName(n as unknown as A.TypeRef, bindings, this.copied) ? n : undefined;
      if (n.kind === "offsetof") {
        const o = n as unknown as A.OffsetofExpr;
        o.path = o.path.map((member) => {
          const b = bindings.get(member);
          return b?.binds === "expression" && b.expr.kind === "call" && b.expr.bare ? b.expr.name : member;
        });
        return undefined;
      }
      if (n.kind === "call" && (n as unknown as A.CallExpr).bare) {
        const b = bindings.get((n as unknown as A.CallExpr).name);
        if (b?.binds === "expression") return cloneTree(b.expr, this.copied) as unknown as AnyNode;
      }
      return undefined;
    });
  }
}

/**
 * A type written with a parameter's name, `(T *)p` or `offsetof(T, m)`, where the call passed
 * `typeof(...)` for T: the name becomes that typeof. True when it did.
 */
function bindTypeName(ref: A.TypeRef, bindings: Map<string, Binding>, copied: { nodes: number }): boolean {
  if (ref.typeOf) return false;
  const m = /^(\w+)(.*)$/.exec(ref.text);
  const b = m ? bindings.get(m[1]!) : undefined;
  if (b?.binds !== "expression" || b.expr.kind !== "typeof") return false;
  ref.typeOf = cloneTree(b.expr, copied);
  ref.text = m![2]!;
  return true;
}

/** Puts every node of a stdlib macro's copy at the call: the library text is not the user's. */
/** Every errorf/warnf in an expanded body records the call site it came from (see CallExpr). */
function noteExpansion(node: object, site: A.Span): void {
  rewriteChildren(node, (n) => {
    const call = n as unknown as A.Expr;
    if (call.kind === "call" && (call.name === "errorf" || call.name === "warnf"))
      call.expandedFrom = [...(call.expandedFrom ?? []), site];
    return undefined;
  });
}

function locateAt(node: object, span: A.Span): void {
  const record = node as Record<string, unknown>;
  for (const key in record) {
    const value = record[key];
    if (key === "span") record[key] = span;
    else if (key !== "type" && typeof value === "object" && value !== null) locateAt(value, span);
  }
}

/** Expands every macro call in the program (see the file comment), stdlib ones included. */
export function expandMacros(
  program: A.Program,
  sink: DiagnosticSink,
  stdlib: readonly A.MacroDef[] = [],
): void {
  new MacroExpander(program.macros, sink, stdlib).expandProgram(program);
}
