/** Shared helpers for the mm tests: run a body to completion (explorations use src/race). */

import type { Machine, Sub } from "../../../src/sim/machine.js";

/** Run `body` as one task on a fresh machine and return what it returned. */
export function runTask<T>(m: Machine, body: () => Sub<T>): T {
  let out: { v: T } | null = null;
  m.spawn("test", function* () {
    out = { v: yield* body() };
  });
  m.runToCompletion();
  if (out === null) throw new Error("task did not finish (blocked?)");
  return (out as { v: T }).v;
}
