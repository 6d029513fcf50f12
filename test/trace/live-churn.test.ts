/**
 * The live session `top` drives, under churn: one-liners come and go without memory
 * growing, exit() in a one-liner ends only that one-liner, and interval one-liners are
 * rows that can be detached.
 */

import { describe, expect, it } from "vitest";
import { OutputRing } from "../../src/runtime/index.js";
import { KEEP_DETACHED_ONE_LINERS, LiveTraceSession } from "../../src/trace/live.js";
import { testSession } from "./session-fixture.js";

function live() {
  const log: string[] = [];
  const sink = { write: (s: string) => void log.push(...s.split("\n").filter((l) => l !== "")) };
  const { s: session } = testSession({ sink, extra: { quiet: true } });
  const { script } = session.load({ name: "main.bt", text: "uprobe:libc:malloc { @m = count(); }" });
  session.start(script!);
  return { session, live: new LiveTraceSession(session, 0.01, log), log };
}

describe("live session churn", () => {
  it("detached one-liners are forgotten past a bound, so many attaches keep a bounded session", () => {
    const { session, live: l } = live();
    for (let i = 0; i < 120; i++) {
      const r = l.attach(`uprobe:libc:free { @f${i % 5}[tid] = count(); }`);
      if (!r.ok) throw new Error(r.error);
      for (const id of r.probeIds) l.detachProbe(id);
      l.tick(1);
    }
    for (let i = 0; i < 20; i++) l.tick(10);
    expect(session.scripts.length).toBeLessThanOrEqual(KEEP_DETACHED_ONE_LINERS + 2);
    expect(session.probes.length).toBeLessThanOrEqual(KEEP_DETACHED_ONE_LINERS + 2);
    expect(session.kernel.u.registered.size).toBe(1);
    expect(l.snapshot().finished).toBe(false);
  });

  it("an output ring holds slots only for what it has carried", () => {
    const ring = new OutputRing(1 << 16);
    const slots = (r: OutputRing) => (r as unknown as { slots: unknown[] }).slots.length;
    expect(slots(ring)).toBe(0);
    ring.printValue(1);
    ring.printValue(2);
    expect(slots(ring)).toBe(2);
    ring.drain({
      printf() {},
      value() {},
      map() {},
      time() {},
      errorf() {},
      warnf() {},
      lostEvents() {},
    });
    ring.release();
    expect(slots(ring)).toBe(0);
  });

  it("exit() in a one-liner ends that one-liner only: its maps print, the session goes on", () => {
    const { session, live: l, log } = live();
    l.tick(100);
    const r = l.attach("uprobe:libc:free { @frees = count(); if (@frees > 3) { exit(); } }");
    expect(r.ok).toBe(true);
    l.tick(100);
    const before = session.probes[0].hits();
    const snap = l.tick(100);
    expect(snap.finished).toBe(false);
    expect(session.stopped).toBe(false);
    expect(session.probes[0].hits()).toBeGreaterThan(before);
    const rows = snap.probes.filter((p) => p.script === "one-liner #1");
    expect(rows.map((p) => p.state)).toEqual(["detached"]);
    expect(log.filter((line) => /^@frees: \d+$/.test(line)).length).toBe(1);
    l.reattachProbe(rows[0].id);
    expect(l.snapshot().probes.find((p) => p.id === rows[0].id)?.state).toBe("detached");
  });

  it("an interval one-liner gets a row and stops firing once detached", () => {
    const { session, live: l } = live();
    const r = l.attach("interval:ms:1 { @t = count(); }");
    if (!r.ok) throw new Error(r.error);
    expect(r.probeIds.length).toBe(1);
    l.tick(1000);
    const row = l.snapshot().probes.find((p) => p.id === r.probeIds[0]);
    expect(row?.spec).toBe("interval:ms:1");
    expect(row?.hits).toBeGreaterThan(0);
    l.detachProbe(r.probeIds[0]);
    const fired = session.intervals[0].hits();
    l.tick(1000);
    expect(session.intervals[0].hits()).toBe(fired);
    expect(l.snapshot().probes.find((p) => p.id === r.probeIds[0])?.state).toBe("detached");
    l.reattachProbe(r.probeIds[0]);
    l.tick(1000);
    expect(session.intervals[0].hits()).toBeGreaterThan(fired);
  });
});
