/**
 * A BPF map store. Keys are encoded into primitive JS Map keys (integers, strings and bools
 * as themselves, tuples as strings), and each entry keeps the original key for printing.
 * A plain map stores one value per key; an aggregation map stores per-CPU state per key
 * (see aggregations.ts). Scalar maps use one fixed sentinel key.
 *
 * Like a BPF hash map, the store holds at most `maxEntries` keys: inserting past that fails
 * with bpftrace's "Map full" warning, reported once per map through `onWarning`.
 */

import { type AggregationState, createAggregation } from "./aggregations.js";
import type { Int } from "./int64.js";
import type { MapDescriptor, Value, ValueType } from "./types.js";
import { encodeKey, snapshotValue, zeroValue } from "./values.js";

/** The key a scalar map stores its value under. */
export const SCALAR_KEY = 0;

export const MAP_FULL_MESSAGE =
  "Map full; can't update element. Try increasing max_map_keys config or manually setting " +
  "the max entries in a map declaration e.g. `let @a = hash(5000)`";

/** One stored key: the original key value and either a plain value or aggregation state. */
export interface MapEntry {
  readonly key: Value;
  value: Value;
  agg: AggregationState | undefined;
}

type EncodedKey = number | bigint | string | boolean;

/**
 * The store's first entry, under a key no encoded key can equal. V8 shrinks a JS Map's table
 * in a runtime call whenever a delete leaves it nearly empty, and grows it again at the next
 * insert: `@start[tid] = nsecs` at an entry and `delete(@start, tid)` at the return take a map
 * from one key to none and back on every call, and each such delete cost about 800 ns in a run
 * (against 30 ns with the holder in place). With the holder the store never empties. Every
 * read of the store skips it.
 */
const HOLDER_KEY: unique symbol = Symbol("holder");
const HOLDER: MapEntry = Object.freeze({ key: 0, value: 0, agg: undefined }) as MapEntry;

export class BpfMap {
  readonly name: string;
  readonly desc: MapDescriptor;
  /** Called once per map the first time an insert fails because the map is full. */
  onWarning: ((message: string, map: BpfMap) => void) | undefined;
  private readonly store = new Map<EncodedKey | typeof HOLDER_KEY, MapEntry>([[HOLDER_KEY, HOLDER]]);
  private readonly plainType: ValueType | undefined;
  private warnedFull = false;

  constructor(desc: MapDescriptor, onWarning?: (message: string, map: BpfMap) => void) {
    this.desc = desc;
    this.name = desc.name;
    this.onWarning = onWarning;
    this.plainType = desc.value.kind === "plain" ? desc.value.type : undefined;
  }

  /** True when the map holds an aggregation rather than plain values. */
  get isAggregation(): boolean {
    return this.plainType === undefined;
  }

  private encode(key: Value | undefined): EncodedKey {
    return this.desc.keyed ? encodeKey(key as Value) : SCALAR_KEY;
  }

  /** The zero value a missing key reads as. */
  zeroValue(): Value {
    return this.plainType ? zeroValue(this.plainType) : 0;
  }

  /** Value under `key`; a missing key reads as zero; aggregations read merged over CPUs. */
  lookup(key?: Value): Value {
    const k = this.encode(key);
    const e = this.store.get(k);
    if (e === undefined) return this.zeroValue();
    if (this.desc.lru) this.touch(k, e);
    return e.agg ? e.agg.read() : e.value;
  }

  /** The entry for `key`, creating it; undefined when the map is full. */
  private entryFor(key: Value | undefined): MapEntry | undefined {
    const k = this.encode(key);
    const e = this.store.get(k);
    if (e !== undefined) {
      if (this.desc.lru) this.touch(k, e);
      return e;
    }
    if (this.len() >= this.desc.maxEntries) {
      if (!this.desc.lru) {
        this.reportFull();
        return undefined;
      }
      // The store iterates in order of last use, so its first key after the holder is the least recent.
      const keys = this.store.keys();
      keys.next();
      this.store.delete(keys.next().value!);
    }
    const entry: MapEntry = {
      key: this.desc.keyed ? snapshotValue(key as Value) : SCALAR_KEY,
      value: 0,
      agg: this.plainType ? undefined : createAggregation(this.desc.value, this.desc.ncpus),
    };
    if (this.plainType) entry.value = zeroValue(this.plainType);
    this.store.set(k, entry);
    return entry;
  }

  /** An LRU map's store keeps keys in order of last use: a used key moves to the end. */
  private touch(k: EncodedKey, e: MapEntry): void {
    this.store.delete(k);
    this.store.set(k, e);
  }

  private reportFull(): void {
    if (this.warnedFull) return;
    this.warnedFull = true;
    this.onWarning?.(MAP_FULL_MESSAGE, this);
  }

  /** Stores a plain value; false when the map is full. For scalar maps pass key undefined. */
  update(key: Value | undefined, v: Value): boolean {
    const e = this.entryFor(key);
    if (e === undefined) return false;
    e.value = v;
    return true;
  }

  /** Adds one sample to the aggregation under `key` on `cpu` at `now` ns (count ignores `value`). */
  aggregate(cpu: number, key: Value | undefined, value: Int = 0, now = 0): boolean {
    const e = this.entryFor(key);
    if (e === undefined) return false;
    e.agg!.add(cpu, value, now);
    return true;
  }

  /** Removes `key`; true when it was there (bpftrace's delete() result). */
  delete(key?: Value): boolean {
    return this.store.delete(this.encode(key));
  }

  /** Removes every key (`clear(@m)`). */
  clear(): void {
    this.store.clear();
    this.store.set(HOLDER_KEY, HOLDER);
  }

  /** Zeroes every value but keeps the keys (`zero(@m)`). */
  zero(): void {
    for (const e of this.store.values()) {
      if (e === HOLDER) continue;
      if (e.agg) e.agg.zero();
      else e.value = zeroValue(this.plainType!);
    }
  }

  /** Number of keys (`len(@m)`). */
  len(): number {
    return this.store.size - 1;
  }

  /** True when `key` is present (`has_key(@m, k)`). */
  hasKey(key?: Value): boolean {
    return this.store.has(this.encode(key));
  }

  /** The stored entries in insertion order (iteration, printing). */
  entries(): MapEntry[] {
    const out: MapEntry[] = [];
    for (const e of this.store.values()) if (e !== HOLDER) out.push(e);
    return out;
  }

  /** `for ($kv : @m)` pairs: [key, value] with aggregations read merged. */
  pairs(): [Value, Value][] {
    const out: [Value, Value][] = [];
    for (const e of this.store.values()) if (e !== HOLDER) out.push([e.key, e.agg ? e.agg.read() : e.value]);
    return out;
  }
}
