/**
 * Blocks attached to one point run in the order they are written, whatever the probe type.
 * The kernel runs some handlers at a shared point newest first (uprobe consumers, kprobes)
 * and some oldest first (kretprobe returns, tracepoints); bpftrace attaches each kind in
 * the order that makes the two agree, and so must the session.
 */
import { describe, expect, it } from "vitest";
import { probelab } from "./harness.js";

/** Two blocks on `point`: the first prints `first `, the second `second` and exits. */
function twoBlocks(point: string): string {
  return `${point} { printf("first "); } ${point} { printf("second\\n"); exit(); }`;
}

const cases: [string, string, string][] = [
  ["uprobe", "testprogs", "uprobe:./testprogs/uprobe_test:uprobeFunction1"],
  ["uretprobe", "testprogs", "uretprobe:./testprogs/uprobe_test:uprobeFunction1"],
  ["usdt", "usdt", "usdt:./testprogs/usdt_test:tracetest:testprobe"],
  ["kprobe", "bash", "kprobe:vfs_read"],
  ["kretprobe", "bash", "kretprobe:vfs_read"],
  ["fentry", "bash", "fentry:vfs_read"],
  ["fexit", "bash", "fexit:vfs_read"],
  ["tracepoint", "bash", "tracepoint:sched:sched_process_fork"],
];

describe("blocks on one point run in script order", () => {
  for (const [kind, workload, point] of cases)
    it(kind, async () => {
      const r = await probelab(["run", "-w", workload, "-e", twoBlocks(point)]);
      expect(r.status).toBe(0);
      expect(r.stdout.trimEnd()).toBe("first second");
    });

  it("three kprobes and three kretprobes on one function, each kind in order", async () => {
    const script = [0, 1, 2]
      .flatMap((i) => [`kprobe:vfs_read { printf("k${i} "); }`, `kretprobe:vfs_read { printf("r${i} "); }`])
      .join(" ");
    const r = await probelab(["run", "-w", "bash", "-e", `${script} kretprobe:vfs_read { exit(); }`]);
    expect(r.stdout.split("\n")[0]).toBe("k0 k1 k2 r0 r1 r2 ");
  });
});
