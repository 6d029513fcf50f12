/** interval probes: the same ticks at every CPU count, and one-liner timers as detachable rows. */

import { describe, expect, it } from "vitest";
import { testSession } from "./session-fixture.js";

const MS = 1_000_000;

function session(cpus: number, seed = 5) {
  const { s, out } = testSession({ cpus, seed });
  return { s, out };
}

describe("interval probes", () => {
  it("a tick due exactly at the end of the run fires the same way at every CPU count", () => {
    const ticks = [1, 2, 3, 4, 7].map((cpus) => {
      const { s, out } = session(cpus);
      const text =
        'uprobe:libc:malloc { @c[tid, cpu] = count(); } interval:ms:50 { printf("%d ", elapsed / 1000000); }';
      const { script } = s.load({ name: "d4", text });
      s.start(script!);
      s.runUntil(300 * MS);
      s.finish();
      return out.text().split("\n")[0];
    });
    expect(new Set(ticks).size).toBe(1);
    expect(ticks[0]).toBe("50 100 150 200 250 ");
  });
});
