import { DiagnosticSink } from "../../src/lang/diagnostics.js";
import {
  type FrontEndResult,
  formatDiagnostics,
  frontEnd,
  type Program,
  parse,
  type Stmt,
  type TypedProgram,
} from "../../src/lang/index.js";

export function run(text: string, args?: string[]): FrontEndResult {
  return frontEnd({ name: "stdin", text }, args ? { args } : {});
}

/** The formatted diagnostics of a program (empty string when it is clean). */
export function diags(text: string, args?: string[]): string {
  return formatDiagnostics(run(text, args).diagnostics, { name: "stdin", text });
}

/** Just the messages, for tests that do not care about positions. */
export function messages(text: string, args?: string[]): string[] {
  return run(text, args).diagnostics.map((d) => `${d.severity}: ${d.message}`);
}

export function ok(text: string, args?: string[]): TypedProgram {
  const r = run(text, args);
  if (!r.program) throw new Error(`expected a clean program, got:\n${diags(text, args)}`);
  return r.program;
}

export function ast(text: string, args?: string[]): Program {
  return ok(text, args).ast;
}

/** The statements of the first probe's body. */
export function body(text: string): Stmt[] {
  return ast(text).probes[0]!.body.statements;
}

/** Parses only (no semantic checks), for tests of the tree's shape. */
export function parsed(text: string, args: string[] = []): Program {
  const sink = new DiagnosticSink();
  const program = parse({ name: "stdin", text }, { args }, sink);
  if (!program)
    throw new Error(`expected a clean parse, got:\n${sink.list.map((d) => d.message).join("\n")}`);
  return program;
}

/** The statements of the first probe's body, parsed only. */
export function parsedBody(text: string): Stmt[] {
  return parsed(text).probes[0]!.body.statements;
}
