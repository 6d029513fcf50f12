/**
 * Fault switches of the synchronisation primitives and object caches.
 *
 * Each one removes a single protection, so a test (or a user hunting races) can show that the
 * protection is what stops a bug: with the switch on, exploration must find a violation and
 * print its interleaving; with it off, the same exploration finds nothing. Primitives read
 * `m.faults` once, when they are constructed, never per step.
 */
export const SYNC_FAULTS = {
  "seqcount-skip-retry": "read_seqcount_retry always says the counter did not move: readers never retry",
  "srcu-skip-scan1":
    "the SRCU grace period flips the index without first waiting for the inactive slot to drain",
  "srcu-no-flip": "the SRCU grace period never flips the index, so it waits on the wrong slot",
  "rcu-no-wait-holdouts":
    "RCU / RCU Tasks Trace grace periods end after their minimum latency without waiting for readers",
  "rwsem-no-exclusion": "down_write takes the rw_semaphore at once, even with readers or a writer inside",
  "rwsem-reader-barging": "down_read joins current readers even when a writer is queued (no FIFO fairness)",
  "spinlock-no-exclusion": "spin_lock / mutex_lock take the lock at once, even when it is held",
  "percpu-rwsem-no-drain": "percpu_down_write does not wait for the per-CPU reader counts to drain",
  "refcount-inc-not-zero-resurrects":
    "refcount_inc_not_zero succeeds on a zero count (resurrects a dying object)",
  "slab-rcu-free-immediate":
    "an rcu-free object cache poisons a freed object at once instead of after a grace period",
  "slab-typesafe-no-generation":
    "a typesafe-by-RCU cache reuses an object without bumping its generation, so reuse is undetectable",
} as const;

export type SyncFault = keyof typeof SYNC_FAULTS;

/** True when fault switch `name` is on for this machine (typed, so a misspelt name fails to compile). */
export function faultOn(m: { readonly faults: ReadonlySet<string> }, name: SyncFault): boolean {
  return m.faults.has(name);
}
