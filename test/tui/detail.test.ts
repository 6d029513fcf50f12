import { describe, expect, test } from "vitest";
import { histLines } from "../../src/runtime/histogram.js";
import { detailLines } from "../../src/tui/detail.js";
import { sampleLatency, threeProbeSession } from "./fake-session.js";

describe("detailLines", () => {
  const session = threeProbeSession();
  for (let i = 0; i < 12; i++) session.tick(100);
  const snapshot = session.snapshot();
  const [withLatency, withoutLatency, otherScript] = snapshot.probes;

  test("shows the probe, its latency histogram as hist() draws it, its maps and the events", () => {
    const text = detailLines(withLatency, snapshot, 40).map((line) => line.text);
    expect(text[0]).toContain("probe 1");
    expect(text[0]).toContain("uretprobe:/usr/bin/app:handle_request");
    expect(text).toEqual(expect.arrayContaining(histLines(sampleLatency().hist)));
    expect(text).toContain("@calls[main]: 12");
    expect(text).toContain("tick at 1200000000ns");
  });

  test("never returns more lines than it was given, keeping the newest events", () => {
    for (const rows of [1, 3, 6, 10, 15]) {
      expect(detailLines(withLatency, snapshot, rows).length).toBeLessThanOrEqual(rows);
    }
    const text = detailLines(withLatency, snapshot, 12).map((line) => line.text);
    expect(text).toContain("tick at 1200000000ns");
    expect(text).not.toContain("tick at 100000000ns");
  });

  test("a probe without latency says so; maps are those of its own script", () => {
    const plain = detailLines(withoutLatency, snapshot, 30).map((line) => line.text);
    expect(plain).toContain("no latency for this probe");
    expect(plain).not.toContain("latency (ns)");
    const other = detailLines(otherScript, snapshot, 30).map((line) => line.text);
    expect(other).not.toContain("@calls[main]: 12");
    expect(other).toContain("maps of other.bt");
  });

  test("nothing selected", () => {
    expect(detailLines(undefined, snapshot, 5).map((line) => line.text)).toEqual(["no probe selected"]);
  });
});
