import { cleanup } from "ink-testing-library";
import { afterEach, describe, expect, test } from "vitest";
import { helpLines } from "../../src/tui/keymap.js";
import { FakeSession, threeProbeSession } from "./fake-session.js";
import { KEY, renderTop } from "./render-top.js";

afterEach(() => {
  cleanup();
});

/** The table line of probe `id` (the id is right-aligned after the selection gutter). */
function rowOf(screen: string, id: number): string {
  const line = screen.split("\n").find((l) => new RegExp(`^[› ] +${id} `).test(l));
  if (!line) throw new Error(`no row for probe ${id} in:\n${screen}`);
  return line;
}

/** The ids of the table rows, top to bottom. */
function shownIds(screen: string): number[] {
  return screen
    .split("\n")
    .filter((line) => /^[› ] +\d+ /.test(line))
    .map((line) => Number(line.slice(2).trim().split(/\s+/)[0]));
}

/** The HITS cell of probe `id` (the 4th column). */
function hitsOf(screen: string, id: number): string {
  return rowOf(screen, id).slice(2).trim().split(/\s+/)[3];
}

describe("the live view", () => {
  test("shows the header counters and one row per probe", async () => {
    const top = await renderTop(threeProbeSession());
    await top.tick(1000);
    const screen = top.screen();
    expect(screen).toContain("sim 1s");
    expect(screen).toContain("speed 1x (target 1x)");
    expect(screen).toContain("speculative 1.23K ok / 5 mmap_lock");
    expect(screen).toContain("grace periods 7");
    expect(screen).toContain("leases expired 1");
    expect(screen).toContain("breakpoints installed 3 removed 0");
    // At 100 columns the spec is shortened but keeps the function name.
    expect(rowOf(screen, 1)).toMatch(/ur:app:handle_request +attached +20K +20K .* 700ns +5µs +7µs$/);
    expect(rowOf(screen, 2)).toContain("3K");
    expect(rowOf(screen, 3)).toContain("100");
    expect(screen).toContain("ID▲");
  });

  test("ticks the session once per UI tick, with the tick's wall time", async () => {
    const session = threeProbeSession();
    const top = await renderTop(session);
    await top.tick(250);
    await top.tick(500);
    expect(session.calls.filter((c) => c.startsWith("tick"))).toEqual(["tick 250", "tick 500"]);
    expect(top.screen()).toContain("sim 750ms");
  });

  test("↓/j and ↑/k move the selection marker", async () => {
    const top = await renderTop(threeProbeSession());
    expect(rowOf(top.screen(), 1).startsWith("›")).toBe(true);
    await top.press(KEY.down);
    expect(rowOf(top.screen(), 2).startsWith("›")).toBe(true);
    await top.press("j");
    expect(rowOf(top.screen(), 3).startsWith("›")).toBe(true);
    await top.press("k");
    await top.press(KEY.up);
    expect(rowOf(top.screen(), 1).startsWith("›")).toBe(true);
    expect(rowOf(top.screen(), 3).startsWith(" ")).toBe(true);
  });

  test("a one-liner typed after `a` attaches and its row appears", async () => {
    const session = threeProbeSession();
    const top = await renderTop(session);
    await top.press("a");
    expect(top.screen()).toContain("attach>");
    await top.type("uprobe:/usr/bin/app:main { @n = count(); }");
    await top.press(KEY.enter);
    expect(session.calls).toContain("attach uprobe:/usr/bin/app:main { @n = count(); }");
    const screen = top.screen();
    expect(screen).not.toContain("attach>");
    expect(screen).toContain("attached probe 4");
    expect(rowOf(screen, 4)).toContain("uprobe:/usr/bin/app:main");
    expect(rowOf(screen, 4).startsWith("›")).toBe(true);
    await top.tick(1000);
    expect(hitsOf(top.screen(), 4)).toBe("500");
  });

  test("a syntax error shows inline with its ~ underline and the line stays open", async () => {
    const session = threeProbeSession();
    const top = await renderTop(session);
    await top.press("a");
    await top.type("bogus { }");
    await top.press(KEY.enter);
    let screen = top.screen();
    expect(screen).toContain("attach> bogus { }");
    expect(screen).toContain("stdin:1:1-6: ERROR: syntax error, unexpected identifier");
    const lines = screen.split("\n");
    const source = lines.indexOf("bogus { }");
    expect(source).toBeGreaterThan(0);
    expect(lines[source + 1]).toBe("~~~~~");
    // Fix the text in place: the error stays until the next attempt succeeds.
    for (let i = 0; i < "bogus { }".length; i++) await top.press(KEY.backspace);
    await top.type("uprobe:/bin/x:f {}");
    await top.press(KEY.enter);
    screen = top.screen();
    expect(screen).not.toContain("ERROR");
    expect(screen).not.toContain("attach>");
    expect(rowOf(screen, 4)).toContain("uprobe:/bin/x:f");
  });

  test("keys arriving in one burst act one by one: `a`, the text and Enter attach", async () => {
    const session = threeProbeSession();
    const top = await renderTop(session);
    await top.press("auprobe:/bin/burst:f {}\r");
    expect(session.calls).toContain("attach uprobe:/bin/burst:f {}");
    expect(rowOf(top.screen(), 4)).toContain("uprobe:/bin/burst:f");
    await top.press("qq");
    expect(session.calls.filter((c) => c === "close")).toHaveLength(1);
  });

  test("Esc closes the attach line without attaching", async () => {
    const session = threeProbeSession();
    const top = await renderTop(session);
    await top.press("a");
    await top.type("uprobe:/bin/x:f");
    await top.press(KEY.esc);
    expect(top.screen()).not.toContain("attach>");
    expect(session.calls.some((c) => c.startsWith("attach"))).toBe(false);
  });

  test("d d detaches the selected probe: state detached and hits stop moving", async () => {
    const session = threeProbeSession();
    const top = await renderTop(session);
    await top.tick(1000);
    await top.press("j");
    await top.press("d");
    expect(top.screen()).toContain("press d again to detach probe 2");
    expect(session.calls).not.toContain("detach 2");
    top.clock.ms += 400;
    await top.press("d");
    expect(session.calls).toContain("detach 2");
    expect(rowOf(top.screen(), 2)).toContain("detached");
    const frozenHits = hitsOf(top.screen(), 2);
    await top.tick(1000);
    await top.tick(1000);
    expect(hitsOf(top.screen(), 2)).toBe(frozenHits);
    expect(hitsOf(top.screen(), 1)).toBe("60K");
  });

  test("two d presses more than a second apart do not detach", async () => {
    const session = threeProbeSession();
    const top = await renderTop(session);
    await top.press("d");
    top.clock.ms += 1500;
    await top.press("d");
    expect(session.calls.some((c) => c.startsWith("detach"))).toBe(false);
    expect(rowOf(top.screen(), 1)).toContain("attached");
  });

  test("u reattaches a detached probe and its hits move again", async () => {
    const session = threeProbeSession();
    const top = await renderTop(session);
    await top.press("d");
    await top.press("d");
    expect(rowOf(top.screen(), 1)).toContain("detached");
    await top.press("u");
    expect(session.calls).toContain("reattach 1");
    await top.tick(1000);
    expect(rowOf(top.screen(), 1)).toContain("attached");
    expect(hitsOf(top.screen(), 1)).toBe("20K");
  });

  test("Space pauses the display under a PAUSED banner while collection goes on", async () => {
    const session = threeProbeSession();
    const top = await renderTop(session);
    await top.tick(1000);
    await top.press(KEY.space);
    expect(top.screen()).toContain("PAUSED");
    await top.tick(1000);
    await top.tick(1000);
    expect(session.calls.filter((c) => c.startsWith("tick"))).toHaveLength(3);
    expect(top.screen()).toContain("sim 1s ");
    expect(hitsOf(top.screen(), 1)).toBe("20K");
    await top.press(KEY.space);
    expect(top.screen()).not.toContain("PAUSED");
    expect(top.screen()).toContain("sim 3s ");
    expect(hitsOf(top.screen(), 1)).toBe("60K");
  });

  test("s, >, < move the sort marker and r reverses it", async () => {
    const top = await renderTop(threeProbeSession());
    await top.tick(1000);
    const header = () =>
      top
        .screen()
        .split("\n")
        .find((line) => line.includes("PROBE")) ?? "";
    expect(header()).toContain("ID▲");
    await top.press("s");
    expect(header()).toContain("PROBE▲");
    expect(header()).not.toContain("ID▲");
    await top.press(">");
    await top.press(">");
    expect(header()).toContain("HITS▲");
    await top.press("r");
    expect(header()).toContain("HITS▼");
    await top.press("<");
    expect(header()).toContain("STATE▼");
    await top.press(">");
    // HITS descending puts the busiest probe first.
    expect(shownIds(top.screen())).toEqual([1, 2, 3]);
    await top.press("r");
    expect(shownIds(top.screen())).toEqual([3, 2, 1]);
  });

  test("? shows a help overlay listing the keymap, and ? closes it", async () => {
    const top = await renderTop(threeProbeSession(), { rows: 40 });
    await top.press("?");
    const screen = top.screen();
    for (const line of helpLines("list")) expect(screen).toContain(line);
    for (const line of helpLines("input")) expect(screen).toContain(line);
    expect(screen).not.toContain("PROBE");
    await top.press("?");
    expect(top.screen()).toContain("PROBE");
    expect(top.screen()).not.toContain("select the previous probe");
  });

  test("the footer hints come from the keymap", async () => {
    const top = await renderTop(threeProbeSession());
    const footer = top.screen().split("\n").at(-1) ?? "";
    expect(footer).toContain("↑↓/jk move");
    expect(footer.endsWith("? help · q/Ctrl-C quit")).toBe(true);
  });

  test("/ filters on Enter and Esc clears the filter", async () => {
    const top = await renderTop(threeProbeSession());
    await top.press("/");
    await top.type("malloc");
    expect(top.screen()).toContain("filter> malloc");
    expect(top.screen()).toContain("ur:app:handle_request");
    await top.press(KEY.enter);
    expect(top.screen()).toContain("filter: malloc");
    expect(shownIds(top.screen())).toEqual([2]);
    await top.press("/");
    await top.press(KEY.esc);
    expect(shownIds(top.screen())).toEqual([1, 2, 3]);
    expect(top.screen()).not.toContain("filter:");
  });

  test("Enter opens the detail panel with the hist() drawing, maps and events", async () => {
    const top = await renderTop(threeProbeSession(), { rows: 40 });
    await top.tick(1000);
    await top.press(KEY.enter);
    const screen = top.screen();
    expect(screen).toContain("probe 1  uretprobe:/usr/bin/app:handle_request  [attached]");
    expect(screen).toContain(`[512, 1K)             90 |${"@".repeat(52)}|`);
    expect(screen).toContain("@calls[worker]: 30");
    expect(screen).toContain("tick at 1000000000ns");
    await top.press(KEY.enter);
    expect(top.screen()).not.toContain("[512, 1K)");
  });

  test("+ and - double and halve the speed", async () => {
    const session = threeProbeSession();
    const top = await renderTop(session);
    await top.press("+");
    await top.press("+");
    expect(session.calls).toEqual(["speed 2", "speed 4"]);
    expect(top.screen()).toContain("target 4x");
    await top.press("-");
    expect(session.calls.at(-1)).toBe("speed 2");
  });

  test("q closes the session, hands over the final snapshot and clears the live region", async () => {
    const session = threeProbeSession();
    const top = await renderTop(session);
    await top.tick(1000);
    await top.press("q");
    expect(session.closed).toBe(true);
    expect(top.exits).toHaveLength(1);
    expect(top.exits[0].probes.every((p) => p.state === "detached")).toBe(true);
    expect(top.screen().trim()).toBe("");
    await top.tick(1000);
    expect(session.calls.filter((c) => c.startsWith("tick"))).toHaveLength(1);
  });

  test("Ctrl-C quits too, even from the attach line", async () => {
    const session = threeProbeSession();
    const top = await renderTop(session);
    await top.press("a");
    await top.press(KEY.ctrlC);
    expect(session.closed).toBe(true);
  });

  test("a probe in error shows its state in the row and its error when selected", async () => {
    const session = new FakeSession([
      { spec: "uprobe:/bin/app:ok", ratePerSec: 10 },
      {
        spec: "uprobe:/bin/app:gone",
        ratePerSec: 0,
        state: "error",
        error: "symbol gone not found in /bin/app",
      },
    ]);
    const top = await renderTop(session);
    expect(rowOf(top.screen(), 2)).toContain("error");
    expect(top.screen()).not.toContain("symbol gone not found");
    await top.press("j");
    expect(top.screen()).toContain("probe 2: symbol gone not found in /bin/app");
  });

  test("a failing tick stops the clock and shows why; q still quits", async () => {
    const session = threeProbeSession();
    const top = await renderTop(session);
    await top.tick(1000);
    session.tick = () => {
      throw new Error("invariant broken: consumer called after unregister");
    };
    await top.tick(1000);
    expect(top.screen()).toContain("simulation stopped: invariant broken: consumer called after unregister");
    expect(top.screen()).toContain("sim 1s");
    expect(top.ticker.running).toBe(false);
    await top.press("q");
    expect(session.closed).toBe(true);
  });

  test("a failure is a banner on the first line, even over a leftover status message", async () => {
    const session = threeProbeSession();
    const top = await renderTop(session);
    await top.tick(1000);
    await top.press("d");
    await top.press("d");
    expect(top.screen()).toContain("detached probe 1");
    session.tick = () => {
      throw new Error("use-after-free: put_uprobe touched freed uprobe");
    };
    await top.tick(1000);
    const first = top.screen().split("\n")[0];
    expect(first).toContain("simulation stopped: use-after-free: put_uprobe touched freed uprobe");
    expect(first).toContain("q quits (exit status 1)");
  });

  test("a session call that throws is shown, and the view stays up", async () => {
    const session = threeProbeSession();
    session.attach = () => {
      throw new Error("front end crashed");
    };
    const top = await renderTop(session);
    await top.press("a");
    await top.type("uprobe:/bin/x:f {}");
    await top.press(KEY.enter);
    expect(top.screen()).toContain("front end crashed");
    expect(top.screen()).toContain("attach>");
  });

  test("a finished process is reported in the status line", async () => {
    const top = await renderTop(threeProbeSession(1e9));
    await top.tick(1000);
    expect(top.screen()).toContain("the simulated process has finished");
  });
});

