/**
 * `--plot FILE.png`: the SVG chart rasterised by resvg (@resvg/resvg-js), a maintained SVG
 * renderer shipped as prebuilt native binaries, so no headless browser is needed. This module is
 * the only one that loads it, and only when a PNG is asked for: commands that draw nothing do not
 * pay for loading a native addon at start-up.
 */
import { fail } from "./common.js";

/** Device pixels per SVG pixel: the 1060-pixel-wide chart becomes 2120 pixels, sharp on a laptop screen. */
export const PNG_ZOOM = 2;

/**
 * The charts ask for `sans-serif`; resvg maps that to Arial unless told otherwise, which Linux
 * machines rarely have. DejaVu Sans is the usual Linux sans-serif; where it is missing, resvg
 * falls back to any system font that has the glyph.
 */
const SANS_SERIF = "DejaVu Sans";

export type SvgToPng = (svg: string) => Buffer;

type ResvgModule = typeof import("@resvg/resvg-js");

/**
 * Loads the renderer, or fails with one line naming why (a platform without a prebuilt binary,
 * or an install that skipped optional dependencies). `load` is replaceable for tests.
 */
export async function loadSvgToPng(
  load: () => Promise<ResvgModule> = () => import("@resvg/resvg-js"),
): Promise<SvgToPng> {
  let resvg: ResvgModule;
  try {
    resvg = await load();
  } catch (err) {
    const why = String((err as Error).message ?? err).split("\n")[0];
    fail(
      `--plot: PNG output needs @resvg/resvg-js, which could not load on this platform (${process.platform}-${process.arch}: ${why}); write .svg instead`,
      1,
    );
  }
  return (svg) =>
    new resvg.Resvg(svg, {
      fitTo: { mode: "zoom", value: PNG_ZOOM },
      font: { loadSystemFonts: true, defaultFontFamily: SANS_SERIF, sansSerifFamily: SANS_SERIF },
      logLevel: "off",
    })
      .render()
      .asPng();
}
