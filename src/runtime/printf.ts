/**
 * printf formats with C semantics, as bpftrace's printf/errorf/warnf apply them.
 *
 * A format string is parsed once (when the script is compiled) into a `FormatSpec`; printing
 * then walks the spec. Length modifiers follow C: without `l`/`ll`/`j`/`z`/`t` an integer is
 * converted to 32 bits first (`hh` to 8, `h` to 16), which is why `%x` of a 64-bit value
 * prints only its low half. `%s` prints any value in its text form; `%r`, `%rx`, `%rh`
 * print buffers, and `%gr` an integer as gfp_t flag names.
 */

import { formatGfpFlags } from "./gfp-flags.js";
import { cast, type Int, isZero, toDecimal, toHex } from "./int64.js";
import type { Value, ValueType } from "./types.js";
import { formatBuffer, formatBufferHex, formatBufferHexSpaced, inferType, renderValue } from "./values.js";

/** What kind of argument a conversion consumes (for the checker). */
export type ArgKind = "int" | "any" | "buffer";

export type Conversion = "d" | "i" | "u" | "o" | "x" | "X" | "c" | "s" | "p" | "r" | "rx" | "rh" | "gr";
export type LengthModifier = "" | "hh" | "h" | "l" | "ll" | "j" | "z" | "t" | "L";

/** One `%...` directive. Width/precision: -1 when absent, -2 when given as `*`. */
export interface Directive {
  conv: Conversion;
  minus: boolean;
  plus: boolean;
  space: boolean;
  hash: boolean;
  zero: boolean;
  width: number;
  precision: number;
  length: LengthModifier;
}

/** A parsed format: literal text and directives in order, plus the arguments they expect. */
export interface FormatSpec {
  readonly source: string;
  readonly parts: readonly (string | Directive)[];
  readonly argKinds: readonly ArgKind[];
}

export interface FormatError {
  error: string;
}

/**
 * The largest field width or precision: a literal beyond it is a format error, and one taken
 * from traced data (`%*d`) is clamped to it, so one event can never be megabytes of padding.
 */
export const MAX_FORMAT_WIDTH = 4096;

const ABSENT = -1;
const STAR = -2;
const UNSUPPORTED = new Set("aAeEfFgGnmCSbBDOU".split(""));
const SUPPORTED = new Set(["d", "i", "u", "o", "x", "X", "c", "s", "p"]);

/** Parses a printf format once; returns the reusable spec or an error message. */
export function parseFormat(fmt: string): FormatSpec | FormatError {
  const parts: (string | Directive)[] = [];
  const argKinds: ArgKind[] = [];
  let literal = "";
  let i = 0;
  while (i < fmt.length) {
    const ch = fmt[i]!;
    if (ch !== "%") {
      literal += ch;
      i++;
      continue;
    }
    if (fmt[i + 1] === "%") {
      literal += "%";
      i += 2;
      continue;
    }
    const parsed = parseDirective(fmt, i + 1);
    if ("error" in parsed) return parsed;
    if (literal) parts.push(literal);
    literal = "";
    const d = parsed.directive;
    if (d.width === STAR) argKinds.push("int");
    if (d.precision === STAR) argKinds.push("int");
    argKinds.push(d.conv === "s" ? "any" : d.conv[0] === "r" ? "buffer" : "int");
    parts.push(d);
    i = parsed.next;
  }
  if (literal) parts.push(literal);
  return { source: fmt, parts, argKinds };
}

/** True when `parseFormat` failed. */
export function isFormatError(r: FormatSpec | FormatError): r is FormatError {
  return "error" in r;
}

function readNumber(fmt: string, i: number): { value: number; next: number } {
  let value = 0;
  while (i < fmt.length && fmt[i]! >= "0" && fmt[i]! <= "9") {
    value = value * 10 + (fmt.charCodeAt(i) - 48);
    i++;
  }
  return { value, next: i };
}

