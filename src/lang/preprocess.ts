/**
 * The C preprocessor bpftrace runs scripts through (clang's, there): `#include`, `#define`
 * (object- and function-like), `#undef`, `#if`/`#ifdef`/`#ifndef`/`#elif`/`#else`/`#endif`,
 * `#error`, `#warning` and `#pragma once`, line by line, before lexing.
 *
 * Positions survive: the output keeps every line of the script on its own line number (a
 * directive or a skipped line becomes empty), and each line where a macro expanded keeps a
 * column map. What an included header declares (structs, enums) is put, joined into one line,
 * on the line of the `#include` that read it, so the parser sees it where the script asked for
 * it; a diagnostic that lands there is reported at that `#include`, naming the header's line.
 */
import type { Span } from "./ast.js";
import type { Diagnostic, DiagnosticSink, SourceFile } from "./diagnostics.js";
import { evaluateCondition, IfExpressionError } from "./preprocess-if.js";
import { ExpansionError, MacroTable, type PpToken, scanTokens } from "./preprocess-macros.js";
import { SHIPPED_HEADERS, shippedHeaderNames } from "./shipped-headers.js";

/** Where headers come from beyond the shipped ones: bpftrace's `-I DIR` and `--include FILE`. */
export interface IncludeOptions {
  /** `-I DIR`, in order: searched for `#include <...>` and `"..."` before the shipped headers. */
  includeDirs?: readonly string[];
  /** `--include FILE`: as `#include <FILE>` before the script's first line, in order. */
  includeFiles?: readonly string[];
  /** Reads a header file; null if there is none. Absent: only shipped headers resolve. */
  readFile?: (path: string) => string | null;
}

export interface Preprocessed {
  /** What the lexer sees. */
  text: string;
  /** A diagnostic about `text`, moved to where it is in the user's script. */
  relocate(d: Diagnostic): Diagnostic;
}

/** `#include` deeper than this is a cycle (clang stops at 200). */
export const MAX_INCLUDE_DEPTH = 64;

/** Macros every translation unit starts with: the target bpftrace's own clang assumes. */
const PREDEFINED: readonly [string, string][] = [
  ["__linux__", "1"],
  ["__x86_64__", "1"],
  ["__LP64__", "1"],
  ["__CHAR_BIT__", "8"],
  ["__SIZEOF_LONG__", "8"],
  ["__SIZEOF_POINTER__", "8"],
];

/** A macro expansion on one output line: output columns [out, out+outLen) came from [src, src+srcLen). */
interface ColumnSegment {
  out: number;
  outLen: number;
  src: number;
  srcLen: number;
}

/** A line of header text read for the current `#include` of the script, and where it came from. */
interface HeaderLine {
  text: string;
  file: string;
  line: number;
}

/** Header text placed on a script line: output columns [col, col+len) are `file:line`. */
interface HeaderPiece extends HeaderLine {
  col: number;
  /** The script's `#include` that brought the header in (none for --include). */
  site: Span | undefined;
}

interface Conditional {
  /** The lines of the section being read are kept. */
  active: boolean;
  /** Some branch of this #if was already taken. */
  taken: boolean;
  /** The enclosing section is active. */
  outer: boolean;
  sawElse: boolean;
}

/** One file being read: the script or a header. */
interface Unit {
  name: string;
  text: string;
  /** The directory `#include "..."` looks in first; null for shipped headers and stdin. */
  dir: string | null;
  /** The script itself (its lines keep their numbers) rather than a header. */
  isScript: boolean;
  depth: number;
  /** The script's include that (transitively) brought this header in. */
  site: Span | undefined;
}

/** Fast path: a script with no `#` line and no macros needs nothing done. */
const DIRECTIVE_RE = /^[ \t]*#/m;

export function preprocess(src: SourceFile, opts: IncludeOptions, sink: DiagnosticSink): Preprocessed | null {
  const noIncludes = (opts.includeFiles ?? []).length === 0;
  if (noIncludes && !hasDirective(src.text)) return { text: src.text, relocate: (d) => d };
  const pp = new Preprocessor(opts, sink);
  return pp.run(src);
}

