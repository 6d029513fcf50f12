/**
 * USDT probes end to end: `list` of a workload's USDT sites, `run` with usdt probes (their
 * operands at the sizes the note gives, the probe builtin, wildcards), semaphores that the
 * kernel bumps only while a probe is attached, and the located errors of bad specs.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { noStackTrace, probelab } from "./harness.js";

const run = (script: string, ...extra: string[]) => probelab(["run", "-w", "usdt", ...extra, "-e", script]);

describe("probelab list: USDT sites", () => {
  it("lists a file's sites, filtered by provider and by name, with the target as written", async () => {
    const all = await probelab(["list", "-w", "usdt", "usdt:./testprogs/usdt_test:*"]);
    expect(all.stdout).toBe(
      [
        "usdt:./testprogs/usdt_test:tracetest2:testprobe2",
        "usdt:./testprogs/usdt_test:tracetest:testprobe",
        "usdt:./testprogs/usdt_test:tracetest:testprobe2",
        "",
      ].join("\n"),
    );
    const byProvider = await probelab(["list", "-w", "usdt", "usdt:./testprogs/usdt_test:tracetest2:*"]);
    expect(byProvider.stdout).toBe("usdt:./testprogs/usdt_test:tracetest2:testprobe2\n");
    const anyFile = await probelab(["list", "-w", "usdt", "usdt:*:tracetest:test*"]);
    expect(anyFile.stdout).toBe(
      [
        "usdt:/src/bpftrace/tests/testprogs/usdt_semaphore_test:tracetest:testprobe",
        "usdt:/src/bpftrace/tests/testprogs/usdt_test:tracetest:testprobe",
        "usdt:/src/bpftrace/tests/testprogs/usdt_test:tracetest:testprobe2",
        "",
      ].join("\n"),
    );
  });
});

describe("probelab run: usdt probes", () => {
  it("a fully specified probe fires, and its operands and probe name read as bpftrace's", async () => {
    const here = await run('usdt:./testprogs/usdt_test:tracetest:testprobe { printf("here\\n"); exit(); }');
    expect(here.stdout).toBe("here\n\n\n");
    expect(here.stderr).toBe("Attached 1 probe\n");
    const args = await run(
      'usdt:./testprogs/usdt_test:* { printf("%lld %s %s\\n", arg0, probe, str(arg1)); @n++; if (@n == 3) { exit(); } }',
    );
    expect(args.stderr).toBe("Attached 3 probes\n");
    expect(args.stdout.split("\n").slice(0, 3)).toEqual([
      "1764806400 usdt:./testprogs/usdt_test:tracetest:testprobe Hello World1",
      "1764806400 usdt:./testprogs/usdt_test:tracetest:testprobe2 Hello World2",
      "1764806400 usdt:./testprogs/usdt_test:tracetest2:testprobe2 Hello World3",
    ]);
  });

  it("an empty provider or target matches any, as usdt::NAME does with -p", async () => {
    const r = await run('usdt:./testprogs/usdt_test::*probe2 { printf("here\\n"); exit(); }');
    expect(r.stderr).toBe("Attached 2 probes\n");
    // Every file: usdt_sized_args has a test:probe2 too.
    const everywhere = await run('usdt:::*probe2 { printf("here\\n"); exit(); }');
    expect(everywhere.stderr).toBe("Attached 3 probes\n");
  });

  it("operands are cut to their note's size and sign- or zero-extended", async () => {
    const r = await run(
      'usdt:./testprogs/usdt_sized_args:test:* { printf("%s %lx %ld\\n", probe, arg0, arg0); @n++; if (@n == 3) { exit(); } }',
    );
    expect(r.stdout.split("\n").slice(0, 3)).toEqual([
      "usdt:./testprogs/usdt_sized_args:test:probe1 deadbeef 3735928559",
      "usdt:./testprogs/usdt_sized_args:test:probe2 1 1",
      "usdt:./testprogs/usdt_sized_args:test:probe3 ffffffffffffffff -1",
    ]);
  });

  it("a site's twelve operands read as arg0..arg11 at their note's sizes", async () => {
    const fmt = "%llx %llx %llx %llx %llx %llx %llx %llx %llx %llx %lld %llx";
    const args = Array.from({ length: 12 }, (_, i) => `arg${i}`).join(", ");
    const r = await run(`usdt:./testprogs/usdt_multi_args:probe1 { printf("${fmt}\\n", ${args}); exit(); }`);
    expect(r.stdout.split("\n")[0]).toBe(
      "deadbeef 1 ffffffffffffffff cafebabe 8badf00d feedface 123456789abcd 0 1fffffffffffff 15555555555555 42 ffeaaaaaaaaaaaaa",
    );
  });

  it("a semaphore site runs only while a usdt probe holds its semaphore", async () => {
    // An offset uprobe on the site's nop (myclock+8) sees it only when the program runs it.
    const site = "uprobe:./testprogs/usdt_semaphore_test:myclock+8 { @site = count(); }";
    const calls = "uprobe:./testprogs/usdt_semaphore_test:myclock { @calls = count(); }";
    const idle = await run(`${site} ${calls}`, "--duration", "20ms");
    expect(idle.stdout).toMatch(/^@calls: \d+\n$/m);
    expect(idle.stdout).not.toContain("@site");
    const traced = await run(
      `${calls} usdt:./testprogs/usdt_semaphore_test:tracetest:testprobe { @sites = count(); @msg = str(arg1); }`,
      "--duration",
      "20ms",
    );
    const n = (name: string) => Number(new RegExp(`@${name}: (\\d+)`).exec(traced.stdout)?.[1]);
    expect(n("calls")).toBeGreaterThan(5);
    expect(n("sites")).toBe(n("calls"));
    expect(traced.stdout).toContain("@msg: USDT semaphore: 1\n");
  });
});

describe("bad usdt specs and sites", () => {
  it("no matching site is a located error listing the file's sites", async () => {
    const r = await run("usdt:./testprogs/usdt_test:nope { exit(); }");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("stdin:1:1-32: ERROR: No matches for usdt ./testprogs/usdt_test:*:nope.");
    expect(r.stderr).toContain(
      "HINT: its USDT sites: tracetest:testprobe, tracetest:testprobe2, tracetest2:testprobe2",
    );
    expect(noStackTrace(r.all)).toBe(true);
  });

  it("arg6..arg11 are a usdt probe's only", async () => {
    const r = await run("uprobe:./testprogs/usdt_test:myclock { print(arg6); }");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("ERROR: The arg6 builtin can only be used with 'usdt' probes");
  });

  it("a workload's usdt step must be inside a call of the site's function", async () => {
    const dir = mkdtempSync(join(tmpdir(), "probelab-usdt-"));
    const file = join(dir, "w.yaml");
    const top = "binaries:\n  /usr/bin/app:\n    functions: [main, work]\n";
    const sites = "    usdt:\n      - { probe: app:tick, in: work, args: [int32] }\n";
    writeFileSync(
      file,
      `${top}${sites}process:\n  exe: /usr/bin/app\n  threads:\n    - body:\n        - call: main\n          body:\n            - usdt: app:tick\n              args: [1]\n            - work: 1us\n`,
    );
    const r = await probelab(["run", "-w", file, "-e", "usdt:*:app:tick { exit(); }"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("/usr/bin/app has no USDT site app:tick in main");
    writeFileSync(
      file,
      `${top}    usdt:\n      - { probe: app:tick, in: wrok }\nprocess:\n  exe: /usr/bin/app\n  threads:\n    - body: [{ work: 1us }]\n`,
    );
    const typo = await probelab(["run", "-w", file, "-e", "usdt:*:app:tick { exit(); }"]);
    expect(typo.stderr).toContain('USDT site app:tick is in unknown function "wrok"');
    expect(noStackTrace(r.all + typo.all)).toBe(true);
  });
});
