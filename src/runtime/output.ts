/**
 * Output events and their writers.
 *
 * Probe handlers do not print: like bpftrace's BPF programs they push events (printf,
 * print, time, errorf/warnf, clear/zero, exit) into a bounded ring, the model of a perf
 * buffer. User space drains the ring in order and hands each event to a writer, which is
 * where strings are finally built. A full ring drops events and counts them; the count is
 * delivered, in stream position, as bpftrace's "Lost N events".
 *
 * Pushing copies the arguments into a reused slot, so a hit allocates nothing once the slot
 * exists (slots are created the first time the ring grows to them, so a quiet script pays
 * for a few, not for the whole capacity). Values
 * pushed must not be mutated afterwards (tuples and records are immutable in the language).
 */

import { jsonMap, type PrintMapOptions, printMap, printMaps, sortByName } from "./format.js";
import type { Int } from "./int64.js";
import type { BpfMap } from "./maps.js";
import { type FormatSpec, formatPrintf } from "./printf.js";
import { readSimFile } from "./sim-files.js";
import { runSimulatedCommand } from "./simulated-shell.js";
import { formatStrftime } from "./strftime.js";
import type { Sink, SourceLocation, Value, ValueType } from "./types.js";
import { jsonInt, jsonString, jsonValue, renderValue } from "./values.js";

export type OutputEventKind =
  | "printf"
  | "value"
  | "map"
  | "clear"
  | "zero"
  | "time"
  | "errorf"
  | "warnf"
  | "cat"
  | "system"
  | "exit";

/** One reusable ring slot; which fields matter depends on `kind`. */
interface Slot {
  kind: OutputEventKind;
  spec: FormatSpec | undefined;
  args: Value[];
  types: readonly (ValueType | undefined)[] | undefined;
  value: Value;
  type: ValueType | undefined;
  map: BpfMap | undefined;
  top: number;
  div: number;
  format: string;
  ns: Int;
  loc: SourceLocation | undefined;
  code: number;
  /** Events lost just before this one (reported first when it is drained). */
  lostBefore: number;
}

function emptySlot(): Slot {
  return {
    kind: "printf",
    spec: undefined,
    args: [],
    types: undefined,
    value: 0,
    type: undefined,
    map: undefined,
    top: 0,
    div: 0,
    format: "",
    ns: 0,
    loc: undefined,
    code: 0,
    lostBefore: 0,
  };
}

/** What drained events are delivered to: the text and JSON writers, or a test recorder. */
export interface OutputConsumer {
  printf(text: string): void;
  value(v: Value, type: ValueType | undefined): void;
  map(map: BpfMap, opts: PrintMapOptions): void;
  time(text: string): void;
  errorf(message: string, loc: SourceLocation): void;
  warnf(message: string, loc: SourceLocation): void;
  lostEvents(count: number): void;
  /** cat(path): the file's content, or null when there is no such file. */
  cat?(path: string, content: string | null): void;
  /** system(cmd): what the (simulated) command printed. */
  system?(output: string): void;
  /** An `exit(code)` reached user space. */
  exit?(code: number): void;
}

/** bpftrace's default `time()` format. */
export const DEFAULT_TIME_FORMAT = "%H:%M:%S\n";

/** A bounded event ring with lost-event accounting, like a perf buffer. */
export class OutputRing {
  readonly capacity: number;
  private readonly slots: Slot[];
  private head = 0;
  private size = 0;
  private lostPending = 0;
  /** Events dropped since the ring was created. */
  lostTotal = 0;
  /** CPUs of the simulated machine, for the files cat() reads. */
  ncpus = 1;
  /** bpftrace's max_cat_bytes: cat() prints at most this much of a file. */
  maxCatBytes = 10240;

  constructor(capacity = 4096) {
    if (!(capacity >= 1)) throw new RangeError("ring capacity must be at least 1");
    this.capacity = Math.floor(capacity);
    this.slots = [];
  }

  /** Drop every slot (the ring must be empty); it grows again if it is used. */
  release(): void {
    if (this.size !== 0) throw new RangeError("cannot release a ring with events in it");
    this.slots.length = 0;
    this.head = 0;
  }

