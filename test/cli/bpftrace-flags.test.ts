/**
 * bpftrace's command-line flags on `probelab run`: -p, -c, --probe-filter, --no-warnings,
 * -l and -f, with bpftrace's messages for bad values.
 */
import { describe, expect, test } from "vitest";
import { probelab } from "./harness.js";

const UPROBE = 'uprobe:testprogs/uprobe_test:uprobeFunction1 { printf("hit\\n"); exit(); }';

describe("-p PID", () => {
  test.each([
    ["a1111", "ERROR: Failed to parse pid: invalid integer: a1111"],
    ["111a1", "ERROR: Failed to parse pid: invalid trailing bytes: 111a1"],
    ["5000000", "ERROR: Pid out of range: 5000000"],
  ])("%s is refused as bpftrace refuses it", async (pid, message) => {
    const r = await probelab(["run", "-p", pid, "-e", "begin { print(1); }"]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(message);
  });

  test("the workload's pid traces it; any other pid is no such process", async () => {
    const ok = await probelab(["run", "-w", "testprogs", "-p", "4100", "-e", UPROBE]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain("hit\n");
    const other = await probelab(["run", "-w", "testprogs", "-p", "4200", "-e", UPROBE]);
    expect(other.status).not.toBe(0);
    expect(other.stderr).toContain("pid 4200: no such process");
  });

  test("traces that process only: its forked children inherit the breakpoints but run nothing", async () => {
    // bash forks a child per command, which calls shell_execve in /bin/bash before its exec.
    const script =
      "uprobe:/bin/bash:shell_execve, uretprobe:/bin/bash:make_child { @[probe, pid] = count(); }";
    const all = await probelab(["run", "-w", "bash", "--duration", "1s", "-e", script]);
    expect(all.stdout).toMatch(/@\[uprobe:\/bin\/bash:shell_execve, 4101\]: 1\n/);
    const only = await probelab(["run", "-w", "bash", "--duration", "1s", "-p", "4100", "-e", script]);
    expect(only.status).toBe(0);
    expect(only.stdout).toMatch(/@\[uretprobe:\/bin\/bash:make_child, 4100\]: \d+\n/);
    expect(only.stdout).not.toMatch(/, 410[1-9]\]/);
  });
});

describe("-k", () => {
  test("a read of a missing map key warns at the read, with the helper, each time; without -k it is quiet", async () => {
    const script = 'i:ms:1 { @[1] = 1; printf("%d %d\\n", @[2], @[1]); exit(); }';
    const k = await probelab(["run", "-k", "-e", script]);
    expect(k.status).toBe(0);
    expect(k.stdout).toContain("0 1\n");
    expect(k.stderr).toBe(
      [
        "Attached 1 probe",
        "stdin:1:38-42: WARNING: Can't lookup map element because it does not exist.",
        "Additional Info - helper: map_lookup_elem, retcode: 0",
        script,
        `${" ".repeat(37)}~~~~`,
        "",
      ].join("\n"),
    );
    const quiet = await probelab(["run", "-e", script]);
    expect(quiet.stderr).toBe("Attached 1 probe\n");
  });
});

describe("-c CMD", () => {
  test("names the workload's program, relative to its cwd or by basename", async () => {
    for (const cmd of ["./testprogs/uprobe_test", "uprobe_test"]) {
      const r = await probelab(["run", "-w", "testprogs", "-e", UPROBE, "-c", cmd]);
      expect(r.status, r.all).toBe(0);
      expect(r.stdout).toContain("hit\n");
    }
  });

  test("another program is an error that says which the workload runs", async () => {
    const r = await probelab(["run", "-w", "testprogs", "-e", UPROBE, "-c", "/bin/ls"]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("-c /bin/ls: workload testprogs runs");
  });
});

describe("--probe-filter", () => {
  test("attaches only matching probes, and begin and end always", async () => {
    const r = await probelab([
      "run",
      "--probe-filter",
      ":200",
      "-e",
      'begin { printf("begin\\n"); } interval:ms:100 { printf("bad\\n"); exit(); } interval:ms:200 { printf("hit\\n"); exit(); } end { printf("end\\n"); }',
    ]);
    expect(r.stdout).toContain("begin\nhit\n");
    expect(r.stdout).toContain("end\n");
    expect(r.stdout).not.toContain("bad");
  });

  test("a bad regular expression is an error", async () => {
    const r = await probelab(["run", "--probe-filter", "(", "-e", "begin { }"]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('Invalid probe filter "("');
  });
});

test("--no-warnings silences warnf() and the front end's warnings", async () => {
  const prog = 'begin { warnf("no warn"); printf("done\\n"); }';
  expect((await probelab(["run", "-e", prog])).stderr).toContain("WARNING: no warn");
  const r = await probelab(["run", "--no-warnings", "-e", prog]);
  expect(r.all).not.toContain("no warn");
  expect(r.stdout).toContain("done\n");
});

test("-l lists the script's probes; an interval by its unit, as bpftrace does", async () => {
  const r = await probelab(["run", "-l", "-e", "interval:ms:1000 {} interval:s:1 {} interval:us:100000 {}"]);
  expect(r.status).toBe(0);
  expect(r.stdout).toBe("interval:ms:\ninterval:s:\ninterval:us:\n");
});

test("-l expands a wildcard attach point to what it matches, as bpftrace does", async () => {
  // bpftrace's runtime test "it lists uprobes in the program" expects the matched file's path.
  const r = await probelab(["run", "-w", "testprogs", "-l", "-e", "uretprobe:*:uprobeFunction1 { exit(); }"]);
  expect(r.status).toBe(0);
  expect(r.stdout).toBe(
    "uretprobe:/src/bpftrace/tests/testprogs/uprobe_loop:uprobeFunction1\n" +
      "uretprobe:/src/bpftrace/tests/testprogs/uprobe_test:uprobeFunction1\n",
  );
  const k = await probelab([
    "run",
    "-l",
    "-e",
    "tracepoint:syscalls:sys_enter_open* {} uprobe:libc:malloc {}",
  ]);
  expect(k.stdout).toBe(
    "tracepoint:syscalls:sys_enter_open\ntracepoint:syscalls:sys_enter_openat\nuprobe:/usr/lib/libc.so.6:malloc\n",
  );
});

test("-l keeps a path written without a wildcard, and lists a pattern that matches nothing as written", async () => {
  const r = await probelab([
    "run",
    "-w",
    "testprogs",
    "-l",
    "-e",
    "uprobe:./testprogs/uprobe_test:uprobeFunction2 {} uprobe:nosuch:* {}",
  ]);
  expect(r.stdout).toBe("uprobe:./testprogs/uprobe_test:uprobeFunction2\nuprobe:nosuch:*\n");
});

test("-l with a word that names no file searches, as bpftrace -l 'PATTERN' does", async () => {
  // bpftrace's runtime test "uprobes - list probes with wildcarded file matching multiple
  // files": a relative glob names each match relative to the cwd.
  const r = await probelab(["run", "-w", "testprogs", "-l", "uprobe:./testprogs/uprobe*:uprobeFunction1"]);
  expect(r.status).toBe(0);
  expect(r.stdout).toBe(
    "uprobe:./testprogs/uprobe_loop:uprobeFunction1\nuprobe:./testprogs/uprobe_test:uprobeFunction1\n",
  );
  const all = await probelab(["run", "-l"]);
  expect(all.stdout).toBe((await probelab(["list"])).stdout);
  const two = await probelab(["run", "-l", "a*", "b*"]);
  expect(two.status).toBe(2);
  expect(two.stderr).toContain("-l takes one search pattern or a script");
});

test("-f with an unknown format is bpftrace's error", async () => {
  const r = await probelab(["run", "-f", "jsonx", "-e", "begin { }"]);
  expect(r.status).not.toBe(0);
  expect(r.stderr).toContain('ERROR: Invalid output format "jsonx"');
});

describe("getopt() and named script options after --", () => {
  test("each option takes its default's type; the rest stay positional", async () => {
    const r = await probelab([
      "run",
      "-e",
      'begin { print(($1, getopt("aa", 20), getopt("bb", -1), getopt("cc", true), getopt("dd"), getopt("ee", "hi"), $2)); exit(); }',
      "pos1",
      "--",
      "--aa=0xffffffffffffffff",
      "--bb=-10",
      "--cc=False",
      "pos2",
      "--dd",
    ]);
    expect(r.stdout).toContain("(pos1, 18446744073709551615, -10, false, true, hi, pos2)\n");
  });

  test("a value of the wrong type, an option nobody asks for, and --help", async () => {
    const prog = 'begin { print((getopt("aa", 10, "Description of aa"), getopt("bb"))); }';
    const wrong = await probelab(["run", "-e", prog, "--", "--aa=False"]);
    expect(wrong.status).not.toBe(0);
    expect(wrong.stderr).toContain("ERROR: program command line option --aa invalid integer (value: False)");
    const unexpected = await probelab(["run", "-e", prog, "--", "--cc"]);
    expect(unexpected.stderr).toContain("ERROR: unexpected program command line options: --cc\n");
    expect(unexpected.stderr).toContain("HINT: expected program options: --aa: --bb\n");
    const help = await probelab(["run", "-e", prog, "--", "--help"]);
    expect(help.status).not.toBe(0);
    expect(help.stderr).toContain("HINT: expected program options:\n--aa: Description of aa\n--bb\n");
  });
});

describe("cat() of the simulated machine's files", () => {
  test("/proc/uptime is the simulated time; the path is a printf format", async () => {
    const r = await probelab(["run", "-e", 'i:ms:500 { cat("/proc/%s", "uptime"); exit(); }']);
    expect(r.stdout).toMatch(/^0\.50 2\.00\n/);
  });

  test("a file the machine does not have is bpftrace's error, and tracing goes on", async () => {
    const r = await probelab(["run", "-e", 'i:ms:1 { cat("/does/not/exist"); printf("after\\n"); exit(); }']);
    expect(r.stderr).toContain("ERROR: failed to open file '/does/not/exist' (No such file or directory)\n");
    expect(r.stdout).toContain("after\n");
  });

  test("-f json makes a cat record", async () => {
    const r = await probelab(["run", "-q", "-f", "json", "-e", 'begin { cat("/proc/loadavg"); }']);
    expect(r.stdout).toContain('{"type": "cat", "data": "0.00 0.00 0.00 1/1 4242\\n"}\n');
  });
});

test("BPFTRACE_* environment variables set config options over the script's config block", async () => {
  const prog =
    'config = { max_cat_bytes = 4 } begin { cat("/proc/loadavg"); printf("|%d\\n", config().max_cat_bytes); }';
  expect((await probelab(["run", "-e", prog])).stdout).toContain("0.00|4\n");
  const r = await probelab(["run", "-e", prog], { env: { BPFTRACE_MAX_CAT_BYTES: "1" } });
  expect(r.stdout).toContain("0|1\n");
});