/** Whether any line is a directive (a `#!` shebang on line 1 is not). */
function hasDirective(text: string): boolean {
  const body = text.startsWith("#!") ? text.slice(text.indexOf("\n") + 1 || text.length) : text;
  return DIRECTIVE_RE.test(body);
}

function dirOf(path: string): string | null {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "." : path.slice(0, slash) || "/";
}

function lineSpan(line: number, col: number, endCol: number): Span {
  return { line, col, endLine: line, endCol: Math.max(endCol, col + 1) };
}

class Preprocessor {
  private readonly macros = new MacroTable();
  private readonly conds: Conditional[] = [];
  private readonly once = new Set<string>();
  private readonly scriptLines: string[] = [];
  private readonly columnMaps = new Map<number, ColumnSegment[]>();
  /** Header lines read since the script's last `#include`. */
  private pending: HeaderLine[] = [];
  private readonly pieces = new Map<number, HeaderPiece[]>();
  private inComment = false;
  /** Brace depth of the unit being read: outside braces, attach points are left alone. */
  private braceDepth = 0;
  private failed = false;

  constructor(
    private readonly opts: IncludeOptions,
    private readonly sink: DiagnosticSink,
  ) {
    for (const [name, value] of PREDEFINED)
      this.macros.define({ name, params: null, variadic: false, body: scanTokens(value) });
  }

  run(src: SourceFile): Preprocessed | null {
    const script: Unit = {
      name: src.name,
      text: src.text,
      dir: src.name === "stdin" || src.name === "-" ? null : dirOf(src.name),
      isScript: true,
      depth: 0,
      site: undefined,
    };
    for (const file of this.opts.includeFiles ?? []) {
      if (!this.include(file, false, script, undefined))
        this.fail(`--include ${file}: ${this.notFound(file, false)}`);
    }
    const forced = this.pending;
    this.pending = [];
    this.readUnit(script);
    if (this.failed) return null;
    if (forced.length > 0) this.placeForced(forced, src.text.startsWith("#!") ? 1 : 0);
    return { text: this.scriptLines.join("\n"), relocate: (d) => this.relocate(d) };
  }

  /** Joins header lines into one line's text, remembering which columns came from where. */
  private place(lines: HeaderLine[], lineNo: number, startCol: number, site: Span | undefined): string {
    const pieces: HeaderPiece[] = [];
    let text = "";
    for (const h of lines) {
      pieces.push({ ...h, col: startCol + text.length, site });
      text += `${h.text} `;
    }
    this.pieces.set(lineNo, [...(this.pieces.get(lineNo) ?? []), ...pieces]);
    return text;
  }

  /** `--include` headers go in front of the first line of code, shifting its columns by a mapped segment. */
  private placeForced(lines: HeaderLine[], index: number): void {
    if (index >= this.scriptLines.length) this.scriptLines.push("");
    const text = this.place(lines, index + 1, 0, undefined);
    const shifted = (this.columnMaps.get(index + 1) ?? []).map((s) => ({ ...s, out: s.out + text.length }));
    this.columnMaps.set(index + 1, [{ out: 0, outLen: text.length, src: 0, srcLen: 0 }, ...shifted]);
    this.scriptLines[index] = text + this.scriptLines[index]!;
  }

  private fail(message: string, span?: Span): void {
    this.failed = true;
    this.sink.error(message, span);
  }

  // ------------------------------------------------------------ reading lines

  private readUnit(unit: Unit): void {
    const lines = unit.text.split("\n");
    const saved = { comment: this.inComment, depth: this.braceDepth, conds: this.conds.length };
    this.inComment = false;
    this.braceDepth = 0;
    for (let i = 0; i < lines.length; i++) {
      const lineNo = i + 1;
      const line = lines[i]!;
      if (!this.inComment && /^[ \t]*#/.test(line) && !(unit.isScript && i === 0 && line.startsWith("#!"))) {
        let directive = line;
        // A directive goes on over lines that end in a backslash.
        while (directive.endsWith("\\") && i + 1 < lines.length) {
          directive = `${directive.slice(0, -1)} ${lines[++i]!}`;
          if (unit.isScript) this.scriptLines.push("");
        }
        if (unit.isScript) this.scriptLines.push("");
        this.directive(directive, lineNo, unit);
        if (this.failed) return;
        continue;
      }
      if (!this.active()) {
        if (unit.isScript) this.scriptLines.push("");
        continue;
      }
      const expanded = this.expandLine(line, lineNo, unit);
      if (this.failed) return;
      if (unit.isScript) this.scriptLines.push(expanded);
      else {
        const code = stripComments(expanded).trim();
        if (code !== "") this.pending.push({ text: code, file: unit.name, line: lineNo });
      }
    }
    if (this.conds.length > saved.conds) {
      this.fail(this.where(unit, lines.length, `unterminated #if at the end of ${unit.name}`), unit.site);
      return;
    }
    this.inComment = saved.comment;
    this.braceDepth = saved.depth;
  }

