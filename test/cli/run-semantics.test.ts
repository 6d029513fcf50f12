/**
 * `probelab run` at the edges, as bpftrace behaves there: probes attached before the process
 * starts (the -c contract), exit() ending the output, usage checks made before anything runs.
 */
import { describe, expect, it } from "vitest";
import { probelab } from "./harness.js";

describe("every probe is attached before the simulated process starts", () => {
  it("four identical probes see the same calls", async () => {
    const one = (m: string) => `uprobe:libc:malloc { @${m} = count(); }`;
    const r = await probelab(["run", "-e", ["a", "b", "c", "d"].map(one).join("\n"), "--duration", "5ms"]);
    expect(r.status).toBe(0);
    const counts = [...r.stdout.matchAll(/^@\w: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(counts).toHaveLength(4);
    expect(counts[0]).toBeGreaterThan(0);
    expect(new Set(counts).size).toBe(1);
  });
});

describe("exit() stops the output", () => {
  it("the classic print-one-and-quit prints one line per CPU at most, then end and the maps", async () => {
    const r = await probelab([
      "run",
      "-e",
      'uprobe:libc:malloc { @n = count(); printf("%d\\n", tid); exit(); } end { printf("end\\n"); }',
    ]);
    expect(r.status).toBe(0);
    const [events, rest] = r.stdout.split("end\n");
    const lines = events.split("\n").filter((l) => l !== "");
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.length).toBeLessThanOrEqual(4);
    // No thread prints twice: its next hit comes after its own exit().
    expect(new Set(lines).size).toBe(lines.length);
    expect(rest).toMatch(/^\n\n@n: \d+\n$/);
  });
});

describe("exit() in begin", () => {
  it("still runs end, whose output follows begin's", async () => {
    const r = await probelab(["run", "-e", 'begin { printf("a\\n"); exit(); } end { printf("b\\n"); }']);
    expect(r.stdout).toBe("a\nb\n\n\n");
  });
});

describe("progress of a long run on a terminal", () => {
  const LONG = ["run", "-e", "uprobe:libc:malloc { @ = count(); }", "--duration", "300ms"];

  it("says nothing when stderr is not a terminal, or with -q", async () => {
    expect((await probelab(LONG)).stderr).toBe("Attached 1 probe\n");
    expect((await probelab([...LONG, "-q"], { tty: true })).stderr).toBe("");
  });
});
