/**
 * Hostile and careless input through the CLI: endless or huge files, deep nesting, floods of
 * errors and names special to JavaScript objects end in one clear message, quickly.
 */
import { spawn } from "node:child_process";
import { openSync } from "node:fs";
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
  it("98 parentheses around 1,000 operators, and 400 chained macros", async () => {
    const chain = Array.from({ length: 1000 }, () => "1").join("+");
    const parens = await probelab([
      "run",
      "-e",
      `begin { printf("%d\\n", ${"(".repeat(98)}${chain}${")".repeat(98)}); }`,
    ]);
    expect(parens.stdout).toBe("1000\n\n\n");
    const defs = ["macro m0(x) { x + 1 }"];
    for (let i = 1; i < 400; i++) defs.push(`macro m${i}(x) { m${i - 1}(x) + 1 }`);
    const macros = await probelab(["run", "-e", `${defs.join("\n")}\nbegin { printf("%d\\n", m399(1)); }`]);
    expect(macros.stdout).toBe("401\n\n\n");
    expect(noStackTrace(parens.all + macros.all)).toBe(true);
  });
});
