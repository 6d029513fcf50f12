/**
 * Simulated cache lines: where the cost of sharing lives.
 *
 * Each shared variable of the kernel model sits on a line with a MESI-like state: one CPU
 * may hold it modified (exclusive), or any set of CPUs may hold it shared. A load that hits
 * this CPU's copy costs a cache hit. A load of a line another CPU holds modified, or any
 * store to a line that other CPUs hold, costs a line transfer; transfers of one line are
 * serialised (a line is in one place at a time), so a line written from every CPU becomes a
 * queue. Atomics are stores plus a pipeline drain. Nothing here knows which mechanism owns
 * the line: an rwsem, a refcount or a shared counter scale badly only because they write a
 * line from every CPU.
 */
import type { CostProfile } from "./cost-profile.js";
import { nextSerial } from "./footprint.js";
import type { Machine } from "./machine.js";
import { type NameOwner, ownedName } from "./name.js";
import { Timeline } from "./timeline.js";

const WORDS = 4; // sharer bitmask words: 4 x 32 = 128 CPUs

export class CacheLine {
  /** CPU holding the line modified, or -1. */
  owner = -1;
  /**
   * Bitmask of CPUs holding a shared copy; made on the first shared copy (most lines of a
   * large probe set are only ever written, and thousands of them would each carry it).
   */
  private sharers: Int32Array | null = null;
  transfers = 0;
  /** The CPU that last held the line modified: where a transfer comes from. */
  private lastOwner = -1;
  /** The line's transfers booked in simulated time (serialised: one at a time); made on the first. */
  private timeline: Timeline | null = null;
  /** Per core, when the line's latest transfer into that core lands (only with SMT siblings). */
  private coreLanded: Float64Array | null = null;
  /** Names the line in step footprints (footprint.ts). */
  readonly serial = nextSerial();

  constructor(
    private readonly role: string,
    private readonly nameOwner: NameOwner | null = null,
  ) {}

  /** The line's name: its role, after its owner's name when it has one (name.ts). */
  get name(): string {
    return ownedName(this.role, this.nameOwner);
  }

  /** Load from the line on the running CPU; charges the step and returns 0 (to yield). */
  read(m: Machine): number {
    const cpu = m.cpu;
    const id = cpu.id;
    const w = id >> 5;
    const bit = 1 << (id & 31);
    if (m.footprint !== null) m.footprint.touch(this.serial, false);
    if (this.owner === id || (this.sharers !== null && (this.sharers[w] & bit) !== 0)) {
      cpu.acc += m.profile.cacheHit;
      return 0;
    }
    const s = this.sharers ?? (this.sharers = new Int32Array(WORDS));
    if (this.owner >= 0) {
      // Modified elsewhere: the owner writes back and both end up sharing; serialised.
      this.serialise(m, this.owner);
      const o = this.owner;
      s[o >> 5] |= 1 << (o & 31);
      this.owner = -1;
    } else {
      // Clean elsewhere (or nowhere): fetched in parallel with other readers.
      cpu.acc += m.profile.lineTransfer;
      this.transfers++;
    }
    s[w] |= bit;
    return 0;
  }

  /** Store to the line on the running CPU; invalidates every other copy. */
  write(m: Machine): number {
    const cpu = m.cpu;
    const id = cpu.id;
    if (m.footprint !== null) m.footprint.touch(this.serial, true);
    if (this.owner === id) {
      cpu.acc += m.profile.cacheHit;
      return 0;
    }
    const s = this.sharers;
    const w = id >> 5;
    const bit = 1 << (id & 31);
    const onlyMine = s !== null && (s[w] & ~bit) === 0 && noSharersBut(s, w) && (s[w] & bit) !== 0;
    if (this.owner < 0 && onlyMine) {
      cpu.acc += m.profile.cacheHit; // shared by us alone: silent upgrade
    } else {
      this.serialise(m, this.owner >= 0 ? this.owner : this.lastOwner);
    }
    if (s !== null) {
      s[0] = 0;
      s[1] = 0;
      s[2] = 0;
      s[3] = 0;
    }
    this.owner = id;
    this.lastOwner = id;
    return 0;
  }

