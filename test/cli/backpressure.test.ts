/**
 * Output backpressure through the real binary: with a reader that stops reading, `run` pauses
 * its simulation instead of queueing a flood of output in memory, and finishes once read.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : 0;
}

describe("a slow reader on stdout", () => {
  it("pauses the simulation: memory stays bounded, and every byte still arrives", async () => {
    // About 200 MB of output: 1000-character lines at the ring's 65,536 events per 10 ms slice.
    const script = 'uprobe:*:uprobe_target_nop { printf("%1000d\\n", cpu); }';
    const child = spawn(
      process.execPath,
      ["bin/probelab.js", "run", "-q", "-w", "trigger", "-e", script, "--duration", "30ms"],
      { cwd: ROOT, stdio: ["ignore", "pipe", "ignore"] },
    );
    try {
      child.stdout.pause();
      let peak = 0;
      for (let i = 0; i < 16; i++) {
        await new Promise((r) => setTimeout(r, 500));
        peak = Math.max(peak, rssMb(child.pid!));
      }
      // Unread, the whole run would sit in the pipe's queue (about 750 MB of memory).
      expect(peak).toBeLessThan(300);
      let bytes = 0;
      child.stdout.on("data", (d: Buffer) => {
        bytes += d.length;
      });
      const code = await new Promise<number | null>((resolve) => {
        child.on("close", resolve);
        child.stdout.resume();
      });
      expect(code).toBe(0);
      // Whole 1001-byte lines, then the two newlines bpftrace ends a run with.
      expect((bytes - 2) % 1001).toBe(0);
      expect((bytes - 2) / 1001).toBeGreaterThan(3 * 65_536 - 1);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 120_000);
});
