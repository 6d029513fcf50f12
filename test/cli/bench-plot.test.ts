/**
 * `bench scaling --plot FILE.svg` (or FILE.png, the same chart rasterised) and the text chart:
 * the simulated points and the published ones (src/cli/scaling-published.ts, which must agree
 * with docs/calibration.md's table).
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PUBLISHED_SCALING } from "../../src/cli/scaling-published.js";
import { PNG_ZOOM } from "../../src/cli/svg-to-png.js";
import { noStackTrace, probelab } from "./harness.js";

const count = (svg: string, tag: string) => svg.split(`<${tag} `).length - 1;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** A PNG's size from its first chunk, IHDR: width and height as big-endian 32-bit words. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(12, 16).toString("latin1")).toBe("IHDR");
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

function plotArgs(out: string): string[] {
  return [
    "bench",
    "scaling",
    "--kernel",
    "baseline,latest",
    "--cpus",
    "1,8",
    "--duration",
    "500us",
    "--plot",
    out,
  ];
}

describe("bench scaling charts", () => {
  it("--plot writes an SVG: a line and dots per profile, hollow markers at the published points", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "plot-")), "scaling.svg");
    const r = await probelab(plotArgs(out));
    expect(r.status).toBe(0);
    const svg = readFileSync(out, "utf8");
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    // Two panels (total, per-CPU), two profiles, two points each.
    expect(count(svg, "polyline")).toBe(4);
    expect(count(svg, "circle")).toBe(8);
    // Published points inside 1..8 CPUs, simulated or not: baseline at 1, 2, 4 and 8; latest at 1
    // (its 80-CPU point is outside the range).
    expect(count(svg, "path")).toBe(2 * 5);
    expect(svg).toContain(">baseline</text>");
    expect(svg).toContain(">per-CPU M hits/s</text>");
  }, 60_000);

  it("the text output ends with a bar chart that names the published figures", async () => {
    const r = await probelab([
      "bench",
      "scaling",
      "--kernel",
      "baseline",
      "--cpus",
      "1,8",
      "--duration",
      "500us",
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^baseline: total M hits\/s \(full bar \d+\.\d{3}\)$/m);
    expect(r.stdout).toMatch(/^ {4}1 #+ +\d+\.\d{3} {2}\(published 3\.032\)$/m);
    expect(r.stdout).toMatch(/^ {4}8 #{40} \d+\.\d{3} {2}\(published 3\.718\)$/m);
  }, 60_000);

  it("--plot FILE.png writes the same chart as a PNG at twice the SVG's size", async () => {
    const dir = mkdtempSync(join(tmpdir(), "plot-"));
    expect((await probelab(plotArgs(join(dir, "scaling.svg")))).status).toBe(0);
    const r = await probelab(plotArgs(join(dir, "scaling.png")));
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
    const png = readFileSync(join(dir, "scaling.png"));
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    const svg = readFileSync(join(dir, "scaling.svg"), "utf8");
    const [, width, height] = /^<svg [^>]*width="(\d+)" height="(\d+)"/.exec(svg) ?? [];
    expect(pngSize(png)).toEqual({ width: Number(width) * PNG_ZOOM, height: Number(height) * PNG_ZOOM });
    expect(pngSize(png)).toEqual({ width: 2120, height: 920 });
  }, 60_000);

  it("refuses a plot file that is neither .svg nor .png, before running anything", async () => {
    const r = await probelab(["bench", "scaling", "--cpus", "1", "--plot", "chart.jpg"]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("ERROR: --plot: the file must end in .svg or .png\n");
    expect(noStackTrace(r.stderr)).toBe(true);
  });

  it("the published series are docs/calibration.md's table, figure for figure", () => {
    const doc = readFileSync(join(import.meta.dirname, "..", "..", "docs", "calibration.md"), "utf8");
    const rows = doc
      .split("\n")
      .filter((l) => /^\| \d+ \| \d/.test(l))
      .map((l) => l.split("|").slice(1, -1).map(Number));
    const columns: [string, string][] = [
      ["uprobe-nop", "baseline"],
      ["uprobe-nop", "srcu"],
      ["uprobe-nop", "tasks-trace"],
      ["uretprobe-nop", "baseline"],
      ["uretprobe-nop", "srcu"],
      ["uretprobe-nop", "tasks-trace"],
    ];
    expect(rows.map((r) => r[0])).toEqual([1, 2, 4, 8, 16, 32, 64]);
    columns.forEach(([probe, kernel], i) => {
      const published = PUBLISHED_SCALING.get(probe)?.get(kernel) ?? [];
      expect(published.map((p) => [p.cpus, p.total])).toEqual(rows.map((r) => [r[0], r[i + 1]]));
    });
  });
});
