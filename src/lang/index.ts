/**
 * The public face of the front end: lex → parse → build the AST → expand macros → check, chained in a few
 * lines. Each phase reports into one DiagnosticSink; a phase runs only if the ones before it
 * found no errors, so one mistake is reported once.
 */

import type { AttachPoint, ConfigEntry, MacroDef, Program, Span, TypedProgram } from "./ast.js";
import { checkProgram, type ProbeArgsResolver } from "./checker.js";
import type { IToken } from "./chevrotain.js";
import { AstBuilder, tokenSpan } from "./cst-to-ast.js";
import {
  type Diagnostic,
  DiagnosticSink,
  formatDiagnostics,
  MAX_SHOWN_DIAGNOSTICS,
  type SourceFile,
} from "./diagnostics.js";
import { dumpTree } from "./dump.js";
import { splitScriptArgs, substituteGetopt } from "./getopt.js";
import { describeToken, parser } from "./grammar.js";
import { expandMacros } from "./macros.js";
import { checkTokenNesting, checkTreeDepth } from "./nesting.js";
import { type IncludeOptions, preprocess } from "./preprocess.js";
import { stdlibMacros } from "./stdlib.js";
import { unsupportedConstruct } from "./syntax-errors.js";
import { lexer } from "./tokens.js";
import type { UserSymbolResolver } from "./user-symbols.js";

export type * from "./ast.js";
export { BUILTIN_VALUE_TABLE, FUNCTION_TABLE, isKernelFunctionProvider } from "./builtins.js";
export type { ProbeArgField, ProbeArgsResolver } from "./checker.js";
export { configFromEnv } from "./config.js";
export { type Diagnostic, formatDiagnostics, type SourceFile } from "./diagnostics.js";
export type { IncludeOptions } from "./preprocess.js";
export { editDistance } from "./suggest.js";
export type * from "./types.js";
export { isAggregate, typeName } from "./types.js";
export type { UserSymbol, UserSymbolResolver } from "./user-symbols.js";

