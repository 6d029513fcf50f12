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

/** Statistics of a seqcount: how often speculation had to start over. */
export class SeqcountStats {
  /** Write sections (write_seqcount_begin). */
  writes = 0;
  /** Read attempts started (tryBegin). */
  begins = 0;
  /** tryBegin found a writer inside. */
  failedBegins = 0;
  /** retry() found the counter moved: the reader's snapshot was discarded. */
  retries = 0;
}

/** Statistics of a refcount_t. */
export class RefcountStats {
  /** Successful increments (inc and inc_not_zero). */
  gets = 0;
  /** dec_and_test calls. */
  puts = 0;
  /** inc_not_zero calls that found the object dying. */
  failedGets = 0;
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
