/**
 * `probelab run` at the edges, as bpftrace behaves there: probes attached before the process
 * starts (the -c contract), exit() ending the output, usage checks made before anything runs.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { probelab } from "./harness.js";

describe("every probe is attached before the simulated process starts", () => {
  it("four identical probes see the same calls", async () => {
    const one = (m: string) => `uprobe:libc:malloc { @${m} = count(); }`;
    const r = await probelab(["run", "-e", ["a", "b", "c", "d"].map(one).join("\n"), "--duration", "5ms"]);
    expect(r.status).toBe(0);
    const counts = [...r.stdout.matchAll(/^@\w: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(counts).toHaveLength(4);
    expect(counts[0]).toBeGreaterThan(0);
    expect(new Set(counts).size).toBe(1);
  });
});

describe("exit() stops the output", () => {
  it("the classic print-one-and-quit prints one line per CPU at most, then end and the maps", async () => {
    const r = await probelab([
      "run",
      "-e",
      'uprobe:libc:malloc { @n = count(); printf("%d\\n", tid); exit(); } end { printf("end\\n"); }',
    ]);
    expect(r.status).toBe(0);
    const [events, rest] = r.stdout.split("end\n");
    const lines = events.split("\n").filter((l) => l !== "");
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.length).toBeLessThanOrEqual(4);
    // No thread prints twice: its next hit comes after its own exit().
    expect(new Set(lines).size).toBe(lines.length);
    expect(rest).toMatch(/^\n\n@n: \d+\n$/);
  });
});

describe("exit() in begin", () => {
  it("still runs end, whose output follows begin's", async () => {
    const r = await probelab(["run", "-e", 'begin { printf("a\\n"); exit(); } end { printf("b\\n"); }']);
    expect(r.stdout).toBe("a\nb\n\n\n");
  });
});

describe("progress of a long run on a terminal", () => {
  const LONG = ["run", "-e", "uprobe:libc:malloc { @ = count(); }", "--duration", "300ms"];

  it("says nothing when stderr is not a terminal, or with -q", async () => {
    expect((await probelab(LONG)).stderr).toBe("Attached 1 probe\n");
    expect((await probelab([...LONG, "-q"], { tty: true })).stderr).toBe("");
  });
});

describe("ustack has the thread's frames, in bpftrace's layouts", () => {
  const WORKER = '/comm == "shopd-worker"/';

  it("bare ustack as a map key: sym+off, innermost first, indented 8 spaces", async () => {
    const r = await probelab([
      "run",
      "-e",
      `uprobe:libc:malloc ${WORKER} { @[ustack] = count(); }`,
      "--duration",
      "5ms",
    ]);
    expect(r.stdout).toMatch(
      /^\n\n@\[\n {8}malloc\+0\n {8}lookup_item\+5\n {8}handle_request\+5\n\]: \d+\n$/,
    );
  });

  it("ustack(N), ustack(perf, N), ustack(raw) and a uretprobe's stack (the caller's return address first)", async () => {
    const prog = `uretprobe:libc:malloc ${WORKER} {
  printf("%s|%s|%s", ustack(1), ustack(perf, 2), ustack(raw)); exit();
}`;
    const r = await probelab(["run", "-e", prog, "--duration", "5ms"]);
    const [bp, perf, raw] = r.stdout.split("|");
    expect(bp).toBe("\n        lookup_item+5\n");
    expect(perf).toMatch(
      /^\n\t[0-9a-f]+ lookup_item\+5 \(\/usr\/bin\/shopd\)\n\t[0-9a-f]+ handle_request\+5 \(\/usr\/bin\/shopd\)\n$/,
    );
    expect(raw).toMatch(/^\n[0-9a-f]+\n[0-9a-f]+\n\n\n$/);
  });

  it("config stack_mode sets the default; an explicit mode overrides it", async () => {
    const prog = `config = { stack_mode=raw } uprobe:libc:malloc ${WORKER} {
  printf("%s|%s", ustack(1), ustack(bpftrace, 1)); exit();
}`;
    const r = await probelab(["run", "-e", prog, "--duration", "5ms"]);
    expect(r.stdout).toMatch(/^\n[0-9a-f]+\n\|\n {8}malloc\+0\n\n\n$/);
  });

  it("build_id mode prints each frame's file build ID and file offset, as bpftrace formats them", async () => {
    const prog = `uprobe:libc:malloc ${WORKER} { printf("%s|%s", ustack(build_id, 1), ustack(build_id, 1)); exit(); }`;
    const r = await probelab(["run", "-e", prog, "--duration", "5ms"]);
    expect(r.status).toBe(0);
    // One frame, the same ID both times: 40 hex digits (20 bytes), then 0x and the offset.
    const m = /^\n([0-9a-f]{40}) 0x([0-9a-f]{2,})\n\|\n\1 0x\2\n/.exec(r.stdout);
    expect(m).not.toBeNull();
    const kernel = await probelab(["run", "-e", "begin { print(kstack(build_id)); }"]);
    expect(kernel.status).toBe(1);
    expect(kernel.stderr).toContain("ERROR: 'build_id' stack mode can only be used for ustack");
  });

  it("kstack is accepted and empty, as in a begin block", async () => {
    const r = await probelab(["run", "-e", 'begin { printf("[%s]\\n", kstack); }']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("[\n]\n\n\n");
  });

  it("an unknown stack mode or a bad limit is a diagnostic", async () => {
    const mode = await probelab(["run", "-e", "uprobe:libc:malloc { @[ustack(perv, 3)] = count(); }"]);
    expect(mode.status).toBe(1);
    expect(mode.stderr).toContain("ERROR: Unknown stack mode: 'perv'");
    const limit = await probelab(["run", "-e", "uprobe:libc:malloc { @[ustack(0)] = count(); }"]);
    expect(limit.stderr).toContain("ERROR: ustack() limit must be an integer literal from 1 to 1024");
  });
});

describe("usage checked before anything runs", () => {
  const COUNT = ["-e", "uprobe:libc:malloc { @ = count(); }", "--duration", "2ms"];

  it("-o to a missing folder, a directory or an unwritable path: the reason, exit 2, nothing attached", async () => {
    for (const [path, reason] of [
      ["/nonexistent-dir/out.txt", "no such file or directory"],
      [tmpdir(), "is a directory"],
      ["/proc/nope/x", "no such file or directory"],
    ]) {
      const r = await probelab(["run", ...COUNT, "-o", path]);
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(`ERROR: cannot open output file '${path}': ${reason}\n`);
    }
  });

  it("-o to a good path writes the results there", async () => {
    const dir = mkdtempSync(join(tmpdir(), "probelab-o-"));
    const file = join(dir, "out.txt");
    const r = await probelab(["run", ...COUNT, "-o", file]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("");
    expect(readFileSync(file, "utf8")).toMatch(/^\n\n@: \d+\n$/);
    rmSync(dir, { recursive: true });
  });

  it("a duration needs a unit and must be more than zero", async () => {
    const bare = await probelab(["run", "-e", "uprobe:libc:malloc { @ = count(); }", "--duration", "5"]);
    expect(bare.status).toBe(2);
    expect(bare.stderr).toBe(
      'ERROR: --duration: "5" needs a unit: ns, us, ms, s, m or h (did you mean 5s?)\n',
    );
    const zero = await probelab(["run", "-e", "uprobe:libc:malloc { @ = count(); }", "--duration", "0s"]);
    expect(zero.status).toBe(2);
    expect(zero.stderr).toBe('ERROR: --duration: must be more than zero, got "0s"\n');
  });

  it("an unknown workload is an error even when the script never needs the process", async () => {
    const r = await probelab(["run", "-w", "nosuch", "-e", 'begin { printf("%d\\n", ncpus); exit(); }']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^ERROR: .*nosuch/);
    const set = await probelab(["run", "--set", "workers=abc", "-e", "begin { exit(); }"]);
    expect(set.status).toBe(2);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a workload's parameter reference, not a template
    expect(set.stderr).toContain('found the text "abc" (the value of ${workers}: --set workers=abc)');
  });

  it('an empty script, or one holding only a comment, is "No probes to attach", exit 1', async () => {
    for (const text of ["", "// nothing here\n", "config = { max_strlen = 10 }"]) {
      const r = await probelab(["run", "-e", text]);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe("ERROR: No probes to attach\n");
      expect(r.stdout).toBe("");
    }
  });
});
