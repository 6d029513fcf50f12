/**
 * Attach and detach requests in any order, at any moment, end in the state last asked for:
 * the tracer task applies them as a queue, so a probe is never unregistered twice or left
 * registered after a detach, and the kernel model's invariants hold afterwards.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { uprobes_invariant_sweep } from "../../src/kernel/uprobes/index.js";
import type { Session } from "../../src/trace/session.js";
import { testSession } from "./session-fixture.js";

const MS = 1_000_000;
const SCRIPT =
  "uprobe:libc:malloc { @m = count(); } uprobe:libc:free { @f = count(); } uretprobe:/usr/bin/shopd:handle_request { @r = count(); }";

function started(kernel: string, seed: number, switches: string[] = []) {
  const { s } = testSession({ seed, kernel, switches });
  const { script } = s.load({ name: "churn", text: SCRIPT });
  s.start(script!);
  return { s, probes: script!.probes };
}

type Op = { kind: "attach" | "detach"; probe: number } | { kind: "run"; us: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constantFrom("attach" as const, "detach" as const),
    probe: fc.integer({ min: 0, max: 2 }),
  }),
  fc.record({ kind: fc.constant("run" as const), us: fc.integer({ min: 0, max: 3000 }) }),
);

function apply(s: Session, probes: Session["probes"], ops: readonly Op[]): void {
  for (const o of ops) {
    if (o.kind === "run") s.runUntil(s.simNow + o.us * 1000);
    else if (o.kind === "attach") s.attach([probes[o.probe]]);
    else s.detach([probes[o.probe]]);
  }
}

describe("attach/detach request queue", () => {
  it("detach, reattach, detach before the tracer task runs: one unregister, no hits after", () => {
    const { s, probes } = started("latest", 1);
    s.runUntil(5 * MS);
    const [malloc] = probes;
    for (let i = 0; i < 3; i++) {
      s.detach([malloc]);
      s.attach([malloc]);
      s.detach([malloc]);
      s.runUntil(s.simNow + MS);
    }
    s.runUntil(s.simNow + 60 * MS);
    const hits = malloc.hits();
    s.runUntil(s.simNow + 20 * MS);
    expect(malloc.state).toBe("detached");
    expect(malloc.uprobe).toBeNull();
    expect(malloc.hits()).toBe(hits);
    expect(probes[1].hits()).toBeGreaterThan(0);
  });

  it("toggling every 1 ms for 2000 ticks stays consistent", () => {
    const { s, probes } = started("latest", 3);
    for (let i = 0; i < 2000; i++) {
      if (i % 2 === 0) s.detach(probes);
      else s.attach(probes);
      s.runUntil(s.simNow + MS);
    }
    s.detach(probes);
    s.runUntil(s.simNow + 100 * MS);
    const hits = probes.map((p) => p.hits());
    s.runUntil(s.simNow + 20 * MS);
    expect(probes.map((p) => p.hits())).toEqual(hits);
    expect(s.kernel.u.registered.size).toBe(0);
    uprobes_invariant_sweep(s.kernel.u, { mms: [s.process!.mm] });
  });

  it("any sequence ends in the last requested state, on every unregister flavour", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(["latest"], ["baseline"], ["srcu"], ["latest", "unregister=batch-api"]),
        fc.integer({ min: 1, max: 1000 }),
        fc.array(op, { maxLength: 30 }),
        ([kernel, ...switches], seed, ops) => {
          const { s, probes } = started(kernel, seed, switches);
          apply(s, probes, ops);
          s.runUntil(s.simNow + 150 * MS);
          for (const p of probes) {
            expect(p.state === "attached").toBe(p.uprobe !== null);
            expect(s.kernel.u.registered.has(p.uc)).toBe(p.state === "attached");
          }
          const hits = probes.map((p) => p.hits());
          s.runUntil(s.simNow + 10 * MS);
          probes.forEach((p, i) => {
            if (p.state === "detached") expect(p.hits()).toBe(hits[i]);
          });
          uprobes_invariant_sweep(s.kernel.u, { mms: [s.process!.mm] });
        },
      ),
      { numRuns: 30, seed: 16 },
    );
  });
});
