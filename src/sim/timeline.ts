/** The arrays of a timeline that never had a booking (shared, never written). */
const NONE: number[] = [];

/**
 * The busy intervals of one serial resource (a line's transfers, a socket's interconnect
 * slots) in simulated time, sorted by start. Requests may arrive out of time order (a step
 * runs whole, see CacheLine.serialise): each takes the earliest gap at or after its time that
 * is long enough, so a later booking never delays an earlier request that fits before it.
 */
export class Timeline {
  // The first `n` entries are the intervals; the arrays only grow, so booking allocates
  // nothing once a line has seen its busiest queue (this runs on every contended transfer).
  // They start with room for one: most lines never have two transfers in flight, and a
  // large probe set has tens of thousands of lines.
  private starts: number[] = NONE;
  private ends: number[] = NONE;
  private n = 0;

  /** Forget intervals that ended by `horizon`: no request can come before it any more. */
  prune(horizon: number): void {
    const { starts, ends } = this;
    const n = this.n;
    let k = 0;
    while (k < n && ends[k] <= horizon) k++;
    if (k > 0) {
      for (let i = k; i < n; i++) {
        starts[i - k] = starts[i];
        ends[i - k] = ends[i];
      }
      this.n = n - k;
      return;
    }
    // Sorted by start, not end: an early long interval may hide ended ones behind it.
    let kept = 0;
    for (let i = 0; i < n; i++) {
      if (ends[i] <= horizon) continue;
      starts[kept] = starts[i];
      ends[kept] = ends[i];
      kept++;
    }
    this.n = kept;
  }

  /** The earliest start at or after `at` of a free gap `duration` long. */
  earliest(at: number, duration: number): number {
    const { starts, ends } = this;
    let s = at;
    for (let i = 0; i < this.n; i++) {
      if (ends[i] <= s) continue;
      if (starts[i] >= s + duration) break;
      s = ends[i];
    }
    return s;
  }

  /** Intervals that end after `at` and start before `start`: what a request at `at` waits behind. */
  waitingBehind(at: number, start: number): number {
    let count = 0;
    for (let i = 0; i < this.n; i++) {
      if (this.starts[i] >= start) break;
      if (this.ends[i] > at) count++;
    }
    return count;
  }

  /** Book the earliest gap for `duration` at or after `at`; returns its start. */
  book(at: number, duration: number, horizon: number): number {
    this.prune(horizon);
    const start = this.earliest(at, duration);
    this.occupy(start, start + duration);
    return start;
  }

  /** Mark [start, end) busy. */
  occupy(start: number, end: number): void {
    if (this.starts === NONE) {
      this.starts = [start];
      this.ends = [end];
      this.n = 1;
      return;
    }
    const { starts, ends } = this;
    if (this.n === starts.length) {
      starts.push(0);
      ends.push(0);
    }
    let i = this.n;
    while (i > 0 && starts[i - 1] > start) {
      starts[i] = starts[i - 1];
      ends[i] = ends[i - 1];
      i--;
    }
    starts[i] = start;
    ends[i] = end;
    this.n++;
  }

  /** The intervals, oldest start first (for tests). */
  intervals(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < this.n; i++) out.push([this.starts[i], this.ends[i]]);
    return out;
  }
}
