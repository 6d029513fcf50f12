/**
 * The CST → AST visitor. It turns Chevrotain's concrete syntax tree into the plain AST of
 * ast.ts, and settles what the grammar leaves open: literal values, operator precedence,
 * assignment targets, missing `;`, the contents of attach points, positional parameters.
 * Nothing after this file sees a Chevrotain type.
 */

import type * as A from "./ast.js";
import { parseAttachPoint } from "./attach-point.js";
import { BUILTIN_VALUES, FUNCTIONS } from "./builtins.js";
import { isTypeName } from "./c-types.js";
import type { CstElement, CstNode, IToken } from "./chevrotain.js";
import { type Diagnostic, DiagnosticSink, joinSpans } from "./diagnostics.js";
import { decodeStringLiteral, parseIntLiteral } from "./literals.js";
import { own } from "./own.js";
import * as t from "./tokens.js";
import { NONE } from "./types.js";

// ---------------------------------------------------------------- CST access helpers

/** Shared empty result: absent children are common and must not allocate. */
const NO_ELEMENTS: never[] = [];

function toks(node: CstNode, name: string): IToken[] {
  return (node.children[name] as IToken[] | undefined) ?? NO_ELEMENTS;
}
function tok(node: CstNode, name: string): IToken | undefined {
  return (node.children[name] as IToken[] | undefined)?.[0];
}
function subs(node: CstNode, name: string): CstNode[] {
  return (node.children[name] as CstNode[] | undefined) ?? NO_ELEMENTS;
}
function sub(node: CstNode, name: string): CstNode | undefined {
  return (node.children[name] as CstNode[] | undefined)?.[0];
}
function isToken(el: CstElement): el is IToken {
  return (el as IToken).image !== undefined;
}
function startOffset(el: CstElement): number {
  return isToken(el) ? el.startOffset : el.location!.startOffset;
}

