/**
 * Limits on how deeply a script may nest, so that no input can overflow the stack of the
 * recursive passes (parser, AST builder, macro expander, checker, compiler). Past a limit the
 * script gets one located "nested too deeply" error instead of an internal one.
 *
 * Two cheap checks: one over the tokens, before the parser recurses on them, and one over the
 * tree once macros are expanded (expansion can deepen a tree the tokens did not show).
 */

import type { Program, Span } from "./ast.js";
import { type IToken, type TokenType, tokenMatcher } from "./chevrotain.js";
import { tokenSpan } from "./cst-to-ast.js";
import type { DiagnosticSink } from "./diagnostics.js";
import * as t from "./tokens.js";

/**
 * Open brackets, parentheses, blocks and conditionals (`?`, which the parser recurses on as
 * deeply as on a bracket) at one point of the script.
 */
export const MAX_BRACKET_DEPTH = 100;
/** Operators in one statement, predicate or condition (each may add a level to the tree). */
export const MAX_STATEMENT_OPERATORS = 1000;
/** Levels of the syntax tree once macros are expanded. */
export const MAX_TREE_DEPTH = 1500;

const OPENERS: TokenType[] = [t.LParen, t.LBracket, t.LCurly];
const CLOSERS: TokenType[] = [t.RParen, t.RBracket, t.RCurly];
/** Where one statement ends and the next begins: the operator count starts again. */
const BOUNDARIES: TokenType[] = [t.Semi, t.LCurly, t.RCurly];
const OPERATORS: TokenType[] = [
  t.BinaryOperator,
  t.AssignOperator,
  t.Bang,
  t.Tilde,
  t.PlusPlus,
  t.MinusMinus,
  t.Dot,
  t.Arrow,
];

function matchesAny(token: IToken, types: TokenType[]): boolean {
  for (const type of types) if (tokenMatcher(token, type)) return true;
  return false;
}

/** What a token is to the nesting check, as bits: `{` both ends a statement and opens a block. */
const BOUNDARY = 1;
const OPENS = 2;
const CLOSES = 4;
const QUESTION = 8;
const OPERATOR = 16;

/** Per token type: its bits, worked out the first time a token of that type is seen. */
const BITS_BY_TYPE: number[] = [];

function bitsOf(token: IToken): number {
  const known = BITS_BY_TYPE[token.tokenTypeIdx];
  if (known !== undefined) return known;
  let bits = 0;
  if (matchesAny(token, BOUNDARIES)) bits |= BOUNDARY;
  if (matchesAny(token, OPENERS)) bits |= OPENS;
  else if (tokenMatcher(token, t.Question)) bits |= QUESTION;
  else if (matchesAny(token, CLOSERS)) bits |= CLOSES;
  else if (matchesAny(token, OPERATORS)) bits |= OPERATOR;
  BITS_BY_TYPE[token.tokenTypeIdx] = bits;
  return bits;
}

/** Reports the first place the tokens nest past a limit; true when they stay within them. */
export function checkTokenNesting(tokens: IToken[], sink: DiagnosticSink): boolean {
  // The depth at each open bracket: a closing bracket or a `;` drops the conditionals opened since.
  const opened: number[] = [];
  let depth = 0;
  let operators = 0;
  for (const token of tokens) {
    const bits = bitsOf(token);
    if (bits === 0) continue;
    if ((bits & BOUNDARY) !== 0) {
      operators = 0;
      depth = opened.length === 0 ? 0 : opened[opened.length - 1]! + 1;
    }
    if ((bits & (OPENS | QUESTION)) !== 0) {
      if ((bits & OPENS) !== 0) opened.push(depth);
      if (++depth > MAX_BRACKET_DEPTH) {
        return tooDeep(
          sink,
          tokenSpan(token),
          `more than ${MAX_BRACKET_DEPTH} levels of brackets, blocks and conditionals`,
        );
      }
    } else if ((bits & CLOSES) !== 0) {
      depth = opened.pop() ?? 0;
    } else if ((bits & OPERATOR) !== 0 && ++operators > MAX_STATEMENT_OPERATORS) {
      return tooDeep(
        sink,
        tokenSpan(token),
        `more than ${MAX_STATEMENT_OPERATORS} operators in one statement`,
      );
    }
  }
  return true;
}

/** Reports a tree deeper than MAX_TREE_DEPTH at its deepest node; walks with its own stack. */
export function checkTreeDepth(program: Program, sink: DiagnosticSink): boolean {
  // Two parallel stacks and a for-in walk: this runs over every node of every script, so it
  // allocates no entry arrays and no stack records.
  const values: unknown[] = [program];
  const depths: number[] = [0];
  while (values.length > 0) {
    const value = values.pop();
    const depth = depths.pop()!;
    if (typeof value !== "object" || value === null) continue;
    if (depth > MAX_TREE_DEPTH) {
      const span = (value as { span?: Span }).span;
      return tooDeep(sink, span, `more than ${MAX_TREE_DEPTH} levels once macros are expanded`);
    }
    const record = value as Record<string, unknown>;
    for (const key in record) {
      if (key === "type" || key === "span") continue;
      const child = record[key];
      if (typeof child !== "object" || child === null) continue;
      values.push(child);
      depths.push(depth + 1);
    }
  }
  return true;
}

function tooDeep(sink: DiagnosticSink, span: Span | undefined, why: string): false {
  sink.error(`the script is nested too deeply: ${why}`, span);
  return false;
}