  /** Events waiting to be drained. */
  get length(): number {
    return this.size;
  }

  /** Claims the next slot, or counts a lost event and returns undefined when full. */
  private claim(kind: OutputEventKind): Slot | undefined {
    if (this.size === this.capacity) {
      this.lostPending++;
      this.lostTotal++;
      return undefined;
    }
    const i = (this.head + this.size) % this.capacity;
    // Slots fill in order from 0, so the next one is either reused or the first new one.
    if (i === this.slots.length) this.slots.push(emptySlot());
    const slot = this.slots[i]!;
    this.size++;
    slot.kind = kind;
    slot.lostBefore = this.lostPending;
    this.lostPending = 0;
    return slot;
  }

  private copyArgs(slot: Slot, args: readonly Value[]): void {
    const dst = slot.args;
    for (let i = 0; i < args.length; i++) dst[i] = args[i]!;
    dst.length = args.length;
  }

  /** printf(fmt, args...): false when the event was lost. */
  printf(spec: FormatSpec, args: readonly Value[], types?: readonly (ValueType | undefined)[]): boolean {
    const s = this.claim("printf");
    if (!s) return false;
    s.spec = spec;
    s.types = types;
    this.copyArgs(s, args);
    return true;
  }

  /** print(value). */
  printValue(value: Value, type?: ValueType): boolean {
    const s = this.claim("value");
    if (!s) return false;
    s.value = value;
    s.type = type;
    return true;
  }

  /** print(@m[, top[, div]]): the map is read when the event is drained, as in bpftrace. */
  printMap(map: BpfMap, top = 0, div = 0): boolean {
    const s = this.claim("map");
    if (!s) return false;
    s.map = map;
    s.top = top;
    s.div = div;
    return true;
  }

  /** clear(@m), applied in stream order. */
  clearMap(map: BpfMap): boolean {
    const s = this.claim("clear");
    if (!s) return false;
    s.map = map;
    return true;
  }

  /** zero(@m), applied in stream order. */
  zeroMap(map: BpfMap): boolean {
    const s = this.claim("zero");
    if (!s) return false;
    s.map = map;
    return true;
  }

  /** time(fmt) at wall-clock `ns`. */
  time(ns: Int, format = DEFAULT_TIME_FORMAT): boolean {
    const s = this.claim("time");
    if (!s) return false;
    s.ns = ns;
    s.format = format;
    return true;
  }

  /** cat(fmt, args...) at simulated time `ns`: the file is read when the event is drained. */
  cat(
    spec: FormatSpec,
    args: readonly Value[],
    ns: number,
    types?: readonly (ValueType | undefined)[],
  ): boolean {
    const s = this.claim("cat");
    if (!s) return false;
    s.spec = spec;
    s.types = types;
    s.ns = ns;
    this.copyArgs(s, args);
    return true;
  }

  /** system(fmt, args...): the command line is formatted and run when the event is drained. */
  system(spec: FormatSpec, args: readonly Value[], types?: readonly (ValueType | undefined)[]): boolean {
    const s = this.claim("system");
    if (!s) return false;
    s.spec = spec;
    s.types = types;
    this.copyArgs(s, args);
    return true;
  }

  /** errorf(fmt, args...) at `loc`. */
  errorf(
    spec: FormatSpec,
    args: readonly Value[],
    loc: SourceLocation,
    types?: readonly (ValueType | undefined)[],
  ): boolean {
    return this.diagnostic("errorf", spec, args, loc, types);
  }

  /** warnf(fmt, args...) at `loc`. */
  warnf(
    spec: FormatSpec,
    args: readonly Value[],
    loc: SourceLocation,
    types?: readonly (ValueType | undefined)[],
  ): boolean {
    return this.diagnostic("warnf", spec, args, loc, types);
  }

  private diagnostic(
    kind: "errorf" | "warnf",
    spec: FormatSpec,
    args: readonly Value[],
    loc: SourceLocation,
    types?: readonly (ValueType | undefined)[],
  ): boolean {
    const s = this.claim(kind);
    if (!s) return false;
    s.spec = spec;
    s.types = types;
    s.loc = loc;
    this.copyArgs(s, args);
    return true;
  }

