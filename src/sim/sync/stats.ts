/** Statistics every lock-like primitive keeps, so the live view and benches can show them. */
export class LockStats {
  acquisitions = 0;
  /** Acquisitions that had to wait. */
  contended = 0;
  /** Total simulated ns spent waiting. */
  waitNs = 0;
  maxWaitNs = 0;

  noteWait(ns: number): void {
    this.contended++;
    this.waitNs += ns;
    if (ns > this.maxWaitNs) this.maxWaitNs = ns;
  }
}

/** Statistics of a grace-period mechanism (RCU, SRCU, Tasks Trace). */
export class GracePeriodStats {
  readers = 0;
  gracePeriods = 0;
  /** Sum of grace-period latencies, simulated ns. */
  totalNs = 0;
  maxNs = 0;

  noteGracePeriod(ns: number): void {
    this.gracePeriods++;
    this.totalNs += ns;
    if (ns > this.maxNs) this.maxNs = ns;
  }
}
