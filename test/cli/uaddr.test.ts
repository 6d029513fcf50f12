/**
 * `uaddr("sym")`: a symbol of the uprobe's target binary, resolved when the script loads, as a
 * pointer sized like the symbol; unknown symbols and probes without one target are errors at
 * the call.
 */
import { describe, expect, it } from "vitest";
import { probelab } from "./harness.js";

const run = (script: string) => probelab(["run", "-w", "testprogs", "-e", script]);

describe("uaddr()", () => {
  it("reads the target binary's globals through the pointer, typed by the symbol's size", async () => {
    const r = await run(
      'uprobe:testprogs/uprobe_test:uprobeFunction1 { printf("0x%x %d %d\\n", *uaddr("GLOBAL_A"), *uaddr("GLOBAL_B"), *uaddr("GLOBAL_D")); exit(); }',
    );
    expect(r.status).toBe(0);
    // GLOBAL_B = 0x88888888 is an int: negative through int32*; GLOBAL_D is a char.
    expect(r.stdout).toContain("0x55555555 -2004318072 8\n");
  });

  it("resolves a function to its run-time address, the one the process runs it at", async () => {
    const r = await run(
      'uprobe:testprogs/uprobe_test:uprobeFunction1 { printf("%s\\n", usym(uaddr("uprobeFunction1"))); exit(); }',
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("uprobeFunction1\n");
  });

  it("an unknown symbol is an error at the call, naming the binary", async () => {
    const r = await run('uprobe:testprogs/uprobe_test:uprobeFunction1 { print(*uaddr("NOPE")); }');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(
      "stdin:1:55-68: ERROR: Could not resolve symbol: /src/bpftrace/tests/testprogs/uprobe_test:NOPE",
    );
  });

  it("needs a uprobe with a single target binary", async () => {
    const begin = await run('begin { print(*uaddr("GLOBAL_A")); }');
    expect(begin.status).not.toBe(0);
    expect(begin.stderr).toContain(
      "stdin:1:16-33: ERROR: uaddr() can only be used in uprobe and uretprobe probes",
    );
    const wild = await run('uprobe:testprogs/*:uprobeFunction1 { print(*uaddr("GLOBAL_A")); }');
    expect(wild.status).not.toBe(0);
    expect(wild.stderr).toContain(
      "ERROR: uaddr(\"GLOBAL_A\") needs one target binary: 'testprogs/*' names 5",
    );
  });
});