  /** exit(code): user space stops tracing when it reads this. */
  exit(code = 0): boolean {
    const s = this.claim("exit");
    if (!s) return false;
    s.code = code;
    return true;
  }

  /**
   * Delivers every queued event in order; returns how many events were delivered. Once an
   * exit event is delivered the rest is dropped, as bpftrace's user space ignores whatever
   * it reads after the exit (other CPUs' earlier events were queued before it and do print).
   */
  drain(consumer: OutputConsumer): number {
    let n = 0;
    while (this.size > 0) {
      const slot = this.slots[this.head]!;
      this.head = (this.head + 1) % this.capacity;
      this.size--;
      if (slot.lostBefore > 0) consumer.lostEvents(slot.lostBefore);
      if (slot.kind === "cat") this.deliverCat(slot, consumer);
      else deliver(slot, consumer);
      // Drop references so drained values and maps can be collected.
      slot.map = undefined;
      slot.value = 0;
      n++;
      if (slot.kind === "exit") this.discard();
    }
    if (this.lostPending > 0) {
      consumer.lostEvents(this.lostPending);
      this.lostPending = 0;
    }
    return n;
  }

  private deliverCat(slot: Slot, c: OutputConsumer): void {
    const path = formatPrintf(slot.spec!, slot.args, slot.types);
    const content = readSimFile(path, { ns: Number(slot.ns), ncpus: this.ncpus });
    c.cat?.(path, content === null ? null : content.slice(0, this.maxCatBytes));
  }

  /** Forgets every queued event (and the count of lost ones): nobody will read them. */
  private discard(): void {
    for (; this.size > 0; this.size--) {
      const slot = this.slots[this.head]!;
      slot.map = undefined;
      slot.value = 0;
      this.head = (this.head + 1) % this.capacity;
    }
    this.lostPending = 0;
  }
}

function deliver(slot: Slot, c: OutputConsumer): void {
  switch (slot.kind) {
    case "printf":
      c.printf(formatPrintf(slot.spec!, slot.args, slot.types));
      return;
    case "value":
      c.value(slot.value, slot.type);
      return;
    case "map":
      c.map(slot.map!, { top: slot.top, div: slot.div, zeroIfEmpty: true });
      return;
    case "clear":
      slot.map!.clear();
      return;
    case "zero":
      slot.map!.zero();
      return;
    case "time":
      c.time(formatStrftime(slot.format, slot.ns));
      return;
    case "errorf":
      c.errorf(formatPrintf(slot.spec!, slot.args, slot.types), slot.loc!);
      return;
    case "warnf":
      c.warnf(formatPrintf(slot.spec!, slot.args, slot.types), slot.loc!);
      return;
    case "exit":
      c.exit?.(slot.code);
      return;
    case "system":
      c.system?.(runSimulatedCommand(formatPrintf(slot.spec!, slot.args, slot.types)));
      return;
    case "cat":
      // OutputRing.drain reads the file itself (it knows the machine).
      return;
  }
}

/** `FILE:LINE:COL-END` as bpftrace prints a location. */
export function formatLocation(loc: SourceLocation): string {
  if (loc.lineEnd !== undefined && loc.lineEnd > loc.line)
    return `${loc.filename}:${loc.line}-${loc.lineEnd}`;
  return `${loc.filename}:${loc.line}:${loc.col}-${loc.colEnd ?? loc.col + 1}`;
}

/** bpftrace's logger drops one trailing newline from a message before adding its own. */
function logLine(message: string): string {
  return (message.endsWith("\n") ? message.slice(0, -1) : message) + "\n";
}

/** strerror(ENOENT): cat() of a path the simulated machine does not have. */
const NO_SUCH_FILE = "No such file or directory";

/** Writes bpftrace's text output: tracing output to `out`, messages to `err`. */
export class TextWriter implements OutputConsumer {
  constructor(
    readonly out: Sink,
    readonly err: Sink = out,
  ) {}
  /** False under --no-warnings: warnf() prints nothing. */
  warnings = true;

