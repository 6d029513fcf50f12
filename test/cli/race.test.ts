/**
 * `probelab race`: listing the scenarios, a clean exploration, a faulty one that prints a
 * violation with its replay line and interleaving, the replay itself, and usage errors.
 */
import { describe, expect, it } from "vitest";
import { KERNEL_FAULTS, UPROBE_FAULTS } from "../../src/kernel/faults.js";
import { RACE_SCENARIOS } from "../../src/race/scenarios.js";
import { noStackTrace, probelab } from "./harness.js";

describe("probelab race", () => {
  it("with no name lists every scenario with its fault switch and description", async () => {
    const r = await probelab(["race"]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^NAME\s+FAULT\s+DESCRIPTION$/);
    expect(lines).toHaveLength(RACE_SCENARIOS.length + 1);
    expect(r.stdout).toMatch(/^r1-speculative-vs-munmap\s+spec-skip-retry\s+speculative VMA lookup/m);
    expect(r.stdout).toMatch(/^churn\s+unregister-skip-sync\s+batched attach\/detach churn/m);
  });

  it("pairs every uprobe fault switch with at least one scenario, and names only known switches", () => {
    const covered = new Set<string>(RACE_SCENARIOS.map((s) => s.fault));
    for (const f of Object.keys(UPROBE_FAULTS)) expect(covered).toContain(f);
    for (const f of covered) expect(Object.keys(KERNEL_FAULTS)).toContain(f);
  });

  it("without --fault explores cleanly and exits 0", async () => {
    const r = await probelab(["race", "r5-tree-walk-vs-insert-erase", "--seeds", "20"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      [
        "race r5-tree-walk-vs-insert-erase: lockless uprobes_tree walk vs inserts and erases at other offsets",
        "fault tree-skip-seq-retry: off (R5: find_uprobe_rcu returns a miss without re-checking uprobes_seqcount)",
        "exploring seeds 1-20, policy random+pct",
        "no violation in 40 runs",
        "",
      ].join("\n"),
    );
  });

  it("with --fault finds the race and prints the message, the replay line and the interleaving", async () => {
    const r = await probelab(["race", "r9-handler-after-unregister", "--fault"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^fault unregister-skip-sync: on \(R9: /m);
    expect(r.stdout).toMatch(/^ {2}R9: consumer \d+ called after its unregister/m);
    const replay =
      /^replay: probelab race r9-handler-after-unregister --fault --seed (\d+) --policy (random|pct)$/m.exec(
        r.stdout,
      );
    expect(replay).not.toBeNull();
    expect(r.stdout).toMatch(
      /^interleaving \(the last recorded steps, oldest first\):\n {2}step \d+ cpu\d /m,
    );
    expect(r.stdout.split("\n").filter((l) => /^ {2}step \d+ cpu\d/.test(l)).length).toBeGreaterThan(10);

    // The replay line reproduces the same violation and interleaving in one run, and the
    // output is a pure function of the command line.
    const [, seed, policy] = replay!;
    const again = await probelab([
      "race",
      "r9-handler-after-unregister",
      "--fault",
      "--seed",
      seed,
      "--policy",
      policy,
    ]);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain("violation in run 1 of the exploration:");
    const tail = (s: string) => s.slice(s.indexOf("  R9: "));
    expect(tail(again.stdout)).toBe(tail(r.stdout));
    expect((await probelab(["race", "r9-handler-after-unregister", "--fault"])).stdout).toBe(r.stdout);
  });

  it("exits 1 when --fault finds nothing in the seeds given", async () => {
    const r = await probelab([
      "race",
      "r11-ri-timer-vs-return",
      "--fault",
      "--seeds",
      "1",
      "--policy",
      "random",
    ]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/no violation in 1 run\nthe fault was not caught: try more --seeds\n$/);
  });

  it("an unknown scenario is a usage error with a hint", async () => {
    const near = await probelab(["race", "r7-dying"]);
    expect(near.status).toBe(2);
    expect(near.stdout).toBe("");
    expect(near.stderr).toBe(
      'ERROR: unknown race scenario "r7-dying"; did you mean r7-dying-vs-register? (`probelab race` lists them)\n',
    );
    const far = await probelab(["race", "nosuch"]);
    expect(far.status).toBe(2);
    expect(far.stderr).toMatch(
      /^ERROR: unknown race scenario "nosuch"; known: r1-speculative-vs-munmap, .*churn, .*r23-maps-vs-split /,
    );
    expect(noStackTrace(far.stderr)).toBe(true);
  });

  it("bad option values are usage errors", async () => {
    expect((await probelab(["race", "churn", "--seeds", "0"])).status).toBe(2);
    expect((await probelab(["race", "churn", "--policy", "fifo"])).status).toBe(2);
  });
});
