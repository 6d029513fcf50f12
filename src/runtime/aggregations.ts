/**
 * Aggregation state, one slot per simulated CPU, merged only when read — the way eBPF
 * per-CPU maps let every CPU update its own copy without sharing a cache line.
 *
 * Each state is allocated once per map key; `add(cpu, v)` then only writes into
 * preallocated per-CPU storage (histogram rows are allocated on a CPU's first hit).
 */

import { histBucketCount, histIndex, lhistBucketCount, lhistIndex } from "./histogram.js";
import { add, compare, div, type Int } from "./int64.js";
import type { MapValueKind, TseriesKind } from "./types.js";

/** The merged statistics of avg()/stats(). */
export interface StatsView {
  count: Int;
  /** Integer average, truncated toward zero; 0 when there is no sample. */
  average: Int;
  total: Int;
}

/** Common interface of every aggregation's per-key state. */
export interface AggregationState {
  /** Records one sample on `cpu`; `now` (ns) places it in time, which only tseries() uses. */
  add(cpu: number, v: Int, now: number): void;
  /** Resets every CPU's slot (`zero(@m)`); a tseries keeps its written buckets, as zeroed entries. */
  zero(): void;
  /** The value an expression reading the map sees (`@c > 10`): merged over CPUs. */
  read(): Int;
}

/** count(): per-CPU counters. */
export class CountState implements AggregationState {
  readonly perCpu: Float64Array;
  constructor(ncpus: number) {
    this.perCpu = new Float64Array(ncpus);
  }
  add(cpu: number): void {
    this.perCpu[cpu]!++;
  }
  zero(): void {
    this.perCpu.fill(0);
  }
  read(): Int {
    let s = 0;
    for (const c of this.perCpu) s += c;
    return s;
  }
}

/** sum(n): per-CPU 64-bit running sums, wrapping like the BPF program's adds. */
export class SumState implements AggregationState {
  readonly perCpu: Int[];
  constructor(
    ncpus: number,
    readonly signed: boolean,
  ) {
    this.perCpu = new Array<Int>(ncpus).fill(0);
  }
  add(cpu: number, v: Int): void {
    this.perCpu[cpu] = add(this.perCpu[cpu]!, v, this.signed);
  }
  zero(): void {
    this.perCpu.fill(0);
  }
  read(): Int {
    let s: Int = 0;
    for (const v of this.perCpu) s = add(s, v, this.signed);
    return s;
  }
}

/** avg(n) and stats(n): per-CPU sample counts and totals. */
export class StatsState implements AggregationState {
  readonly counts: Float64Array;
  readonly totals: Int[];
  constructor(
    ncpus: number,
    readonly signed: boolean,
  ) {
    this.counts = new Float64Array(ncpus);
    this.totals = new Array<Int>(ncpus).fill(0);
  }
  add(cpu: number, v: Int): void {
    this.counts[cpu]!++;
    this.totals[cpu] = add(this.totals[cpu]!, v, this.signed);
  }
  zero(): void {
    this.counts.fill(0);
    this.totals.fill(0);
  }
  /** Count, integer average and total merged over CPUs. */
  stats(): StatsView {
    let count = 0;
    let total: Int = 0;
    for (let i = 0; i < this.counts.length; i++) {
      count += this.counts[i]!;
      total = add(total, this.totals[i]!, this.signed);
    }
    const average = count === 0 ? 0 : div(total, count, this.signed);
    return { count, average, total };
  }
  read(): Int {
    return this.stats().average;
  }
}

