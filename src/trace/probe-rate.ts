/** Hit-rate sampling for the live view, shared by every kind of probe row. */

/** Rates kept for the sparkline. */
const HISTORY = 60;

export class ProbeRate {
  /** Hits per simulated second over the last sampling interval. */
  rate = 0;
  /** Recent rates, oldest first (at most HISTORY). */
  readonly history: number[] = [];
  private lastHits = 0;

  /** Take a sample: `hits` is the probe's total now, `dtNs` the simulated time since the last one. */
  sample(hits: number, dtNs: number): void {
    this.rate = ((hits - this.lastHits) * 1e9) / dtNs;
    this.lastHits = hits;
    this.history.push(this.rate);
    if (this.history.length > HISTORY) this.history.shift();
  }
}
