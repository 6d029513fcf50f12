/**
 * The real binary (`node bin/probelab.js`, built into dist/ by `npm install`) at the edges a
 * terminal user meets: Ctrl-C and SIGTERM end a run as they end bpftrace, and a closed pipe
 * (`| head -1`) ends any command quietly.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { noStackTrace } from "./harness.js";

const ROOT = join(import.meta.dirname, "..", "..");

interface Exited {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const children: ChildProcess[] = [];
// A failed expectation must not leave a simulation running on the machine.
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

function start(args: string[]): { child: ChildProcess; exited: Promise<Exited> } {
  const child = spawn(process.execPath, ["bin/probelab.js", ...args], { cwd: ROOT });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => {
    stdout += d;
  });
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise<Exited>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, exited };
}

/** Resolves once `stream` has produced text matching `re`. */
function output(stream: NodeJS.ReadableStream | null, re: RegExp): Promise<void> {
  return new Promise((resolve) => {
    let seen = "";
    stream?.on("data", (d) => {
      seen += d;
      if (re.test(seen)) resolve();
    });
  });
}

const COUNT_AND_END = 'uprobe:libc:malloc { @calls = count(); } end { printf("end ran\\n"); }';

describe("a signal ends a run as it ends bpftrace: end blocks, maps, exit 0", () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(signal, async () => {
      const { child, exited } = start(["run", "-e", COUNT_AND_END, "--duration", "600s"]);
      await output(child.stderr, /Attached \d+ probes/);
      // Let the simulation get going, so there is something to print.
      await new Promise((r) => setTimeout(r, 300));
      child.kill(signal);
      const r = await exited;
      expect(r.signal).toBeNull();
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^end ran\n\n\n@calls: [1-9]\d*\n$/);
      expect(noStackTrace(r.stderr)).toBe(true);
    }, 60_000);
  }
});

describe("a signal ends a race exploration with a partial summary", () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(signal, async () => {
      const { child, exited } = start(["race", "r7-dying-vs-register", "--seeds", "100000"]);
      await output(child.stdout, /exploring seeds 1-100000/);
      await new Promise((r) => setTimeout(r, 6000));
      child.kill(signal);
      const r = await exited;
      expect(r.signal).toBeNull();
      expect(r.code).toBe(0);
      // How many runs a loaded machine explores in 6 s varies; that they are counted does not.
      const runs = /interrupted: (\d+) of 200000 runs explored\n/.exec(r.stdout);
      expect(runs).not.toBeNull();
      expect(r.stdout).toContain(`no violation in ${runs?.[1]} run`);
      expect(noStackTrace(r.stderr)).toBe(true);
    }, 60_000);
  }
});

describe("a closed pipe is quiet", () => {
  const commands: [string, string[]][] = [
    ["run", ["run", "programs/trace-requests.bt", "--duration", "600s"]],
    ["top", ["top", "--duration", "1s", "--interval", "10ms"]],
    ["race", ["race", "r9-handler-after-unregister", "--fault"]],
    ["list", ["list"]],
  ];
  for (const [name, args] of commands) {
    it(`${name}: stops when the reader goes, no EPIPE stack trace`, async () => {
      const { child, exited } = start(args);
      // The reader is gone before the first line is written.
      child.stdout?.destroy();
      const r = await exited;
      expect(r.code).toBe(0);
      expect(r.stderr).not.toContain("EPIPE");
      expect(noStackTrace(r.stderr)).toBe(true);
    }, 60_000);
  }
});

describe("top without a terminal, on every bundled workload", () => {
  for (const w of ["default", "kvstore", "trigger", "testprogs"]) {
    it(`${w}: default probes from the workload, stops at --duration, prints the maps on quit`, async () => {
      const { exited } = start(["top", "-w", w, "--duration", "5ms", "--speed", "0.1", "--interval", "20ms"]);
      const r = await exited;
      expect(r.code).toBe(0);
      expect(r.stderr).toBe("");
      expect(r.stdout).toContain("probelab top: 5ms simulated");
      // The maps the default script fills by then: testprogs calls its function once per 100 ms,
      // maybe before its uprobe is in (blocks attach last first, as bpftrace's do).
      expect(r.stdout).toMatch(/\n\n@(calls\[[\w-]+\]|ret): \d+\n/);
    }, 60_000);
  }

  it("--interval 0 and an absurd --speed are usage errors", async () => {
    const interval = await start(["top", "--interval", "0"]).exited;
    expect(interval.code).toBe(2);
    expect(interval.stderr).toBe('ERROR: --interval: must be more than zero, got "0"\n');
    const speed = await start(["top", "--speed", "1000"]).exited;
    expect(speed.code).toBe(2);
    expect(speed.stderr).toMatch(/^ERROR: --speed must be more than 0 and at most 10 .*"1000"\n$/);
  });
});

describe("before the first build", () => {
  it("says to run npm ci instead of printing a module-not-found stack", () => {
    // A copy of bin/ with no dist/ beside it is what a clone looks like before `npm ci`.
    const clone = mkdtempSync(join(tmpdir(), "probelab-unbuilt-"));
    mkdirSync(join(clone, "bin"));
    copyFileSync(join(ROOT, "bin", "probelab.js"), join(clone, "bin", "probelab.js"));
    writeFileSync(join(clone, "package.json"), '{ "type": "module" }\n');
    const r = spawnSync(process.execPath, [join(clone, "bin", "probelab.js"), "list"], { encoding: "utf8" });
    rmSync(clone, { recursive: true });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      "ERROR: probelab is not built yet: run `npm ci` (or `npm run build`) in its folder first\n",
    );
  });
});
