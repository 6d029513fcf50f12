/**
 * Hostile and careless input through the CLI: endless or huge files, deep nesting, floods of
 * errors and names special to JavaScript objects end in one clear message, quickly.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, openSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { noStackTrace, probelab } from "./harness.js";

const ROOT = join(import.meta.dirname, "..", "..");

describe("input sizes are capped, and endless input fails fast", () => {
  it("/dev/zero as the script file", async () => {
    const r = await probelab(["run", "/dev/zero"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      "ERROR: script file '/dev/zero' is larger than 4 MiB; probelab refuses scripts that big\n",
    );
  });

  it("/dev/zero as the workload file", async () => {
    const r = await probelab([
      "run",
      "-w",
      "/dev/zero",
      "-e",
      "uprobe:/usr/bin/app:work_fn { @ = count(); }",
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      'ERROR: workload file "/dev/zero" is larger than 8 MiB; probelab refuses workloads that big\n',
    );
  });

  it("/dev/zero on stdin, through the real binary", async () => {
    const child = spawn(process.execPath, ["bin/probelab.js", "run", "-"], {
      cwd: ROOT,
      stdio: [openSync("/dev/zero", "r"), "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (d) => {
      stderr += d;
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code).toBe(1);
    expect(stderr).toBe(
      "ERROR: the script on stdin is larger than 4 MiB; probelab refuses scripts that big\n",
    );
    expect(noStackTrace(stderr)).toBe(true);
  }, 30_000);
});

describe("the deepest scripts the limits allow compile and run", () => {
  it("98 parentheses around 1,000 operators, and 200 chained macros", async () => {
    const chain = Array.from({ length: 1000 }, () => "1").join("+");
    const parens = await probelab([
      "run",
      "-e",
      `begin { printf("%d\\n", ${"(".repeat(98)}${chain}${")".repeat(98)}); }`,
    ]);
    expect(parens.stdout).toBe("1000\n\n\n");
    const defs = ["macro m0(x) { x + 1 }"];
    for (let i = 1; i < 200; i++) defs.push(`macro m${i}(x) { m${i - 1}(x) + 1 }`);
    const macros = await probelab(["run", "-e", `${defs.join("\n")}\nbegin { printf("%d\\n", m199(1)); }`]);
    expect(macros.stdout).toBe("201\n\n\n");
    expect(noStackTrace(parens.all + macros.all)).toBe(true);
  });
});

/** A one-thread workload file calling work_fn `calls` times with `arg` as arg0. */
function workloadFile(top: string, calls: number, arg: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "probelab-hostile-")), "w.yaml");
  const threads = `    - body:\n        - loop: ${calls}\n          body:\n            - { call: work_fn, args: [${arg}], time: 1us }\n`;
  const binaries = "binaries:\n  /usr/bin/app:\n    functions: [main, work_fn]\n";
  writeFileSync(file, `${top}${binaries}process:\n  exe: /usr/bin/app\n  threads:\n${threads}`);
  return file;
}

describe("names special to JavaScript objects are plain names", () => {
  it("--kernel constructor / toString is an unknown profile, in run and in bench", async () => {
    for (const args of [
      ["run", "--kernel", "constructor", "-e", "begin { }"],
      ["run", "--kernel", "__proto__", "-e", "begin { }"],
      ["bench", "scaling", "--kernel", "toString", "--cpus", "1"],
    ]) {
      const r = await probelab(args);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(
        /^ERROR: unknown kernel profile "(constructor|__proto__|toString)" \(known: baseline,/,
      );
    }
  });

  it("--set __proto__=5 sets a parameter of that name, or is an unknown one", async () => {
    const file = workloadFile("params: { __proto__: 1 }\n", 3, `"\${__proto__}"`);
    const script = "uprobe:/usr/bin/app:work_fn { @[arg0] = count(); }";
    const set = await probelab(["run", "-q", "-w", file, "--set", "__proto__=5", "-e", script]);
    expect(set.stdout).toBe("\n\n@[5]: 3\n");
    const unknown = await probelab(["run", "-q", "--set", "__proto__=5", "-e", script]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('--set __proto__: unknown parameter "__proto__"');
  });
});

describe("workload values past 2^53 are never silently rounded", () => {
  it("a seq that would pass 2^53 starts again at its first value", async () => {
    const file = workloadFile("", 4, "{ seq: 4503599627370495, step: 4503599627370496 }");
    const r = await probelab([
      "run",
      "-q",
      "-w",
      file,
      "-e",
      "uprobe:/usr/bin/app:work_fn { @[arg0] = count(); }",
    ]);
    expect(r.stdout).toBe("\n\n@[4503599627370495]: 2\n@[9007199254740991]: 2\n");
  });
});
