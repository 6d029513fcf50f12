/**
 * Syntax error wording. Chevrotain's default messages name token types; bpftrace users expect
 * "unexpected X, expected Y" in terms of what they typed. The `syntax: ` prefix is added when
 * the message becomes a Diagnostic.
 */
import { EOF, type IParserErrorMessageProvider, type IToken, type TokenType } from "./chevrotain.js";
import { own } from "./own.js";

/** What a rule is, for "expected ..." when no single token would do. */
const RULE_DESCRIPTIONS: Record<string, string> = {
  program: "a probe, config block or map declaration",
  probe: "'{' or ','",
  block: "a statement or '}'",
  statement: "a statement",
  expression: "an expression",
  binaryExpression: "an expression",
  unaryExpression: "an expression",
  postfixExpression: "an expression",
  primaryExpression: "an expression",
  castExpression: "a type",
  typeRef: "a type",
  configEntry: "a configuration option",
  configBlock: "a configuration option or '}'",
  mapDecl: "a map declaration",
  parenExpression: "an expression or ')'",
  callOrIdentifier: "an argument or ')'",
  mapAccess: "a map key or ']'",
};

function describe(tok: IToken): string {
  if (tok.tokenType === EOF) return "end of file";
  return `'${tok.image}'`;
}

function label(tt: TokenType): string {
  return tt.LABEL ?? tt.name;
}

export const parserErrorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual }) {
    return `unexpected ${describe(actual)}, expected ${label(expected)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `unexpected ${describe(firstRedundant)}`;
  },
  buildNoViableAltMessage({ actual, ruleName }) {
    const what = own(RULE_DESCRIPTIONS, ruleName);
    const tok = actual[0]!;
    return what ? `unexpected ${describe(tok)}, expected ${what}` : `unexpected ${describe(tok)}`;
  },
  buildEarlyExitMessage({ actual, ruleName }) {
    const what = own(RULE_DESCRIPTIONS, ruleName);
    const tok = actual[0]!;
    return what ? `unexpected ${describe(tok)}, expected ${what}` : `unexpected ${describe(tok)}`;
  },
};

/**
 * C and bpftrace constructs the grammar does not take, recognised from the tokens around a
 * syntax error, so the error names the feature instead of a bare "unexpected X".
 */
export function unsupportedConstruct(tokens: readonly IToken[], at: IToken): string | null {
  const i = tokens.indexOf(at);
  if (i < 0) return null;
  const image = (k: number) => tokens[i + k]?.image;
  const near = [image(0), image(-1), image(-2), image(-3)];
  if (near.includes("__attribute__")) {
    return "struct attributes (__attribute__((...))) are not supported by probelab here; put them after the struct's closing '}'";
  }
  if (image(0) === "," && insideStruct(tokens, i)) {
    return "several members in one declaration (int a, b;) are not supported by probelab; declare each on its own";
  }
  if (image(0) === "[" && image(-1) === "]") return "multi-dimensional arrays are not supported by probelab";
  return null;
}

/** Whether token `i` lies directly in the body of a `struct NAME {`, `union {`, ... */
function insideStruct(tokens: readonly IToken[], i: number): boolean {
  let depth = 0;
  for (let k = i - 1; k >= 0; k--) {
    const img = tokens[k]!.image;
    if (img === "}") depth++;
    else if (img === "{" && depth > 0) depth--;
    else if (img === "{") {
      const kw = [tokens[k - 1]?.image, tokens[k - 2]?.image];
      return kw.includes("struct") || kw.includes("union");
    }
  }
  return false;
}
