/**
 * Values: construction helpers (strings with max_strlen, records), zero values, the text form
 * bpftrace prints (docs/language.md, "Output") and the JSON form of `-f json`. Rendering runs only when
 * output is printed, never on the per-hit path.
 */

import { compare, type Int, toBig, toDecimal, toHex } from "./int64.js";
import { formatStrftime } from "./strftime.js";
import type { RecordValue, UstackValueType, Value, ValueType } from "./types.js";

/** bpftrace's default `str_trunc_trailer`. */
export const DEFAULT_TRUNC_TRAILER = "..";

/**
 * A string as `str()` reads it into a `size`-byte buffer (NUL included): cut at the first NUL,
 * and when the text does not fit, keep `size - 1` bytes and append the truncation trailer.
 */
export function makeString(raw: string, size: number, trailer = DEFAULT_TRUNC_TRAILER): string {
  const nul = raw.indexOf("\0");
  const s = nul >= 0 ? raw.slice(0, nul) : raw;
  if (size > 0 && s.length > size - 1) return s.slice(0, size - 1) + trailer;
  return s;
}

/** Builds a record value from its fields in declaration order. */
export function makeRecord(fields: readonly Value[]): RecordValue {
  return { record: fields };
}

export function isRecord(v: Value): v is RecordValue {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** The value a missing map key reads as. */
export function zeroValue(type: ValueType): Value {
  switch (type.kind) {
    case "int":
    case "usym":
    case "pointer":
    case "timestamp":
      return 0;
    case "bool":
      return false;
    case "string":
      return "";
    case "tuple":
      return type.elements.map(zeroValue);
    case "array":
      return Array.from({ length: type.length }, () => zeroValue(type.element));
    case "record":
      return makeRecord(type.fields.map((f) => zeroValue(f.type)));
    case "ustack":
      return [];
    case "buffer":
      return new Uint8Array(0);
    case "none":
      return 0;
  }
}

/** Guesses a type from a JS value, for callers that print untyped values. */
export function inferType(v: Value): ValueType {
  if (typeof v === "number" || typeof v === "bigint") {
    const signed = typeof v === "number" || v < 0n;
    return { kind: "int", bits: 64, signed };
  }
  if (typeof v === "boolean") return { kind: "bool" };
  if (typeof v === "string") return { kind: "string", size: v.length + 1 };
  if (v instanceof Uint8Array) return { kind: "buffer" };
  if (Array.isArray(v)) return { kind: "tuple", elements: v.map(inferType) };
  const rec = v as RecordValue;
  return { kind: "record", fields: rec.record.map((f, i) => ({ name: `_${i}`, type: inferType(f) })) };
}

/** Buffer text: printable ASCII kept, every other byte as `\xNN` (also `%r`). */
export function formatBuffer(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) {
    if (b >= 32 && b <= 126) s += String.fromCharCode(b);
    else s += "\\x" + b.toString(16).padStart(2, "0");
  }
  return s;
}

/** Every byte as `\xNN` (`%rx`). */
export function formatBufferHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += "\\x" + b.toString(16).padStart(2, "0");
  return s;
}

/** Bytes as `0a fe` (`%rh`). */
export function formatBufferHexSpaced(bytes: Uint8Array): string {
  const parts: string[] = [];
  for (const b of bytes) parts.push(b.toString(16).padStart(2, "0"));
  return parts.join(" ");
}

/** A symbol, or `0x` + hex when no symbol holds the address. */
export function formatSymbol(addr: Int, resolve?: (a: Int) => string | undefined): string {
  return resolve?.(addr) ?? "0x" + toHex(addr);
}

/**
 * A stack as bpftrace prints one: a newline, then a line per frame, innermost first. bpftrace
 * mode indents `sym+off` by 8 spaces; perf mode is a tab, the hex address and `sym+off (file)`;
 * raw mode is the bare hex address; build_id mode is the file's build ID and the offset in it,
 * or the bare hex address where no file holds the frame (the kernel's BPF_STACK_BUILD_ID_IP).
 */
export function formatStack(frames: readonly Value[], type: UstackValueType): string {
  let s = "\n";
  for (const f of frames) {
    const addr = f as Int;
    if (type.mode === "raw") s += toHex(addr) + "\n";
    else if (type.mode === "perf")
      s += "\t" + toHex(addr) + " " + (type.resolve?.(addr, "perf") ?? "[unknown]") + "\n";
    else if (type.mode === "build_id") s += (type.resolve?.(addr, "build_id") ?? toHex(addr)) + "\n";
    else s += "        " + (type.resolve?.(addr, "bpftrace") ?? "0x" + toHex(addr)) + "\n";
  }
  return s;
}

/** The text form of a value (print, map keys and values, `%s`). */
export function renderValue(v: Value, type: ValueType = inferType(v)): string {
  switch (type.kind) {
    case "int": {
      const n = toDecimal(v as Int);
      return type.names?.get(n) ?? n;
    }
    case "bool":
      return v ? "true" : "false";
    case "string": {
      // Strings are NUL-terminated: whatever follows an embedded NUL is not part of them.
      const nul = (v as string).indexOf("\0");
      return nul < 0 ? (v as string) : (v as string).slice(0, nul);
    }
    case "tuple": {
      const items = v as readonly Value[];
      const parts: string[] = [];
      for (let i = 0; i < items.length; i++) parts.push(renderValue(items[i]!, type.elements[i]));
      return "(" + parts.join(", ") + ")";
    }
    case "array":
      return "[" + (v as readonly Value[]).map((x) => renderValue(x, type.element)).join(",") + "]";
    case "record": {
      const fields = (v as RecordValue).record;
      if (fields.length === 0) return "{}";
      const parts: string[] = [];
      for (let i = 0; i < fields.length; i++) {
        const f = type.fields[i];
        parts.push("." + (f?.name ?? `_${i}`) + " = " + renderValue(fields[i]!, f?.type));
      }
      return "{ " + parts.join(", ") + " }";
    }
    case "usym":
      return formatSymbol(v as Int, type.resolve);
    case "ustack":
      return formatStack(v as readonly Value[], type);
    case "timestamp":
      return formatStrftime(type.format, v as Int);
    case "buffer":
      return formatBuffer(v as Uint8Array);
    case "pointer":
      return "0x" + toHex(v as Int);
    case "none":
      return "";
  }
}