  private active(): boolean {
    return this.conds.length === 0 || this.conds[this.conds.length - 1]!.active;
  }

  /**
   * Expands the macros of one line of code. Strings and comments are left alone, and so are
   * the names bpftrace owns: `$x`, `@x`, a field after `.` or `->`, and the parts of an attach
   * point (next to a `:` outside braces).
   */
  private expandLine(line: string, lineNo: number, unit: Unit): string {
    let code = line;
    let prefix = "";
    if (this.inComment) {
      const end = line.indexOf("*/");
      if (end < 0) return line;
      prefix = line.slice(0, end + 2);
      code = line.slice(end + 2);
      this.inComment = false;
    }
    const tokens = scanTokens(code);
    let out = prefix;
    const segments: ColumnSegment[] = [];
    let srcCol = prefix.length;
    for (let i = 0; i < tokens.length; ) {
      const t = tokens[i]!;
      if (this.expandable(tokens, i)) {
        const use = this.expandOrFail(tokens, i, lineNo, srcCol, unit);
        if (use === null) return "";
        const srcLen = tokens
          .slice(i, use.end)
          .map((u) => u.text.length)
          .reduce((a, b) => a + b, 0);
        const text = use.tokens.map((u) => u.text).join("");
        segments.push({ out: out.length, outLen: text.length, src: srcCol, srcLen });
        out += text;
        srcCol += srcLen;
        i = use.end;
        continue;
      }
      this.track(t);
      out += t.text;
      srcCol += t.text.length;
      i++;
    }
    if (segments.length > 0 && unit.isScript) this.columnMaps.set(this.scriptLines.length + 1, segments);
    return out;
  }

  /** Braces and an unclosed block comment carry over to the next line. */
  private track(t: PpToken): void {
    if (t.kind === "punct" && t.text === "{") this.braceDepth++;
    else if (t.kind === "punct" && t.text === "}") this.braceDepth = Math.max(0, this.braceDepth - 1);
    else if (
      t.kind === "comment" &&
      t.text.startsWith("/*") &&
      (t.text.length < 4 || !t.text.endsWith("*/"))
    ) {
      this.inComment = true;
    }
  }

  private expandable(tokens: PpToken[], i: number): boolean {
    if (!this.macros.startsUse(tokens, i)) return false;
    const before = tokens[i - 1]?.text;
    if (before === "$" || before === "@") return false;
    let p = i - 1;
    while (p >= 0 && (tokens[p]!.kind === "space" || tokens[p]!.kind === "comment")) p--;
    const solidBefore = tokens[p]?.text;
    if (solidBefore === "." || solidBefore === "->") return false;
    return !(this.braceDepth === 0 && (before === ":" || tokens[i + 1]?.text === ":"));
  }

  private expandOrFail(tokens: PpToken[], i: number, lineNo: number, col: number, unit: Unit) {
    try {
      return this.macros.expandUse(tokens, i);
    } catch (err) {
      if (!(err instanceof ExpansionError)) throw err;
      const name = tokens[i]!.text;
      const span = unit.isScript ? lineSpan(lineNo, col + 1, col + 1 + name.length) : unit.site;
      this.fail(this.where(unit, lineNo, `in macro ${name}: ${err.message}`), span);
      return null;
    }
  }

  /** A header's problem names the header's line; the script's own has its span. */
  private where(unit: Unit, line: number, message: string): string {
    return unit.isScript ? message : `${message} (${unit.name}:${line})`;
  }

  // ------------------------------------------------------------ directives

