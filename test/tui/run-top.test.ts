import { describe, expect, test } from "vitest";
import { formatSummary } from "../../src/tui/plain.js";
import { runTop, type TopOptions } from "../../src/tui/run-top.js";
import { manualTicker } from "../../src/tui/ticker.js";
import { threeProbeSession } from "./fake-session.js";
import { FakeStdin, FakeStdout } from "./fake-streams.js";
import { settle, stripAnsi, waitUntil } from "./render-top.js";

function ttyOptions(over: Partial<TopOptions> = {}) {
  const stdin = new FakeStdin(true);
  const stdout = new FakeStdout({ columns: 100, rows: 30 });
  const stderr = new FakeStdout();
  const opts: TopOptions = {
    interval: 1000,
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    stderr: stderr as unknown as NodeJS.WriteStream,
    isTTY: true,
    format: "text",
    noColor: true,
    ...over,
  };
  return { stdin, stdout, opts };
}

/** Waits (in event-loop turns, not time) until `condition` holds. */
async function until(condition: () => boolean): Promise<void> {
  for (let turn = 0; turn < 10_000 && !condition(); turn++) await settle();
  expect(condition()).toBe(true);
}

describe("runTop on a terminal", () => {
  test("q quits: the session is closed, raw mode restored, a summary printed", async () => {
    const session = threeProbeSession();
    const ticker = manualTicker();
    const { stdin, stdout, opts } = ttyOptions({ ticker });
    const done = runTop(session, opts);
    await settle();
    expect(stdin.raw).toBe(true);
    ticker.fire(1000);
    await waitUntil(() => stripAnsi(stdout.text).includes("sim 1s"));
    stdin.type("q");
    const final = await done;
    expect(session.closed).toBe(true);
    expect(final.probes.map((p) => p.state)).toEqual(["detached", "detached", "detached"]);
    expect(stdin.raw).toBe(false);
    expect(ticker.running).toBe(false);
    expect(stdout.text.endsWith(`\u001B[?1049l${formatSummary(final, "text", 0, 100)}`)).toBe(true);
    expect(stdout.text.startsWith("\u001B[?1049h")).toBe(true);
    expect(stdout.text).toContain("probelab top: 1s simulated, 23.1K hits, 0 events lost");
  });

  test("a resize wipes the screen before Ink redraws, and quitting stops listening", async () => {
    const session = threeProbeSession();
    const { stdin, stdout, opts } = ttyOptions({ ticker: manualTicker() });
    const done = runTop(session, opts);
    await settle();
    const before = stdout.chunks.length;
    stdout.columns = 70;
    stdout.emit("resize");
    await settle();
    expect(stdout.chunks[before]).toBe("\u001B[2J\u001B[H");
    expect(stripAnsi(stdout.chunks.slice(before + 1).join(""))).toContain("PROBE");
    stdin.type("q");
    await done;
    expect(stdout.listenerCount("resize")).toBe(0);
  });

  test("the default ticker calls tick on its interval until quit", async () => {
    const session = threeProbeSession();
    const { stdin, opts } = ttyOptions({ interval: 5 });
    const done = runTop(session, opts);
    await until(() => session.calls.filter((c) => c.startsWith("tick")).length >= 2);
    stdin.type("q");
    await done;
    const ticks = session.calls.filter((c) => c.startsWith("tick")).length;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(session.calls.filter((c) => c.startsWith("tick"))).toHaveLength(ticks);
  });

  test("an abort unmounts the view and still closes the session", async () => {
    const session = threeProbeSession();
    const controller = new AbortController();
    const { stdin, stdout, opts } = ttyOptions({ ticker: manualTicker(), signal: controller.signal });
    const done = runTop(session, opts);
    await settle();
    controller.abort();
    const final = await done;
    expect(session.closed).toBe(true);
    expect(stdin.raw).toBe(false);
    expect(stdout.text).toContain("probelab top:");
    expect(final.probes).toHaveLength(3);
  });

  test("a session failure is thrown once the terminal is restored and the summary printed", async () => {
    const session = threeProbeSession();
    const ticker = manualTicker();
    const { stdin, stdout, opts } = ttyOptions({ ticker });
    const done = runTop(session, opts);
    await settle();
    session.tick = () => {
      throw new Error("boom");
    };
    ticker.fire(100);
    await settle();
    stdin.type("q");
    await expect(done).rejects.toThrow("boom");
    expect(stdin.raw).toBe(false);
    expect(stdout.text).toContain("\u001B[?1049l");
    expect(stdout.text).toContain("probelab top:");
  });

  test("json format prints the summary as JSON lines", async () => {
    const session = threeProbeSession();
    const { stdin, stdout, opts } = ttyOptions({ ticker: manualTicker(), format: "json" });
    const done = runTop(session, opts);
    await settle();
    stdin.type("q");
    await done;
    // The live region's last escape codes precede the summary on its first line.
    const tail = stripAnsi(stdout.text).trimEnd().split("\n").slice(-4);
    expect(tail.map((line) => JSON.parse(line).type)).toEqual([
      "top_header",
      "top_probe",
      "top_probe",
      "top_probe",
    ]);
  });
});