/** min(n)/max(n): per-CPU extremes; a CPU that saw no sample does not take part. */
export class MinMaxState implements AggregationState {
  readonly values: Int[];
  readonly seen: Uint8Array;
  constructor(
    ncpus: number,
    readonly signed: boolean,
    readonly isMax: boolean,
  ) {
    this.values = new Array<Int>(ncpus).fill(0);
    this.seen = new Uint8Array(ncpus);
  }
  add(cpu: number, v: Int): void {
    if (!this.seen[cpu]) {
      this.seen[cpu] = 1;
      this.values[cpu] = v;
      return;
    }
    const c = compare(v, this.values[cpu]!, this.signed);
    if (this.isMax ? c > 0 : c < 0) this.values[cpu] = v;
  }
  zero(): void {
    this.values.fill(0);
    this.seen.fill(0);
  }
  read(): Int {
    let best: Int = 0;
    let any = false;
    for (let i = 0; i < this.values.length; i++) {
      if (!this.seen[i]) continue;
      const v = this.values[i]!;
      if (!any) {
        best = v;
        any = true;
        continue;
      }
      const c = compare(v, best, this.signed);
      if (this.isMax ? c > 0 : c < 0) best = v;
    }
    return best;
  }
}

/** Histogram bucket counts, one row per CPU allocated on that CPU's first sample. */
abstract class BucketState implements AggregationState {
  readonly rows: (Float64Array | undefined)[];
  constructor(
    ncpus: number,
    readonly buckets: number,
  ) {
    this.rows = new Array<Float64Array | undefined>(ncpus).fill(undefined);
  }
  abstract index(v: Int): number;
  add(cpu: number, v: Int): void {
    let row = this.rows[cpu];
    if (row === undefined) row = this.rows[cpu] = new Float64Array(this.buckets);
    row[this.index(v)]!++;
  }
  zero(): void {
    for (const row of this.rows) row?.fill(0);
  }
  /** Bucket counts summed over CPUs. */
  merged(): Float64Array {
    const out = new Float64Array(this.buckets);
    for (const row of this.rows) {
      if (row === undefined) continue;
      for (let i = 0; i < row.length; i++) out[i]! += row[i]!;
    }
    return out;
  }
  /** Total samples, the key bpftrace sorts histogram maps by. */
  total(): number {
    let s = 0;
    for (const row of this.rows) if (row) for (const c of row) s += c;
    return s;
  }
  read(): Int {
    return this.total();
  }
}

/** hist(n, k). */
export class HistState extends BucketState {
  constructor(
    ncpus: number,
    readonly k: number,
  ) {
    super(ncpus, histBucketCount(k));
  }
  index(v: Int): number {
    return histIndex(v, this.k);
  }
}

/** lhist(n, min, max, step). */
export class LhistState extends BucketState {
  constructor(
    ncpus: number,
    readonly min: number,
    readonly max: number,
    readonly step: number,
  ) {
    super(ncpus, lhistBucketCount(min, max, step));
  }
  index(v: Int): number {
    return lhistIndex(v, this.min, this.max, this.step);
  }
}

/** One CPU's ring of tseries buckets: value, metadata and epoch of each. */
interface TseriesRing {
  values: Int[];
  /** The write time ("last"), the sample count (avg) or a seen flag (min, max). */
  metas: Float64Array;
  epochs: Float64Array;
}

/**
 * tseries(n, interval, intervals[, agg]): per CPU, `intervals` buckets indexed by epoch %
 * intervals, where epoch = now / interval. A bucket keeps the epoch it was last written in, so
 * a reading can drop buckets a newer interval reused, as bpftrace's reduction does.
 */