/** A token's span: tokens never span lines, so the end is the start plus the image's length. */
export function tokenSpan(token: IToken): A.Span {
  const line = token.startLine!;
  const col = token.startColumn!;
  return { line, col, endLine: line, endCol: col + token.image.length };
}
/** Line and column of any offset: the parser tracks only offsets for nodes (cheaper). */
class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) this.starts.push(i + 1);
  }

  /**
   * The span from the character at `start` to the one at `end` (inclusive). Spans are made for
   * most AST nodes, so this allocates only the span itself.
   */
  span(start: number, end: number): A.Span {
    const line = this.lineOf(start, 0);
    // Most nodes end on the line they start on: check that before searching.
    const next = this.starts[line + 1];
    const endLine = next === undefined || end < next ? line : this.lineOf(end, line + 1);
    return {
      line: line + 1,
      col: start - this.starts[line]! + 1,
      endLine: endLine + 1,
      endCol: end - this.starts[endLine]! + 2,
    };
  }

  /** The 0-based line holding `offset`, searching from line `lo` on. */
  private lineOf(offset: number, lo: number): number {
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/** Binary operator precedence, lowest first (bpftrace's table; all left-associative). */
const PRECEDENCE: Record<A.BinaryOp, number> = {
  "||": 1,
  "&&": 2,
  "|": 3,
  "^": 4,
  "&": 5,
  "==": 6,
  "!=": 6,
  "<": 7,
  ">": 7,
  "<=": 7,
  ">=": 7,
  "<<": 8,
  ">>": 8,
  "+": 9,
  "-": 9,
  "*": 10,
  "/": 10,
  "%": 10,
};

const UNSUPPORTED_ITEMS: Record<string, string> = {
  Preprocessor: "C preprocessor directives (#include, #define)",
  TopImport: "imports",
  Fn: "subprograms (fn)",
};

const MAP_KINDS = new Set<A.MapDecl["mapKind"]>(["hash", "lruhash", "percpuhash", "percpulruhash"]);

/** Statements that end in a block need no `;` after them. */
const BLOCK_ENDED = new Set(["if", "unroll", "while", "forMap", "forRange", "blockStmt"]);

/** A probe built while the parser was still running, with the diagnostics building it gave. */
interface EarlyProbe {
  probe: A.Probe;
  diagnostics: Diagnostic[];
}

export class AstBuilder {
  private readonly lines: LineIndex;
  /** Probes built by takeProbe, by their (since emptied) CST node. */
  private readonly early = new Map<CstNode, EarlyProbe>();

  constructor(
    private sink: DiagnosticSink,
    private readonly args: string[],
    text: string,
  ) {
    this.lines = new LineIndex(text);
  }

  /**
   * Builds one probe as soon as it has parsed, so its CST can be dropped (see the parser's
   * handOver). Its diagnostics are held back and reported by program() in the usual order,
   * and only if the input turns out to have no syntax errors.
   */
  takeProbe(node: CstNode): void {
    const sink = this.sink;
    this.sink = new DiagnosticSink();
    try {
      this.early.set(node, { probe: this.probe(node, this.early.size), diagnostics: this.sink.list });
    } finally {
      this.sink = sink;
    }
  }

  /** A node's span from its offsets (the end offset is inclusive, the span's end exclusive). */
  private nodeSpan(node: CstNode): A.Span {
    const l = node.location!;
    return this.lines.span(l.startOffset, l.endOffset!);
  }

  // ------------------------------------------------------------ top level

  program(node: CstNode): A.Program {
    const program: A.Program = {
      kind: "program",
      config: [],
      mapDecls: [],
      structs: [],
      enums: [],
      macros: [],
      probes: [],
      span: this.nodeSpan(node),
    };
    for (const def of subs(node, "structDefinition")) program.structs.push(this.structDefinition(def));
    for (const def of subs(node, "enumDefinition")) program.enums.push(this.enumDefinition(def));
    for (const def of subs(node, "macroDefinition")) program.macros.push(this.macroDefinition(def));
    for (const cfg of subs(node, "configBlock")) {
      for (const entry of subs(cfg, "configEntry")) program.config.push(this.configEntry(entry));
    }
    for (const decl of subs(node, "mapDecl")) {
      const d = this.mapDecl(decl);
      if (d) program.mapDecls.push(d);
    }
    for (const item of subs(node, "unsupportedItem")) this.unsupportedItem(item);
    for (const probe of subs(node, "probe"))
      program.probes.push(this.builtProbe(probe, program.probes.length));
    this.checkOrder(node);
    return program;
  }

  /** A probe takeProbe built (its held-back diagnostics now reported), or built now. */
  private builtProbe(node: CstNode, index: number): A.Probe {
    const early = this.early.get(node);
    if (!early) return this.probe(node, index);
    for (const d of early.diagnostics) this.sink.list.push(d);
    return early.probe;
  }

  /** bpftrace requires the config block and C definitions before the probes. */
  private checkOrder(node: CstNode): void {
    const firstProbe = sub(node, "probe");
    const firstMacro = sub(node, "macroDefinition");
    if (firstProbe) {
      for (const cfg of subs(node, "configBlock")) {
        if (startOffset(cfg) > startOffset(firstProbe)) {
          this.sink.error(
            "syntax: the config block must appear before probes",
            tokenSpan(tok(cfg, "Config")!),
          );
        }
      }
    }
    const firstItem = Math.min(
      firstProbe ? startOffset(firstProbe) : Number.POSITIVE_INFINITY,
      firstMacro ? startOffset(firstMacro) : Number.POSITIVE_INFINITY,
    );
    for (const def of subs(node, "structDefinition")) {
      if (startOffset(def) > firstItem) {
        this.sink.error(
          "syntax: C definitions must appear before probes and macros",
          tokenSpan(tok(def, "StructDefinition")!),
        );
      }
    }
  }

  // ------------------------------------------------------------ C definitions and macros

  private structDefinition(node: CstNode): A.StructDef {
    const keyword = tok(node, "StructDefinition")!;
    const nameTok = tok(node, "name")!;
    this.checkIdentifier(nameTok, `${keyword.image} name`);
    const def: A.StructDef = {
      kind: "structDef",
      name: `${keyword.image} ${nameTok.image}`,
      union: keyword.image === "union",
      fields: subs(node, "structField").map((f) => this.structField(f)),
      span: joinSpans(tokenSpan(keyword), tokenSpan(nameTok)),
    };
    for (const attr of subs(node, "structAttribute")) {
      for (const item of subs(attr, "attributeItem")) this.structAttribute(item, def);
    }
    return def;
  }

  /** `packed` and `aligned(N)` (also spelt `__packed__`, `__aligned__`) change the layout. */
  private structAttribute(node: CstNode, def: A.StructDef): void {
    const nameTok = tok(node, "AttachPointText")!;
    const name = nameTok.image.replace(/^__(.*)__$/, "$1");
    const arg = tok(node, "IntLiteral");
    if (name === "packed" && !arg) {
      def.packed = true;
      return;
    }
    if (name === "aligned" && arg) {
      const n = this.intValue(arg);
      if (n > 0n && (n & (n - 1n)) === 0n && n <= 1n << 28n) {
        def.aligned = Math.max(def.aligned ?? 1, Number(n));
        return;
      }
      this.sink.error("requested alignment is not a power of 2", tokenSpan(arg));
      return;
    }
    this.sink.error(
      `struct attribute '${nameTok.image}' is not supported by probelab (packed and aligned(N) are)`,
      this.nodeSpan(node),
    );
  }
  private enumDefinition(node: CstNode): A.EnumDef {
    const keyword = tok(node, "EnumDefinition")!;
    const nameTok = tok(node, "name");
    if (nameTok) this.checkIdentifier(nameTok, "enum name");
    const variants = subs(node, "enumVariant").map((v): A.EnumVariantDef => {
      const name = tok(v, "Identifier")!;
      const int = tok(v, "IntLiteral");
      const value = int ? this.intValue(int) : null;
      return {
        kind: "enumVariant",
        name: name.image,
        value: value === null ? null : tok(v, "Minus") ? -value : value,
        span: this.nodeSpan(v),
      };
    });
    return {
      kind: "enumDef",
      name: nameTok ? `enum ${nameTok.image}` : null,
      variants,
      span: joinSpans(tokenSpan(keyword), tokenSpan(nameTok ?? keyword)),
    };
  }

  /**
   * A member: the declarator after `*`s or a nested `{ }` is its name, else the last word
   * (the words before it, and any `*`s and `[N]`, are its type).
   */
  private structField(node: CstNode): A.StructFieldDef {
    const words = toks(node, "word");
    const declarator = tok(node, "declarator");
    const structKw = tok(node, "StructKeyword");
    const stars = toks(node, "Star").length;
    const body = tok(node, "LCurly");
    const bitsTok = tok(node, "bits");
    const end =
      tok(node, "Semi") ??
      bitsTok ??
      tok(node, "RBracket") ??
      declarator ??
      tok(node, "RCurly") ??
      words.at(-1);
    const span = joinSpans(tokenSpan(firstToken(node)), tokenSpan(end ?? firstToken(node)));
    const typeWords = words.map((w) => w.image);
    let nameTok = declarator;
    // `unsigned int : 3` pads without a name; otherwise the last word names the member.
    if (!nameTok && !body && stars === 0 && !(bitsTok && isTypeName(typeWords.join(" ")))) {
      nameTok = words.at(-1);
    }
    if (nameTok && !declarator) typeWords.pop();
    if (structKw) typeWords.unshift(structKw.image);
    if (!body && (typeWords.length === 0 || (structKw && typeWords.length < 2))) {
      this.sink.error(`syntax: member '${nameTok?.image ?? ""}' needs a type`, span);
    } else if (!nameTok && (stars > 0 || tok(node, "LBracket"))) {
      this.sink.error("syntax: this member needs a name", span);
    }
    let suffix = stars > 0 ? ` ${"*".repeat(stars)}` : "";
    if (tok(node, "LBracket")) suffix += `[${tok(node, "IntLiteral")?.image ?? ""}]`;
    const field: A.StructFieldDef = {
      kind: "structField",
      name: nameTok?.image ?? "",
      type: { kind: "typeRef", text: (typeWords.join(" ") + suffix).trim(), span },
      span,
    };
    if (body) field.inline = this.nestedDefinition(node, structKw, span);
    if (bitsTok) field.bits = Number(this.intValue(bitsTok));
    return field;
  }

  /** `struct Bar { ... }` or `union { ... }` inside a definition. */
  private nestedDefinition(node: CstNode, structKw: IToken | undefined, span: A.Span): A.StructDef {
    const words = toks(node, "word");
    if (!structKw || structKw.image === "enum" || words.length > 1) {
      this.sink.error("syntax: a nested definition is 'struct NAME { ... }' or 'union { ... }'", span);
    }
    const tag = words[0];
    if (tag) this.checkIdentifier(tag, `${structKw?.image ?? "struct"} name`);
    return {
      kind: "structDef",
      name: tag ? `${structKw?.image ?? "struct"} ${tag.image}` : null,
      union: structKw?.image === "union",
      fields: subs(node, "structField").map((f) => this.structField(f)),
      span: joinSpans(tokenSpan(structKw ?? firstToken(node)), tokenSpan(tag ?? tok(node, "LCurly")!)),
    };
  }

  private macroDefinition(node: CstNode): A.MacroDef {
    const nameTok = tok(node, "name")!;
    this.checkIdentifier(nameTok, "macro name");
    const params = subs(node, "macroParameter").map((p): A.MacroParam => {
      const [, el] = onlyChildElement(p);
      const token = el as IToken;
      const span = tokenSpan(token);
      if (token.tokenType === t.TopVariable)
        return { kind: "macroParam", name: token.image, binds: "variable", span };
      if (token.tokenType === t.MapName) return { kind: "macroParam", name: token.image, binds: "map", span };
      this.checkIdentifier(token, "macro parameter");
      if (BUILTIN_VALUES.has(token.image)) {
        this.sink.error(`macro parameter '${token.image}' is the name of a builtin`, span);
      }
      return { kind: "macroParam", name: token.image, binds: "expression", span };
    });
    return {
      kind: "macroDef",
      name: nameTok.image,
      params,
      body: this.block(sub(node, "block")!),
      span: joinSpans(tokenSpan(tok(node, "Macro")!), tokenSpan(tok(node, "RParen")!)),
    };
  }

  /** Names lexed as raw top-level text (struct and macro names) must be plain identifiers. */
  private checkIdentifier(token: IToken, what: string): void {
    if (!/^[_a-zA-Z][_a-zA-Z0-9]*$/.test(token.image)) {
      this.sink.error(`syntax: invalid ${what} '${token.image}'`, tokenSpan(token));
    }
  }

  private configEntry(node: CstNode): A.ConfigEntry {
    const [keyTok, identValue] = toks(node, "Identifier") as [IToken, IToken | undefined];
    const valueTok =
      tok(node, "IntLiteral") ??
      tok(node, "StringLiteral") ??
      tok(node, "True") ??
      tok(node, "False") ??
      identValue!;
    let value: A.ConfigEntry["value"];
    if (valueTok.tokenType === t.IntLiteral) value = this.intValue(valueTok);
    else if (valueTok.tokenType === t.StringLiteral) value = this.stringValue(valueTok);
    else if (valueTok.tokenType === t.True || valueTok.tokenType === t.False)
      value = valueTok.image === "true";
    else value = valueTok.image;
    const key = keyTok.image.replace(/^BPFTRACE_/, "").toLowerCase();
    return { kind: "config", key, value, span: joinSpans(tokenSpan(keyTok), tokenSpan(valueTok)) };
  }

  private mapDecl(node: CstNode): A.MapDecl | null {
    const kindTok = tok(node, "Identifier")!;
    const sizeTok = tok(node, "IntLiteral")!;
    const span = this.nodeSpan(node);
    if (!MAP_KINDS.has(kindTok.image as A.MapDecl["mapKind"])) {
      this.sink.error(
        `unknown map type '${kindTok.image}' (expected hash, lruhash, percpuhash or percpulruhash)`,
        tokenSpan(kindTok),
      );
      return null;
    }
    const size = this.intValue(sizeTok);
    if (size === 0n || size > 0xffffffffn) {
      this.sink.error(
        `invalid map size ${sizeTok.image}: must be between 1 and 4294967295`,
        tokenSpan(sizeTok),
      );
      return null;
    }
    return {
      kind: "mapDecl",
      name: tok(node, "MapName")!.image,
      mapKind: kindTok.image as A.MapDecl["mapKind"],
      maxEntries: Number(size),
      span,
    };
  }

  private unsupportedItem(node: CstNode): void {
    const first = tok(node, "UnsupportedItem")!;
    const feature = own(UNSUPPORTED_ITEMS, first.tokenType.name) ?? first.image;
    const next = toks(node, "Skippable")[0];
    const span =
      next && next.startLine === first.startLine
        ? joinSpans(tokenSpan(first), tokenSpan(next))
        : tokenSpan(first);
    this.sink.error(`${feature} are not supported by probelab`, span);
  }

  private probe(node: CstNode, index: number): A.Probe {
    const attachPoints = toks(node, "AttachPointText").map((ap) =>
      parseAttachPoint(ap.image, tokenSpan(ap), this.args, this.sink),
    );
    const pred = sub(node, "predicate");
    return {
      kind: "probe",
      index,
      attachPoints,
      predicate: pred ? this.expression(sub(pred, "expression")!) : null,
      body: this.statementBlock(sub(node, "block")!),
      span: this.nodeSpan(node),
    };
  }

  // ------------------------------------------------------------ blocks and statements

  /** A block whose trailing expression, if any, is just a statement (probe and loop bodies). */
  private statementBlock(node: CstNode): A.Block {
    const block = this.block(node, false);
    if (block.value) {
      block.statements.push({ kind: "exprStmt", expr: block.value, span: block.value.span });
      block.value = null;
    }
    return block;
  }

  /**
   * `{ stmt; ...; [expr] }`: checks the `;` rules and takes a trailing expression as the value.
   * With `wantValue`, a trailing complete `if ... else ...` is the value too (an if expression).
   */
  private block(node: CstNode, wantValue = true): A.Block {
    const stmtNodes = subs(node, "statement");
    const semis = toks(node, "Semi");
    const block: A.Block = { kind: "block", statements: [], value: null, span: this.nodeSpan(node) };
    let s = 0;
    stmtNodes.forEach((stmtNode, i) => {
      const stmt = this.statement(stmtNode);
      const end = stmtNode.location!.endOffset!;
      while (s < semis.length && semis[s]!.startOffset < end) s++;
      const next = stmtNodes[i + 1];
      const hasSemi = s < semis.length && (!next || semis[s]!.startOffset < startOffset(next));
      if (hasSemi) s++;
      const last = i === stmtNodes.length - 1;
      if (!hasSemi && !last && !BLOCK_ENDED.has(stmt.kind) && !endsInBlock(stmt)) {
        const nextTok = firstToken(next!);
        this.sink.error(`syntax: unexpected '${nextTok.image}', expected ';'`, tokenSpan(nextTok));
      }
      if (last && !hasSemi && stmt.kind === "exprStmt") {
        block.value = stmt.expr;
      } else if (last && !hasSemi && wantValue && stmt.kind === "if" && hasCompleteElse(stmt)) {
        block.value = ifToExpr(stmt);
      } else {
        if (stmt.kind === "if") dropIfValues(stmt);
        block.statements.push(stmt);
      }
    });
    return block;
  }

  private statement(node: CstNode): A.Stmt {
    const [name, child] = onlyChild(node);
    switch (name) {
      case "ifStatement":
        return this.ifStatement(child);
      case "letStatement":
        return this.letStatement(child);
      case "unrollStatement":
        return this.unrollStatement(child);
      case "whileStatement":
        return {
          kind: "while",
          cond: this.condition(sub(child, "expression")!),
          body: this.statementBlock(sub(child, "block")!),
          span: this.nodeSpan(child),
        };
      case "forStatement":
        return this.forStatement(child);
      case "jumpStatement":
        return { kind: tok(child, "Break") ? "break" : "continue", span: this.nodeSpan(child) };
      case "returnStatement": {
        const value = sub(child, "expression");
        return { kind: "return", value: value ? this.expression(value) : null, span: this.nodeSpan(child) };
      }
      case "importStatement":
        this.sink.error("imports are not supported by probelab", this.nodeSpan(child));
        return { kind: "blockStmt", block: emptyBlock(this.nodeSpan(child)), span: this.nodeSpan(child) };
      case "block": {
        const block = this.statementBlock(child);
        return { kind: "blockStmt", block, span: block.span };
      }
      default:
        return this.expressionStatement(child);
    }
  }

  private ifStatement(node: CstNode): A.IfStmt {
    const elseIf = sub(node, "ifStatement");
    const blocks = subs(node, "block");
    let elseBranch: A.IfStmt["else"] = null;
    if (elseIf) elseBranch = this.ifStatement(elseIf);
    else if (blocks[1]) elseBranch = this.block(blocks[1]);
    return {
      kind: "if",
      cond: this.condition(sub(node, "expression")!),
      // biome-ignore lint/suspicious/noThenProperty: the AST field is named for the language; it is never a function, so never thenable.
      then: this.block(blocks[0]!),
      else: elseBranch,
      span: this.nodeSpan(node),
    };
  }

  private letStatement(node: CstNode): A.LetStmt {
    const typeNode = sub(node, "typeRef");
    const value = sub(node, "expression");
    return {
      kind: "let",
      variable: this.variable(tok(node, "Variable")!),
      declaredType: typeNode ? this.typeRef(typeNode) : null,
      value: value ? this.expression(value) : null,
      span: this.nodeSpan(node),
    };
  }

  private unrollStatement(node: CstNode): A.UnrollStmt {
    return {
      kind: "unroll",
      count: 0,
      countExpr: this.condition(sub(node, "expression")!),
      body: this.statementBlock(sub(node, "block")!),
      span: this.nodeSpan(node),
    };
  }

  private forStatement(node: CstNode): A.ForMapStmt | A.ForRangeStmt {
    const variable = this.variable(tok(node, "Variable")!);
    const [first, second] = subs(node, "expression");
    const body = this.statementBlock(sub(node, "block")!);
    const span = this.nodeSpan(node);
    const start = this.expression(first!);
    if (second) return { kind: "forRange", variable, start, end: this.expression(second), body, span };
    if (start.kind !== "map" || start.key !== null) {
      this.sink.error("syntax: for loops iterate over a map (for ($kv : @m)) or a range (a..b)", start.span);
    }
    const map: A.MapExpr =
      start.kind === "map" ? start : { kind: "map", name: "@", key: null, span: start.span, type: NONE };
    return { kind: "forMap", variable, map, body, span };
  }

  private expressionStatement(node: CstNode): A.Stmt {
    const [lhsNode, rhsNode] = subs(node, "expression");
    const lhs = this.expression(lhsNode!);
    const span = this.nodeSpan(node);
    const opTok = tok(node, "AssignOperator");
    if (!opTok || !rhsNode) return { kind: "exprStmt", expr: lhs, span };
    const value = this.expression(rhsNode);
    const op = opTok.image === "=" ? null : (opTok.image.slice(0, -1) as A.CompoundOp);
    if (lhs.kind !== "var" && lhs.kind !== "map" && lhs.kind !== "discard") {
      this.sink.error("syntax: can only assign to a variable ($x), a map (@m, @m[k]) or _", lhs.span);
    } else if (lhs.kind === "discard" && op !== null) {
      this.sink.error(`syntax: cannot use '${opTok.image}' on _`, lhs.span);
    }
    return { kind: "assign", target: lhs as A.LValue, op, value, span };
  }

  // ------------------------------------------------------------ expressions

  expression(node: CstNode): A.Expr {
    const exprs = subs(node, "expression");
    const cond = this.binaryExpression(node);
    if (!tok(node, "Question")) return cond;
    const colon = tok(node, "Colon")!;
    const [a, b] = exprs.map((e) => this.expression(e));
    const shortForm = exprs.length === 1 || (exprs[0] && startOffset(exprs[0]) > colon.startOffset);
    const elseExpr = shortForm ? a! : b!;
    return {
      kind: "ternary",
      cond,
      // biome-ignore lint/suspicious/noThenProperty: the AST field is named for the language; it is never a function, so never thenable.
      then: shortForm ? null : a!,
      else: elseExpr,
      span: joinSpans(cond.span, elseExpr.span),
      type: NONE,
    };
  }

  /**
   * The condition of `if (c)`, `while (c)`, `unroll (n)`: there the parentheses are statement
   * syntax, not grouping, so the condition's span is the expression inside them.
   */
  private condition(node: CstNode): A.Expr {
    const inner = parenthesised(node);
    return inner ? this.expression(inner) : this.expression(node);
  }

  /** Precedence climbing over the flat `unary (op unary)*` list the grammar produces. */
  private binaryExpression(node: CstNode): A.Expr {
    const operandNodes = subs(node, "unaryExpression");
    if (operandNodes.length === 1) return this.unaryExpression(operandNodes[0]!);
    const operands = operandNodes.map((u) => this.unaryExpression(u));
    const ops = toks(node, "BinaryOperator").map((o) => o.image as A.BinaryOp);
    if (ops.length === 0) return operands[0]!;
    let i = 0;
    /** Parses operand i and every following operator binding at least as tightly as minPrec. */
    const climb = (minPrec: number): A.Expr => {
      let left = operands[i]!;
      while (i < ops.length && PRECEDENCE[ops[i]!] >= minPrec) {
        const op = ops[i]!;
        i++;
        const right = climb(PRECEDENCE[op] + 1);
        left = { kind: "binary", op, left, right, span: joinSpans(left.span, right.span), type: NONE };
      }
      return left;
    };
    return climb(1);
  }

  private unaryExpression(node: CstNode): A.Expr {
    const inner = sub(node, "unaryExpression");
    if (inner) {
      const operand = this.unaryExpression(inner);
      const opTok = firstToken(node);
      const span = joinSpans(tokenSpan(opTok), operand.span);
      if (opTok.image === "++" || opTok.image === "--") return this.incDec(opTok.image, true, operand, span);
      return { kind: "unary", op: opTok.image as A.UnaryOp, operand, span, type: NONE };
    }
    const cast = sub(node, "castExpression");
    if (cast) {
      const operand = this.unaryExpression(sub(cast, "unaryExpression")!);
      return {
        kind: "cast",
        to: this.typeRef(sub(cast, "typeRef")!),
        operand,
        span: this.nodeSpan(cast),
        type: NONE,
      };
    }
    return this.postfixExpression(node);
  }

  private incDec(op: "++" | "--", prefix: boolean, target: A.Expr, span: A.Span): A.Expr {
    if (target.kind !== "var" && target.kind !== "map") {
      this.sink.error(`syntax: '${op}' applies only to a variable or a map`, span);
    }
    return { kind: "incdec", op, prefix, target: target as A.VarExpr | A.MapExpr, span, type: NONE };
  }

  private typeRef(node: CstNode): A.TypeRef {
    const parts: string[] = [];
    const structKw = tok(node, "StructKeyword");
    if (structKw) parts.push(`${structKw.image} `);
    const typeofNode = sub(node, "compileTimeForm");
    if (!typeofNode) parts.push(tok(node, "Identifier")!.image);
    const stars = toks(node, "Star").length;
    if (stars > 0) parts.push(` ${"*".repeat(stars)}`);
    if (tok(node, "LBracket")) parts.push(`[${tok(node, "IntLiteral")?.image ?? ""}]`);
    const ref: A.TypeRef = { kind: "typeRef", text: parts.join(""), span: this.nodeSpan(node) };
    if (typeofNode) ref.typeOf = this.compileTimeForm(typeofNode) as A.TypeofExpr;
    return ref;
  }

  /** A primary followed by `.f`, `->f`, `.N`, `[e]`, `++`, `--`, applied in source order. */
  private postfixExpression(node: CstNode): A.Expr {
    let expr = this.primaryExpression(node);
    for (const op of subs(node, "postfixOperator")) expr = this.postfixOperator(expr, op);
    return expr;
  }

  private postfixOperator(expr: A.Expr, node: CstNode): A.Expr {
    const member = tok(node, "Identifier") ?? tok(node, "IntLiteral");
    if (member) {
      const span = joinSpans(expr.span, tokenSpan(member));
      if (member.tokenType === t.IntLiteral) {
        return { kind: "tupleIndex", operand: expr, index: Number(this.intValue(member)), span, type: NONE };
      }
      return { kind: "field", operand: expr, field: member.image, span, type: NONE };
    }
    const index = sub(node, "expression");
    if (index) {
      const span = joinSpans(expr.span, tokenSpan(tok(node, "RBracket")!));
      return { kind: "index", operand: expr, index: this.expression(index), span, type: NONE };
    }
    const op = (tok(node, "PlusPlus") ?? tok(node, "MinusMinus"))!;
    return this.incDec(op.image as "++" | "--", false, expr, joinSpans(expr.span, tokenSpan(op)));
  }

  /** The operand a unary node starts with (the grammar parses operands in place, before any postfix). */
  private primaryExpression(node: CstNode): A.Expr {
    const [name, child] = onlyChildElement(node);
    if (!isToken(child)) return this.primaryRule(name, child);
    const span = tokenSpan(child);
    switch (child.tokenType) {
      case t.IntLiteral:
        return { kind: "int", value: this.intValue(child), text: child.image, span, type: NONE };
      case t.StringLiteral:
        return { kind: "string", value: this.stringValue(child), span, type: NONE };
      case t.True:
      case t.False:
        return { kind: "bool", value: child.tokenType === t.True, span, type: NONE };
      case t.Variable:
        return this.variable(child);
      case t.Positional:
        return this.positional(child);
      default:
        return {
          kind: "int",
          value: BigInt(this.args.length),
          text: child.image,
          positional: 0,
          span,
          type: NONE,
        };
    }
  }

  private primaryRule(name: string, node: CstNode): A.Expr {
    switch (name) {
      case "mapAccess":
        return this.mapAccess(node);
      case "callOrIdentifier":
        return this.callOrIdentifier(node);
      case "parenExpression":
        return this.parenExpression(node);
      case "block":
        return { kind: "blockExpr", block: this.block(node), span: this.nodeSpan(node), type: NONE };
      case "ifExpression":
        return this.ifExpression(node);
      default:
        return this.compileTimeForm(node);
    }
  }

  private compileTimeForm(node: CstNode): A.Expr {
    const kw = tok(node, "CompileTimeForm")!;
    const span = this.nodeSpan(node);
    const typeNode = sub(node, "typeRef");
    const members = toks(node, "member").map((m) => m.image);
    if (kw.image === "sizeof" && members.length === 0) {
      const of = typeNode ? this.typeRef(typeNode) : this.unaryExpression(sub(node, "unaryExpression")!);
      return { kind: "sizeof", of, value: 0n, span, type: NONE };
    }
    if (kw.image === "typeof") {
      const of = typeNode ? this.typeRef(typeNode) : this.unaryExpression(sub(node, "unaryExpression")!);
      return { kind: "typeof", of, span, type: NONE };
    }
    if (kw.image === "offsetof" && typeNode && members.length > 0) {
      return { kind: "offsetof", struct: this.typeRef(typeNode), path: members, value: 0n, span, type: NONE };
    }
    if (kw.image === "offsetof") {
      this.sink.error("syntax: offsetof takes a struct type and a member: offsetof(struct S, m)", span);
    } else {
      this.sink.error(`${kw.image} is not supported by probelab`, span);
    }
    return { kind: "int", value: 0n, text: "0", span, type: NONE };
  }

  private variable(token: IToken): A.VarExpr {
    return { kind: "var", name: token.image, slot: -1, span: tokenSpan(token), type: NONE };
  }

  /** `$N` becomes the literal it stands for: an integer if the argument parses as one, else a string. */
  private positional(token: IToken): A.Expr {
    const n = Number(token.image.slice(1));
    const span = tokenSpan(token);
    if (n === 0) {
      this.sink.error("syntax: $0 is not a positional parameter (they start at $1)", span);
      return { kind: "int", value: 0n, text: token.image, span, type: NONE };
    }
    const arg = this.args[n - 1];
    if (arg === undefined) {
      this.sink.warning(
        `Positional parameter ${token.image} is not set; it reads as 0 (or "" as a string)`,
        span,
      );
      return { kind: "int", value: 0n, text: token.image, positional: n, span, type: NONE };
    }
    if (/^(?:0[xX][0-9a-fA-F]+|[0-9]+)$/.test(arg)) {
      const value = parseIntLiteral(arg);
      if (value.ok)
        return { kind: "int", value: value.value, text: token.image, positional: n, span, type: NONE };
    }
    const bytes = String.fromCharCode(...Buffer.from(arg, "utf8"));
    return { kind: "string", value: bytes, positional: n, span, type: NONE };
  }

  private mapAccess(node: CstNode): A.MapExpr {
    const keys = subs(node, "expression").map((e) => this.expression(e));
    let key: A.Expr | null = null;
    if (keys.length === 1) key = keys[0]!;
    else if (keys.length > 1) {
      key = { kind: "tuple", elements: keys, span: joinSpans(keys[0]!.span, keys.at(-1)!.span), type: NONE };
    }
    return { kind: "map", name: tok(node, "MapName")!.image, key, span: this.nodeSpan(node), type: NONE };
  }

  private callOrIdentifier(node: CstNode): A.Expr {
    const id = tok(node, "Identifier")!;
    const name = withoutBuiltinPrefix(id.image);
    const span = this.nodeSpan(node);
    const hasParens = tok(node, "LParen") !== undefined;
    const args = subs(node, "expression").map((e) => this.expression(e));
    if (BUILTIN_VALUES.has(name) && args.length === 0) {
      return { kind: "builtin", name: name as A.BuiltinName, span, type: NONE };
    }
    if (name === "_" && !hasParens) return { kind: "discard", span, type: NONE };
    // str($N) is the argument's text even when it reads as a number, as in bpftrace, and it
    // is a string literal wherever one is expected (`kaddr(str($1))`).
    const first = args[0];
    if (name === "str" && first?.kind === "int" && first.positional !== undefined) {
      const text = this.args[first.positional - 1] ?? "";
      args[0] = { kind: "string", value: text, positional: first.positional, span: first.span, type: NONE };
    }
    if (name === "str" && args.length === 1) {
      const literal = this.positionalText(args[0]!);
      if (literal !== null) return { ...literal, span };
    }
    // `__builtin_config` is the function config(), not a bare identifier.
    const call: A.CallExpr = { kind: "call", name, args, span, type: NONE };
    if (!hasParens && name !== "config") call.bare = true;
    return call;
  }

  /**
   * The string literal str() of a positional parameter stands for: `$N`'s text, or for
   * `$N + K` (bpftrace's pointer arithmetic on the literal) the text after its first K bytes.
   */
  private positionalText(arg: A.Expr): A.StringExpr | null {
    if (arg.kind === "string" && arg.positional !== undefined) return arg;
    if (arg.kind !== "binary" || arg.op !== "+" || arg.right.kind !== "int") return null;
    const base = arg.left;
    if ((base.kind !== "string" && base.kind !== "int") || base.positional === undefined) return null;
    const text = this.args[base.positional - 1] ?? "";
    const skip = arg.right.value;
    if (skip > BigInt(text.length)) {
      this.sink.error(
        `str($${base.positional} + ${skip}): the offset is past the end of the parameter's ${text.length} bytes`,
        arg.span,
      );
      return null;
    }
    return {
      kind: "string",
      value: text.slice(Number(skip)),
      positional: base.positional,
      span: arg.span,
      type: NONE,
    };
  }

  private parenExpression(node: CstNode): A.Expr {
    const span = this.nodeSpan(node);
    const fields = subs(node, "recordField");
    if (fields.length > 0) {
      return {
        kind: "record",
        fields: fields.map((f) => ({
          name: tok(f, "Identifier")!.image,
          value: this.expression(sub(f, "expression")!),
          span: this.nodeSpan(f),
        })),
        span,
        type: NONE,
      };
    }
    const elements = subs(node, "expression").map((e) => this.expression(e));
    if (elements.length === 1 && toks(node, "Comma").length === 0) {
      // Grouping: the expression itself, its span widened to the parentheses.
      elements[0]!.span = span;
      return elements[0]!;
    }
    return { kind: "tuple", elements, span, type: NONE };
  }

  private ifExpression(node: CstNode): A.IfExpr {
    const blocks = subs(node, "block");
    const elseIf = sub(node, "ifExpression");
    const span = this.nodeSpan(node);
    let elseBranch: A.IfExpr["else"];
    if (elseIf) elseBranch = this.ifExpression(elseIf);
    else if (blocks[1]) elseBranch = this.block(blocks[1]);
    else {
      this.sink.error("syntax: an if expression needs an else branch", span);
      elseBranch = emptyBlock(span);
    }
    return {
      kind: "ifExpr",
      cond: this.condition(sub(node, "expression")!),
      // biome-ignore lint/suspicious/noThenProperty: the AST field is named for the language; it is never a function, so never thenable.
      then: this.block(blocks[0]!),
      else: elseBranch,
      span,
      type: NONE,
    };
  }

  // ------------------------------------------------------------ literals

  private intValue(token: IToken): bigint {
    const result = parseIntLiteral(token.image);
    if (result.ok) return result.value;
    this.sink.error(`syntax: ${result.message}`, tokenSpan(token));
    return 0n;
  }

  private stringValue(token: IToken): string {
    const result = decodeStringLiteral(token.image);
    if (result.ok) return result.value;
    const span = tokenSpan(token);
    const col = span.col + result.offset;
    this.sink.error(`syntax: ${result.message}`, {
      line: span.line,
      col,
      endLine: span.line,
      endCol: col + result.length,
    });
    return "";
  }
}

/** The expression inside `( e )` when the whole expression node is just that, else undefined. */
function parenthesised(node: CstNode): CstNode | undefined {
  if (subs(node, "unaryExpression").length !== 1 || tok(node, "Question")) return undefined;
  const unary = sub(node, "unaryExpression")!;
  if (subs(unary, "postfixOperator").length > 0) return undefined;
  const paren = sub(unary, "parenExpression");
  if (!paren || toks(paren, "Comma").length > 0 || subs(paren, "expression").length !== 1) return undefined;
  return sub(paren, "expression");
}

/** An if statement used as a block's value becomes an if expression (blocks keep their values). */
function ifToExpr(stmt: A.IfStmt): A.IfExpr {
  const elseBranch = stmt.else!;
  return {
    kind: "ifExpr",
    cond: stmt.cond,
    // biome-ignore lint/suspicious/noThenProperty: the AST field is named for the language; it is never a function, so never thenable.
    then: stmt.then,
    else: elseBranch.kind === "if" ? ifToExpr(elseBranch) : elseBranch,
    span: stmt.span,
    type: NONE,
  };
}

function hasCompleteElse(stmt: A.IfStmt): boolean {
  return stmt.else !== null && (stmt.else.kind === "block" || hasCompleteElse(stmt.else));
}

/** An if used as a statement: the trailing expressions of its blocks are plain statements. */
function dropIfValues(stmt: A.IfStmt): void {
  for (const b of [stmt.then, stmt.else]) {
    if (b === null) continue;
    if (b.kind === "if") {
      dropIfValues(b);
    } else if (b.value) {
      b.statements.push({ kind: "exprStmt", expr: b.value, span: b.value.span });
      b.value = null;
    }
  }
}

function emptyBlock(span: A.Span): A.Block {
  return { kind: "block", statements: [], value: null, span };
}

function endsInBlock(stmt: A.Stmt): boolean {
  return stmt.kind === "exprStmt" && (stmt.expr.kind === "blockExpr" || stmt.expr.kind === "ifExpr");
}

/** The single child of a rule that is one choice among alternatives (no array allocations). */
function onlyChild(node: CstNode): [string, CstNode] {
  const [name, el] = onlyChildElement(node);
  return [name, el as CstNode];
}

/** The first child of a node: Chevrotain adds children in the order it parses them. */
function onlyChildElement(node: CstNode): [string, CstElement] {
  for (const name in node.children) return [name, node.children[name]![0]!];
  throw new Error(`empty CST node ${node.name}`);
}

/** The first token of a CST node, for "unexpected X" messages. */
function firstToken(node: CstNode): IToken {
  let best: IToken | undefined;
  for (const els of Object.values(node.children)) {
    for (const el of els) {
      const candidate = isToken(el) ? el : firstToken(el);
      if (!best || candidate.startOffset < best.startOffset) best = candidate;
    }
  }
  return best!;
}

/**
 * bpftrace names each builtin `__builtin_NAME` too (its standard library wraps them in
 * macros), so `__builtin_comm` is `comm` and `__builtin_config` is `config()`.
 */
function withoutBuiltinPrefix(name: string): string {
  if (!name.startsWith("__builtin_")) return name;
  const rest = name.slice("__builtin_".length);
  return BUILTIN_VALUES.has(rest) || FUNCTIONS.has(rest) || rest === "config" ? rest : name;
}