  /** A locked read-modify-write (inc, cmpxchg, xchg). */
  atomic(m: Machine): number {
    this.write(m);
    m.cpu.acc += m.profile.atomic;
    return 0;
  }

  /** Forget all copies (the object was freed and its memory is cold). */
  reset(): void {
    this.owner = -1;
    if (this.sharers !== null) this.sharers.fill(0);
  }

  /**
   * One transfer of the line to the running CPU, queued behind the transfers booked before
   * it in simulated time. Under contention a transfer takes longer (more requesters snooping,
   * failed cmpxchg retries), and a transfer from the other socket pays the interconnect.
   *
   * A step runs whole, so a CPU may book a transfer further ahead in simulated time than the
   * request of a CPU whose step runs next: the line and the interconnect keep their bookings
   * in time order (Timeline), and an earlier request takes the gap before a later booking when
   * it fits, as the coherence fabric would have served it first.
   */
  private serialise(m: Machine, from: number): void {
    const cpu = m.cpu;
    const p = m.profile;
    const now = cpu.clock + cpu.acc;
    if (cpu.sibling !== null && this.joinSiblingMiss(m, now)) return;
    const horizon = cpu.clock;
    let duration = p.lineTransfer;
    if (from >= 0) {
      const cores = p.coresPerSocket * p.sockets;
      if (from % cores === cpu.id % cores)
        duration *= p.smtSiblingTransfer; // same core: shared L1/L2
      else if (socketOf(p, from) !== socketOf(p, cpu.id)) duration *= p.crossSocket;
    }
    // Every transfer also needs a slot on its socket's interconnect, shared by all lines: many
    // contended lines at once saturate it even when each line alone would keep up.
    const fabric = m.interconnect[socketOf(p, cpu.id)];
    const slot = fabric.book(now, p.interconnectSlot, horizon);
    const timeline = this.bookings();
    timeline.prune(horizon);
    if (p.lineContention > 0) {
      // Each transfer this one waits behind (or that is still moving when it asks) adds to it.
      const queued = timeline.waitingBehind(slot, timeline.earliest(slot, duration));
      duration *= 1 + p.lineContention * Math.min(queued, p.lineContentionCap);
    }
    const start = timeline.earliest(slot, duration); // pruned above
    const end = start + duration;
    timeline.occupy(start, end);
    if (cpu.sibling !== null) this.landed(m)[cpu.id % (p.coresPerSocket * p.sockets)] = end;
    cpu.acc += end - now;
    this.transfers++;
  }

  /**
   * The two hardware threads of a core share its L1: when the line is already on its way to
   * this core for the sibling, this request joins that miss (the fill buffer merges them)
   * instead of queueing its own transfer. It completes just after the sibling's access and
   * holds the line in the core that much longer before it moves on.
   */
  private joinSiblingMiss(m: Machine, now: number): boolean {
    const p = m.profile;
    const landed = this.landed(m);
    const core = m.cpu.id % (p.coresPerSocket * p.sockets);
    const arrives = landed[core];
    if (arrives <= now) return false;
    const extra = p.lineTransfer * p.smtSiblingTransfer;
    const end = arrives + extra;
    landed[core] = end;
    // The line stays in this core for the access: later transfers wait for it too.
    this.bookings().occupy(arrives, end);
    m.cpu.acc += end - now;
    return true;
  }

  private bookings(): Timeline {
    if (this.timeline === null) this.timeline = new Timeline();
    return this.timeline;
  }

  private landed(m: Machine): Float64Array {
    if (this.coreLanded === null) {
      this.coreLanded = new Float64Array(m.profile.coresPerSocket * m.profile.sockets);
    }
    return this.coreLanded;
  }
}

/** No word of the sharer mask but `w` has a bit set. */
function noSharersBut(s: Int32Array, w: number): boolean {
  for (let i = 0; i < WORDS; i++) if (i !== w && s[i] !== 0) return false;
  return true;
}

/** Which socket a CPU sits on (CPUs are numbered socket by socket, then the SMT siblings). */
export function socketOf(p: CostProfile, cpu: number): number {
  return Math.floor((cpu % (p.coresPerSocket * p.sockets)) / p.coresPerSocket);
}
