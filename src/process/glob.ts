/**
 * Shell-style wildcards as bpftrace accepts them in probe targets and function names:
 * `*` any run of characters, `?` one character, `[abc]` / `[a-z]` / `[!x]` a class.
 *
 * A pattern is compiled once into a list of pieces and matched by the classic two-pointer
 * walk that, on a mismatch, backtracks only to the last `*`: O(pattern x text) at worst,
 * however many stars there are (a backtracking regular expression is exponential in them,
 * which long C++ symbols make real). Nothing a user types is ever read as regex syntax.
 */

export function hasWildcard(text: string): boolean {
  return /[*?[]/.test(text);
}

/** One character class: `[a-z_]`, `[!0-9]`. */
interface CharClass {
  negate: boolean;
  /** Inclusive code-point ranges. */
  ranges: number[];
}

/** A literal character (string), `?` (ANY), `*` (STAR) or a class. */
type Piece = string | typeof ANY | typeof STAR | CharClass;
const ANY = 0;
const STAR = 1;

/** A pattern that cannot be compiled, with the reason (for a diagnostic at the probe). */
export class GlobError extends Error {}

const cache = new Map<string, Piece[]>();

function compile(pattern: string): Piece[] {
  const cached = cache.get(pattern);
  if (cached) return cached;
  const pieces: Piece[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") {
      if (pieces[pieces.length - 1] !== STAR) pieces.push(STAR);
    } else if (c === "?") pieces.push(ANY);
    else if (c === "[") {
      const close = pattern.indexOf("]", i + 2);
      if (close < 0) {
        pieces.push("[");
        continue;
      }
      pieces.push(charClass(pattern.slice(i, close + 1)));
      i = close;
    } else pieces.push(c);
  }
  cache.set(pattern, pieces);
  return pieces;
}

function charClass(text: string): CharClass {
  let body = text.slice(1, -1);
  const negate = body.startsWith("!") || body.startsWith("^");
  if (negate) body = body.slice(1);
  const ranges: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const lo = body.charCodeAt(i);
    if (body[i + 1] === "-" && i + 2 < body.length) {
      const hi = body.charCodeAt(i + 2);
      if (hi < lo) {
        throw new GlobError(`invalid character class ${text}: range ${body.slice(i, i + 3)} is out of order`);
      }
      ranges.push(lo, hi);
      i += 2;
    } else ranges.push(lo, lo);
  }
  return { negate, ranges };
}

function matchesOne(p: Piece, ch: string): boolean {
  if (p === ANY) return true;
  if (typeof p === "string") return p === ch;
  if (p === STAR) return false;
  const code = ch.charCodeAt(0);
  let inside = false;
  for (let i = 0; i < p.ranges.length; i += 2) {
    if (code >= p.ranges[i]! && code <= p.ranges[i + 1]!) {
      inside = true;
      break;
    }
  }
  return inside !== p.negate;
}

/** Why `pattern` cannot be used, or null when it is a valid glob. */
export function globError(pattern: string): string | null {
  try {
    compile(pattern);
    return null;
  } catch (e) {
    if (e instanceof GlobError) return e.message;
    throw e;
  }
}

/** Does `text` match `pattern` as a whole? Throws GlobError for an invalid class. */
export function globMatch(pattern: string, text: string): boolean {
  if (!hasWildcard(pattern)) return pattern === text;
  const pieces = compile(pattern);
  let p = 0;
  let t = 0;
  // Where the last `*` was, and the text position it is currently taken to end at.
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    const piece = pieces[p];
    if (piece === STAR) {
      starP = p++;
      starT = t;
    } else if (piece !== undefined && matchesOne(piece, text[t]!)) {
      p++;
      t++;
    } else if (starP >= 0) {
      // Let the last star swallow one more character and retry after it.
      p = starP + 1;
      t = ++starT;
    } else return false;
  }
  while (pieces[p] === STAR) p++;
  return p === pieces.length;
}
