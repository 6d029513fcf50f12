/**
 * `probelab race`: listing the scenarios, a clean exploration, a faulty one that prints a
 * violation with its replay line and interleaving, the replay itself, and usage errors.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UPROBE_FAULTS } from "../../src/kernel/faults.js";
import { MM_FAULTS } from "../../src/kernel/mm/options.js";
import { RACE_SCENARIOS } from "../../src/race/scenarios.js";
import { SYNC_FAULTS } from "../../src/sim/sync/faults.js";
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

  it("pairs every uprobe, sync and mm fault switch with at least one scenario", () => {
    const covered = new Set<string>(RACE_SCENARIOS.map((s) => s.fault));
    const all = [...Object.keys(UPROBE_FAULTS), ...Object.keys(SYNC_FAULTS), ...Object.keys(MM_FAULTS)];
    expect(all.filter((f) => !covered.has(f))).toEqual([]);
    expect(covered.size).toBe(all.length);
  });

  it("lists the sync-primitive and mm scenarios with their switches", async () => {
    const r = await probelab(["race"]);
    expect(r.stdout).toMatch(/^seqcount-torn-read\s+seqcount-skip-retry\s+seqcount readers/m);
    expect(r.stdout).toMatch(/^r23-maps-vs-split\s+maps-skip-gap-recheck\s+the per-VMA/m);
  });

  it("runs an mm scenario and a sync scenario from the CLI, clean and with the fault", async () => {
    const clean = await probelab(["race", "rwsem-fifo", "--seeds", "30"]);
    expect(clean.status).toBe(0);
    expect(clean.stdout).toContain("no violation in 60 runs");
    const broken = await probelab(["race", "r22-vma-read-vs-write-lock", "--fault"]);
    expect(broken.status).toBe(0);
    expect(broken.stdout).toMatch(/^fault vma-skip-seq-recheck: on \(vma_start_read does not re-check/m);
    expect(broken.stdout).toMatch(/writer owns it|reader\(s\) hold it/);
  });

  it("without --fault explores cleanly, reports coverage and exits 0", async () => {
    const r = await probelab(["race", "r5-tree-walk-vs-insert-erase", "--seeds", "20"]);
    expect(r.status).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines.slice(0, 3)).toEqual([
      "race r5-tree-walk-vs-insert-erase: lockless uprobes_tree walk vs inserts and erases at other offsets",
      "fault tree-skip-seq-retry: off (R5: find_uprobe_rcu returns a miss without re-checking uprobes_seqcount)",
      "exploring seeds 1-20, policy random+pct",
    ]);
    expect(lines[3]).toMatch(
      /^coverage: \d+ distinct interleavings of labelled steps in 40 runs; \d+ cross-CPU step pairs, (none new after run \d+|still growing at the last run)$/,
    );
    expect(lines.slice(4)).toEqual(["no violation in 40 runs", ""]);
  });

  it("with --fault finds the race, shrinks it and prints per-CPU columns with replay lines", async () => {
    const r = await probelab(["race", "seqcount-torn-read", "--fault"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^fault seqcount-skip-retry: on \(read_seqcount_retry always says/m);
    expect(r.stdout).toMatch(
      /^ {2}seqcount reader accepted a torn read a=\d+ b=\d+ \(seed 1, policy random\)$/m,
    );
    expect(r.stdout).toMatch(/^replay: probelab race seqcount-torn-read --fault --seed 1 --policy random$/m);
    const sizes =
      /^shrunk from (\d+) steps, (\d+) preemptions to (\d+) steps, (\d+) preemptions in \d+ replays$/m.exec(
        r.stdout,
      );
    expect(sizes).not.toBeNull();
    expect(Number(sizes![4])).toBeLessThan(Number(sizes![2]));
    const minimal =
      /^minimal: probelab race seqcount-torn-read --fault --seed 1 --policy random --schedule '([\d:,]+)'$/m.exec(
        r.stdout,
      );
    expect(minimal).not.toBeNull();
    expect(r.stdout).toMatch(/^ {2}step {2}cpu0 +\| cpu1 +\| cpu2$/m);
    expect(r.stdout).toMatch(/^ +\d+ +\| +\|>reader: /m);
    expect(r.stdout).toMatch(/^broken: seqcount reader accepted a torn read/m);

    // The --schedule line replays the minimal schedule in one run, to the same violation.
    const again = await probelab([
      "race",
      "seqcount-torn-read",
      "--fault",
      "--seed",
      "1",
      "--policy",
      "random",
      "--schedule",
      minimal![1],
    ]);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain(`replaying seed 1, policy random, schedule '${minimal![1]}'`);
    const broken = (s: string) => s.split("\n").find((l) => l.startsWith("broken: "));
    expect(broken(again.stdout)).toBe(broken(r.stdout));
    // Output is a pure function of the command line.
    expect((await probelab(["race", "seqcount-torn-read", "--fault"])).stdout).toBe(r.stdout);
  });

  it("the replay line reproduces the violation and the same minimal counterexample", async () => {
    const r = await probelab(["race", "r9-handler-after-unregister", "--fault"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ {2}R9: consumer \d+ called after its unregister/m);
    const replay =
      /^replay: probelab race r9-handler-after-unregister --fault --seed (\d+) --policy (random|pct)$/m.exec(
        r.stdout,
      );
    expect(replay).not.toBeNull();
    const [, seed, policy] = replay!;
    const args = ["race", "r9-handler-after-unregister", "--fault", "--seed", seed, "--policy", policy];
    const again = await probelab(args);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain("violation in run 1 of the exploration:");
    const tail = (s: string) => s.slice(s.indexOf("  R9: "));
    expect(tail(again.stdout)).toBe(tail(r.stdout));
  });

  it("--no-shrink prints the raw interleaving instead", async () => {
    const r = await probelab(["race", "seqcount-torn-read", "--fault", "--no-shrink"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /^interleaving \(the last recorded steps, oldest first\):\n {2}step \d+ cpu\d /m,
    );
    expect(r.stdout).not.toContain("shrunk from");
  });

  it("bad --schedule values are usage errors", async () => {
    const base = ["race", "seqcount-torn-read", "--fault", "--seed", "1", "--policy", "random"];
    const bad = await probelab([...base, "--schedule", "12-1"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('ERROR: --schedule: "12-1" is not STEP:CPU\n');
    const order = await probelab([...base, "--schedule", "5:1,3:0"]);
    expect(order.stderr).toBe('ERROR: --schedule: steps must increase ("3:0")\n');
    const noSeed = await probelab(["race", "seqcount-torn-read", "--schedule", "5:1"]);
    expect(noSeed.status).toBe(2);
    expect(noSeed.stderr).toMatch(/--schedule replays one run: give it --seed and --policy random or pct/);
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
    expect(far.stderr).toBe(
      `ERROR: unknown race scenario "nosuch"; \`probelab race\` lists the ${RACE_SCENARIOS.length} scenarios\n`,
    );
    expect(noStackTrace(far.stderr)).toBe(true);
  });

  it("--coverage-out writes the same pairs at one and two jobs; not with --exhaustive", async () => {
    const dir = mkdtempSync(join(tmpdir(), "probelab-coverage-"));
    const files = ["1", "2"].map((jobs) => join(dir, `jobs${jobs}.txt`));
    for (const [i, file] of files.entries()) {
      const r = await probelab([
        "race",
        "rwsem-fifo",
        "--seeds",
        "16",
        "--jobs",
        `${i + 1}`,
        "--coverage-out",
        file,
      ]);
      expect(r.status).toBe(0);
    }
    const [one, two] = files.map((f) => readFileSync(f, "utf8"));
    expect(two).toBe(one);
    expect(one.split("\n")[1]).toMatch(
      /^# probelab race rwsem-fifo, seeds 1-16, policy random\+pct: 32 runs, /,
    );
    expect(one).toMatch(/^down_read done\t/m);
    const bad = await probelab(["race", "rwsem-fifo", "--exhaustive", "--coverage-out", files[0]]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--coverage-out counts the runs of a seeded exploration/);
  });

  const ONE_PREEMPTION = ["race", "seqcount-torn-read", "--exhaustive", "--preemptions", "1"];

  it("--exhaustive explores every bounded schedule clean and says it finished", async () => {
    const r = await probelab(ONE_PREEMPTION);
    expect(r.status).toBe(0);
    expect(r.stdout.split("\n").slice(2)).toEqual([
      "exhaustive: every schedule with at most 1 preemption, seed 1",
      "explored 286 schedules (0 preemptions: 6, 1: 280) in 378 runs: finished, every schedule clean",
      "partial-order reduction: 86 runs stopped early, each only reordering commuting steps of a schedule explored",
      "",
    ]);
    const full = await probelab([...ONE_PREEMPTION, "--no-reduction"]);
    expect(full.status).toBe(0);
    expect(full.stdout).toContain(
      "explored 518 schedules (0 preemptions: 6, 1: 512) in 524 runs: finished, every schedule clean\n" +
        "partial-order reduction: off (--no-reduction)\n",
    );
    const kernel = await probelab(["race", "refcount-inc-not-zero", "--exhaustive", "--preemptions", "0"]);
    expect(kernel.stdout).toContain(
      "partial-order reduction: off (this scenario's steps do not report all they share)",
    );
  });

  it("--exhaustive with the fault finds the race with the fewest preemptions, and it replays", async () => {
    const r = await probelab(["race", "seqcount-torn-read", "--fault", "--exhaustive"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("stopped at a violation with 1 preemption(s)");
    const minimal =
      /^minimal: probelab race seqcount-torn-read --fault --seed 1 --policy random --schedule '([\d:,]+)'$/m.exec(
        r.stdout,
      );
    expect(minimal).not.toBeNull();
    const broken = (s: string) => s.split("\n").find((l) => l.startsWith("broken: "));
    expect(broken(r.stdout)).toMatch(/^broken: seqcount reader accepted a torn read/);
    const args = ["race", "seqcount-torn-read", "--fault", "--seed", "1", "--policy", "random"];
    const again = await probelab([...args, "--schedule", minimal![1]]);
    expect(again.status).toBe(0);
    expect(broken(again.stdout)).toBe(broken(r.stdout));
  });

  it("--exhaustive that runs out of budget says so; bad bounds are usage errors", async () => {
    const r = await probelab(["race", "rwsem-fifo", "--exhaustive", "--max-runs", "20"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("in 20 runs: not finished: the budget of 20 runs ran out");
    const bad = await probelab(["race", "rwsem-fifo", "--exhaustive", "--preemptions", "-1"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^ERROR: --preemptions/);
  });

  it("bad option values are usage errors", async () => {
    expect((await probelab(["race", "churn", "--seeds", "0"])).status).toBe(2);
    expect((await probelab(["race", "churn", "--policy", "fifo"])).status).toBe(2);
  });
});
