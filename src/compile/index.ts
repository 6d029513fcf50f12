/**
 * The compiler's public face: a checked program becomes handlers the tracing session calls.
 *
 * How a session drives a compiled script (one HitContext, refilled before every call):
 *
 *   const script = compileProgram(program, { ncpus, output: ring, source, format });
 *   script.runBegin(ctx);                  ring.drain(writer);
 *   on each hit: fill ctx; probe.run(ctx); drain the ring when convenient
 *   stop when script.exitRequested() (or the process exits, or the user stops)
 *   script.runEnd(ctx);                    ring.drain(writer);
 *   script.printMapsAtExit();              ring.drain(writer);
 *
 * Handlers never throw: exit(), return, the work budget and internal faults end the hit, and
 * errors reach the user as errorf events in the ring. compileProgram itself throws
 * CompileError (with a span; see compileErrorDiagnostic) for a construct it cannot run.
 */

export { createHitContext, type HitContext, type ProbeMemory } from "./context.js";
export { CompileError, type KernelSymbols, type ProbeKind } from "./env.js";
export {
  type CompiledProbe,
  type CompiledScript,
  type CompileOptions,
  compileErrorDiagnostic,
  compileProgram,
} from "./program.js";
export { DEFAULT_WORK_BUDGET } from "./state.js";
