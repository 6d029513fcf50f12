import { afterEach, describe, expect, test } from "vitest";
import { shellQuote, startInTmux, type TmuxTerminal, tmuxAvailable } from "./pty.js";

/** A raw-mode program that reports its size and every key, and exits 3 on `q`. */
const ECHO_KEYS = `
const out = (text) => process.stdout.write(text + "\\r\\n");
const size = () => out("size " + process.stdout.columns + "x" + process.stdout.rows);
process.stdin.setRawMode(true);
size();
process.stdout.on("resize", size);
process.stdin.on("data", (data) => {
  const key = data.toString();
  if (key === "q") { process.stdin.setRawMode(false); process.exit(3); }
  out("key " + JSON.stringify(key));
});
`;

let terminal: TmuxTerminal | undefined;

afterEach(() => {
  terminal?.kill();
  terminal = undefined;
});

describe("the tmux pseudo-terminal helper", () => {
  test("tmux is installed", () => {
    expect(tmuxAvailable()).toBe(true);
  });

  test("shellQuote keeps arguments whole", () => {
    expect(shellQuote("plain-arg.js")).toBe("plain-arg.js");
    expect(shellQuote("it's { @x = 1; }")).toBe(`'it'\\''s { @x = 1; }'`);
  });

  test("runs a program at the requested size, sends keys and text, resizes, reports the exit status", async () => {
    terminal = startInTmux(`node -e ${shellQuote(ECHO_KEYS)}`, { columns: 120, rows: 40 });
    await terminal.waitFor("size 120x40");
    terminal.sendKeys("a");
    await terminal.waitFor('key "a"');
    terminal.sendKeys("Up");
    await terminal.waitFor('key "\\u001b[A"');
    terminal.sendKeys("C-c");
    await terminal.waitFor('key "\\u0003"');
    terminal.type("xy");
    await terminal.waitFor(/key "x"\s+key "y"|key "xy"/);
    terminal.resize(100, 30);
    await terminal.waitFor("size 100x30");
    expect(terminal.exitStatus()).toBeUndefined();
    terminal.sendKeys("q");
    expect(await terminal.waitForExit()).toBe(3);
    expect(terminal.capture()).toContain("size 100x30");
  });

  test("passes environment variables to the program", async () => {
    terminal = startInTmux(`node -e ${shellQuote("console.log('colour=' + process.env.NO_COLOR)")}`, {
      env: { NO_COLOR: "1" },
    });
    expect(await terminal.waitForExit()).toBe(0);
    expect(terminal.capture()).toContain("colour=1");
  });

  test("waitFor gives up with the last screen in the error", async () => {
    terminal = startInTmux(`node -e ${shellQuote("console.log('hello'); setTimeout(() => {}, 5000)")}`);
    await terminal.waitFor("hello");
    await expect(terminal.waitFor("never shown", { timeoutMs: 200 })).rejects.toThrow(/hello/);
  });
});
