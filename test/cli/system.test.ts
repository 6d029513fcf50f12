/**
 * system(): refused without --unsafe, as bpftrace refuses it; with --unsafe a simulated run
 * performs only `echo` (nothing a script says runs on the host) and refuses any other command
 * when the script loads.
 */
import { describe, expect, it } from "vitest";
import { probelab } from "./harness.js";

describe("system()", () => {
  it("echoes its formatted words with --unsafe", async () => {
    const r = await probelab(["run", "--unsafe", "-e", 'begin { system("echo  %d and %s", 7, "x"); }']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("7 and x\n\n\n");
  });

  it("is a syscall record in JSON output", async () => {
    const r = await probelab(["run", "--unsafe", "-q", "-f", "json", "-e", 'begin { system("echo a b"); }']);
    expect(r.stdout.split("\n")[0]).toBe('{"type": "syscall", "data": "a b\\n"}');
  });

  it("is an error without --unsafe", async () => {
    const r = await probelab(["run", "-e", 'begin { system("echo a"); }']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      "stdin:1:9-25: ERROR: system() is an unsafe function being used in safe mode (run with --unsafe)",
    );
  });

  it("runs no other command, even with --unsafe", async () => {
    const r = await probelab(["run", "--unsafe", "-e", 'begin { system("touch /tmp/x"); }']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      "stdin:1:16-30: ERROR: system(): probelab runs no program on the host; a simulated run performs only 'echo'",
    );
  });
});