export interface FrontEndOptions {
  /**
   * Script arguments: `--name[=value]` words are named options (getopt), the others
   * positional parameters: `$1` is the first; `$#` is how many.
   */
  args?: string[];
  /** `--probe-filter`: only probes whose name matches are kept (begin and end always are). */
  probeFilter?: RegExp;
  /**
   * The fields `args` has at an attach point (a tracepoint's fields, a kernel function's
   * arguments), from whoever knows the target; null when the attach point has none.
   */
  probeArgs?: ProbeArgsResolver;
  /** Where `uaddr("sym")` finds a symbol of a uprobe's target binary (absent: left unresolved). */
  userSymbol?: UserSymbolResolver;
  /** `--unsafe`: system() is allowed (see src/runtime/simulated-shell.ts for what it does). */
  unsafe?: boolean;
  /** Config entries from BPFTRACE_* environment variables (see configFromEnv); they win over the script's. */
  envConfig?: readonly ConfigEntry[];
  /** Where `#include` looks beyond the shipped headers (`-I`, `--include`). */
  includes?: IncludeOptions;
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
export function parse(script: SourceFile, opts: FrontEndOptions, sink: DiagnosticSink): Program | null {
  return afterPreprocessing(script, opts, sink, (src) => parsePreprocessed(src, opts, sink));
}

/**
 * Runs the C preprocessor, then `next` on its output. What `next` reports is about the
 * preprocessed text; it is moved back onto the script's own lines and columns.
 */
function afterPreprocessing<T>(
  script: SourceFile,
  opts: FrontEndOptions,
  sink: DiagnosticSink,
  next: (src: SourceFile) => T | null,
): T | null {
  if (isBinary(script, sink)) return null;
  const pre = preprocess(script, opts.includes ?? {}, sink);
  if (pre === null) return null;
  const from = sink.list.length;
  try {
    return next({ name: script.name, text: pre.text });
  } finally {
    for (let i = from; i < sink.list.length; i++) sink.list[i] = pre.relocate(sink.list[i]!);
  }
}

function parsePreprocessed(src: SourceFile, opts: FrontEndOptions, sink: DiagnosticSink): Program | null {
  const lexed = lexer.tokenize(src.text);
  for (const e of lexed.errors) {
    const c = src.text[e.offset] ?? "";
    const message = c === '"' ? "unterminated string literal" : `unexpected character '${c}'`;
    const line = e.line ?? 1;
    const col = e.column ?? 1;
    sink.error(`syntax: ${message}`, { line, col, endLine: line, endCol: col + Math.max(1, e.length) });
  }
  // Past a screenful of lexical errors (binary data as a script) parsing would only add more.
  if (lexed.errors.length > MAX_SHOWN_DIAGNOSTICS) return null;
  if (!checkTokenNesting(lexed.tokens, sink)) return null;
  // The builder takes each probe as it parses, so no CST of the whole input is ever kept. After
  // a lexical error no AST will be wanted, so none is built.
  const builder = new AstBuilder(sink, splitScriptArgs(opts.args ?? []).positional, src.text);
  parser.start(lexed.tokens, lexed.errors.length === 0 ? (probe) => builder.takeProbe(probe) : null);
  const cst = parser.program();
  const syntaxErrors = [
    ...parser.errors.map((e) => ({ message: e.message, token: e.token })),
    ...parser.extraErrors,
  ].sort((a, b) => offsetOrEnd(a.token) - offsetOrEnd(b.token));
  for (const e of syntaxErrors) {
    const named = unsupportedConstruct(lexed.tokens, e.token);
    sink.error(named ?? `syntax: ${e.message}`, spanOf(e.token, src.text));
    // What follows an unsupported construct is the parser's confusion about it, not news.
    if (named !== null) break;
  }
  if (sink.hasErrors) return null;
  const program = builder.program(cst);
  return sink.hasErrors ? null : program;
}

/** A NUL byte is in no script: binary data is refused at once instead of lexed into errors. */
function isBinary(src: SourceFile, sink: DiagnosticSink): boolean {
  const nul = src.text.indexOf("\0");
  if (nul < 0) return false;
  const before = src.text.slice(0, nul);
  const line = before.split("\n").length;
  const col = nul - before.lastIndexOf("\n");
  sink.error("syntax: a NUL byte: this looks like a binary file, not a script", {
    line,
    col,
    endLine: line,
    endCol: col + 1,
  });
  return true;
}

/** Parses and checks one script. Never throws for any input text. */
export function frontEnd(src: SourceFile, opts: FrontEndOptions = {}): FrontEndResult {
  const sink = new DiagnosticSink();
  try {
    const program = afterPreprocessing(src, opts, sink, (text) => checkedProgram(text, opts, sink));
    return { program: sink.hasErrors ? null : program, diagnostics: sink.list };
  } catch (err) {
    // A bug in the front end must still not show a user a stack trace.
    sink.error(`internal error in the front end: ${err instanceof Error ? err.message : String(err)}`);
    return { program: null, diagnostics: sink.list };
  }
}

/** Parses, expands and checks preprocessed text. */
function checkedProgram(src: SourceFile, opts: FrontEndOptions, sink: DiagnosticSink): TypedProgram | null {
  const ast = parsePreprocessed(src, opts, sink);
  if (ast && opts.probeFilter) filterProbes(ast, opts.probeFilter);
  if (ast && opts.envConfig) ast.config.push(...opts.envConfig);
  if (ast) expandMacros(ast, sink, stdlibMacros(src.text, parseLibrary));
  const { positional, named } = splitScriptArgs(opts.args ?? []);
  if (ast && (named.size > 0 || src.text.includes("getopt"))) substituteGetopt(ast, named, sink);
  const shallow = ast !== null && !sink.hasErrors && checkTreeDepth(ast, sink);
  return ast && shallow ? checkProgram(ast, sink, positional, opts) : null;
}

/** The macros of library text that ships with probelab; an error in it is probelab's bug. */
function parseLibrary(text: string): readonly MacroDef[] {
  const sink = new DiagnosticSink();
  const program = parsePreprocessed({ name: "stdlib", text }, {}, sink);
  if (program === null)
    throw new Error(`stdlib does not parse: ${sink.list.map((d) => d.message).join("; ")}`);
  return program.macros;
}

/** Drops the attach points the filter does not match, then the probes left with none. */
function filterProbes(program: Program, filter: RegExp): void {
  const kept = (ap: AttachPoint) =>
    ap.provider === "begin" || ap.provider === "end" || filter.test(ap.canonical);
  for (const p of program.probes) p.attachPoints = p.attachPoints.filter(kept);
  program.probes = program.probes.filter((p) => p.attachPoints.length > 0);
  program.probes.forEach((p, i) => {
    p.index = i;
  });
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
