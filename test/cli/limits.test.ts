/**
 * Bounded resources through the real CLI: every limit a careless or hostile script can hit
 * ends in a located diagnostic or a clamp, never in unbounded memory or an internal error.
 */
import { describe, expect, it } from "vitest";
import { noStackTrace, probelab } from "./harness.js";

describe("resource limits", () => {
  it("a huge literal printf width is a located diagnostic", async () => {
    const r = await probelab(["run", "-e", 'begin { printf("%999999999s|\\n", "x"); @a = 1; }']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/stdin:1:16-\d+: ERROR: printf: format width is too large \(at most 4096\)/);
    expect(noStackTrace(r.all)).toBe(true);
  });

  it("a width taken from traced data is clamped, and the session ends normally", async () => {
    const r = await probelab([
      "run",
      "-e",
      'uprobe:libc:malloc { printf("%*d|\\n", arg0 * 10000000, 1); @n = count(); }',
      "--duration",
      "2ms",
    ]);
    expect(r.status).toBe(0);
    const lines = r.stdout.split("\n").filter((l) => l.endsWith("|"));
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(4097);
    expect(r.stdout).toMatch(/@n: \d+/);
  });

  it("lhist with more than 1000 buckets is refused as bpftrace does", async () => {
    const r = await probelab(["run", "--cpus", "1", "-e", "begin { @ = lhist(5, 0, 100000000000, 1); }"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("lhist() too many buckets, must be <= 1000 (would need 100000000000)");
    const fine = await probelab(["run", "--cpus", "1", "-e", "begin { @ = lhist(5, 0, 1000, 1); }"]);
    expect(fine.status).toBe(0);
  });

  it("max_probes is enforced, 1024 by default", async () => {
    const small = await probelab([
      "run",
      "-e",
      'config = { max_probes = 2 } begin { printf("x\\n"); } end { } interval:s:1 { }',
    ]);
    expect(small.status).toBe(1);
    expect(small.stderr).toContain("can't attach 3 probes: more than the max_probes limit of 2");
    const many = Array.from({ length: 1100 }, () => "uprobe:libc:malloc { @ = count(); }").join("\n");
    const big = await probelab(["run", "-e", many]);
    expect(big.status).toBe(1);
    expect(big.stderr).toContain("can't attach 1100 probes: more than the max_probes limit of 1024");
  });

  it("str() with a negative length reads as an unsigned one, clamped to max_strlen", async () => {
    const r = await probelab([
      "run",
      "-e",
      'uprobe:libc:getaddrinfo { printf("<%s>\\n", str(arg0, -1)); $n = -5; printf("[%s]\\n", str(arg0, $n)); exit(); }',
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^<[a-z][\w.-]+>$/m);
    expect(r.stdout).toMatch(/^\[[a-z][\w.-]+\]$/m);
  });

  it("max_map_keys has a memory ceiling with a clear message", async () => {
    const r = await probelab([
      "run",
      "-e",
      "config = { max_map_keys = 4294967295 } begin { @m[1] = count(); }",
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("max_map_keys: at most 1048576 in probelab");
  });
});
