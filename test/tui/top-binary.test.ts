import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { startInTmux, type TmuxTerminal } from "./pty.js";

const ROOT = join(import.meta.dirname, "..", "..");
let terminal: TmuxTerminal | undefined;

afterAll(() => terminal?.kill());

/** HITS of the probe row whose spec contains `spec` (the screen shows 1.23K-style counts). */
function hits(screen: string, spec: string): number {
  const row = screen.split("\n").find((line) => line.includes(spec));
  const cell = row?.trim().split(/\s+/)[4] ?? "0";
  const m = /^([\d.]+)([KMG]?)$/.exec(cell);
  if (m === null) return Number.NaN;
  return Number(m[1]) * { "": 1, K: 1e3, M: 1e6, G: 1e9 }[m[2] as ""];
}

describe("the real probelab top binary in a terminal (tmux)", () => {
  test("hits grow, d d detaches the selected probe and its hits stop, q restores the terminal", async () => {
    // `npm install` builds dist/ (prepare), so the binary is the one a user runs.
    expect(existsSync(join(ROOT, "dist/cli/main.js"))).toBe(true);
    terminal = startInTmux("node bin/probelab.js top --cpus 2 --interval 200ms", {
      columns: 130,
      rows: 30,
      cwd: ROOT,
    });
    const term = terminal;
    const spec = "uprobe:/usr/bin/shopd:handle_request";
    let screen = await term.waitFor((s) => hits(s, spec) > 0, { timeoutMs: 60_000 });
    const first = hits(screen, spec);
    screen = await term.waitFor((s) => hits(s, spec) > first, { timeoutMs: 30_000 });
    expect(screen).toMatch(/speculative [\d.]+K? ok/);

    // Probe 1 is selected first; a double d detaches it.
    term.sendKeys("d");
    term.sendKeys("d");
    screen = await term.waitFor(
      (s) => (s.split("\n").find((l) => l.includes(spec)) ?? "").includes("detached"),
      {
        timeoutMs: 30_000,
      },
    );
    const atDetach = hits(screen, spec);
    // Other probes keep moving while the detached one stays put.
    const other = "uprobe:/usr/lib/libc.so.6:malloc"; // the live view names a probe by its resolved file
    const otherBefore = hits(screen, other);
    screen = await term.waitFor((s) => hits(s, other) > otherBefore, { timeoutMs: 30_000 });
    expect(hits(screen, spec)).toBe(atDetach);

    term.sendKeys("q");
    expect(await term.waitForExit({ timeoutMs: 30_000 })).toBe(0);
    screen = term.capture();
    expect(screen).toContain("probelab top:");
    expect(term.ttyModes()).toMatch(/(^|\s)icanon(\s|$)/);
    expect(term.ttyModes()).toMatch(/(^|\s)echo(\s|$)/);
  }, 180_000);
});
