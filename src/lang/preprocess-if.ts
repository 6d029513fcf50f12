/**
 * The expression of `#if` and `#elif`: `defined NAME` / `defined(NAME)` first, then macro
 * expansion, then every identifier left is 0 (C's rule), then integer arithmetic with C's
 * operators and precedence, in 64-bit signed integers as clang's preprocessor computes them.
 */
import { ExpansionError, type MacroTable, nextSolid, type PpToken, scanTokens } from "./preprocess-macros.js";

/** A malformed #if expression; the caller knows the line. */
export class IfExpressionError extends Error {}

/** The value of a `#if` condition: true when non-zero. */
export function evaluateCondition(text: string, macros: MacroTable): boolean {
  const tokens = replaceDefined(scanTokens(text), macros);
  let expanded: PpToken[];
  try {
    expanded = macros.expand(tokens);
  } catch (err) {
    if (err instanceof ExpansionError) throw new IfExpressionError(err.message);
    throw err;
  }
  const solid = expanded.filter((t) => t.kind !== "space" && t.kind !== "comment");
  if (solid.length === 0) throw new IfExpressionError("#if with no expression");
  const parser = new ConditionParser(solid);
  const value = parser.ternary();
  parser.expectEnd();
  return value !== 0n;
}

/** `defined X` and `defined(X)` become 1 or 0 before anything expands. */
function replaceDefined(tokens: PpToken[], macros: MacroTable): PpToken[] {
  const out: PpToken[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== "id" || t.text !== "defined") {
      out.push(t);
      continue;
    }
    let j = nextSolid(tokens, i + 1);
    const paren = tokens[j]?.text === "(";
    if (paren) j = nextSolid(tokens, j + 1);
    const name = tokens[j];
    if (name?.kind !== "id") throw new IfExpressionError("'defined' needs a macro name");
    if (paren) {
      j = nextSolid(tokens, j + 1);
      if (tokens[j]?.text !== ")") throw new IfExpressionError("missing ')' after 'defined(NAME'");
    }
    out.push({ kind: "number", text: macros.has(name.text) ? "1" : "0" });
    i = j;
  }
  return out;
}

/** Binary operators by precedence level, loosest first (C's table). */
const LEVELS: readonly (readonly string[])[] = [
  ["||"],
  ["&&"],
  ["|"],
  ["^"],
  ["&"],
  ["==", "!="],
  ["<", ">", "<=", ">="],
  ["<<", ">>"],
  ["+", "-"],
  ["*", "/", "%"],
];

const TWO_CHAR = new Set(["||", "&&", "==", "!=", "<=", ">=", "<<", ">>"]);

function wrap(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}

function truth(b: boolean): bigint {
  return b ? 1n : 0n;
}

function apply(op: string, a: bigint, b: bigint): bigint {
  switch (op) {
    case "||":
      return truth(a !== 0n || b !== 0n);
    case "&&":
      return truth(a !== 0n && b !== 0n);
    case "|":
      return a | b;
    case "^":
      return a ^ b;
    case "&":
      return a & b;
    case "==":
      return truth(a === b);
    case "!=":
      return truth(a !== b);
    case "<":
      return truth(a < b);
    case ">":
      return truth(a > b);
    case "<=":
      return truth(a <= b);
    case ">=":
      return truth(a >= b);
    case "<<":
      return wrap(a << (b & 63n));
    case ">>":
      return a >> (b & 63n);
    case "+":
      return wrap(a + b);
    case "-":
      return wrap(a - b);
    case "*":
      return wrap(a * b);
    default:
      if (b === 0n) throw new IfExpressionError(`division by zero in #if`);
      return op === "/" ? wrap(a / b) : a % b;
  }
}

/** Integer literal text (decimal, hex, octal, binary; u/l suffixes) or a character constant. */
function literalValue(text: string): bigint {
  if (text.startsWith("'")) return charValue(text);
  const digits = text.replace(/[uUlL]+$/, "");
  if (/^0[0-7]+$/.test(digits)) return BigInt(`0o${digits.slice(1)}`);
  if (/^(0[xX][0-9a-fA-F]+|0[bB][01]+|\d+)$/.test(digits)) return wrap(BigInt(digits));
  throw new IfExpressionError(`'${text}' is not an integer in #if`);
}

const ESCAPES: Readonly<Record<string, number>> = { n: 10, t: 9, r: 13, "0": 0, "\\": 92, "'": 39, '"': 34 };

function charValue(text: string): bigint {
  const body = text.slice(1, -1);
  if (body.length === 1) return BigInt(body.charCodeAt(0));
  const esc = body.length === 2 && body[0] === "\\" ? ESCAPES[body[1]!] : undefined;
  if (esc === undefined) throw new IfExpressionError(`character constant ${text} is not supported in #if`);
  return BigInt(esc);
}

class ConditionParser {
  private pos = 0;

  constructor(private readonly tokens: PpToken[]) {}

  expectEnd(): void {
    const t = this.peek();
    if (t !== undefined) throw new IfExpressionError(`unexpected '${t}' in #if`);
  }

  ternary(): bigint {
    const cond = this.binary(0);
    if (this.peek() !== "?") return cond;
    this.pos++;
    const yes = this.ternary();
    if (this.peek() !== ":") throw new IfExpressionError("missing ':' in #if");
    this.pos++;
    const no = this.ternary();
    return cond !== 0n ? yes : no;
  }

  /** The operator at the cursor: two punctuation tokens may make one (`<` `<`). */
  private peek(): string | undefined {
    const t = this.tokens[this.pos];
    if (t === undefined) return undefined;
    const next = this.tokens[this.pos + 1];
    if (t.kind === "punct" && next?.kind === "punct" && TWO_CHAR.has(t.text + next.text)) {
      return t.text + next.text;
    }
    return t.text;
  }

  private advance(op: string): void {
    this.pos += op.length === 2 && this.tokens[this.pos]!.text.length === 1 ? 2 : 1;
  }

  private binary(level: number): bigint {
    if (level === LEVELS.length) return this.unary();
    let left = this.binary(level + 1);
    for (let op = this.peek(); op !== undefined && LEVELS[level]!.includes(op); op = this.peek()) {
      this.advance(op);
      left = apply(op, left, this.binary(level + 1));
    }
    return left;
  }

  private unary(): bigint {
    const op = this.peek();
    if (op === "!" || op === "~" || op === "-" || op === "+") {
      this.pos++;
      const v = this.unary();
      if (op === "!") return truth(v === 0n);
      if (op === "~") return ~v;
      return op === "-" ? wrap(-v) : v;
    }
    return this.primary();
  }

  private primary(): bigint {
    const t = this.tokens[this.pos];
    if (t === undefined) throw new IfExpressionError("#if expression ends too early");
    this.pos++;
    if (t.text === "(") {
      const v = this.ternary();
      if (this.peek() !== ")") throw new IfExpressionError("missing ')' in #if");
      this.pos++;
      return v;
    }
    if (t.kind === "number" || (t.kind === "string" && t.text.startsWith("'"))) return literalValue(t.text);
    // An identifier that is no macro counts as 0.
    if (t.kind === "id") return 0n;
    throw new IfExpressionError(`unexpected '${t.text}' in #if`);
  }
}
