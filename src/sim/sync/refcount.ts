/**
 * refcount_t: a counter on its own line. Every operation is an atomic on that line, which
 * is exactly why a reference taken per hit stops scaling: every CPU writes the same line.
 */
import { CacheLine } from "../cacheline.js";
import type { Machine } from "../machine.js";
import { type NameOwner, ownedName } from "../name.js";
import { faultOn } from "./faults.js";
import { RefcountStats } from "./stats.js";

export class Refcount {
  readonly line: CacheLine;
  readonly stats = new RefcountStats();
  /** Fault `refcount-inc-not-zero-resurrects`: inc_not_zero succeeds at zero. */
  private readonly resurrect: boolean;

  constructor(
    private readonly m: Machine,
    private readonly role: string,
    public value = 1,
    /** The line the counter lives on: pass a neighbour's to model fields sharing a cache line. */
    line?: CacheLine,
    private readonly nameOwner: NameOwner | null = null,
  ) {
    this.line = line ?? new CacheLine(role, nameOwner);
    this.resurrect = faultOn(m, "refcount-inc-not-zero-resurrects");
  }

  get name(): string {
    return ownedName(this.role, this.nameOwner);
  }

  /** refcount_inc: the caller guarantees the count is already positive. */
  inc(): number {
    this.line.atomic(this.m);
    if (this.value <= 0) this.m.fail(`${this.name}: refcount_inc on ${this.value} (use-after-free)`);
    this.value++;
    this.stats.gets++;
    return 0;
  }

  /**
   * refcount_inc_not_zero: fails on a dying object. It is a loop around atomic_try_cmpxchg
   * on the value it read first (__refcount_add_not_zero), so on a line another CPU holds
   * modified it costs two coherence transactions: the read fetches a shared copy, and the
   * cmpxchg must then invalidate the other copies to own the line. refcount_inc is one
   * locked add (`inc`). `plain` charges it as that: for the pre-6.12 lookups, which took
   * their reference with get_uprobe under uprobes_treelock (the model keeps the check).
   */
  incNotZero(plain = false): boolean {
    if (!plain) this.line.read(this.m);
    this.line.atomic(this.m);
    if (this.value === 0 && !this.resurrect) {
      this.stats.failedGets++;
      return false;
    }
    this.value++;
    this.stats.gets++;
    return true;
  }

  /** refcount_dec_and_test: true when this dropped the last reference. */
  decAndTest(): boolean {
    this.line.atomic(this.m);
    if (this.value <= 0) this.m.fail(`${this.name}: refcount underflow`);
    this.value--;
    this.stats.puts++;
    return this.value === 0;
  }

  read(): number {
    this.line.read(this.m);
    return this.value;
  }
}
