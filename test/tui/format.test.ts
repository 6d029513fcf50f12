import { describe, expect, test } from "vitest";
import {
  formatCount,
  formatDuration,
  formatRate,
  formatSpeed,
  padEnd,
  padStart,
  sparkline,
  truncate,
} from "../../src/tui/format.js";

describe("formatDuration", () => {
  test.each([
    [0, "0ns"],
    [999, "999ns"],
    [1000, "1µs"],
    [1500, "1.5µs"],
    [12_340, "12.3µs"],
    [999_600, "1ms"],
    [2_500_000, "2.5ms"],
    [1_000_000_000, "1s"],
    [61_500_000_000, "61.5s"],
  ])("%d ns -> %s", (ns, text) => {
    expect(formatDuration(ns)).toBe(text);
  });

  test("negative or non-finite values show a dash", () => {
    expect(formatDuration(-1)).toBe("-");
    expect(formatDuration(Number.NaN)).toBe("-");
  });
});

describe("formatCount", () => {
  test.each([
    [0, "0"],
    [999, "999"],
    [1000, "1K"],
    [1234, "1.23K"],
    [12_345, "12.3K"],
    [999_999, "1M"],
    [4_500_000_000, "4.5G"],
    [-2500, "-2.5K"],
  ])("%d -> %s", (n, text) => {
    expect(formatCount(n)).toBe(text);
  });
});

describe("formatRate", () => {
  test("keeps one decimal for slow probes so they do not read as idle", () => {
    expect(formatRate(0)).toBe("0");
    expect(formatRate(0.25)).toBe("0.3");
    expect(formatRate(3)).toBe("3");
    expect(formatRate(23_100)).toBe("23.1K");
  });
});

describe("formatSpeed", () => {
  test("shows factors above and below one", () => {
    expect(formatSpeed(1)).toBe("1x");
    expect(formatSpeed(2)).toBe("2x");
    expect(formatSpeed(0.5)).toBe("0.5x");
    expect(formatSpeed(1 / 1024)).toBe("0.000977x");
    expect(formatSpeed(0)).toBe("0x");
  });
});

describe("sparkline", () => {
  test("scales to the maximum of the window, with zero drawn blank", () => {
    expect(sparkline([0, 1, 2, 4, 8], 5)).toBe(" ▁▂▄█");
  });

  test("keeps the newest values and pads on the left", () => {
    expect(sparkline([8, 8, 8, 1], 3)).toBe("██▁");
    expect(sparkline([5], 4)).toBe("   █");
    expect(sparkline([], 3)).toBe("   ");
  });

  test("a flat non-zero series is full height, an all-zero one is empty", () => {
    expect(sparkline([3, 3, 3], 3)).toBe("███");
    expect(sparkline([0, 0], 2)).toBe("  ");
  });

  test("every level appears for an even ramp", () => {
    expect(sparkline([1, 2, 3, 4, 5, 6, 7, 8], 8)).toBe("▁▂▃▄▅▆▇█");
  });
});

describe("padding", () => {
  test("truncate marks the cut", () => {
    expect(truncate("uprobe:/bin/app:main", 10)).toBe("uprobe:/b…");
    expect(truncate("short", 10)).toBe("short");
    expect(truncate("abc", 1)).toBe("…");
  });

  test("padEnd and padStart give exactly the width", () => {
    expect(padEnd("ab", 4)).toBe("ab  ");
    expect(padStart("ab", 4)).toBe("  ab");
    expect(padEnd("abcdef", 4)).toBe("abc…");
  });
});
