/**
 * Runtime warnings and errors a hit reports through the output ring, in stream order with the
 * hit's other output. The format specs are parsed once, here.
 */

import { arith } from "../runtime/int64.js";
import type { OutputRing } from "../runtime/output.js";
import { type FormatSpec, isFormatError, parseFormat } from "../runtime/printf.js";
import type { SourceLocation, Value } from "../runtime/types.js";

function spec(fmt: string): FormatSpec {
  const s = parseFormat(fmt);
  if (isFormatError(s)) throw new Error(s.error);
  return s;
}

const DIV_BY_ZERO = spec(
  "Divide or modulo by 0 detected. This can lead to unexpected results. 1 is being used as the result.",
);
const BUDGET = spec("probe %s exceeded the per-hit work budget (%lu steps)");
const INTERNAL = spec("probe %s stopped: internal error: %s");
const TEXT = spec("%s");
const NO_ARGS: Value[] = [];

/** bpftrace's warning for `/` and `%` by zero (the result was 1). Clears the int64 flag. */
export function warnDivideByZero(ring: OutputRing, loc: SourceLocation): void {
  arith.divByZero = false;
  ring.warnf(DIV_BY_ZERO, NO_ARGS, loc);
}

/** The hit ran out of steps: an error event naming the probe. */
export function reportBudget(ring: OutputRing, loc: SourceLocation, probe: string, budget: number): void {
  ring.errorf(BUDGET, [probe, budget], loc);
}

/** A JS exception inside a handler is our bug; it becomes an error event, never escapes. */
export function reportInternal(ring: OutputRing, loc: SourceLocation, probe: string, err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  ring.errorf(INTERNAL, [probe, message], loc);
}

/** A free-text warning (e.g. a map is full). */
export function warnText(ring: OutputRing, loc: SourceLocation, message: string): void {
  ring.warnf(TEXT, [message], loc);
}
