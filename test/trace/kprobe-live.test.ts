/**
 * The live view's session accepts kernel probes as it accepts user probes: a `kprobe:`
 * one-liner attaches, shows as a row with hits, detaches by id (disarming the function) and
 * reattaches.
 */
import { describe, expect, it } from "vitest";
import { resolveKernelConfig } from "../../src/kernel/config.js";
import { loadWorkload } from "../../src/process/index.js";
import { traceableByName } from "../../src/sim/ftrace.js";
import { LiveTraceSession } from "../../src/trace/live.js";
import { Session } from "../../src/trace/session.js";

function live() {
  const sink = { write: (_s: string) => {} };
  const session = new Session({
    workload: loadWorkload("default", { cpus: 2, seed: 1 }),
    cpus: 2,
    seed: 1,
    kernelProfile: "latest",
    config: resolveKernelConfig("latest"),
    format: "text",
    out: sink,
    err: sink,
    quiet: true,
  });
  const { script } = session.load({ name: "main.bt", text: "uprobe:/usr/bin/shopd:handle_request { }" });
  session.start(script!);
  return { session, l: new LiveTraceSession(session, 0.01, []) };
}

describe("kernel probes in the live view", () => {
  it("a kprobe one-liner is a row that counts, detaches and reattaches", () => {
    const { session, l } = live();
    const r = l.attach("kprobe:handle_swbp { @ = count(); }");
    if (!r.ok) throw new Error(r.error);
    expect(r.probeIds).toHaveLength(1);
    const id = r.probeIds[0]!;
    for (let i = 0; i < 5; i++) l.tick(1);
    const row = l.snapshot().probes.find((p) => p.id === id)!;
    expect(row.spec).toBe("kprobe:handle_swbp");
    expect(row.state).toBe("attached");
    expect(row.hits).toBeGreaterThan(0);
    const fn = traceableByName("handle_swbp")!.id;
    l.detachProbe(id);
    expect(session.m.ftrace.armed[fn]).toBe(0);
    const frozen = l.snapshot().probes.find((p) => p.id === id)!;
    l.tick(1);
    expect(l.snapshot().probes.find((p) => p.id === id)!.hits).toBe(frozen.hits);
    l.reattachProbe(id);
    expect(session.m.ftrace.armed[fn]).toBe(1);
    expect(l.snapshot().probes.find((p) => p.id === id)!.state).toBe("attached");
  });
});