/** A JSON string literal the way bpftrace escapes it. */
export function jsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else if (c <= 0x1f) out += "\\u" + c.toString(16).padStart(4, "0");
    else out += s[i];
  }
  return out + '"';
}

/** A JSON integer; one a double cannot hold exactly becomes a string, as bpftrace emits it. */
export function jsonInt(v: Int): string {
  if (typeof v === "number") return String(v);
  return BigInt(Number(v)) === v ? v.toString() : '"' + v.toString() + '"';
}

/** The JSON form of a value (`print(v)` data, map values). */
export function jsonValue(v: Value, type: ValueType = inferType(v)): string {
  switch (type.kind) {
    case "int":
    case "pointer":
      return jsonInt(v as Int);
    case "bool":
      return v ? "true" : "false";
    case "tuple": {
      const items = v as readonly Value[];
      const parts: string[] = [];
      for (let i = 0; i < items.length; i++) parts.push(jsonValue(items[i]!, type.elements[i]));
      return "[" + parts.join(",") + "]";
    }
    case "array":
      return "[" + (v as readonly Value[]).map((x) => jsonValue(x, type.element)).join(",") + "]";
    case "record": {
      const fields = (v as RecordValue).record;
      const parts: string[] = [];
      for (let i = 0; i < fields.length; i++) {
        const f = type.fields[i];
        parts.push(jsonString(f?.name ?? `_${i}`) + ": " + jsonValue(fields[i]!, f?.type));
      }
      return "{" + parts.join(", ") + "}";
    }
    case "buffer": {
      // bpftrace emits the bytes as C chars, so bytes above 0x7f come out negative.
      const parts: string[] = [];
      for (const b of v as Uint8Array) parts.push(String(b > 127 ? b - 256 : b));
      return "[" + parts.join(",") + "]";
    }
    case "none":
      return "null";
    default:
      return jsonString(renderValue(v, type));
  }
}

/** Text of a map key: the value's text with a tuple's outer parentheses removed. */
export function renderKey(key: Value, type?: ValueType): string {
  const s = renderValue(key, type ?? inferType(key));
  if (s.length >= 2 && s[0] === "(" && s[s.length - 1] === ")") return s.slice(1, -1);
  return s;
}

/** JSON object key of a map entry: the key text without outer parentheses and spaces. */
export function jsonKey(key: Value, type?: ValueType): string {
  return jsonString(renderKey(key, type).replaceAll(" ", ""));
}

/**
 * Encodes a key into a primitive usable as a JS Map key. Integers, strings and bools are
 * already primitives (integers are normalised, so one value has one encoding); tuples and
 * records become length-prefixed strings, which are injective.
 */
export function encodeKey(key: Value): number | bigint | string | boolean {
  if (typeof key !== "object") return key;
  return encodeComposite(key);
}

function encodeComposite(v: Value): string {
  if (typeof v === "number" || typeof v === "bigint") return "i" + toDecimal(v) + ";";
  if (typeof v === "string") return "s" + v.length + ":" + v;
  if (typeof v === "boolean") return v ? "T" : "F";
  if (v instanceof Uint8Array) return "b" + v.length + ":" + formatBufferHex(v);
  const items = Array.isArray(v) ? (v as readonly Value[]) : (v as RecordValue).record;
  let s = "(" + items.length + ":";
  for (const item of items) s += encodeComposite(item);
  return s + ")";
}

/** A copy that survives the caller reusing its tuple arrays between hits. */
export function snapshotValue(v: Value): Value {
  if (Array.isArray(v)) return (v as readonly Value[]).map(snapshotValue);
  if (v instanceof Uint8Array) return v.slice();
  if (typeof v === "object") return makeRecord((v as RecordValue).record.map(snapshotValue));
  return v;
}

/** An integer read as the signed integer of `bits` width (bpftrace sorts integer keys this way). */
function asSigned(v: Int, bits: number): bigint {
  return BigInt.asIntN(bits, toBig(v));
}

/**
 * bpftrace's key order: integers as signed numbers of their width, strings bytewise, tuples
 * field by field over their integer and string fields; other keys compare equal (the
 * caller keeps insertion order for them).
 */
export function compareKeys(a: Value, b: Value, type?: ValueType): number {
  const t = type ?? inferType(a);
  switch (t.kind) {
    case "int": {
      if (typeof a === "number" && typeof b === "number" && t.bits === 64) return a < b ? -1 : a > b ? 1 : 0;
      const x = asSigned(a as Int, t.bits);
      const y = asSigned(b as Int, t.bits);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case "string":
      return a < b ? -1 : a > b ? 1 : 0;
    case "tuple": {
      const xs = a as readonly Value[];
      const ys = b as readonly Value[];
      for (let i = 0; i < t.elements.length; i++) {
        const et = t.elements[i]!;
        if (et.kind !== "int" && et.kind !== "string") continue;
        const c = compareKeys(xs[i]!, ys[i]!, et);
        if (c !== 0) return c;
      }
      return 0;
    }
    default:
      return 0;
  }
}

/** Compares two integers of one type (helper for value-sorted maps). */
export function compareInts(a: Int, b: Int, signed: boolean): number {
  return compare(a, b, signed);
}
