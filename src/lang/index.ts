/**
 * The public face of the front end: lex → parse → build the AST → expand macros → check, chained in a few
 * lines. Each phase reports into one DiagnosticSink; a phase runs only if the ones before it
 * found no errors, so one mistake is reported once.
 */
import type { IToken } from "chevrotain";
import type { Program, Span, TypedProgram } from "./ast.js";
import { checkProgram, type ProbeArgsResolver } from "./checker.js";
import { AstBuilder, tokenSpan } from "./cst-to-ast.js";
import { type Diagnostic, DiagnosticSink, formatDiagnostics, type SourceFile } from "./diagnostics.js";
import { dumpTree } from "./dump.js";
import { describeToken, parser } from "./grammar.js";
import { expandMacros } from "./macros.js";
import { lexer } from "./tokens.js";

export type * from "./ast.js";
export { BUILTIN_VALUE_TABLE, FUNCTION_TABLE } from "./builtins.js";
export type { ProbeArgField, ProbeArgsResolver } from "./checker.js";
export { type Diagnostic, formatDiagnostics, type SourceFile } from "./diagnostics.js";
export { type FormatPiece, type FormatSpec, parseFormat } from "./printf-format.js";
export { editDistance } from "./suggest.js";
export type * from "./types.js";
export { isAggregate, typeName } from "./types.js";

export interface FrontEndOptions {
  /** Positional parameters: `$1` is args[0]; `$#` is args.length. */
  args?: string[];
  /**
   * The fields `args` has at an attach point (a tracepoint's fields, a kernel function's
   * arguments), from whoever knows the target; null when the attach point has none.
   */
  probeArgs?: ProbeArgsResolver;
}

export interface FrontEndResult {
  /** Null iff there is at least one error diagnostic. */
  program: TypedProgram | null;
  diagnostics: Diagnostic[];
}

/** The position just past the end of the text, for errors at end of input. */
function endOfText(text: string): Span {
  const lines = text.split("\n");
  const line = lines.length;
  const col = lines[line - 1]!.length + 1;
  return { line, col, endLine: line, endCol: col + 1 };
}

function spanOf(token: IToken, text: string): Span {
  return Number.isNaN(token.startOffset) || token.startLine === undefined
    ? endOfText(text)
    : tokenSpan(token);
}

/** Errors at end of input (EOF has no offset) sort last. */
function offsetOrEnd(token: IToken): number {
  return Number.isNaN(token.startOffset) ? Number.POSITIVE_INFINITY : token.startOffset;
}

/** Lexes and parses; syntax errors go to the sink. Returns the AST when there were none. */
export function parse(src: SourceFile, opts: FrontEndOptions, sink: DiagnosticSink): Program | null {
  const lexed = lexer.tokenize(src.text);
  for (const e of lexed.errors) {
    const c = src.text[e.offset] ?? "";
    const message = c === '"' ? "unterminated string literal" : `unexpected character '${c}'`;
    const line = e.line ?? 1;
    const col = e.column ?? 1;
    sink.error(`syntax: ${message}`, { line, col, endLine: line, endCol: col + Math.max(1, e.length) });
  }
  // The builder takes each probe as it parses, so no CST of the whole input is ever kept. After
  // a lexical error no AST will be wanted, so none is built.
  const builder = new AstBuilder(sink, opts.args ?? [], src.text);
  parser.start(lexed.tokens, lexed.errors.length === 0 ? (probe) => builder.takeProbe(probe) : null);
  const cst = parser.program();
  const syntaxErrors = [
    ...parser.errors.map((e) => ({ message: e.message, token: e.token })),
    ...parser.extraErrors,
  ].sort((a, b) => offsetOrEnd(a.token) - offsetOrEnd(b.token));
  for (const e of syntaxErrors) sink.error(`syntax: ${e.message}`, spanOf(e.token, src.text));
  if (sink.hasErrors) return null;
  const program = builder.program(cst);
  return sink.hasErrors ? null : program;
}

/** Parses and checks one script. Never throws for any input text. */
export function frontEnd(src: SourceFile, opts: FrontEndOptions = {}): FrontEndResult {
  const sink = new DiagnosticSink();
  try {
    const ast = parse(src, opts, sink);
    if (ast) expandMacros(ast, sink);
    const program = ast && !sink.hasErrors ? checkProgram(ast, sink, opts.args ?? [], opts.probeArgs) : null;
    return { program: sink.hasErrors ? null : program, diagnostics: sink.list };
  } catch (err) {
    // A bug in the front end must still not show a user a stack trace.
    sink.error(`internal error in the front end: ${err instanceof Error ? err.message : String(err)}`);
    return { program: null, diagnostics: sink.list };
  }
}

/** `-d tokens`: one token per line with its position. */
export function dumpTokens(src: SourceFile): string {
  const lexed = lexer.tokenize(src.text);
  const lines = lexed.tokens.map((tok) => {
    const s = tokenSpan(tok);
    return `${s.line}:${s.col}-${s.endCol} ${tok.tokenType.name} ${describeToken(tok)}`;
  });
  for (const e of lexed.errors)
    lines.push(`${e.line}:${e.column} error ${JSON.stringify(src.text[e.offset])}`);
  return `${lines.join("\n")}\n`;
}

/** `-d ast`: the parsed tree, or the diagnostics that stopped parsing. */
export function dumpAst(src: SourceFile, opts: FrontEndOptions = {}): string {
  const sink = new DiagnosticSink();
  const ast = parse(src, opts, sink);
  return ast ? dumpTree(ast, false) : diagnosticsText(sink.list, src);
}

/** `-d typed`: the checked tree with every expression's type, the locals and the maps. */
export function dumpTyped(src: SourceFile, opts: FrontEndOptions = {}): string {
  const { program, diagnostics } = frontEnd(src, opts);
  return program ? dumpTree(program, true) : diagnosticsText(diagnostics, src);
}

function diagnosticsText(diags: Diagnostic[], src: SourceFile): string {
  return formatDiagnostics(diags, src);
}
