/**
 * The busy intervals of one serial resource (a line's transfers, a socket's interconnect
 * slots) in simulated time, sorted by start. Requests may arrive out of time order (a step
 * runs whole, see CacheLine.serialise): each takes the earliest gap at or after its time that
 * is long enough, so a later booking never delays an earlier request that fits before it.
 */
export class Timeline {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];

  /** Forget intervals that ended by `horizon`: no request can come before it any more. */
  prune(horizon: number): void {
    const ends = this.ends;
    let k = 0;
    while (k < ends.length && ends[k] <= horizon) k++;
    if (k === 0) {
      // Sorted by start, not end: an early long interval may hide ended ones behind it.
      for (let i = ends.length - 1; i >= 0; i--) {
        if (ends[i] <= horizon) {
          ends.splice(i, 1);
          this.starts.splice(i, 1);
        }
      }
      return;
    }
    ends.splice(0, k);
    this.starts.splice(0, k);
  }

  /** The earliest start at or after `at` of a free gap `duration` long. */
  earliest(at: number, duration: number): number {
    const starts = this.starts;
    const ends = this.ends;
    let s = at;
    for (let i = 0; i < starts.length; i++) {
      if (ends[i] <= s) continue;
      if (starts[i] >= s + duration) break;
      s = ends[i];
    }
    return s;
  }

  /** Intervals that end after `at` and start before `start`: what a request at `at` waits behind. */
  waitingBehind(at: number, start: number): number {
    let n = 0;
    for (let i = 0; i < this.starts.length; i++) {
      if (this.starts[i] >= start) break;
      if (this.ends[i] > at) n++;
    }
    return n;
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
    const starts = this.starts;
    let i = starts.length;
    while (i > 0 && starts[i - 1] > start) i--;
    starts.splice(i, 0, start);
    this.ends.splice(i, 0, end);
  }
}
