/**
 * Small, fast, seeded pseudo-random numbers: xoshiro128** seeded through splitmix32.
 * Everything random in a workload run draws from one of these, so the same seed gives
 * byte-identical runs.
 */

/** One splitmix32 step: a well-mixed 32-bit value from a counter-like state. */
export function splitmix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
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
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    // Four splitmix32 outputs fill the state; an all-zero state is impossible this way.
    let x = seed >>> 0;
    this.s0 = splitmix32(x);
    x = (x + 0x9e3779b9) | 0;
    this.s1 = splitmix32(x);
    x = (x + 0x9e3779b9) | 0;
    this.s2 = splitmix32(x);
    x = (x + 0x9e3779b9) | 0;
    this.s3 = splitmix32(x) | 1;
  }

  /** Next 32 random bits as an unsigned integer (xoshiro128**). */
  nextU32(): number {
    const s1 = this.s1;
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result;
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
    if (span <= TWO_POW_32) {
      // Multiply-shift maps 32 random bits onto the span without a modulo.
      return lo + Math.floor((this.nextU32() * span) / TWO_POW_32);
    }
    return lo + Math.floor(this.nextFloat() * span);
  }
}
