/**
 * `probelab run` with a script that starts as bpftrace's tools do: a conditional #include of a
 * shipped header, an #include "..." found through -I, --include, and macros in probe bodies.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { noStackTrace, probelab } from "./harness.js";

const dir = mkdtempSync(join(tmpdir(), "probelab-cpp-"));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("probelab run with the C preprocessor", () => {
  const script = write(
    "preempt.bt",
    [
      "#ifndef BPFTRACE_HAVE_BTF",
      "#include <linux/sched.h>",
      "#else",
      "#define TASK_RUNNING 0",
      "#endif",
      '#include "pair.h"',
      "#define BELOW(v, n) ((v) < (n))",
      "tracepoint:sched:sched_switch /args.prev_state == TASK_RUNNING/ { @preempted = count(); }",
      'END { printf("%d %d %d\\n", KEYS, sizeof(struct pair), BELOW(1, 2)); clear(@preempted); }',
    ].join("\n"),
  );
  write("pair.h", "#define KEYS 3\nstruct pair { int a; int b; };\n");

  it("runs a script with #include and #define on a workload", async () => {
    const r = await probelab(["run", script, "-w", "kvstore", "--duration", "20ms", "-q"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("3 8 1\n");
  });

  it("finds <...> headers in -I directories and takes --include before the script", async () => {
    const inc = mkdtempSync(join(dir, "inc-"));
    writeFileSync(join(inc, "limits.h"), "#define LIMIT 42\n");
    const r = await probelab([
      "run",
      "-q",
      "-I",
      inc,
      "--include",
      "limits.h",
      "-e",
      'BEGIN { printf("%d %d\\n", LIMIT, AF_INET); exit(); }',
      "--include",
      "linux/socket.h",
    ]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("42 2\n");
  });

  it("an unknown header is a located error naming the shipped ones, with no stack trace", async () => {
    const bad = write("bad.bt", "BEGIN { }\n#include <stdio.h>\n");
    const r = await probelab(["run", bad]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(
      `${bad}:2:1-19: ERROR: header <stdio.h> is not shipped with probelab; shipped:`,
    );
    expect(noStackTrace(r.all)).toBe(true);
  });

  it("an error after a macro points at the script's own column", async () => {
    const bad = write("col.bt", "#define LONG_NAME_HERE 1\nBEGIN { @x = LONG_NAME_HERE + $nope; }\n");
    const r = await probelab(["run", bad]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`${bad}:2:31-36: ERROR:`);
  });
});
