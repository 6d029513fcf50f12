/**
 * printf format strings, parsed once at check time. The runtime formats from the same
 * parsed pieces, so what the checker accepts is exactly what gets printed.
 *
 * Grammar: %[flags][width|*][.precision|.*][length]conversion, with bpftrace's conversions.
 */

export type Conversion = "d" | "i" | "u" | "o" | "x" | "X" | "c" | "s" | "p" | "r" | "rx" | "rh" | "gr";
export type LengthModifier = "" | "hh" | "h" | "l" | "ll" | "j" | "z" | "t" | "L";

export interface FormatSpec {
  kind: "spec";
  /** The whole specifier as written, e.g. `%-5s`. */
  text: string;
  flags: string;
  /** A number, "*" (taken from the arguments) or null. */
  width: number | "*" | null;
  precision: number | "*" | null;
  length: LengthModifier;
  conversion: Conversion;
}

export type FormatPiece = { kind: "text"; text: string } | FormatSpec;

export type FormatResult = { ok: true; pieces: FormatPiece[] } | { ok: false; message: string };

const SPEC_RE = /%([-+ #0]*)(\*|[0-9]+)?(?:\.(\*|[0-9]+))?(hh|h|ll|l|j|z|t|L)?(rx|rh|gr|[a-zA-Z%])?/y;
const SUPPORTED = new Set(["d", "i", "u", "o", "x", "X", "c", "s", "p", "r", "rx", "rh", "gr"]);

/** Splits a format into literal text and specifiers; `%%` becomes text. */
export function parseFormat(fmt: string): FormatResult {
  const pieces: FormatPiece[] = [];
  let text = "";
  let i = 0;
  while (i < fmt.length) {
    const pct = fmt.indexOf("%", i);
    if (pct < 0) {
      text += fmt.slice(i);
      break;
    }
    text += fmt.slice(i, pct);
    SPEC_RE.lastIndex = pct;
    const m = SPEC_RE.exec(fmt)!;
    const conv = m[5];
    if (conv === "%" && m[0] === "%%") {
      text += "%";
      i = pct + 2;
      continue;
    }
    if (conv === undefined) return { ok: false, message: `incomplete format specifier: ${m[0]}` };
    if (!SUPPORTED.has(conv)) return { ok: false, message: `unsupported format specifier: ${conv}` };
    if (text !== "") pieces.push({ kind: "text", text });
    text = "";
    pieces.push({
      kind: "spec",
      text: m[0],
      flags: m[1] ?? "",
      width: numberOrStar(m[2]),
      precision: numberOrStar(m[3]),
      length: (m[4] ?? "") as LengthModifier,
      conversion: conv as Conversion,
    });
    i = pct + m[0].length;
  }
  if (text !== "") pieces.push({ kind: "text", text });
  return { ok: true, pieces };
}

function numberOrStar(s: string | undefined): number | "*" | null {
  if (s === undefined) return null;
  return s === "*" ? "*" : Number(s);
}

/** What kind of value each argument slot takes, in order (`*` widths take an integer). */
export function argumentKinds(pieces: FormatPiece[]): ("int" | "buffer" | "any")[] {
  const kinds: ("int" | "buffer" | "any")[] = [];
  for (const p of pieces) {
    if (p.kind !== "spec") continue;
    if (p.width === "*") kinds.push("int");
    if (p.precision === "*") kinds.push("int");
    if (p.conversion === "s") kinds.push("any");
    else if (p.conversion === "r" || p.conversion === "rx" || p.conversion === "rh") kinds.push("buffer");
    else kinds.push("int");
  }
  return kinds;
}
