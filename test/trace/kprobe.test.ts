/**
 * kprobes, kretprobes, fentry and fexit on the model's kernel functions, through the Session:
 * what they see (arguments, return values, the task), that the entry hooks cost nothing
 * unarmed and a kprobe's hit costs simulated time (the observer effect), and profile probes.
 */
import { describe, expect, it } from "vitest";
import { type KernelConfig, resolveKernelConfig } from "../../src/kernel/config.js";
import { loadWorkload } from "../../src/process/index.js";
import { StringSink } from "../../src/runtime/index.js";
import { traceableByName } from "../../src/sim/ftrace.js";
import { matchKernelFunctions } from "../../src/trace/kernel-targets.js";
import { Session } from "../../src/trace/session.js";

const MS = 1_000_000;

function session(config: KernelConfig = resolveKernelConfig("latest"), workload = "default", cpus = 2) {
  const out = new StringSink();
  const err = new StringSink();
  const s = new Session({
    workload: loadWorkload(workload, { cpus, seed: 1 }),
    cpus,
    seed: 1,
    kernelProfile: "latest",
    config,
    format: "text",
    out,
    err,
    attachBeforeStart: true,
  });
  return { s, out, err };
}

/** Runs `text` for `ms` simulated ms; returns the exit output. */
function run(text: string, ms = 20, config?: KernelConfig, workload = "default") {
  const { s, out } = session(config, workload);
  const { script, diagnostics } = s.load({ name: "stdin", text });
  if (script === null) throw new Error(diagnostics.map((d) => d.message).join("; "));
  s.start(script);
  s.runUntil(ms * MS);
  s.finish();
  return { text: out.text(), s, script };
}

function loadErrors(text: string): string[] {
  const { s } = session();
  return s.load({ name: "stdin", text }).diagnostics.map((d) => d.message);
}