function parseDirective(fmt: string, i: number): { directive: Directive; next: number } | FormatError {
  const d: Directive = {
    conv: "d",
    minus: false,
    plus: false,
    space: false,
    hash: false,
    zero: false,
    width: ABSENT,
    precision: ABSENT,
    length: "",
  };
  for (; i < fmt.length; i++) {
    const f = fmt[i];
    if (f === "-") d.minus = true;
    else if (f === "+") d.plus = true;
    else if (f === " ") d.space = true;
    else if (f === "#") d.hash = true;
    else if (f === "0") d.zero = true;
    else break;
  }
  if (fmt[i] === "*") {
    d.width = STAR;
    i++;
  } else if (fmt[i] !== undefined && fmt[i]! >= "1" && fmt[i]! <= "9") {
    const n = readNumber(fmt, i);
    d.width = n.value;
    i = n.next;
  }
  if (fmt[i] === ".") {
    i++;
    if (fmt[i] === "*") {
      d.precision = STAR;
      i++;
    } else {
      const n = readNumber(fmt, i);
      d.precision = n.value;
      i = n.next;
    }
  }
  if (d.width > MAX_FORMAT_WIDTH || d.precision > MAX_FORMAT_WIDTH) {
    const what = d.width > MAX_FORMAT_WIDTH ? "width" : "precision";
    return { error: `format ${what} is too large (at most ${MAX_FORMAT_WIDTH})` };
  }
  for (const mod of ["hh", "h", "ll", "l", "j", "z", "t", "L"] as const) {
    if (fmt.startsWith(mod, i)) {
      d.length = mod;
      i += mod.length;
      break;
    }
  }
  const c = fmt[i];
  if (c === undefined)
    return { error: `invalid format string: incomplete conversion specifier at end of '${fmt}'` };
  if (c === "g" && fmt[i + 1] === "r") {
    d.conv = "gr";
    return { directive: d, next: i + 2 };
  }
  if (c === "r") {
    const next = fmt[i + 1];
    if (next === "x" || next === "h") {
      d.conv = next === "x" ? "rx" : "rh";
      return { directive: d, next: i + 2 };
    }
    d.conv = "r";
    return { directive: d, next: i + 1 };
  }
  if (SUPPORTED.has(c)) {
    d.conv = c as Conversion;
    return { directive: d, next: i + 1 };
  }
  if (UNSUPPORTED.has(c) || /[a-zA-Z]/.test(c)) return { error: `unsupported format specifier: ${c}` };
  return { error: `invalid format string: unexpected character '${c}' in conversion specifier` };
}

/** The checker's argument-count message, or undefined when the count matches. */
export function checkArgCount(spec: FormatSpec, supplied: number): string | undefined {
  const expected = spec.argKinds.length;
  if (supplied < expected)
    return `not enough arguments for format string (${supplied} supplied, ${expected} expected)`;
  if (supplied > expected)
    return `too many arguments for format string (${supplied} supplied, ${expected} expected)`;
  return undefined;
}

/** Width in bits a length modifier converts an integer to. */
function modifierBits(length: LengthModifier): number {
  switch (length) {
    case "hh":
      return 8;
    case "h":
      return 16;
    case "":
      return 32;
    default:
      return 64;
  }
}

function asInt(v: Value): Int {
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "number" || typeof v === "bigint") return v;
  return 0;
}

/** Pads `body` (which already carries sign and prefix) to the directive's width. */
function pad(d: Directive, width: number, prefix: string, digits: string, zeroFill: boolean): string {
  const len = prefix.length + digits.length;
  if (width <= len) return prefix + digits;
  const fill = width - len;
  if (d.minus) return prefix + digits + " ".repeat(fill);
  if (zeroFill) return prefix + "0".repeat(fill) + digits;
  return " ".repeat(fill) + prefix + digits;
}

