/**
 * Limits on how deeply a script may nest, so that no input can overflow the stack of the
 * recursive passes (parser, AST builder, macro expander, checker, compiler). Past a limit the
 * script gets one located "nested too deeply" error instead of an internal one.
 *
 * Two cheap checks: one over the tokens, before the parser recurses on them, and one over the
 * tree once macros are expanded (expansion can deepen a tree the tokens did not show).
 */
import { type IToken, type TokenType, tokenMatcher } from "chevrotain";
import type { Program, Span } from "./ast.js";
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

/** Reports the first place the tokens nest past a limit; true when they stay within them. */
export function checkTokenNesting(tokens: IToken[], sink: DiagnosticSink): boolean {
  // The depth at each open bracket: a closing bracket or a `;` drops the conditionals opened since.
  const opened: number[] = [];
  let depth = 0;
  let operators = 0;
  for (const token of tokens) {
    if (matchesAny(token, BOUNDARIES)) {
      operators = 0;
      depth = opened.length === 0 ? 0 : opened[opened.length - 1]! + 1;
    }
    const opens = matchesAny(token, OPENERS);
    if (opens || tokenMatcher(token, t.Question)) {
      if (opens) opened.push(depth);
      if (++depth > MAX_BRACKET_DEPTH) {
        return tooDeep(
          sink,
          tokenSpan(token),
          `more than ${MAX_BRACKET_DEPTH} levels of brackets, blocks and conditionals`,
        );
      }
    } else if (matchesAny(token, CLOSERS)) {
      depth = opened.pop() ?? 0;
    } else if (matchesAny(token, OPERATORS) && ++operators > MAX_STATEMENT_OPERATORS) {
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
  const stack: { value: unknown; depth: number }[] = [{ value: program, depth: 0 }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const { value, depth } = top;
    if (typeof value !== "object" || value === null) continue;
    if (depth > MAX_TREE_DEPTH) {
      const span = (value as { span?: Span }).span;
      return tooDeep(sink, span, `more than ${MAX_TREE_DEPTH} levels once macros are expanded`);
    }
    for (const [key, child] of Object.entries(value)) {
      if (key !== "type" && key !== "span") stack.push({ value: child, depth: depth + 1 });
    }
  }
  return true;
}

function tooDeep(sink: DiagnosticSink, span: Span | undefined, why: string): false {
  sink.error(`the script is nested too deeply: ${why}`, span);
  return false;
}