describe("terminal size", () => {
  test("below 60x12 it says the terminal is too small, and recovers on resize", async () => {
    const top = await renderTop(threeProbeSession());
    await top.resize(50, 20);
    expect(top.screen()).toBe("terminal too small (need 60x12)");
    await top.resize(80, 11);
    expect(top.screen()).toBe("terminal too small (need 60x12)");
    await top.resize(80, 24);
    expect(top.screen()).toContain("PROBE");
  });

  test("resizing reflows: narrow drops the sparkline column, lines never exceed the width", async () => {
    const top = await renderTop(threeProbeSession(), { columns: 120 });
    await top.tick(1000);
    expect(top.screen()).toContain("TREND");
    await top.resize(60, 20);
    const screen = top.screen();
    expect(screen).not.toContain("TREND");
    expect(screen).toContain("PROBE");
    expect(screen.split("\n").every((line) => line.length <= 60)).toBe(true);
  });

  test("the live region stays shorter than the terminal with many probes and the detail open", async () => {
    const specs = Array.from({ length: 40 }, (_, i) => ({ spec: `uprobe:/bin/app:f${i}`, ratePerSec: i }));
    const top = await renderTop(new FakeSession(specs), { columns: 100, rows: 20 });
    await top.tick(1000);
    expect(top.screen().split("\n").length).toBeLessThan(20);
    await top.press(KEY.enter);
    expect(top.screen().split("\n").length).toBeLessThan(20);
    for (let i = 0; i < 30; i++) await top.press("j");
    expect(rowOf(top.screen(), 31).startsWith("›")).toBe(true);
    expect(top.screen().split("\n").length).toBeLessThan(20);
  });
});