function formatInteger(d: Directive, v: Value, width: number, precision: number): string {
  const raw = asInt(v);
  const bits = modifierBits(d.length);
  const signedConv = d.conv === "d" || d.conv === "i";
  const n = cast(raw, bits, signedConv);
  let prefix = "";
  let digits: string;
  const negative = n < 0;
  switch (d.conv) {
    case "d":
    case "i":
    case "u":
      digits = negative ? toDecimal(n).slice(1) : toDecimal(n);
      break;
    case "o":
      digits = n.toString(8);
      break;
    case "x":
      digits = toHex(n);
      break;
    default:
      digits = toHex(n, true);
  }
  if (precision >= 0) {
    if (precision === 0 && isZero(n)) digits = "";
    else if (digits.length < precision) digits = "0".repeat(precision - digits.length) + digits;
  }
  if (signedConv) {
    if (negative) prefix = "-";
    else if (d.plus) prefix = "+";
    else if (d.space) prefix = " ";
  } else if (d.hash) {
    if (d.conv === "o" && digits[0] !== "0") digits = "0" + digits;
    else if (d.conv === "x" && !isZero(n)) prefix = "0x";
    else if (d.conv === "X" && !isZero(n)) prefix = "0X";
  }
  return pad(d, width, prefix, digits, d.zero && !d.minus && precision < 0);
}

function formatChar(d: Directive, v: Value, width: number): string {
  const code = cast(asInt(v), 8, false) as number;
  return pad(d, width, "", String.fromCharCode(code), false);
}

function formatPointer(d: Directive, v: Value, width: number): string {
  const n = cast(asInt(v), 64, false);
  // glibc prints a null pointer as "(nil)".
  const body = isZero(n) ? "(nil)" : "0x" + toHex(n);
  return pad(d, width, "", body, false);
}

function formatText(d: Directive, text: string, width: number, precision: number): string {
  const s = precision >= 0 && text.length > precision ? text.slice(0, precision) : text;
  return pad(d, width, "", s, false);
}

function formatBufferArg(d: Directive, v: Value, width: number, precision: number): string {
  const bytes = v instanceof Uint8Array ? v : new Uint8Array(0);
  const text =
    d.conv === "rx"
      ? formatBufferHex(bytes)
      : d.conv === "rh"
        ? formatBufferHexSpaced(bytes)
        : formatBuffer(bytes);
  return formatText(d, text, width, precision);
}

/**
 * Formats `args` with a parsed spec. `types` gives the argument types for `%s` (symbols,
 * stacks, timestamps, records need them); without them types are inferred from the values.
 */
export function formatPrintf(
  spec: FormatSpec,
  args: readonly Value[],
  types?: readonly (ValueType | undefined)[],
): string {
  let out = "";
  let a = 0;
  for (const part of spec.parts) {
    if (typeof part === "string") {
      out += part;
      continue;
    }
    let width = part.width;
    let precision = part.precision;
    let d = part;
    if (width === STAR) {
      width = Number(asInt(args[a++] ?? 0));
      if (width < 0) {
        d = { ...part, minus: true };
        width = -width;
      }
      if (width > MAX_FORMAT_WIDTH) width = MAX_FORMAT_WIDTH;
    }
    if (precision === STAR) {
      precision = Number(asInt(args[a++] ?? 0));
      if (precision < 0) precision = ABSENT;
      else if (precision > MAX_FORMAT_WIDTH) precision = MAX_FORMAT_WIDTH;
    }
    const type = types?.[a];
    const v = args[a++] ?? 0;
    switch (d.conv) {
      case "s":
        out += formatText(d, renderValue(v, type ?? inferType(v)), width, precision);
        break;
      case "c":
        out += formatChar(d, v, width);
        break;
      case "p":
        out += formatPointer(d, v, width);
        break;
      case "r":
      case "rx":
      case "rh":
        out += formatBufferArg(d, v, width, precision);
        break;
      case "gr":
        out += formatText(d, formatGfpFlags(BigInt.asUintN(64, BigInt(asInt(v)))), width, precision);
        break;
      default:
        out += formatInteger(d, v, width, precision);
    }
  }
  return out;
}
