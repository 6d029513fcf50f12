/**
 * Timeline: a serial resource's bookings in simulated time. Requests arrive out of time
 * order; each takes the earliest gap that fits, and pruning forgets what ended.
 */
import { describe, expect, test } from "vitest";
import { Timeline } from "../../src/sim/timeline.js";

describe("Timeline", () => {
  test("a request takes the earliest gap that fits, before a later booking or behind it", () => {
    const t = new Timeline();
    expect(t.book(100, 10, 0)).toBe(100);
    expect(t.book(50, 20, 0)).toBe(50); // fits before [100, 110)
    expect(t.book(85, 20, 0)).toBe(110); // [85, 105) would overlap: queued behind
    expect(t.intervals()).toEqual([
      [50, 70],
      [100, 110],
      [110, 130],
    ]);
    expect(t.waitingBehind(60, 110)).toBe(2);
  });

  test("pruning drops the ended prefix, or every ended interval when the first is still busy", () => {
    const t = new Timeline();
    t.occupy(0, 10);
    t.occupy(5, 8);
    t.occupy(20, 30);
    t.prune(9); // [0, 10) is still busy, [5, 8) hid behind it
    expect(t.intervals()).toEqual([
      [0, 10],
      [20, 30],
    ]);
    t.prune(25);
    expect(t.intervals()).toEqual([[20, 30]]);
    // Space freed by pruning is reused in order.
    t.occupy(40, 50);
    t.occupy(35, 36);
    expect(t.intervals()).toEqual([
      [20, 30],
      [35, 36],
      [40, 50],
    ]);
  });
});