  private directive(text: string, lineNo: number, unit: Unit): void {
    const m = /^([ \t]*)#[ \t]*([A-Za-z_]*)[ \t]*(.*)$/.exec(text)!;
    const name = m[2]!;
    const rest = stripComments(m[3]!).trim();
    const span = unit.isScript ? lineSpan(lineNo, m[1]!.length + 1, text.length + 1) : unit.site;
    const error = (message: string) => this.fail(this.where(unit, lineNo, message), span);
    if (this.conditional(name, rest, error)) return;
    if (!this.active()) return;
    switch (name) {
      case "":
        return;
      case "define":
        this.define(rest, error);
        return;
      case "undef":
        this.macros.undefine(rest.split(/\s/)[0]!);
        return;
      case "include":
        this.includeDirective(rest, unit, span, error);
        return;
      case "pragma":
        if (rest === "once") this.once.add(unit.name);
        return;
      case "error":
        error(`#error ${rest}`);
        return;
      case "warning":
        this.sink.warning(this.where(unit, lineNo, `#warning ${rest}`), span);
        return;
      default:
        error(`the preprocessor directive #${name} is not supported by probelab`);
        return;
    }
  }

  /** The conditional directives; false if `name` is none of them. */
  private conditional(name: string, rest: string, error: (m: string) => void): boolean {
    const top = this.conds[this.conds.length - 1];
    switch (name) {
      case "if":
      case "ifdef":
      case "ifndef": {
        const outer = this.active();
        const value = outer && this.test(name, rest, error);
        this.conds.push({ active: outer && value, taken: value, outer, sawElse: false });
        return true;
      }
      case "elif":
        if (top === undefined || top.sawElse) {
          error(top === undefined ? "#elif without #if" : "#elif after #else");
          return true;
        }
        top.active = top.outer && !top.taken && this.test("if", rest, error);
        top.taken ||= top.active;
        return true;
      case "else":
        if (top === undefined || top.sawElse) {
          error(top === undefined ? "#else without #if" : "#else after #else");
          return true;
        }
        top.sawElse = true;
        top.active = top.outer && !top.taken;
        top.taken = true;
        return true;
      case "endif":
        if (top === undefined) error("#endif without #if");
        this.conds.pop();
        return true;
      default:
        return false;
    }
  }

  private test(kind: string, rest: string, error: (m: string) => void): boolean {
    if (kind !== "if") {
      const name = rest.split(/\s/)[0]!;
      if (!/^[A-Za-z_]\w*$/.test(name)) {
        error(`#${kind} needs a macro name`);
        return false;
      }
      return this.macros.has(name) === (kind === "ifdef");
    }
    try {
      return evaluateCondition(rest, this.macros);
    } catch (err) {
      if (!(err instanceof IfExpressionError)) throw err;
      error(err.message);
      return false;
    }
  }

