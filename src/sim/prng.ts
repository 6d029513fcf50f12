/**
 * A small, fast, seedable PRNG (xoshiro128** seeded through splitmix32), so every run is a
 * pure function of its seed. Math.random is never used: the scheduler's exploration, the
 * workloads' `uniform` values and the `rand` builtin all draw from one of these.
 */

/** One splitmix32 step: a well-mixed 32-bit value from a counter-like state. */
export function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * A seed for one party of a run (a thread, a forked child), derived from the run seed and a
 * path of small integers so that parties never share a stream. Run seeds above 2^32 keep
 * their high bits.
 */
export function deriveSeed(runSeed: number, ...path: number[]): number {
  let h = splitmix32(runSeed >>> 0) ^ splitmix32(Math.floor(runSeed / 2 ** 32) ^ 0x5bd1e995);
  for (const p of path) h = splitmix32((h ^ Math.imul(p + 1, 0x27d4eb2f)) >>> 0);
  return h >>> 0;
}

const TWO_POW_32 = 2 ** 32;

export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    // splitmix32 spreads a small seed over the four words of state.
    const s = seed >>> 0;
    this.a = splitmix32(s);
    this.b = splitmix32(s + 0x9e3779b9);
    this.c = splitmix32(s + 2 * 0x9e3779b9);
    this.d = splitmix32(s + 3 * 0x9e3779b9);
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor((this.nextU32() / 4294967296) * n);
  }

  /** Uniform in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [lo, hi], both inclusive. */
  intBetween(lo: number, hi: number): number {
    const span = hi - lo + 1;
    // Multiply-shift maps 32 random bits onto the span without a modulo.
    if (span <= TWO_POW_32) return lo + Math.floor((this.nextU32() * span) / TWO_POW_32);
    return lo + Math.floor(this.nextFloat() * span);
  }

  /** A float in [0, 1). */
  float(): number {
    return this.nextU32() / 4294967296;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
