/** The compiler's public face: a checked program becomes handlers the tracing session calls. */

export { createHitContext, type HitContext, type ProbeMemory } from "./context.js";
export { CompileError, type ProbeKind } from "./env.js";
export {
  type CompiledProbe,
  type CompiledScript,
  type CompileOptions,
  compileErrorDiagnostic,
  compileProgram,
} from "./program.js";
export { DEFAULT_WORK_BUDGET } from "./state.js";
