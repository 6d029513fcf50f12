import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { deriveSeed, PAGE_SIZE, Prng, parseSize, parseTime, UserMemory } from "../../src/process/index.js";
import { encodeLittleEndian } from "../../src/process/memory.js";
import { splitmix32 } from "../../src/sim/prng.js";

describe("Prng (xoshiro128** seeded by splitmix32)", () => {
  it("is a pure function of its seed", () => {
    const a = new Prng(12345);
    const b = new Prng(12345);
    const c = new Prng(12346);
    const sa = Array.from({ length: 100 }, () => a.nextU32());
    expect(Array.from({ length: 100 }, () => b.nextU32())).toEqual(sa);
    expect(Array.from({ length: 100 }, () => c.nextU32())).not.toEqual(sa);
    expect(sa.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32)).toBe(true);
  });

  it("draws integers inside [lo, hi] and hits both ends", () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: -1000, max: 1000 }),
        fc.integer({ min: 0, max: 50 }),
        (seed, lo, span) => {
          const p = new Prng(seed);
          const seen = new Set<number>();
          for (let i = 0; i < 40 * (span + 1); i++) {
            const x = p.intBetween(lo, lo + span);
            if (x < lo || x > lo + span || !Number.isInteger(x)) return false;
            seen.add(x);
          }
          return seen.has(lo) && seen.has(lo + span);
        },
      ),
      { numRuns: 50, seed: 1 },
    );
  });

  it("spreads values evenly (loose chi-square over 10 buckets)", () => {
    const p = new Prng(7);
    const buckets = new Array<number>(10).fill(0);
    const n = 100_000;
    for (let i = 0; i < n; i++) buckets[p.intBetween(0, 9)]!++;
    const chi = buckets.reduce((s, b) => s + (b - n / 10) ** 2 / (n / 10), 0);
    expect(chi).toBeLessThan(30); // 9 degrees of freedom: p ≈ 0.0004
    const f = new Prng(8);
    let sum = 0;
    for (let i = 0; i < 10_000; i++) {
      const x = f.nextFloat();
      expect(x >= 0 && x < 1).toBe(true);
      sum += x;
    }
    expect(Math.abs(sum / 10_000 - 0.5)).toBeLessThan(0.02);
  });

  it("handles spans wider than 32 bits", () => {
    const p = new Prng(3);
    for (let i = 0; i < 1000; i++) {
      const x = p.intBetween(0, 2 ** 40);
      expect(x >= 0 && x <= 2 ** 40 && Number.isInteger(x)).toBe(true);
    }
  });

  it("derives distinct seeds per path and keeps high seed bits", () => {
    const seeds = new Set<number>();
    for (let t = 0; t < 1000; t++) seeds.add(deriveSeed(1, t));
    expect(seeds.size).toBe(1000);
    expect(deriveSeed(1, 0)).toBe(deriveSeed(1, 0));
    expect(deriveSeed(1, 0)).not.toBe(deriveSeed(2 ** 32 + 1, 0));
    expect(deriveSeed(5, 1, 2)).not.toBe(deriveSeed(5, 2, 1));
    expect(splitmix32(0)).not.toBe(splitmix32(1));
  });
});

describe("UserMemory", () => {
  it("reads back what was written, across page boundaries", () => {
    const m = new UserMemory();
    const addr = 0x600000 + PAGE_SIZE - 3;
    m.writeBytes(addr, Uint8Array.from([1, 2, 3, 4, 5, 6]));
    expect(Array.from(m.readBytes(addr, 6)!)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(m.pageCount).toBe(2);
    expect(Array.from(m.readBytes(addr - 2, 3)!)).toEqual([0, 0, 1]);
  });

  it("fails reads that touch a page never written", () => {
    const m = new UserMemory();
    m.writeBytes(0x1000, Uint8Array.from([7]));
    expect(m.readBytes(0x1fff, 2)).toBeUndefined();
    expect(m.readBytes(0x5000, 1)).toBeUndefined();
    expect(m.readCString(0x5000, 10)).toBeUndefined();
    expect(() => m.readBytes(-1, 1)).toThrow(RangeError);
  });

  it("reads C strings up to the NUL or the limit, stopping at unwritten memory", () => {
    const m = new UserMemory();
    m.writeCString(0x2000, "hello");
    expect(m.readCString(0x2000, 64)).toBe("hello");
    expect(m.readCString(0x2000, 4)).toBe("hell");
    const edge = 0x3000 - 2;
    m.writeBytes(edge, Uint8Array.from([65, 66]));
    expect(m.readCString(edge, 64)).toBe("AB");
  });

  it("clones independently (a forked child's copy)", () => {
    const m = new UserMemory();
    m.writeCString(0x2000, "parent");
    const c = m.clone();
    c.writeCString(0x2000, "child!");
    expect(m.readCString(0x2000, 64)).toBe("parent");
    expect(c.readCString(0x2000, 64)).toBe("child!");
  });

  it("encodes little-endian integers with two's complement", () => {
    expect(Array.from(encodeLittleEndian(0x01020304, 4))).toEqual([4, 3, 2, 1]);
    expect(Array.from(encodeLittleEndian(-2, 2))).toEqual([0xfe, 0xff]);
    expect(Array.from(encodeLittleEndian(2 ** 40, 8))).toEqual([0, 0, 0, 0, 0, 1, 0, 0]);
  });
});

describe("units", () => {
  it("parses times to whole nanoseconds", () => {
    expect(parseTime("80ns")).toBe(80);
    expect(parseTime("2us")).toBe(2000);
    expect(parseTime("1.5ms")).toBe(1_500_000);
    expect(parseTime("1s")).toBe(1e9);
    expect(parseTime(250)).toBe(250);
    expect(parseTime("0")).toBe(0);
    expect(parseTime("5 min")).toMatch(/^bad time "5 min"/);
    expect(parseTime(-1)).toMatch(/^bad time -1/);
  });

  it("parses sizes with K, M, G suffixes", () => {
    expect(parseSize("8K")).toBe(8192);
    expect(parseSize("2MiB")).toBe(2 * 1024 * 1024);
    expect(parseSize("1g")).toBe(1024 ** 3);
    expect(parseSize("0x1000")).toBe(4096);
    expect(parseSize(100)).toBe(100);
    expect(parseSize("8Q")).toMatch(/^bad size "8Q"/);
  });
});
