import { describe, expect, test } from "vitest";
import { formatJsonInterval, formatTextInterval, runPlain } from "../../src/tui/plain.js";
import { runTop, type TopOptions } from "../../src/tui/run-top.js";
import { threeProbeSession } from "./fake-session.js";
import { FakeStdin, FakeStdout } from "./fake-streams.js";

function pipeOptions(over: Partial<TopOptions> = {}) {
  const stdin = new FakeStdin(false);
  const stdout = new FakeStdout({ isTTY: false, columns: 0 });
  const opts: TopOptions = {
    interval: 1,
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    isTTY: false,
    format: "text",
    noColor: false,
    ...over,
  };
  return { stdin, stdout, opts };
}

describe("runTop without a terminal", () => {
  test("prints a plain table every interval, never touches stdin, stops after maxTicks", async () => {
    const session = threeProbeSession();
    const { stdin, stdout, opts } = pipeOptions({ maxTicks: 3 });
    const final = await runTop(session, opts);
    expect(stdin.rawModes).toEqual([]);
    expect(stdin.listenerCount("readable") + stdin.listenerCount("data")).toBe(0);
    expect(session.calls).toEqual(["tick 1", "tick 1", "tick 1", "close"]);
    const text = stdout.text;
    expect(text).not.toMatch(/\u001B/);
    expect(text.match(/^ *ID▲ PROBE/gm)).toHaveLength(4);
    expect(text).toContain("probelab top: 3ms simulated");
    expect(final.probes.every((p) => p.state === "detached")).toBe(true);
  });

  test("json: a header record and one record per probe per interval, then the final set", async () => {
    const { stdout, opts } = pipeOptions({ maxTicks: 2, format: "json" });
    await runTop(threeProbeSession(), opts);
    const records = stdout.text
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(records.map((r) => r.type)).toEqual([
      ...["top_header", "top_probe", "top_probe", "top_probe"],
      ...["top_header", "top_probe", "top_probe", "top_probe"],
      ...["top_header", "top_probe", "top_probe", "top_probe"],
    ]);
    expect(records[0].data).toMatchObject({ tick: 1, final: false, cpus: 4, workload: "fake" });
    expect(records[0].data.kernel.gracePeriods).toBe(7);
    expect(records[1].data).toMatchObject({ tick: 1, id: 1, state: "attached", hits: 20 });
    expect(records[1].data.latency).toEqual({ count: 100, p50: 700, p99: 5000, max: 7000 });
    expect(records[2].data.latency).toBeNull();
    expect(records[8].data).toMatchObject({ tick: 2, final: true });
    expect(records[9].data.state).toBe("detached");
  });

  test("stops by itself when the simulated process finishes", async () => {
    const session = threeProbeSession(5e6);
    const { opts } = pipeOptions();
    const final = await runTop(session, opts);
    expect(session.calls.filter((c) => c.startsWith("tick"))).toHaveLength(5);
    expect(final.finished).toBe(true);
  });

  test("stops after a simulated duration", async () => {
    const session = threeProbeSession();
    const { opts } = pipeOptions({ durationNs: 4e6 });
    await runTop(session, opts);
    expect(session.calls.filter((c) => c.startsWith("tick"))).toHaveLength(4);
  });

  test("an abort stops the loop and still closes and summarises", async () => {
    const session = threeProbeSession();
    const controller = new AbortController();
    const stdout = new FakeStdout({ isTTY: false });
    const running = runPlain(session, { interval: 1, stdout, format: "text", signal: controller.signal });
    controller.abort();
    await running;
    expect(session.closed).toBe(true);
    expect(stdout.text).toContain("probelab top:");
  });

  test("a failing tick closes the session and rejects with the failure", async () => {
    const session = threeProbeSession();
    session.tick = () => {
      throw new Error("boom");
    };
    const { opts } = pipeOptions();
    await expect(runTop(session, opts)).rejects.toThrow("boom");
    expect(session.closed).toBe(true);
  });

  test("the same session prints byte-identical output every run", async () => {
    const run = async () => {
      const { stdout, opts } = pipeOptions({ maxTicks: 4 });
      await runTop(threeProbeSession(), opts);
      return stdout.text;
    };
    expect(await run()).toBe(await run());
  });
});

describe("interval formats", () => {
  test("text lines fit the width and carry the totals", () => {
    const snapshot = threeProbeSession().tick(1000);
    const lines = formatTextInterval(snapshot, 80).trimEnd().split("\n");
    expect(lines.every((line) => line.length <= 80)).toBe(true);
    expect(lines[0]).toContain("hits/s 23.1K");
  });

  test("json lines are one object per line", () => {
    const snapshot = threeProbeSession().tick(1000);
    const lines = formatJsonInterval(snapshot, 7).trimEnd().split("\n");
    expect(lines).toHaveLength(4);
    expect(lines.every((line) => JSON.parse(line).data.tick === 7)).toBe(true);
  });
});