/** @name: N lines of an exit dump, as a record. */
function counts(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^(@[^:]*): (\d+)$/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

describe("kprobe and kretprobe", () => {
  it("fire on every hit of the uprobe path: each handle_swbp does one speculative lookup", () => {
    const c = counts(
      run(
        "uprobe:/usr/bin/shopd:handle_request { @u = count(); }\n" +
          "kprobe:handle_swbp { @swbp = count(); }\n" +
          "kprobe:find_active_uprobe_speculative { @spec[comm] = count(); }",
      ).text,
    );
    expect(c["@u"]).toBeGreaterThan(100);
    expect(c["@swbp"]).toBe(c["@u"]);
    expect(c["@spec[shopd-worker]"]).toBe(c["@u"]);
  });

  it("kretprobe's retval is the returned uprobe (non-zero) when the speculation succeeds", () => {
    const { text } = run(
      "uprobe:/usr/bin/shopd:handle_request { @u = count(); }\n" +
        "kretprobe:find_active_uprobe_speculative { @found[retval != 0] = count(); }",
    );
    const c = counts(text);
    expect(c["@found[true]"]).toBeGreaterThan(100);
    expect((c["@found[true]"] ?? 0) + (c["@found[false]"] ?? 0)).toBe(c["@u"]);
  });

  it("sees the registration by bpftrace's own task (pid 4242) as uprobe_register", () => {
    const { text } = run(
      'kprobe:uprobe_register { printf("%s %d\\n", comm, pid); }\nuprobe:/usr/bin/shopd:handle_request { }',
      1,
    );
    expect(text.startsWith("bpftrace 4242\n")).toBe(true);
  });

  it("fentry's args are the function's named arguments; fexit adds retval", () => {
    const { text } = run(
      "uprobe:/usr/bin/shopd:handle_request { @u = count(); }\n" +
        "fentry:find_uprobe_rcu { @off[args.offset] = count(); }\n" +
        "fexit:find_uprobe_rcu { @hit[retval != 0] = count(); }",
    );
    const c = counts(text);
    const offsets = Object.keys(c).filter((k) => k.startsWith("@off["));
    expect(offsets).toHaveLength(1);
    expect(c[offsets[0]!]).toBe(c["@u"]);
    expect(c["@hit[true]"]).toBe(c["@u"]);
  });

  it("a wildcard attaches to every matching function", () => {
    const names = matchKernelFunctions("*uprobe*").map((f) => f.name);
    expect(names).toEqual([
      "find_active_uprobe_rcu",
      "find_active_uprobe_speculative",
      "find_uprobe_rcu",
      "uprobe_register",
      "uprobe_unregister_nosync",
    ]);
    const { script } = run("kprobe:*uprobe* { @[probe] = count(); }", 1);
    expect(script.kprobes.map((k) => k.name)).toEqual(names.map((n) => `kprobe:${n}`));
  });

  it("reports unknown functions, modules and args with the attach point", () => {
    expect(loadErrors("kprobe:mmap_read_lok { }")).toEqual(["No matches for kprobe mmap_read_lok."]);
    expect(loadErrors("kprobe:ext4:mmap_read_lock { }")).toEqual([
      "kprobe: module 'ext4' does not exist (the model's kernel has only vmlinux)",
    ]);
    expect(loadErrors("fentry:find_uprobe_rcu { @[args.nope] = count(); }")[0]).toMatch(
      /Record does not contain a field named 'nope'/,
    );
    expect(loadErrors("kprobe:handle_swbp { @[args.bp_vaddr] = count(); }")[0]).toMatch(
      /The args builtin can only be used with 'tracepoint', 'rawtracepoint', 'fentry' and 'fexit' probes/,
    );
  });
});

describe("the cost of a kprobe", () => {
  // The trigger workload calls its probed function in a tight loop: throughput is CPU-bound.
  const script = "uprobe:/usr/bin/trigger:uprobe_target_nop { @u = count(); }";
  const hitsWith = (extra: string, config?: KernelConfig) =>
    counts(run(script + extra, 2, config, "trigger").text)["@u"]!;

  it("costs nothing unarmed: every entry hook is off without kernel probes", () => {
    const { s } = run(script, 1, undefined, "trigger");
    expect([...s.m.ftrace.armed].every((a) => a === 0)).toBe(true);
  });

  it("slows the hit path it probes (int3), less when optimised (jump)", () => {
    const bare = hitsWith("");
    const extra =
      "\nkprobe:find_uprobe_rcu { } kprobe:find_active_uprobe_speculative { } kprobe:handle_swbp { }";
    const trapped = hitsWith(extra);
    const optimised = hitsWith(extra, { ...resolveKernelConfig("latest"), kprobes: "optimized" });
    expect(trapped).toBeLessThan(bare * 0.85);
    expect(optimised).toBeGreaterThan(trapped);
    expect(optimised).toBeLessThan(bare);
  });

  it("disarms on detach: the function's hook is off again after the run", () => {
    const { s } = run("kprobe:mmap_read_lock { }", 1);
    expect(s.m.ftrace.armed[traceableByName("mmap_read_lock")!.id]).toBe(0);
  });
});

describe("profile", () => {
  it("samples every CPU each period and sees what it runs", () => {
    const { text } = run("profile:hz:1000 { @[cpu] = count(); }", 20);
    const c = counts(text);
    expect(Object.keys(c).sort()).toEqual(["@[0]", "@[1]"]);
    expect(c["@[0]"]).toBeGreaterThanOrEqual(19);
    expect(c["@[0]"]).toBe(c["@[1]"]);
  });

  it("attributes samples to the workload's threads", () => {
    const { text } = run("profile:hz:1000 { @[comm] = count(); }", 20, undefined, "trigger");
    // Ticks at 1, 2, ..., 19 ms before the run ends at 20 ms, on both CPUs: all busy producers.
    expect(counts(text)).toEqual({ "@[trigger-prod]": 38 });
  });

  it("ustack in a sample is the sampled thread's calls, innermost first; an idle CPU has none", () => {
    const { text } = run("profile:hz:1000 { @[comm, ustack(3)] = count(); }", 20, undefined, "default");
    // A worker sampled inside lookup_item, called from handle_request.
    expect(text).toMatch(/@\[shopd-worker, \n {8}lookup_item\+0\n {8}handle_request\+5\n\]: \d+/);
    expect(text).toMatch(/@\[swapper\/\d, \n\]: \d+/);
    expect(text).not.toContain("0x0");
  });
});