  /** The attach banner (stderr; the CLI skips it with -q). */
  attachedProbes(count: number): void {
    this.err.write(`Attached ${count} ${count === 1 ? "probe" : "probes"}\n`);
  }
  printf(text: string): void {
    this.out.write(text);
  }
  value(v: Value, type: ValueType | undefined): void {
    this.out.write(renderValue(v, type) + "\n");
  }
  map(map: BpfMap, opts: PrintMapOptions): void {
    this.out.write(printMap(map, opts));
  }
  time(text: string): void {
    this.out.write(text);
  }
  errorf(message: string, loc: SourceLocation): void {
    this.err.write(`${formatLocation(loc)}: ERROR: ${logLine(message)}${loc.expansion ?? ""}`);
  }
  warnf(message: string, loc: SourceLocation): void {
    if (this.warnings)
      this.err.write(`${formatLocation(loc)}: WARNING: ${logLine(message)}${loc.expansion ?? ""}`);
  }
  lostEvents(count: number): void {
    this.err.write(`Lost ${count} events\n`);
  }
  cat(path: string, content: string | null): void {
    if (content === null) this.err.write(`ERROR: failed to open file '${path}' (${NO_SUCH_FILE})\n`);
    else this.out.write(content);
  }
  system(output: string): void {
    this.out.write(output);
  }
  /** End of tracing: two newlines, then every non-empty map in byte order of names. */
  end(maps: Iterable<BpfMap> = [], printMapsOnExit = true): void {
    this.out.write("\n\n");
    if (printMapsOnExit) this.out.write(printMaps(maps));
  }
}

/** Writes `-f json` output: one JSON record per line. */
export class JsonWriter implements OutputConsumer {
  constructor(
    readonly out: Sink,
    readonly err: Sink = out,
  ) {}
  /** False under --no-warnings: warnf() prints nothing. */
  warnings = true;

  attachedProbes(count: number): void {
    this.out.write(`{"type": "attached_probes", "count": ${count}, "data": {"probes": ${count}}}\n`);
  }
  printf(text: string): void {
    this.out.write(`{"type": "printf", "data": ${jsonString(text)}}\n`);
  }
  value(v: Value, type: ValueType | undefined): void {
    this.out.write(`{"type": "value", "data": ${jsonValue(v, type)}}\n`);
  }
  map(map: BpfMap, opts: PrintMapOptions): void {
    this.out.write(jsonMap(map, opts));
  }
  time(text: string): void {
    this.out.write(`{"type": "time", "data": ${jsonString(text)}}\n`);
  }
  errorf(message: string, loc: SourceLocation): void {
    this.out.write(diagnosticRecord("errorf", message, loc));
  }
  warnf(message: string, loc: SourceLocation): void {
    if (this.warnings) this.out.write(diagnosticRecord("warnf", message, loc));
  }
  cat(path: string, content: string | null): void {
    if (content === null) this.err.write(`ERROR: failed to open file '${path}' (${NO_SUCH_FILE})\n`);
    else this.out.write(`{"type": "cat", "data": ${jsonString(content)}}\n`);
  }
  system(output: string): void {
    this.out.write(`{"type": "syscall", "data": ${jsonString(output)}}\n`);
  }
  lostEvents(count: number): void {
    this.out.write(`{"type": "lost_events", "count": ${count}, "data": {"events": ${count}}}\n`);
  }
  /** End of tracing: each non-empty map as one record, in byte order of names. */
  end(maps: Iterable<BpfMap> = [], printMapsOnExit = true): void {
    if (!printMapsOnExit) return;
    for (const m of sortByName(maps)) if (m.len() > 0) this.out.write(jsonMap(m));
  }
}

function diagnosticRecord(type: string, message: string, loc: SourceLocation): string {
  return (
    `{"type": "${type}", "msg": ${jsonString(message)}, "filename": ${jsonString(loc.filename)}, ` +
    `"line": ${jsonInt(loc.line)}, "col": ${jsonInt(loc.col)}}\n`
  );
}

/** A sink that keeps everything written to it (tests, the TUI's map panel, `-o` buffering). */
export class StringSink implements Sink {
  private readonly chunks: string[] = [];
  write(s: string): void {
    this.chunks.push(s);
  }
  /** Everything written so far. */
  text(): string {
    return this.chunks.join("");
  }
  /** Forgets what was written. */
  reset(): void {
    this.chunks.length = 0;
  }
}
