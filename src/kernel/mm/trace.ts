/**
 * Step labels cost string building on every step; build them only when the machine records
 * an interleaving (traceSteps > 0), which is exactly when they are ever read.
 */
import type { Machine } from "../../sim/machine.js";

const recording = new WeakMap<Machine, boolean>();

export function tracing(m: Machine): boolean {
  let on = recording.get(m);
  if (on === undefined) {
    on = !m.interleaving().startsWith("(interleaving not recorded");
    recording.set(m, on);
  }
  return on;
}
