/** reg("name"): the registers a simulated thread has, by their pt_regs names. */
import { describe, expect, it } from "vitest";
import { probelab } from "./harness.js";

const run = (body: string) =>
  probelab(["run", "-w", "testprogs", "-e", `uprobe:./testprogs/uprobe_test:uprobeFunction1 { ${body} }`]);

describe("reg()", () => {
  it("reads ip as the probed address and the argument registers as arg0..arg5", async () => {
    const r = await run('printf("%s %d %d\\n", usym(reg("ip")), reg("si"), reg("si") == arg1); exit();');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("uprobeFunction1 120 1\n");
  });

  it("names the registers it has when asked for another", async () => {
    const r = await run('print(reg("bx"));');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      "ERROR: 'bx' is not a register probelab models (it has ip, sp, di, si, dx, cx, r8, r9, ax)",
    );
  });
});

/** x86-64's struct pt_regs, written out as a script would (the model ships none). */
const PT_REGS = `struct pt_regs { ${"r15 r14 r13 r12 bp bx r11 r10 r9 r8 ax cx dx si di orig_ax ip cs flags sp ss"
  .split(" ")
  .map((r) => `unsigned long ${r};`)
  .join(" ")} }`;

describe("ctx", () => {
  it("in a uprobe is a pt_regs whose registers are the ones reg() reads", async () => {
    const r = await probelab([
      "run",
      "-w",
      "testprogs",
      "-e",
      `${PT_REGS} uprobe:./testprogs/uprobe_test:uprobeFunction1 { $r = (struct pt_regs *)ctx; ` +
        'printf("%d %d %d %d %d\\n", $r->di == reg("di"), $r->si == arg1, $r->ip == reg("ip"), $r->sp == reg("sp"), $r->bx); exit(); }',
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("1 1 1 1 0\n");
  });

  it("in a sampling probe reads as bpf_perf_event_data; in a tracepoint it is refused as bpftrace refuses it", async () => {
    const sample = await probelab([
      "run",
      "-e",
      'struct x { unsigned long x; } i:ms:1 { printf("SUCCESS %lu\\n", ((struct x *)ctx).x); exit(); }',
    ]);
    expect(sample.stdout).toContain("SUCCESS 0\n");
    const tp = await probelab(["run", "-w", "bash", "-e", "tracepoint:sched:sched_switch { print(ctx); }"]);
    expect(tp.status).toBe(1);
    expect(tp.stderr).toContain("ERROR: Use args instead of ctx in tracepoint");
    const fentry = await probelab(["run", "-w", "bash", "-e", "fentry:vfs_read { print(ctx); }"]);
    expect(fentry.stderr).toContain("ERROR: The ctx builtin can not be used with 'fentry' probes");
  });
});
