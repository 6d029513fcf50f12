/**
 * Integer and string literal rules, as bpftrace's lexer applies them. The lexer hands over
 * the raw text of a literal; these functions give its value or say exactly what is wrong.
 */

import type { Expr, Span } from "./ast.js";
import { own } from "./own.js";
import { NONE } from "./types.js";

export const U64_MAX = (1n << 64n) - 1n;

export type LiteralResult<T> = { ok: true; value: T } | { ok: false; message: string };

/** Nanoseconds per unit of the duration suffixes. */
const DURATION_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
};

/** C integer suffixes: accepted, no effect on the type. */
const C_SUFFIX = /^(?:u|l|ul|lu|ll|ull|llu)$/i;

function applySuffix(text: string, value: bigint, suffix: string): LiteralResult<bigint> {
  if (suffix === "" || C_SUFFIX.test(suffix)) return checked(text, value);
  const unit = own(DURATION_NS, suffix);
  if (unit === undefined) return { ok: false, message: `invalid integer suffix: ${suffix}` };
  return checked(text, value * unit);
}

function checked(text: string, value: bigint): LiteralResult<bigint> {
  if (value > U64_MAX) return { ok: false, message: `integer literal overflows 64 bits: ${text}` };
  return { ok: true, value };
}

/** `_` separates digits; it may not lead, trail or follow another `_`'s absence of a digit. */
function digitsWithSeparators(text: string, digits: string): LiteralResult<string> {
  if (digits.endsWith("_") || digits.includes("__")) {
    return { ok: false, message: `invalid digit separator in integer literal: ${text}` };
  }
  return { ok: true, value: digits.replaceAll("_", "") };
}

/** Parses `123`, `0x1F`, `0775`, `1_000`, `1e6`, `10ms`, `5ul`; never throws. */
export function parseIntLiteral(text: string): LiteralResult<bigint> {
  const hex = /^0[xX]([0-9a-fA-F_]*)(.*)$/.exec(text);
  if (hex) {
    if (hex[1] === "" || hex[1]!.startsWith("_"))
      return { ok: false, message: `invalid hex literal: ${text}` };
    const digits = digitsWithSeparators(text, hex[1]!);
    if (!digits.ok) return digits;
    const suffix = hex[2]!;
    if (suffix !== "" && !C_SUFFIX.test(suffix))
      return { ok: false, message: `invalid integer suffix: ${suffix}` };
    return checked(text, BigInt(`0x${digits.value}`));
  }
  const sci = /^([0-9][0-9_]*)e([0-9_]+)(.*)$/.exec(text);
  if (sci && /^[0-9]/.test(sci[2]!)) return parseScientific(text, sci[1]!, sci[2]!, sci[3]!);
  const dec = /^([0-9][0-9_]*)(.*)$/.exec(text);
  if (dec === null) return { ok: false, message: `invalid integer literal: ${text}` };
  const digits = digitsWithSeparators(text, dec[1]!);
  if (!digits.ok) return digits;
  let value: bigint;
  if (digits.value.length > 1 && digits.value.startsWith("0")) {
    if (/[89]/.test(digits.value)) return { ok: false, message: `invalid octal literal: ${text}` };
    value = BigInt(`0o${digits.value.slice(1)}`);
  } else {
    value = BigInt(digits.value);
  }
  return applySuffix(text, value, dec[2]!);
}

/** `<d>e<n>`: the coefficient is a single digit 1–9, the exponent a non-negative integer. */
function parseScientific(text: string, coeff: string, exp: string, suffix: string): LiteralResult<bigint> {
  if (!/^[1-9]$/.test(coeff)) {
    return { ok: false, message: `coefficient part of scientific literal must be 1-9: ${text}` };
  }
  const e = digitsWithSeparators(text, exp);
  if (!e.ok) return e;
  const power = Number(e.value);
  if (power > 20) return { ok: false, message: `integer literal overflows 64 bits: ${text}` };
  return applySuffix(text, BigInt(coeff) * 10n ** BigInt(power), suffix);
}

export interface StringError {
  message: string;
  /** Offset of the offending escape within the literal text (quotes included). */
  offset: number;
  length: number;
}

export type StringResult = { ok: true; value: string } | ({ ok: false } & StringError);

const SIMPLE_ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\" };

/**
 * Decodes a double-quoted literal (quotes included) to a byte string: each char code is one
 * byte, so UTF-8 source text is stored as its encoded bytes. Never throws.
 */
export function decodeStringLiteral(text: string): StringResult {
  let out = "";
  let i = 1;
  const end = text.length - 1;
  while (i < end) {
    const c = text[i]!;
    if (c !== "\\") {
      const codePoint = text.codePointAt(i)!;
      out += codePoint < 0x80 ? c : utf8Bytes(codePoint);
      i += codePoint > 0xffff ? 2 : 1;
      continue;
    }
    const decoded = decodeEscape(text, i);
    if (!decoded.ok) return decoded;
    out += decoded.value;
    i = decoded.next;
  }
  return { ok: true, value: out };
}

function utf8Bytes(codePoint: number): string {
  return String.fromCharCode(...Buffer.from(String.fromCodePoint(codePoint), "utf8"));
}

type EscapeResult = { ok: true; value: string; next: number } | ({ ok: false } & StringError);

function decodeEscape(text: string, at: number): EscapeResult {
  const c = text[at + 1]!;
  const simple = own(SIMPLE_ESCAPES, c);
  if (simple !== undefined) return { ok: true, value: simple, next: at + 2 };
  const octal = /^[0-7]{1,3}/.exec(text.slice(at + 1, at + 4));
  if (octal) {
    const v = Number.parseInt(octal[0], 8);
    if (v > 255) {
      return {
        ok: false,
        message: "octal escape sequence out of range",
        offset: at,
        length: 1 + octal[0].length,
      };
    }
    return { ok: true, value: String.fromCharCode(v), next: at + 1 + octal[0].length };
  }
  if (c === "x" || c === "X") {
    const hex = /^[0-9a-fA-F]{1,2}/.exec(text.slice(at + 2, at + 4));
    if (hex)
      return {
        ok: true,
        value: String.fromCharCode(Number.parseInt(hex[0], 16)),
        next: at + 2 + hex[0].length,
      };
  }
  return { ok: false, message: `invalid escape character '\\${c}'`, offset: at, length: 2 };
}

/** A literal expression of a value fixed before the checker runs (config(), getopt()). */
export function literalExpr(value: bigint | string | boolean, span: Span): Expr {
  if (typeof value === "bigint") return { kind: "int", value, text: String(value), span, type: NONE };
  if (typeof value === "string") return { kind: "string", value, span, type: NONE };
  return { kind: "bool", value, span, type: NONE };
}
