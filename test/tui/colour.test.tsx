import { afterAll, describe, expect, test } from "vitest";
import { makeTheme, noColorRequested } from "../../src/tui/theme.js";

// Ink's colour support is decided when chalk loads; force it on so that the absence of
// colour under NO_COLOR is the view's doing and not the test runner's missing terminal.
const previous = process.env.FORCE_COLOR;
process.env.FORCE_COLOR = "1";
const { cleanup } = await import("ink-testing-library");
const { threeProbeSession } = await import("./fake-session.js");
const { KEY, renderTop } = await import("./render-top.js");

afterAll(() => {
  cleanup();
  if (previous === undefined) delete process.env.FORCE_COLOR;
  else process.env.FORCE_COLOR = previous;
});

/** SGR colour parameters: 30-39, 40-49, 90-97, 100-107. */
const COLOUR_SGR = /\u001B\[(?:3\d|4\d|9[0-7]|10[0-7])(?:;[\d;]*)?m/;

describe("NO_COLOR", () => {
  test("NO_COLOR counts when set to anything non-empty", () => {
    expect(noColorRequested({ NO_COLOR: "1" })).toBe(true);
    expect(noColorRequested({ NO_COLOR: "" })).toBe(false);
    expect(noColorRequested({})).toBe(false);
    expect(Object.values(makeTheme(true)).every((colour) => colour === undefined)).toBe(true);
  });

  test("with colour the view does use colours", async () => {
    const top = await renderTop(threeProbeSession(), { noColor: false });
    await top.tick(1000);
    expect(top.lastFrame()).toMatch(COLOUR_SGR);
  });

  test("with noColor no frame carries a colour code, whatever is open", async () => {
    const top = await renderTop(threeProbeSession(), { noColor: true });
    await top.tick(1000);
    await top.press(KEY.space);
    await top.press(KEY.enter);
    await top.press("a");
    await top.type("bad");
    await top.press(KEY.enter);
    expect(top.screen()).toContain("ERROR");
    expect(top.frames.length).toBeGreaterThan(3);
    for (const frame of top.frames) expect(frame).not.toMatch(COLOUR_SGR);
  });
});
