/** Every command's --help ends with EXAMPLES, and `workloads show` describes a workload. */
import { describe, expect, it } from "vitest";
import { probelab } from "./harness.js";

describe("--help of every command has EXAMPLES", () => {
  const commands = [
    ["run"],
    ["top"],
    ["list"],
    ["race"],
    ["bench"],
    ["bench", "scaling"],
    ["workload"],
    ["workload", "from-elf"],
    ["workload", "from-trace"],
    ["workloads"],
    ["workloads", "show"],
  ];
  for (const command of commands) {
    it(command.join(" "), async () => {
      const r = await probelab([...command, "--help"]);
      expect(r.status).toBe(0);
      const examples = r.stdout.slice(r.stdout.indexOf("\nEXAMPLES:\n"));
      expect(examples).toMatch(/^\nEXAMPLES:\n {2}(probelab|uftrace) /);
      // Each example names the command it documents.
      expect(examples).toContain(`probelab ${command.join(" ")}`);
    });
  }
});

describe("workloads show NAME", () => {
  it("prints parameters, binaries with function offsets and sizes, and threads", async () => {
    const r = await probelab(["workloads", "show", "kvstore"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^kvstore: A tiny key-value server/);
    expect(r.stdout).toContain("\nparameters:\n  clients = 3\n  keys = 10000\n");
    expect(r.stdout).toContain(
      "\nbinary /usr/bin/kvstore (9 functions)\n  0x001000    256  main\n  0x001100    192  kv_get\n",
    );
    expect(r.stdout).toMatch(/\nbinary \/usr\/lib\/libc\.so\.6 \(\d+ functions\)\n/);
    expect(r.stdout).toMatch(/\n {2}thread 1 kv-client\n {4}call kv_get\(\d+, \d+\)\n/);
    expect(r.stdout).toContain("\n  thread 3 kv-compact\n");
  });

  it("takes --set as run does, and names an unknown workload", async () => {
    const set = await probelab(["workloads", "show", "kvstore", "--set", "clients=1"]);
    expect(set.stdout).toContain("  clients = 1\n");
    expect(set.stdout).toContain("process kvstore: 2 threads");
    const unknown = await probelab(["workloads", "show", "nosuch"]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/^ERROR: unknown workload "nosuch"; bundled: /);
  });
});
