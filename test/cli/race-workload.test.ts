/**
 * `probelab race -w WORKLOAD`: a bundled workload under a script whose probes attach and
 * detach during each run, explored like a scenario: clean with the model's checks in place,
 * a use-after-free caught and replayable with a fault switch on, and clear errors for a bad
 * workload, a bad switch, a script that does not load or has nothing to race.
 */
import { describe, expect, it } from "vitest";
import { noStackTrace, probelab } from "./harness.js";

const ENTRY_AND_RETURN =
  "uprobe:/usr/bin/shopd:handle_request { @[comm] = count(); } uretprobe:/usr/bin/shopd:handle_request { @r = count(); }";

describe("probelab race -w", () => {
  it("explores a bundled workload under its default probes and finds it clean", async () => {
    const r = await probelab(["race", "-w", "default", "--seeds", "1", "--policy", "random"]);
    expect(r.status).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe(
      "race -w default: default probes of shop, 4 CPUs, 20ms per run, probes attached at 0 and 1/2, detached at 1/4 and 3/4",
    );
    expect(lines[1]).toBe("faults: none");
    expect(r.stdout).toContain("no violation in 1 run\n");
  }, 60_000);

  it("with a fault switch catches the uprobe freed under a return, and the replay line reproduces it", async () => {
    const args = ["race", "-w", "default", "-e", ENTRY_AND_RETURN, "--faults", "free-skip-gp"];
    const r = await probelab([...args, "--seeds", "1", "--policy", "random", "--no-shrink"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^fault free-skip-gp: on \(R4: /m);
    expect(r.stdout).toMatch(
      /^ {2}use-after-free: handle_uretprobe_chain touched freed uprobe \/usr\/bin\/shopd:0x/m,
    );
    const replay = /^replay: (.*)$/m.exec(r.stdout)![1];
    expect(replay).toBe(
      `probelab race -w default -e '${ENTRY_AND_RETURN}' --faults free-skip-gp --seed 1 --policy random`,
    );
    const again = await probelab([...args, "--seed", "1", "--policy", "random", "--no-shrink"]);
    expect(again.stdout).toContain("violation in run 1 of the exploration:");
  }, 60_000);

  it("bad workloads, switches and scripts are clear errors without a stack trace", async () => {
    const unknown = await probelab(["race", "-w", "nosuch"]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/^ERROR: unknown workload "nosuch"; bundled: .*default/);
    const fault = await probelab(["race", "-w", "default", "--faults", "nope"]);
    expect(fault.status).toBe(2);
    expect(fault.stderr).toBe('ERROR: --faults: unknown fault switch "nope" (`probelab race` lists them)\n');
    const script = await probelab([
      "race",
      "-w",
      "default",
      "-e",
      "uprobe:/usr/bin/shopd:handle_request { @x = nosuch(); }",
    ]);
    expect(script.status).toBe(1);
    expect(script.stderr).toMatch(/^stdin:1:45-53: ERROR: Unknown function: 'nosuch'/);
    const nothing = await probelab(["race", "-w", "default", "-e", "begin { print(1); }"]);
    expect(nothing.status).toBe(2);
    expect(nothing.stderr).toBe("ERROR: stdin: the script attaches no uprobes, so nothing can race\n");
    const mixed = await probelab(["race", "-w", "default", "--fault"]);
    expect(mixed.status).toBe(2);
    for (const x of [unknown, fault, script, nothing, mixed]) expect(noStackTrace(x.stderr)).toBe(true);
  }, 60_000);
});
