/**
 * Diagnostics and their text form, exactly as bpftrace prints them:
 *
 *   stdin:1:15-35: ERROR: message
 *   <the source line, tabs expanded to 4 spaces>
 *   <spaces up to the start column, then '~' under every column of the span>
 *   HINT: ...
 */
import type { Span } from "./ast.js";

export interface Diagnostic {
  severity: "error" | "warning";
  message: string;
  span?: Span;
  hints: string[];
}

export interface SourceFile {
  /** "stdin" for `-e` programs, else the script path as given. */
  name: string;
  text: string;
}

/** Collects diagnostics while a pass runs; passes never throw for user errors. */
export class DiagnosticSink {
  readonly list: Diagnostic[] = [];

  error(message: string, span?: Span, hints: string[] = []): void {
    this.list.push(
      span ? { severity: "error", message, span, hints } : { severity: "error", message, hints },
    );
  }

  warning(message: string, span?: Span, hints: string[] = []): void {
    this.list.push(
      span ? { severity: "warning", message, span, hints } : { severity: "warning", message, hints },
    );
  }

  get hasErrors(): boolean {
    return this.list.some((d) => d.severity === "error");
  }
}

const COLORS = { error: "\x1b[1;31m", warning: "\x1b[1;33m", hint: "\x1b[1;36m", reset: "\x1b[0m" };

function expandTabs(text: string): string {
  return text.replaceAll("\t", "    ");
}

function label(kind: "error" | "warning" | "hint", color: boolean): string {
  const word = `${kind.toUpperCase()}:`;
  return color ? `${COLORS[kind]}${word}${COLORS.reset}` : word;
}

function location(name: string, span: Span): string {
  if (span.endLine > span.line) return `${name}:${span.line}-${span.endLine}: `;
  return `${name}:${span.line}:${span.col}-${span.endCol}: `;
}

/** The source line and `~` marker under a one-line span; all lines, unmarked, for a longer one. */
function sourceExcerpt(lines: string[], span: Span): string[] {
  if (span.endLine > span.line) {
    return lines.slice(span.line - 1, span.endLine).map(expandTabs);
  }
  const line = lines[span.line - 1];
  if (line === undefined) return [];
  const before = expandTabs(line.slice(0, span.col - 1)).length;
  const width = Math.max(1, expandTabs(line.slice(span.col - 1, span.endCol - 1)).length);
  return [expandTabs(line), " ".repeat(before) + "~".repeat(width)];
}

function sourceLines(src: SourceFile): string[] {
  return src.text.split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
}

/** The source line and marker under `span`, as a diagnostic shows them, each ending in a newline. */
export function sourceContext(src: SourceFile, span: Span): string {
  return sourceExcerpt(sourceLines(src), span)
    .map((l) => `${l}\n`)
    .join("");
}

function formatOne(d: Diagnostic, src: SourceFile, lines: string[], color: boolean): string[] {
  const head = `${d.span ? location(src.name, d.span) : ""}${label(d.severity, color)} ${d.message}`;
  const out = [head];
  if (d.span) out.push(...sourceExcerpt(lines, d.span));
  for (const hint of d.hints) out.push(`${label("hint", color)} ${hint}`);
  return out;
}

/**
 * At most this many errors, and as many warnings, are printed: random bytes as a script make
 * a diagnostic every few characters, and nobody reads past the first screenful.
 */
export const MAX_SHOWN_DIAGNOSTICS = 20;

/** bpftrace's format: all errors before all warnings, each followed by its HINT lines. */
export function formatDiagnostics(
  diags: Diagnostic[],
  src: SourceFile,
  opts: { color?: boolean } = {},
): string {
  if (diags.length === 0) return "";
  const lines = sourceLines(src);
  const color = opts.color ?? false;
  const out: string[] = [];
  for (const severity of ["error", "warning"] as const) {
    const all = diags.filter((d) => d.severity === severity);
    for (const d of all.slice(0, MAX_SHOWN_DIAGNOSTICS)) out.push(...formatOne(d, src, lines, color));
    const more = all.length - MAX_SHOWN_DIAGNOSTICS;
    if (more > 0) out.push(`${label(severity, color)} too many ${severity}s: ${more} more not shown`);
  }
  return `${out.join("\n")}\n`;
}

/** Spans cover [start, end): the union of two spans, for nodes built from several parts. */
export function joinSpans(a: Span, b: Span): Span {
  return { line: a.line, col: a.col, endLine: b.endLine, endCol: b.endCol };
}
