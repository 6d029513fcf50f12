import { describe, expect, it } from "vitest";
import { kernelConfig, workload } from "../../../src/cli/common.js";
import { Session } from "../../../src/trace/session.js";

/** The trigger bench's producer on `target`, a count() probe of `kind`, under `profile`. */
function run(profile: string, target: string, kind = "uprobe", switches: string[] = []) {
  const session = new Session({
    workload: workload("trigger", [`target=${target}`], 2, 1),
    cpus: 2,
    seed: 1,
    kernelProfile: profile,
    config: kernelConfig(profile, switches),
    format: "text",
    out: { write: () => {} },
    err: { write: () => {} },
  });
  const { script } = session.load({ name: "t", text: `${kind}:/usr/bin/trigger:${target} { @ = count(); }` });
  if (script === null) throw new Error("script did not load");
  session.start(script);
  session.runUntil(2_000_000);
  const mm = session.process!.mm;
  return { session, script, mm, stats: session.kernel.u.stats };
}

const names = (mm: { vmas(): { vm_special: { name: string } | null }[] }) =>
  mm.vmas().map((v) => v.vm_special?.name ?? "");

describe("6.18 optimized uprobes (uprobe_optimize=nop5)", () => {
  it("rewrites a probed 5-byte nop into a call to [uprobes-trampoline] after the first hit", () => {
    const { mm, stats, script } = run("optimized", "uprobe_target_nop5");
    expect(stats.optimizedSites).toBe(1);
    expect(mm.optimized_calls.size).toBe(1);
    expect(mm.uprobes_state.head_tramps).toHaveLength(1);
    expect(names(mm)).toContain("[uprobes-trampoline]");
    expect(stats.singleSteps).toBe(0);
    // every hit after the first comes through the uprobe syscall and still reaches the program
    expect(Math.abs(script.probes[0].hits() - stats.hits)).toBeLessThanOrEqual(2); // two in flight at most
    expect(stats.hits).toBeGreaterThan(1000);
  });

  it("steps a 5-byte nop on every hit before 6.18, and leaves other instructions alone", () => {
    const old = run("latest", "uprobe_target_nop5");
    expect(old.stats.optimizedSites).toBe(0);
    expect(old.stats.hits - old.stats.singleSteps).toBeLessThanOrEqual(2); // steps in flight
    const nop = run("optimized", "uprobe_target_nop");
    expect(nop.stats.optimizedSites).toBe(0);
    expect(names(nop.mm)).not.toContain("[uprobes-trampoline]");
  });

  it("is several times faster per hit, as the series reports", () => {
    const before = run("latest", "uprobe_target_nop5").stats.hits;
    const after = run("optimized", "uprobe_target_nop5").stats.hits;
    expect(after / before).toBeGreaterThan(5);
  });

  it("detach restores the nop (swbp_unoptimize) but keeps the trampoline page mapped", () => {
    const { session, script, mm } = run("optimized", "uprobe_target_nop5");
    session.detach(script.probes);
    session.runUntil(25_000_000);
    expect(mm.optimized_calls.size).toBe(0);
    expect(mm.breakpoints.size).toBe(0);
    expect(names(mm)).toContain("[uprobes-trampoline]");
  });
});

describe("the uretprobe syscall (uretprobe_entry)", () => {
  it("a return through int3 costs a trap more than through the syscall", () => {
    const sys = run("latest", "uprobe_target_nop", "uretprobe").stats.uretprobeHits;
    const trap = run("latest", "uprobe_target_nop", "uretprobe", ["uretprobe_entry=int3"]).stats
      .uretprobeHits;
    expect(trap).toBeGreaterThan(0);
    expect(sys / trap).toBeGreaterThan(1.15);
  });
});
