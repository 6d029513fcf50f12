/**
 * The Session API end to end on the default workload: a probe on a library that is mapped
 * only later (dlopen), and a detach in the middle of a run after which nothing more counts,
 * with the exit output checked exactly.
 */

import { describe, expect, it } from "vitest";
import type { Session } from "../../src/trace/session.js";
import { testSession } from "./session-fixture.js";

const MS = 1_000_000;

function session(cpus = 2, seed = 1) {
  return testSession({ cpus, seed, separateErr: true });
}

function load(s: Session, text: string) {
  const { script, diagnostics } = s.load({ name: "stdin", text });
  if (script === null) throw new Error(diagnostics.map((d) => d.message).join("; "));
  return script;
}

describe("a probe on a library loaded by dlopen", () => {
  it("registers before the library is mapped and fires once the plugin thread dlopens it (after 5 ms)", () => {
    const { s, out } = session();
    const script = load(s, "uprobe:/usr/lib/libplugin.so:plugin_filter { @calls = count(); }");
    s.start(script);
    s.runUntil(4 * MS);
    const probe = script.probes[0];
    expect(probe.state).toBe("attached");
    expect(probe.uprobe).not.toBeNull();
    expect(probe.hits()).toBe(0);
    s.runUntil(30 * MS);
    const hits = probe.hits();
    expect(hits).toBeGreaterThan(10);
    s.finish();
    expect(out.text()).toBe(`\n\n@calls: ${hits}\n`);
  });
});

describe("detach in the middle of a run", () => {
  it("stops the counts: hits and the map stay where they were at detach", () => {
    const { s, out } = session();
    const script = load(
      s,
      "uprobe:libc:malloc { @mallocs = count(); }\nuprobe:libc:free { @frees = count(); }",
    );
    s.start(script);
    s.runUntil(10 * MS);
    const [malloc, free] = script.probes;
    const beforeDetach = malloc.hits();
    expect(beforeDetach).toBeGreaterThan(100);
    s.detach([malloc]);
    // The unregister runs in a tracer task; give it a slice to take the breakpoints out.
    s.runUntil(12 * MS);
    const atDetach = malloc.hits();
    const freesAtDetach = free.hits();
    expect(malloc.state).toBe("detached");
    s.runUntil(40 * MS);
    expect(malloc.hits()).toBe(atDetach);
    expect(free.hits()).toBeGreaterThan(2 * freesAtDetach);
    expect(s.kernel.u.stats.breakpointsRemoved).toBeGreaterThan(0);
    s.finish();
    expect(out.text()).toBe(`\n\n@frees: ${free.hits()}\n@mallocs: ${atDetach}\n`);
  });

  it("re-attaching after a detach counts again", () => {
    const { s } = session();
    const script = load(s, "uprobe:libc:malloc { @ = count(); }");
    s.start(script);
    s.runUntil(5 * MS);
    s.detach(script.probes);
    s.runUntil(8 * MS);
    const detached = script.probes[0].hits();
    s.runUntil(12 * MS);
    expect(script.probes[0].hits()).toBe(detached);
    // Requests are applied in order: the register waits for the detach's grace period.
    s.attach(script.probes);
    s.runUntil(60 * MS);
    expect(script.probes[0].hits()).toBeGreaterThan(detached);
  });
});
