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
