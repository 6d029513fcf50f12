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
