/** The PNG rasteriser behind `--plot FILE.png`: fonts, determinism, and a platform it cannot load on. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { UserError } from "../../src/cli/common.js";
import { loadSvgToPng, PNG_ZOOM } from "../../src/cli/svg-to-png.js";

const svg = (body: string) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40" font-family="sans-serif" font-size="12"><rect width="100%" height="100%" fill="white"/>${body}</svg>`;

describe("svg to png", () => {
  it("renders the same SVG to the same bytes, at PNG_ZOOM times its size", async () => {
    const toPng = await loadSvgToPng();
    const chart = svg('<text x="10" y="25">total M hits/s</text>');
    const png = toPng(chart);
    expect(toPng(chart).equals(png)).toBe(true);
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([200 * PNG_ZOOM, 40 * PNG_ZOOM]);
  });

  it("draws sans-serif text with a system font: the text changes the image", async () => {
    const toPng = await loadSvgToPng();
    expect(toPng(svg('<text x="10" y="25">CPUs</text>')).equals(toPng(svg("")))).toBe(false);
  });

  it("loads resvg on demand only: no static import of it, so other commands start as fast as before", () => {
    const source = readFileSync(new URL("../../src/cli/svg-to-png.ts", import.meta.url), "utf8");
    expect(source).not.toMatch(/^import (?!type )[^;]*from "@resvg\/resvg-js"/m);
    expect(source).toContain('import("@resvg/resvg-js")');
  });

  it("a renderer that cannot load is one line that says to write .svg instead", async () => {
    const missing = () =>
      Promise.reject(
        new Error("Cannot find module '@resvg/resvg-js-linux-x64-gnu'\nRequire stack:\n- /x/index.js"),
      );
    const err = await loadSvgToPng(missing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    const { message, code } = err as UserError;
    expect(code).toBe(1);
    expect(message).toBe(
      `--plot: PNG output needs @resvg/resvg-js, which could not load on this platform (${process.platform}-${process.arch}: Cannot find module '@resvg/resvg-js-linux-x64-gnu'); write .svg instead`,
    );
  });
});