export class TseriesState implements AggregationState {
  readonly rings: (TseriesRing | undefined)[];
  /** Buckets any CPU wrote: in bpftrace each is a map entry of its own, absent until written. */
  readonly written: Uint8Array;
  constructor(
    ncpus: number,
    readonly kind: TseriesKind,
  ) {
    this.rings = new Array<TseriesRing | undefined>(ncpus).fill(undefined);
    this.written = new Uint8Array(kind.intervals);
  }
  private ring(cpu: number): TseriesRing {
    let r = this.rings[cpu];
    if (r === undefined) {
      const n = this.kind.intervals;
      r = this.rings[cpu] = {
        values: new Array<Int>(n).fill(0),
        metas: new Float64Array(n),
        epochs: new Float64Array(n),
      };
    }
    return r;
  }
  add(cpu: number, v: Int, now: number): void {
    const { agg, signed, intervalNs, intervals } = this.kind;
    const r = this.ring(cpu);
    const epoch = Math.floor(now / intervalNs);
    const b = epoch % intervals;
    // A reduction starts afresh when the bucket last held an older interval.
    if (agg !== "last" && r.epochs[b] !== epoch) {
      r.values[b] = 0;
      r.metas[b] = 0;
    }
    if (agg === "last") {
      r.values[b] = v;
      r.metas[b] = now;
    } else if (agg === "sum" || agg === "avg") {
      r.values[b] = add(r.values[b]!, v, signed);
      if (agg === "avg") r.metas[b]!++;
    } else {
      const c = compare(v, r.values[b]!, signed);
      if (!r.metas[b] || (agg === "max" ? c > 0 : c < 0)) r.values[b] = v;
      r.metas[b] = 1;
    }
    r.epochs[b] = epoch;
    this.written[b] = 1;
  }
  zero(): void {
    for (const r of this.rings) {
      r?.values.fill(0);
      r?.metas.fill(0);
      r?.epochs.fill(0);
    }
  }
  /** The value of each bucket, merged over CPUs, by the epoch it holds (see reduceBucket). */
  byEpoch(): Map<number, Int> {
    const out = new Map<number, Int>();
    for (let b = 0; b < this.kind.intervals; b++) {
      if (!this.written[b]) continue;
      const [epoch, v] = this.reduceBucket(b);
      if (!out.has(epoch)) out.set(epoch, v);
    }
    return out;
  }
  /**
   * One bucket over CPUs: the samples of its latest epoch combined. Epoch 0 marks an unused
   * slot, so a bucket never written after epoch 0 reads as epoch 0, value 0 (as in bpftrace).
   */
  private reduceBucket(b: number): [number, Int] {
    const { agg, signed } = this.kind;
    let epoch = 0;
    let value: Int = 0;
    let meta = 0;
    for (const r of this.rings) {
      if (r === undefined || r.epochs[b] === 0) continue;
      const e = r.epochs[b]!;
      const v = r.values[b]!;
      const m = r.metas[b]!;
      if (e < epoch) continue;
      if (e > epoch) {
        [epoch, value, meta] = [e, v, m];
        continue;
      }
      if (agg === "last") {
        if (m > meta) [value, meta] = [v, m];
      } else if (agg === "sum" || agg === "avg") {
        value = add(value, v, signed);
        meta += m;
      } else {
        const c = compare(v, value, signed);
        if (agg === "max" ? c > 0 : c < 0) value = v;
      }
    }
    if (agg === "avg" && meta > 0) value = div(value, meta, signed);
    return [epoch, value];
  }
  /** The latest epoch written, the order bpftrace prints tseries keys in. */
  read(): Int {
    let latest = 0;
    for (const r of this.rings) if (r) for (const e of r.epochs) if (e > latest) latest = e;
    return latest;
  }
}

/** Allocates the state one key of an aggregation map holds. */
export function createAggregation(kind: MapValueKind, ncpus: number): AggregationState {
  switch (kind.kind) {
    case "count":
      return new CountState(ncpus);
    case "sum":
      return new SumState(ncpus, kind.signed);
    case "avg":
    case "stats":
      return new StatsState(ncpus, kind.signed);
    case "min":
      return new MinMaxState(ncpus, kind.signed, false);
    case "max":
      return new MinMaxState(ncpus, kind.signed, true);
    case "hist":
      return new HistState(ncpus, kind.k);
    case "lhist":
      return new LhistState(ncpus, kind.min, kind.max, kind.step);
    case "tseries":
      return new TseriesState(ncpus, kind);
    case "plain":
      throw new Error("plain maps hold values, not aggregations");
  }
}
