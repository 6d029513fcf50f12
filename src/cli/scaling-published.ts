/**
 * The published multi-CPU figures `bench scaling --plot` draws beside the simulated curves:
 * total M hits per second of the kernel's uprobe trigger bench, one machine (two sockets of 20
 * cores, 2 threads each), as docs/calibration.md lists them with their sources. Only the
 * single-CPU points were fitted; the rest are what the model's curves are compared against.
 */

/** One published point: `cpus` producers, `total` M hits per second. */
export interface PublishedPoint {
  cpus: number;
  total: number;
}

const CPUS_2024 = [1, 2, 4, 8, 16, 32, 64];

function series(totals: readonly number[]): PublishedPoint[] {
  return totals.map((total, i) => ({ cpus: CPUS_2024[i], total }));
}

/** Per probe, per kernel profile: the mid-2024 designs' series and today's kernel's two points each. */
export const PUBLISHED_SCALING: ReadonlyMap<string, ReadonlyMap<string, readonly PublishedPoint[]>> = new Map(
  [
    [
      "uprobe-nop",
      new Map([
        ["baseline", series([3.032, 3.452, 3.663, 3.718, 3.344, 2.288, 3.205])],
        ["srcu", series([3.276, 4.125, 7.713, 8.097, 6.501, 4.398, 6.452])],
        ["tasks-trace", series([3.396, 4.271, 8.499, 10.355, 7.615, 4.43, 6.887])],
        // 3.53 to 3.57 on one CPU; about half the single-CPU rate per CPU at 80 (≈142 in total).
        [
          "latest",
          [
            { cpus: 1, total: 3.55 },
            { cpus: 80, total: 142 },
          ],
        ],
      ]),
    ],
    [
      "uretprobe-nop",
      new Map([
        ["baseline", series([1.979, 2.361, 2.309, 2.253, 2.007, 1.624, 2.149])],
        ["srcu", series([2.055, 2.677, 4.561, 5.291, 5.065, 3.622, 3.723])],
        ["tasks-trace", series([2.174, 2.853, 4.913, 5.883, 5.147, 3.738, 4.397])],
        // Today's design (SRCU leases, ri_pool reuse), measured for "uprobes: Reuse
        // return_instances between multiple uretprobes within task" (Dec 2024).
        [
          "latest",
          [
            { cpus: 1, total: 2.253 },
            { cpus: 80, total: 92.318 },
          ],
        ],
      ]),
    ],
  ],
);

/** The published points for one probe and profile (none when nothing was published). */
export function publishedPoints(probe: string, profile: string): readonly PublishedPoint[] {
  return PUBLISHED_SCALING.get(probe)?.get(profile) ?? [];
}
