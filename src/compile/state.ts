/**
 * Run-time state shared by the closures of one compiled script: how a statement finished,
 * the per-hit work budget and the exit request.
 *
 * Statements return a completion code instead of throwing, so `break`, `continue` and
 * `return` cost a compare, not an exception. Only the rare case of a block *expression* whose
 * statements leave early (`{ exit(); 1 }`) unwinds with a throw, caught where the probe runs.
 */

/** How a statement finished. */
export const NORMAL = 0;
export const BREAK = 1;
export const CONTINUE = 2;
/** `return`, `exit()` or an aborted hit: the probe body stops here. */
export const LEAVE = 3;
export type Completion = typeof NORMAL | typeof BREAK | typeof CONTINUE | typeof LEAVE;

/** Default steps (statements and loop iterations) one hit may execute, like the verifier's limit. */
export const DEFAULT_WORK_BUDGET = 1_000_000;

/** Thrown (one shared instance, no allocation) when an expression must abandon the hit. */
export class Unwind {
  code: Completion = LEAVE;
}
export const UNWIND = new Unwind();

export class ScriptState {
  /** Steps taken by the current hit. */
  steps = 0;
  /** Set when the current hit ran out of budget. */
  overBudget = false;
  /** The first `exit()` of the run. */
  exit: { code: number } | null = null;

  constructor(readonly budget: number) {}

  /** Called at the start of every hit. */
  startHit(): void {
    this.steps = 0;
    this.overBudget = false;
  }

  /**
   * Charges `n` steps; false when the hit is over budget (the caller then leaves). The
   * common case is one add and one compare.
   */
  charge(n: number): boolean {
    this.steps += n;
    if (this.steps <= this.budget) return true;
    this.overBudget = true;
    return false;
  }

  requestExit(code: number): void {
    if (this.exit === null) this.exit = { code };
  }
}
