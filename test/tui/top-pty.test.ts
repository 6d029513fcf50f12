import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { shellQuote, startInTmux, type TmuxTerminal } from "./pty.js";
import { type TranspiledTree, transpileTree } from "./transpile.js";

const ROOT = join(import.meta.dirname, "..", "..");
const DRIVER = "test/tui/pty-top-driver.ts";

let tree: TranspiledTree;
let terminal: TmuxTerminal | undefined;

beforeAll(() => {
  const tui = readdirSync(join(ROOT, "src/tui")).map((file) => `src/tui/${file}`);
  tree = transpileTree(
    ROOT,
    // The view imports the snapshot types of the trace layer and the runtime's histogram (drawing, percentiles).
    [
      ...tui,
      "src/trace/snapshot.ts",
      "src/runtime/histogram.ts",
      "src/runtime/int64.ts",
      "test/tui/fake-session.ts",
      DRIVER,
    ],
    "probelab-top-pty",
  );
});

afterAll(() => {
  terminal?.kill();
  tree.remove();
});

/** The HITS cell of probe 1's row. */
function hitsOfFirstProbe(screen: string): string | undefined {
  const row = screen.split("\n").find((line) => /^[› ] +1 /.test(line));
  return row?.slice(2).trim().split(/\s+/)[3];
}

describe("probelab top in a real terminal (tmux)", () => {
  test("draws, ticks, takes keys, reflows, and quits restoring the terminal", async () => {
    terminal = startInTmux(`node ${shellQuote(tree.outputOf(DRIVER))}`, {
      columns: 120,
      rows: 40,
      cwd: ROOT,
    });
    const term = terminal;
    let screen = await term.waitFor("PROBE");
    expect(screen).toContain("speculative 1.23K ok / 5 mmap_lock");
    expect(screen.split("\n").length).toBeLessThan(40);

    // The UI clock runs by itself: hits of probe 1 move.
    await term.waitFor((s) => (hitsOfFirstProbe(s) ?? "0") !== "0");

    term.sendKeys("a");
    await term.waitFor("attach>");
    term.type("uprobe:/bin/x:f {}");
    term.sendKeys("Enter");
    screen = await term.waitFor("attached probe 4");
    expect(screen).toContain("uprobe:/bin/x:f");

    term.sendKeys("a");
    term.type("bogus");
    term.sendKeys("Enter");
    screen = await term.waitFor("ERROR: syntax error");
    expect(screen.split("\n")).toContain("~~~~~");
    term.sendKeys("Escape");
    await term.waitFor((s) => !s.includes("attach>"));

    term.sendKeys("?");
    await term.waitFor("select the previous probe");
    term.sendKeys("?");
    await term.waitFor((s) => !s.includes("select the previous probe"));

    term.resize(50, 10);
    await term.waitFor("terminal too small (need 60x12)");
    term.resize(120, 40);
    await term.waitFor((s) => s.includes("TREND") && !s.includes("terminal too small"));

    term.sendKeys("q");
    expect(await term.waitForExit()).toBe(0);
    screen = term.capture();
    expect(screen).toMatch(/probelab top: \S+ simulated, \S+ hits, 0 events lost/);
    // The live view was on the alternate screen: only the summary is left on the user's screen.
    expect(screen).not.toContain("speculative");
    expect(screen).toMatch(/^ +4 uprobe:\/bin\/x:f +detached/m);
    // Raw mode is off again: the terminal is back in canonical mode with echo.
    const modes = term.ttyModes().split(/\s+/);
    expect(modes).toContain("icanon");
    expect(modes).toContain("echo");
  });

  test("with a pipe for stdout it prints plain tables and exits by itself", () => {
    const output = execFileSync("node", [tree.outputOf(DRIVER)], { cwd: ROOT, encoding: "utf8", input: "" });
    expect(output).not.toContain("\u001B");
    expect(output.match(/^ *ID▲ PROBE/gm)).toHaveLength(4);
    expect(output).toContain("probelab top: 300ms simulated");
  });
});
