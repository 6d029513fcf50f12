/**
 * seqcount_t: a writer makes the counter odd at the start of its section and even at the
 * end; readers snapshot it and check that it did not move. It excludes nothing by itself
 * (writers hold a lock); it lets lockless readers detect that they may have seen a
 * half-done update. `width` can be narrowed to make a wrap-around (ABA) reachable (R27).
 */
import { CacheLine } from "../cacheline.js";
import type { Machine } from "../machine.js";
import { type NameOwner, ownedName } from "../name.js";
import { faultOn } from "./faults.js";
import { SeqcountStats } from "./stats.js";

export class Seqcount {
  readonly line: CacheLine;
  sequence = 0;
  readonly stats = new SeqcountStats();
  private readonly mask: number;
  /** Fault `seqcount-skip-retry`: retry() never reports a change. */
  private readonly skipRetry: boolean;

  constructor(
    private readonly m: Machine,
    private readonly role: string,
    width = 32,
    private readonly nameOwner: NameOwner | null = null,
  ) {
    this.line = new CacheLine(role, nameOwner);
    this.mask = width >= 32 ? 0xffffffff : (1 << width) - 1;
    this.skipRetry = faultOn(m, "seqcount-skip-retry");
  }

  get name(): string {
    return ownedName(this.role, this.nameOwner);
  }

  writeBegin(): number {
    this.stats.writes++;
    this.line.write(this.m);
    this.sequence = (this.sequence + 1) & this.mask;
    return 0;
  }

  writeEnd(): number {
    this.line.write(this.m);
    this.sequence = (this.sequence + 1) & this.mask;
    return 0;
  }

  /** raw_read_seqcount: the current value (odd while a writer is inside). */
  read(): number {
    this.line.read(this.m);
    return this.sequence;
  }

  /** read_seqcount_begin without waiting: returns the snapshot, or -1 if a writer is inside. */
  tryBegin(): number {
    const s = this.read();
    this.stats.begins++;
    if ((s & 1) === 0) return s;
    this.stats.failedBegins++;
    return -1;
  }

  /** read_seqcount_retry: true when the counter moved since `snapshot`. */
  retry(snapshot: number): boolean {
    const moved = this.read() !== snapshot && !this.skipRetry;
    if (moved) this.stats.retries++;
    return moved;
  }

  isWriteLocked(): boolean {
    return (this.sequence & 1) === 1;
  }
}
