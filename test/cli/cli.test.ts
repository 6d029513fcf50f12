/**
 * Command-line manners (clig.dev): how a script gets in, where output goes, exit
 * statuses (0 ok, 1 script error, 2 usage error), one clear line per user error and never
 * a stack trace, bpftrace-format diagnostics, NO_COLOR, `list` and `workloads`.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { noStackTrace, probelab } from "./harness.js";

const tmp = mkdtempSync(join(tmpdir(), "probelab-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const HELLO = 'begin { printf("hello\\n"); }';
const MALLOC = "uprobe:libc:malloc { @ = count(); }";

describe("where the script comes from", () => {
  it("-e PROGRAM", async () => {
    const r = await probelab(["run", "-e", HELLO]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("hello\n\n\n");
  });

  it("a file", async () => {
    const file = join(tmp, "hello.bt");
    writeFileSync(file, `#!/usr/bin/env probelab\n${HELLO}\n`);
    const r = await probelab(["run", file]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("hello\n\n\n");
  });

  it("a .bt file as the first word is run, so `#!/usr/bin/env probelab` scripts execute", async () => {
    const file = join(tmp, "shebang.bt");
    writeFileSync(file, `#!/usr/bin/env probelab\n${HELLO}\n`);
    const r = await probelab([file, "--duration", "1ms"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("hello\n\n\n");
    const unknown = await probelab(["nosuch-command"]);
    expect(unknown.status).toBe(2);
  });

  it("- reads stdin, and diagnostics then name `stdin`", async () => {
    const ok = await probelab(["run", "-"], { stdin: 'begin { printf("piped\\n"); }' });
    expect(ok.stdout).toBe("piped\n\n\n");
    const bad = await probelab(["run", "-"], { stdin: "begin { @x = cnt(); }" });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^stdin:1:14-19: ERROR: /);
  });

  it("-- args become $1, $2 ... and $# counts them (with a file or with -e)", async () => {
    const prog = 'begin { printf("%s|%d|%d\\n", str($1), $2, $#); }';
    const withE = await probelab(["run", "-e", prog, "--", "hello", "42"]);
    expect(withE.stdout).toBe("hello|42|2\n\n\n");
    const file = join(tmp, "args.bt");
    writeFileSync(file, prog);
    const withFile = await probelab(["run", file, "--", "hi", "7", "extra"]);
    expect(withFile.stdout).toBe("hi|7|3\n\n\n");
    const none = await probelab(["run", "-e", 'begin { printf("%d\\n", $#); }']);
    expect(none.stdout).toBe("0\n\n\n");
  });

  it("no program at all, or an unreadable file, is one clear line", async () => {
    const none = await probelab(["run"]);
    expect(none.status).toBe(2);
    expect(none.stderr).toBe("ERROR: no program given: pass a script file, - for stdin, or -e PROGRAM\n");
    const missing = await probelab(["run", join(tmp, "nope.bt")]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe(`ERROR: cannot read script file '${join(tmp, "nope.bt")}': no such file\n`);
  });
});

describe("where output goes", () => {
  it('"Attached N probes" goes to stderr, results to stdout', async () => {
    const r = await probelab(["run", "-e", `${MALLOC} begin { printf("go\\n"); }`, "--duration", "2ms"]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("Attached 2 probes\n");
    expect(r.stdout).toMatch(/^go\n\n\n@: \d+\n$/);
  });

  it("-q drops the banner", async () => {
    const r = await probelab(["run", "-q", "-e", HELLO]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("hello\n\n\n");
  });

  it("-f json: one record per line, the attach banner as a record on stdout", async () => {
    const r = await probelab(["run", "-f", "json", "-e", 'begin { @x = 3; printf("hi\\n"); }']);
    expect(r.stderr).toBe("");
    const records = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(records[0].type).toBe("attached_probes");
    expect(records[0].data).toEqual({ probes: 1 });
    expect(records.slice(1)).toEqual([
      { type: "printf", data: "hi\n" },
      { type: "map", data: { "@x": 3 } },
    ]);
    const quiet = await probelab(["run", "-q", "-f", "json", "-e", "begin { @x = 3; }"]);
    expect(quiet.stdout).toBe('{"type": "map", "data": {"@x": 3}}\n');
  });

  it("-o FILE writes the tracing output there; messages stay on stderr", async () => {
    const file = join(tmp, "out.txt");
    const r = await probelab(["run", "-o", file, "-e", HELLO]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("Attached 1 probe\n");
    expect(readFileSync(file, "utf8")).toBe("hello\n\n\n");
  });

  it("-o FILE is not created when the script does not load", async () => {
    const file = join(tmp, "never.txt");
    const r = await probelab(["run", "-o", file, "-e", "begin { @x = cnt(); }"]);
    expect(r.status).toBe(1);
    expect(existsSync(file)).toBe(false);
  });
});

describe("exit()", () => {
  it("an interval probe that calls exit() fires once, and exit(CODE) is the status", async () => {
    const r = await probelab(["run", "-e", 'i:ms:1 { printf("tick\\n"); exit(3); }']);
    expect(r.status).toBe(3);
    expect(r.stdout).toBe("tick\n\n\n");
  });

  it("a uprobe that calls exit() ends the run early: far fewer hits than the whole duration", async () => {
    const once = await probelab([
      "run",
      "-q",
      "-e",
      "uprobe:libc:malloc { @ = count(); exit(); }",
      "--cpus",
      "2",
    ]);
    const all = await probelab([
      "run",
      "-q",
      "-e",
      "uprobe:libc:malloc { @ = count(); }",
      "--cpus",
      "2",
      "--duration",
      "50ms",
    ]);
    const count = (text: string) => Number(/@: (\d+)/.exec(text)?.[1]);
    expect(once.status).toBe(0);
    expect(count(once.stdout)).toBeGreaterThanOrEqual(1);
    expect(count(once.stdout)).toBeLessThan(count(all.stdout));
  });
});

describe("-v", () => {
  it("adds the set-up and the kernel's side of the run on stderr, leaving stdout as it was", async () => {
    const args = ["run", "-e", "uprobe:/usr/bin/shopd:handle_request { @ = count(); }", "--duration", "20ms"];
    const plain = await probelab(args);
    const verbose = await probelab([...args, "-v"]);
    expect(verbose.status).toBe(0);
    expect(verbose.stdout).toBe(plain.stdout);
    const lines = verbose.stderr.split("\n");
    expect(lines[0]).toBe("probelab: workload shop (workloads/default.yaml), 4 CPUs, kernel latest, seed 1");
    expect(lines[1]).toMatch(
      /^probelab: probe 1: uprobe:\/usr\/bin\/shopd:handle_request at file offset 0x[0-9a-f]+$/,
    );
    const hits = Number(/probelab: (\d+) breakpoint hits/.exec(verbose.stderr)?.[1]);
    expect(hits).toBe(Number(/^@: (\d+)$/m.exec(plain.stdout)?.[1]));
    expect(verbose.stderr).toMatch(/probelab: breakpoints: 1 installed, 0 removed/);
    expect((await probelab([...args, "-v"])).stderr).toBe(verbose.stderr);
  });
});

describe("--dry-run", () => {
  it("resolves probes and prints nothing, exit 0", async () => {
    const r = await probelab(["run", "--dry-run", "-e", `${MALLOC} begin { printf("no\\n"); }`]);
    expect(r).toMatchObject({ status: 0, stdout: "", stderr: "" });
  });

  it("still reports a missing probe, with a near match, and exits 1", async () => {
    const r = await probelab(["run", "--dry-run", "-e", "uprobe:libc:mallocx { @ = count(); }"]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      [
        "stdin:1:1-20: ERROR: No matches for uprobe libc:mallocx.",
        "uprobe:libc:mallocx { @ = count(); }",
        "~~~~~~~~~~~~~~~~~~~",
        "HINT: did you mean 'malloc'?",
        "HINT: did you mean 'calloc'?",
        "",
      ].join("\n"),
    );
  });

  it("reports a missing binary at the probe", async () => {
    const r = await probelab(["run", "--dry-run", "-e", "uprobe:/usr/bin/shop:main { }"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      "stdin:1:1-26: ERROR: uprobe target file '/usr/bin/shop' does not exist or is not executable",
    );
    expect(r.stderr).toContain("HINT: did you mean '/usr/bin/shopd'?");
  });

  it("a binary no workload here has: the binaries it does have, and the bundled workload that has it", async () => {
    const r = await probelab(["run", "--dry-run", "-e", "uretprobe:/bin/bash:readline { }"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      "HINT: the shop workload's binaries: /usr/bin/shopd, /usr/lib/libc.so.6, /usr/lib/libplugin.so\nHINT: -w bash has '/bin/bash'\n",
    );
  });

  it("a library's short name is matched against short names, and a function with no near match points at list", async () => {
    const lib = await probelab(["run", "--dry-run", "-e", "uprobe:libcc:malloc { }"]);
    expect(lib.stderr).toContain("HINT: did you mean 'libc'?");
    const fn = await probelab(["run", "--dry-run", "-e", "uprobe:libc:zzzzqqq { }"]);
    expect(fn.stderr).toContain("HINT: probelab list 'uprobe:/usr/lib/libc.so.6:*' lists its functions");
  });
});

describe("-d debug dumps", () => {
  const prog = "begin { @x = 1 }";

  it("tokens, ast and typed print their stage before the run", async () => {
    const tokens = await probelab(["run", "-q", "-d", "tokens", "-e", prog]);
    expect(tokens.stdout).toMatch(/^1:1-6 \S+ 'begin'\n/);
    expect(tokens.stdout).toContain("1:14-15 IntLiteral '1'");
    const ast = await probelab(["run", "-q", "-d", "ast", "-e", prog]);
    expect(ast.stdout).toContain('target: map name="@x" @1:9-11');
    expect(ast.stdout).not.toContain(": int8");
    const typed = await probelab(["run", "-q", "-d", "typed", "-e", prog]);
    expect(typed.stdout).toContain('target: map name="@x" : int8');
    for (const r of [tokens, ast, typed]) expect(r.stdout.endsWith("\n\n\n@x: 1\n")).toBe(true);
  });

  it("all is every stage in order; a list picks some; an unknown stage is a usage error", async () => {
    const all = await probelab(["run", "-q", "-d", "all", "-e", prog]);
    const iTokens = all.stdout.indexOf("IntLiteral");
    const iAst = all.stdout.indexOf("attachPoints[0]");
    const iTyped = all.stdout.indexOf(": int8");
    expect(0 <= iTokens && iTokens < iAst && iAst < iTyped).toBe(true);
    const some = await probelab(["run", "-q", "-d", "tokens,typed", "-e", prog]);
    expect(some.stdout).toContain("IntLiteral");
    expect(some.stdout).toContain(": int8");
    const bad = await probelab(["run", "-d", "bogus", "-e", prog]);
    expect(bad).toMatchObject({ status: 2, stdout: "" });
    expect(bad.stderr).toBe('ERROR: unknown debug stage "bogus" (known: tokens, ast, typed, all)\n');
  });
});

describe("user errors: one clear line, the right status, no stack trace", () => {
  const cases: { args: string[]; status: number; stderr: string | RegExp }[] = [
    {
      args: ["run", "-w", "nosuch", "-e", MALLOC],
      status: 2,
      stderr:
        /^ERROR: unknown workload "nosuch".*; bundled: bash, crawler, default, .* \(or give a file path\)\n$/,
    },
    {
      args: ["run", "--set", "bogus", "-e", MALLOC],
      status: 2,
      stderr: 'ERROR: --set takes key=value, got "bogus"\n',
    },
    {
      args: ["run", "--set", "nope=1", "-e", MALLOC],
      status: 2,
      stderr: /^ERROR: workloads\/default\.yaml: --set nope: unknown parameter "nope"; .*\n$/,
    },
    {
      args: ["run", "--cpus", "0", "-e", HELLO],
      status: 2,
      stderr: 'ERROR: --cpus must be an integer from 1 to 128, got "0"\n',
    },
    {
      args: ["run", "--cpus", "two", "-e", HELLO],
      status: 2,
      stderr: 'ERROR: --cpus must be an integer from 1 to 128, got "two"\n',
    },
    {
      args: ["run", "--duration", "5 parsecs", "-e", HELLO],
      status: 2,
      stderr: 'ERROR: --duration: invalid duration "5 parsecs" (examples: 500ms, 2s, 100us)\n',
    },
    { args: ["run", "--seed", "-1", "-e", HELLO], status: 2, stderr: /^ERROR: .*--seed.*\n$/ },
    {
      args: ["run", "--kernel", "nope", "-e", HELLO],
      status: 2,
      stderr: /^ERROR: unknown kernel profile "nope".*\n$/,
    },
    {
      args: ["run", "-f", "xml", "-e", HELLO],
      status: 2,
      stderr: 'ERROR: Invalid output format "xml"\n',
    },
    { args: ["list", "-w", "nosuch"], status: 2, stderr: /^ERROR: unknown workload "nosuch"/ },
  ];
  for (const c of cases) {
    it(c.args.slice(0, 3).join(" "), async () => {
      const r = await probelab(c.args);
      expect(r.status).toBe(c.status);
      expect(r.stdout).toBe("");
      if (typeof c.stderr === "string") expect(r.stderr).toBe(c.stderr);
      else expect(r.stderr).toMatch(c.stderr);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(noStackTrace(r.all)).toBe(true);
    });
  }

  it("a broken workload file is a script error (1) naming the file and field", async () => {
    const file = join(tmp, "broken.yaml");
    writeFileSync(
      file,
      "binaries:\n  /bin/x:\n    functions: [f]\nprocess:\n  exe: /bin/x\n  threads:\n    - body:\n        - call: nope\n",
    );
    const r = await probelab(["run", "-w", file, "-e", "uprobe:/bin/x:f { }"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^ERROR: ${file.replace(/[.]/g, "\\.")}:\\d+:\\d+: .*call.*nope`));
    expect(noStackTrace(r.all)).toBe(true);
  });

  it("syntax errors: bpftrace-format diagnostics for each recoverable error, exit 1", async () => {
    const r = await probelab(["run", "-e", 'begin { @x = ; printf("a" }']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      [
        "stdin:1:14-15: ERROR: syntax: unexpected ';', expected an expression",
        'begin { @x = ; printf("a" }',
        "             ~",
        "stdin:1:27-28: ERROR: syntax: unexpected '}', expected ')'",
        'begin { @x = ; printf("a" }',
        "                          ~",
        "",
      ].join("\n"),
    );
  });

  it("a file's diagnostics carry its name and line", async () => {
    const file = join(tmp, "bad.bt");
    writeFileSync(file, "// comment\nbegin {\n  @x = cnt();\n}\n");
    const r = await probelab(["run", file]);
    expect(r.status).toBe(1);
    expect(r.stderr.split("\n")[0]).toBe(`${file}:3:8-13: ERROR: Unknown function: 'cnt'`);
  });
});

describe("colour", () => {
  const bad = ["run", "-e", "begin { @x = cnt(); }"];

  it("diagnostics are coloured on a terminal", async () => {
    const r = await probelab(bad, { tty: true });
    expect(r.stderr).toContain("\x1b[");
  });

  it("NO_COLOR turns colour off, as does a pipe", async () => {
    const noColor = await probelab(bad, { tty: true, env: { NO_COLOR: "1" } });
    expect(noColor.stderr).not.toContain("\x1b[");
    expect(noColor.stderr).toMatch(/^stdin:1:14-19: ERROR: Unknown function/);
    const piped = await probelab(bad, { tty: false });
    expect(piped.stderr).not.toContain("\x1b[");
  });
});

describe("missing_probes config, end to end", () => {
  const both = "uprobe:libc:malloc, uprobe:libc:nosuch { @ = count(); }";

  it('"warn": a warning at the probe, the rest attach and run', async () => {
    const r = await probelab([
      "run",
      "-e",
      `config = { missing_probes = "warn" } ${both}`,
      "--duration",
      "2ms",
    ]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain("WARNING: No matches for uprobe libc:nosuch. Skipping.");
    expect(r.stderr).toContain("Attached 1 probe\n");
    expect(r.stdout).toMatch(/^\n\n@: [1-9]\d*\n$/);
  });

  it('"ignore": silent, the rest attach and run', async () => {
    const r = await probelab([
      "run",
      "-e",
      `config = { missing_probes = "ignore" } ${both}`,
      "--duration",
      "2ms",
    ]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("Attached 1 probe\n");
    expect(r.stdout).toMatch(/^\n\n@: [1-9]\d*\n$/);
  });

  it('the default ("error") stops before attaching anything', async () => {
    const r = await probelab(["run", "-e", both]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^stdin:1:21-39: ERROR: No matches for uprobe libc:nosuch\.\n/);
  });
});

describe("probelab list and workloads", () => {
  it("an attach-point pattern resolves its target like a probe does (libc, short names)", async () => {
    const r = await probelab(["list", "uprobe:libc:*"]);
    expect(r.status).toBe(0);
    // Sorted, as bpftrace -l prints its set of matches ('_' sorts before lower case).
    const lines = r.stdout.trim().split("\n");
    expect(lines.slice(0, 5)).toEqual([
      "uprobe:/usr/lib/libc.so.6:__libc_start_main",
      "uprobe:/usr/lib/libc.so.6:_exit",
      "uprobe:/usr/lib/libc.so.6:accept",
      "uprobe:/usr/lib/libc.so.6:bind",
      "uprobe:/usr/lib/libc.so.6:calloc",
    ]);
    expect([...lines].sort()).toEqual(lines);
    expect(lines).toContain("uprobe:/usr/lib/libc.so.6:gethostbyname2_r");
    expect(lines.every((l) => l.startsWith("uprobe:/usr/lib/libc.so.6:"))).toBe(true);
    const ur = await probelab(["list", "ur:shopd:handle*"]);
    expect(ur.stdout).toBe("uretprobe:/usr/bin/shopd:handle_request\n");
  });

  it("a bare glob matches whole names; no pattern lists every uprobe, then every uretprobe", async () => {
    const plugin = await probelab(["list", "*plugin_f*"]);
    expect(plugin.stdout).toBe(
      "uprobe:/usr/lib/libplugin.so:plugin_filter\nuretprobe:/usr/lib/libplugin.so:plugin_filter\n",
    );
    const all = await probelab(["list"]);
    const lines = all.stdout.trim().split("\n");
    // shopd's 8 functions, libc's 4 plus glibc's other 65, the plugin's 2; then the kernel's probes.
    expect(lines.filter((l) => l.startsWith("uprobe:") || l.startsWith("uretprobe:")).length).toBe(2 * 79);
    expect(lines[2 * 79]).toMatch(/^kprobe:/);
    expect(lines.slice(0, 2)).toEqual([
      "uprobe:/usr/bin/shopd:checksum",
      "uprobe:/usr/bin/shopd:handle_request",
    ]);
    expect(lines[79]).toBe("uretprobe:/usr/bin/shopd:checksum");
  });

  it("-w picks the workload; a pattern matching nothing prints nothing and exits 0", async () => {
    // A path written without a wildcard stays as written (bpftrace's runtime test "uprobes -
    // list probes by file with wildcarded filter" expects uprobe:./testprogs/uprobe_test:...).
    const r = await probelab(["list", "-w", "testprogs", "uprobe:./testprogs/uprobe_test:uprobeFunction*"]);
    expect(r.stdout.trim().split("\n")).toEqual([
      "uprobe:./testprogs/uprobe_test:uprobeFunction1",
      "uprobe:./testprogs/uprobe_test:uprobeFunction2",
      "uprobe:./testprogs/uprobe_test:uprobeFunctionBar",
      "uprobe:./testprogs/uprobe_test:uprobeFunctionBranching",
      "uprobe:./testprogs/uprobe_test:uprobeFunctionUint128",
    ]);
    const none = await probelab(["list", "uprobe:libc:nothing*"]);
    expect(none).toMatchObject({ status: 0, stdout: "", stderr: "" });
  });

  it("workloads: one line each, name then description", async () => {
    const r = await probelab(["workloads"]);
    expect(r.status).toBe(0);
    const names = r.stdout
      .trim()
      .split("\n")
      .map((l) => l.split(/\s+/)[0]);
    expect(names).toEqual(["bash", "crawler", "default", "kvstore", "testprogs", "tls", "trigger", "usdt"]);
    expect(r.stdout).toMatch(/^default {2,}A small web shop/m);
  });
});

describe("help", () => {
  it("--help has an EXAMPLES section and exits 0", async () => {
    const r = await probelab(["run", "--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("EXAMPLES:");
    expect(r.stdout).toContain("--dry-run");
  });
});

describe("the installed binary (bin/probelab.js over dist/, as CI builds it)", () => {
  function spawnProbelab(args: string[], input = "") {
    return spawnSync(process.execPath, [join(process.cwd(), "bin", "probelab.js"), ...args], {
      input,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1" },
    });
  }

  it("a usage error exits 2 with its reason (and run's usage); a script from a pipe runs with its args", () => {
    const bad = spawnProbelab(["run", "--bogus"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr.split("\n")[0]).toBe("ERROR: unknown option '--bogus'");
    expect(bad.stderr).toContain("Script options go after --");
    expect(spawnProbelab(["list", "--bogus"]).stderr).toBe("ERROR: unknown option '--bogus'\n");
    const piped = spawnProbelab(["run", "-", "--", "5"], 'begin { printf("x %d\\n", $1); }');
    expect(piped.status).toBe(0);
    expect(piped.stdout).toBe("x 5\n\n\n");
    expect(piped.stderr).toBe("Attached 1 probe\n");
  });
});
