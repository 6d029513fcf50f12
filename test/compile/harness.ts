/**
 * Runs a script without a simulator: front end + compiler + runtime ring + text or JSON
 * writer, begin then end then the exit dump, as the session does for begin/end-only programs.
 */

import { createHitContext, type HitContext } from "../../src/compile/context.js";
import { type CompiledScript, type CompileOptions, compileProgram } from "../../src/compile/program.js";
import { formatDiagnostics, frontEnd } from "../../src/lang/index.js";
import { JsonWriter, OutputRing, TextWriter } from "../../src/runtime/output.js";

export interface RunResult {
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved in write order, as a terminal shows them. */
  combined: string;
  /** Front-end diagnostics in bpftrace's format ("" when none). */
  diagnostics: string;
  exit: { code: number } | null;
  script: CompiledScript | null;
}

export interface RunOptions {
  format?: "text" | "json";
  args?: string[];
  workBudget?: number;
  ctx?: Partial<HitContext>;
  /** Called between begin and end (e.g. to fire uprobe handlers by hand). */
  between?: (script: CompiledScript, ctx: HitContext, ring: OutputRing) => void;
  compile?: Partial<CompileOptions>;
}

export function runScript(text: string, opts: RunOptions = {}): RunResult {
  const source = { name: "stdin", text };
  const fe = frontEnd(source, { args: opts.args ?? [] });
  const diagnostics = formatDiagnostics(fe.diagnostics, source);
  let stdout = "";
  let stderr = "";
  let combined = "";
  if (fe.program === null) {
    return { stdout, stderr: diagnostics, combined: diagnostics, diagnostics, exit: null, script: null };
  }
  const out = {
    write: (s: string) => {
      stdout += s;
      combined += s;
    },
  };
  const err = {
    write: (s: string) => {
      stderr += s;
      combined += s;
    },
  };
  const writer = opts.format === "json" ? new JsonWriter(out, err) : new TextWriter(out, err);
  const ring = new OutputRing(4096);
  const script = compileProgram(fe.program, {
    ncpus: 4,
    output: ring,
    source,
    format: opts.format ?? "text",
    ...(opts.workBudget !== undefined ? { workBudget: opts.workBudget } : {}),
    ...opts.compile,
  });
  // Warnings come first on stderr, then bpftrace's banner (-q, used by the JSON cases, hides it).
  err.write(diagnostics);
  if (opts.format !== "json") (writer as TextWriter).attachedProbes(script.probes.length);
  const ctx = createHitContext(opts.ctx);
  script.runBegin(ctx);
  ring.drain(writer);
  opts.between?.(script, ctx, ring);
  ring.drain(writer);
  script.runEnd(ctx);
  // Drain first: clear()/zero() in end blocks are ring events the exit dump must see applied.
  ring.drain(writer);
  script.printMapsAtExit();
  ring.drain(writer);
  return { stdout, stderr, combined, diagnostics, exit: script.exitRequested(), script };
}