  /** `NAME body`, `NAME(a, b) body`, `NAME(fmt, ...) body`. */
  private define(rest: string, error: (m: string) => void): void {
    const m = /^([A-Za-z_]\w*)(\(([^)]*)\))?\s*([\s\S]*)$/.exec(rest);
    if (m === null) {
      error("#define needs a macro name");
      return;
    }
    const name = m[1]!;
    if (name === "defined") {
      error("'defined' cannot be a macro name");
      return;
    }
    const body = scanTokens(m[4]!);
    if (m[2] === undefined) {
      this.macros.define({ name, params: null, variadic: false, body });
      return;
    }
    const params = m[3]!.trim() === "" ? [] : m[3]!.split(",").map((p) => p.trim());
    const variadic = params[params.length - 1] === "...";
    if (variadic) params[params.length - 1] = "__VA_ARGS__";
    const bad = params.find((p) => !/^[A-Za-z_]\w*$/.test(p));
    if (bad !== undefined) {
      error(`macro ${name}: '${bad}' is not a parameter name`);
      return;
    }
    this.macros.define({ name, params, variadic, body });
  }

  private includeDirective(
    rest: string,
    unit: Unit,
    span: Span | undefined,
    error: (m: string) => void,
  ): void {
    const m = /^(?:<([^>]+)>|"([^"]+)")/.exec(rest);
    if (m === null) {
      error('#include expects <FILE> or "FILE"');
      return;
    }
    const quoted = m[2] !== undefined;
    const file = (m[1] ?? m[2])!;
    if (unit.depth + 1 > MAX_INCLUDE_DEPTH) {
      error(`#include nested more than ${MAX_INCLUDE_DEPTH} levels deep (a header that includes itself?)`);
      return;
    }
    if (!this.include(file, quoted, unit, span)) error(this.notFound(file, quoted));
    if (unit.isScript && this.pending.length > 0) {
      const index = this.scriptLines.length - 1;
      this.scriptLines[index] = this.place(this.pending, index + 1, 0, span);
      this.pending = [];
    }
  }

  /** Reads a header in; false if it is nowhere. */
  private include(file: string, quoted: boolean, from: Unit, span: Span | undefined): boolean {
    const found = this.find(file, quoted, from.dir);
    if (found === null) return false;
    if (this.once.has(found.name)) return true;
    this.readUnit({
      name: found.name,
      text: found.text,
      dir: found.dir,
      isScript: false,
      depth: from.depth + 1,
      site: from.isScript ? span : from.site,
    });
    return true;
  }

  /** `"x"` looks next to the including file first, then in -I directories, then among the shipped headers. */
  private find(file: string, quoted: boolean, fromDir: string | null) {
    const read = this.opts.readFile;
    if (read !== undefined) {
      const dirs = file.startsWith("/")
        ? [""]
        : [...(quoted && fromDir !== null ? [fromDir] : []), ...(this.opts.includeDirs ?? [])];
      for (const dir of dirs) {
        const path = dir === "" ? file : `${dir}/${file}`;
        const text = read(path);
        if (text !== null) return { name: path, text, dir: dirOf(path) };
      }
    }
    const shipped = SHIPPED_HEADERS.get(file);
    return shipped === undefined ? null : { name: `<${file}>`, text: shipped, dir: null };
  }

  private notFound(file: string, quoted: boolean): string {
    const shown = quoted ? `"${file}"` : `<${file}>`;
    const dirs = this.opts.includeDirs ?? [];
    const searched = dirs.length > 0 ? ` (nor in ${dirs.join(", ")})` : "";
    return `header ${shown} is not shipped with probelab${searched}; shipped: ${shippedHeaderNames().join(", ")}`;
  }

  // ------------------------------------------------------------ positions

  private relocate(d: Diagnostic): Diagnostic {
    const span = d.span;
    if (span === undefined) return d;
    const from = lastBefore(this.pieces.get(span.line) ?? [], span.col);
    if (from !== undefined && (from.site !== undefined || span.col - 1 < from.col + from.text.length + 1)) {
      const message = `${d.message} (${from.file}:${from.line}:${span.col - from.col})`;
      return from.site
        ? { ...d, message, span: from.site }
        : { severity: d.severity, message, hints: d.hints };
    }
    const map = this.columnMaps.get(span.line);
    if (map === undefined) return d;
    const endMap = span.endLine === span.line ? map : this.columnMaps.get(span.endLine);
    return {
      ...d,
      span: {
        line: span.line,
        col: sourceColumn(map, span.col, false),
        endLine: span.endLine,
        endCol: endMap === undefined ? span.endCol : sourceColumn(endMap, span.endCol, true),
      },
    };
  }
}

/** The script's column for an output column (1-based); inside an expansion, its macro's start or end. */
function sourceColumn(map: ColumnSegment[], col: number, isEnd: boolean): number {
  const off = col - 1;
  let delta = 0;
  for (const s of map) {
    if (off < s.out) break;
    if (off < s.out + s.outLen || (isEnd && off === s.out + s.outLen)) {
      return 1 + (isEnd && off > s.out ? s.src + s.srcLen : s.src);
    }
    delta = s.src + s.srcLen - (s.out + s.outLen);
  }
  return 1 + off + delta;
}

/** The header piece a (1-based) column falls in: the last one starting before it. */
function lastBefore(pieces: readonly HeaderPiece[], col: number): HeaderPiece | undefined {
  let found: HeaderPiece | undefined;
  for (const p of pieces) if (p.col < col) found = p;
  return found;
}

/** A directive's text without its comments (`#define X 1 // one`). */
function stripComments(text: string): string {
  return scanTokens(text)
    .filter((t) => t.kind !== "comment")
    .map((t) => t.text)
    .join("");
}
