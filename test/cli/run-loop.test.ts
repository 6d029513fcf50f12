/** The run loop on a fake clock: slices, turns of the event loop, the stop request, progress. */
import { describe, expect, it } from "vitest";
import type { CliIo } from "../../src/cli/common.js";
import { advance, ProgressLine } from "../../src/cli/run-loop.js";

/** A session whose every 10 ms slice costs `realMsPerSlice` of the fake clock. */
function fakeRun(realMsPerSlice: number) {
  const clock = { ms: 0 };
  const session = {
    stopped: false,
    simNow: 0,
    slices: 0,
    runUntil(until: number) {
      this.simNow = until;
      this.slices++;
      clock.ms += realMsPerSlice;
    },
  };
  let stderr = "";
  const io = { stderr: { write: (s: string) => void (stderr += s) } } as unknown as CliIo;
  return { clock, session, io, stderr: () => stderr, now: () => clock.ms };
}

describe("advance", () => {
  it("runs slice by slice to the duration and draws the progress line on a slow run, then erases it", async () => {
    const f = fakeRun(100);
    const progress = new ProgressLine(f.io, true, 1e9, f.now);
    await advance(f.session, 1e9, 1e7, { requested: false }, progress, f.now);
    expect(f.session.simNow).toBe(1e9);
    expect(f.session.slices).toBe(100);
    expect(f.stderr()).toContain("\r\x1b[Ksimulated 50ms of 1s (0.1x real time)");
    expect(f.stderr().endsWith("\r\x1b[K")).toBe(true);
  });

  it("draws nothing in the first half second, nor when disabled", async () => {
    const quick = fakeRun(1);
    await advance(
      quick.session,
      1e8,
      1e7,
      { requested: false },
      new ProgressLine(quick.io, true, 1e8, quick.now),
      quick.now,
    );
    expect(quick.stderr()).toBe("");
    const off = fakeRun(100);
    await advance(
      off.session,
      1e9,
      1e7,
      { requested: false },
      new ProgressLine(off.io, false, 1e9, off.now),
      off.now,
    );
    expect(off.stderr()).toBe("");
  });

  it("stops at the first turn after a stop request", async () => {
    const f = fakeRun(60);
    const stop = { requested: false };
    const progress = new ProgressLine(f.io, false, 1e9, f.now);
    const done = advance(f.session, 1e12, 1e7, stop, progress, f.now);
    stop.requested = true;
    await done;
    expect(f.session.slices).toBe(1);
  });

  it("waits while the output is backlogged, one slice at a time", async () => {
    const f = fakeRun(1);
    let queued = 0;
    const waits: number[] = [];
    const output = {
      write: () => {},
      backlogged: () => queued > 0,
      drained: async () => {
        waits.push(f.session.slices);
        queued = 0;
      },
    };
    const progress = new ProgressLine(f.io, false, 1e8, f.now);
    const run = {
      ...f.session,
      runUntil: (until: number) => {
        f.session.runUntil(until);
        run.simNow = until;
        queued++;
      },
    };
    await advance(run, 5e7, 1e7, { requested: false }, progress, f.now, output);
    // Every slice filled the pipe, so the loop waited after each of the five.
    expect(waits).toEqual([1, 2, 3, 4, 5]);
  });
});
