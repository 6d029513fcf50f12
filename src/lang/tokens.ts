/**
 * The lexer. bpftrace scripts are not context free at the token level: outside probe bodies an
 * attach point is raw text (`uprobe:/usr/bin/shopd:handle_*` is one token), inside bodies the
 * same characters are operators. Chevrotain lexer modes model that:
 *
 *   top   – between probes: attach points, `config`, `let @m = hash(N)`, the heads of struct and
 *           macro definitions (their `{ }` bodies lex in body mode), unsupported items;
 *   body  – inside `{ }`: expression and statement tokens; `{` pushes, `}` pops;
 *   pred  – inside `/predicate/`: expression tokens; the closing `/` (a `/` followed by `{`) pops;
 *   decl  – after a top-level `let`: expression tokens until `;` or `)`.
 *
 * A token that must push or pop in one mode but not another is split into two token types
 * sharing a category, so the parser only ever names the category.
 */
import { createToken, type IToken, Lexer, type TokenType } from "./chevrotain.js";

// ---------------------------------------------------------------- categories the parser names

/** Operators that may appear between two operands; the AST visitor orders them by precedence. */
export const BinaryOperator = createToken({ name: "BinaryOperator", pattern: Lexer.NA });
/** `=` and the compound assignment operators. */
export const AssignOperator = createToken({ name: "AssignOperator", pattern: Lexer.NA });
export const LCurly = createToken({ name: "LCurly", pattern: Lexer.NA, label: "'{'" });
export const RCurly = createToken({ name: "RCurly", pattern: Lexer.NA, label: "'}'" });
export const Semi = createToken({ name: "Semi", pattern: Lexer.NA, label: "';'" });
export const RParen = createToken({ name: "RParen", pattern: Lexer.NA, label: "')'" });
export const Let = createToken({ name: "Let", pattern: Lexer.NA, label: "'let'" });
export const Import = createToken({ name: "Import", pattern: Lexer.NA, label: "'import'" });
/** Top-level items probelab does not implement (enums, preprocessor lines, imports, subprograms). */
export const UnsupportedItem = createToken({ name: "UnsupportedItem", pattern: Lexer.NA });
/** Any token an unsupported top-level item may contain before its block. */
export const Skippable = createToken({ name: "Skippable", pattern: Lexer.NA });

// ---------------------------------------------------------------- trivia

export const WhiteSpace = createToken({
  name: "WhiteSpace",
  pattern: /[ \t\r\n\f\v]+/,
  group: Lexer.SKIPPED,
  line_breaks: true,
});
export const LineComment = createToken({
  name: "LineComment",
  pattern: /\/\/[^\n]*/,
  group: Lexer.SKIPPED,
});
export const BlockComment = createToken({
  name: "BlockComment",
  pattern: /\/\*[\s\S]*?\*\//,
  group: Lexer.SKIPPED,
  line_breaks: true,
});

/** `#!...` is only a shebang on the very first line. */
const shebangRe = /#![^\n]*/y;
export const Shebang = createToken({
  name: "Shebang",
  pattern: {
    exec: (text: string, offset: number) => {
      if (offset !== 0) return null;
      shebangRe.lastIndex = 0;
      return shebangRe.exec(text);
    },
  },
  start_chars_hint: ["#"],
  line_breaks: false,
});
/** `#include`, `#define`: C preprocessor lines, which probelab does not implement. */
export const Preprocessor = createToken({
  name: "Preprocessor",
  pattern: /#[^\n]*/,
  categories: [UnsupportedItem],
  label: "preprocessor directive",
});

// ---------------------------------------------------------------- attach points (top mode)

/**
 * Raw attach-point text: everything up to unquoted whitespace, `{`, `}`, `,`, `;` or parentheses;
 * quoted parts may contain anything. A trailing `=` is left out so `config={` lexes as a keyword.
 */
const attachPointRe = /(?:[A-Za-z_*$.]|"(?:[^"\\\n]|\\.)*")(?:[^\s{},;()"]|"(?:[^"\\\n]|\\.)*")*/y;
export const AttachPointText = createToken({
  name: "AttachPointText",
  pattern: {
    exec: (text: string, offset: number) => {
      attachPointRe.lastIndex = offset;
      const m = attachPointRe.exec(text);
      if (m && m[0].length > 1 && m[0].endsWith("=")) m[0] = m[0].slice(0, -1);
      return m;
    },
  },
  start_chars_hint: [..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_*$.", '"'],
  categories: [Skippable],
  label: "attach point",
  line_breaks: false,
});

function topKeyword(name: string, word: string, categories: TokenType[], extra: object = {}): TokenType {
  return createToken({
    name,
    pattern: new RegExp(word),
    longer_alt: AttachPointText,
    categories,
    label: `'${word}'`,
    ...extra,
  });
}

export const Config = topKeyword("Config", "config", []);
export const TopLet = topKeyword("TopLet", "let", [Let], { push_mode: "decl" });
export const Macro = topKeyword("Macro", "macro", []);
export const TopImport = topKeyword("TopImport", "import", [Import, UnsupportedItem]);
export const Fn = topKeyword("Fn", "fn", [UnsupportedItem]);
/** `struct Foo { ... }` / `union U { ... }` before the probes: the body lexes in body mode. */
export const StructDefinition = createToken({
  name: "StructDefinition",
  pattern: /struct|union/,
  longer_alt: AttachPointText,
  label: "'struct'",
});
/** `__attribute__((packed))` after a struct definition's `}`. */
export const Attribute = createToken({
  name: "Attribute",
  pattern: /__attribute__/,
  longer_alt: AttachPointText,
  label: "'__attribute__'",
});
export const EnumDefinition = createToken({
  name: "EnumDefinition",
  pattern: /enum/,
  longer_alt: AttachPointText,
  label: "'enum'",
});

// ---------------------------------------------------------------- identifiers, names, literals

export const Identifier = createToken({ name: "Identifier", pattern: /[_a-zA-Z][_a-zA-Z0-9]*/ });

function keyword(name: string, word: string, categories: TokenType[] = []): TokenType {
  return createToken({
    name,
    pattern: new RegExp(word),
    longer_alt: Identifier,
    categories,
    label: `'${word}'`,
  });
}

export const If = keyword("If", "if");
export const Else = keyword("Else", "else");
export const While = keyword("While", "while");
export const For = keyword("For", "for");
export const Unroll = keyword("Unroll", "unroll");
export const Break = keyword("Break", "break");
export const Continue = keyword("Continue", "continue");
export const Return = keyword("Return", "return");
export const BodyLet = keyword("BodyLet", "let", [Let]);
export const True = keyword("True", "true");
export const False = keyword("False", "false");
export const BodyImport = keyword("BodyImport", "import", [Import]);
/** Compile-time forms probelab does not implement: sizeof, offsetof, typeof, typeinfo, comptime. */
export const CompileTimeForm = createToken({
  name: "CompileTimeForm",
  pattern: /sizeof|offsetof|typeof|typeinfo|comptime/,
  longer_alt: Identifier,
  label: "compile-time form",
});
export const StructKeyword = keyword("StructKeyword", "struct|union|enum");

export const Variable = createToken({
  name: "Variable",
  pattern: /\$[_a-zA-Z][_a-zA-Z0-9]*/,
  label: "variable",
  categories: [Skippable],
});
export const TopVariable = createToken({
  name: "TopVariable",
  pattern: /\$[_a-zA-Z][_a-zA-Z0-9]*/,
  longer_alt: AttachPointText,
  categories: [Skippable],
});
export const Positional = createToken({
  name: "Positional",
  pattern: /\$[0-9]+/,
  label: "positional parameter",
});
export const ParamCount = createToken({ name: "ParamCount", pattern: /\$#/, label: "'$#'" });
export const MapName = createToken({
  name: "MapName",
  pattern: /@(?:[_a-zA-Z][_a-zA-Z0-9]*)?/,
  label: "map",
  categories: [Skippable],
});
/** Any digit run with letters: validated (durations, suffixes, overflow) when building the AST. */
export const IntLiteral = createToken({
  name: "IntLiteral",
  pattern: /[0-9][_a-zA-Z0-9]*/,
  label: "integer",
  categories: [Skippable],
});
export const StringLiteral = createToken({
  name: "StringLiteral",
  pattern: /"(?:[^"\\\n]|\\.)*"/,
  label: "string",
  categories: [Skippable],
});

// ---------------------------------------------------------------- punctuation

function punct(name: string, pattern: RegExp, label: string, categories: TokenType[] = []): TokenType {
  return createToken({ name, pattern, label: `'${label}'`, categories });
}

export const ShiftLeftAssign = punct("ShiftLeftAssign", /<<=/, "<<=", [AssignOperator]);
export const ShiftRightAssign = punct("ShiftRightAssign", />>=/, ">>=", [AssignOperator]);
export const PlusAssign = punct("PlusAssign", /\+=/, "+=", [AssignOperator]);
export const MinusAssign = punct("MinusAssign", /-=/, "-=", [AssignOperator]);
export const StarAssign = punct("StarAssign", /\*=/, "*=", [AssignOperator]);
export const SlashAssign = punct("SlashAssign", /\/=/, "/=", [AssignOperator]);
export const PercentAssign = punct("PercentAssign", /%=/, "%=", [AssignOperator]);
export const AmpAssign = punct("AmpAssign", /&=/, "&=", [AssignOperator]);
export const PipeAssign = punct("PipeAssign", /\|=/, "|=", [AssignOperator]);
export const CaretAssign = punct("CaretAssign", /\^=/, "^=", [AssignOperator]);
export const ShiftLeft = punct("ShiftLeft", /<</, "<<", [BinaryOperator]);
export const ShiftRight = punct("ShiftRight", />>/, ">>", [BinaryOperator]);
export const LessEq = punct("LessEq", /<=/, "<=", [BinaryOperator]);
export const GreaterEq = punct("GreaterEq", />=/, ">=", [BinaryOperator]);
export const EqEq = punct("EqEq", /==/, "==", [BinaryOperator]);
export const NotEq = punct("NotEq", /!=/, "!=", [BinaryOperator]);
export const AndAnd = punct("AndAnd", /&&/, "&&", [BinaryOperator]);
export const OrOr = punct("OrOr", /\|\|/, "||", [BinaryOperator]);
export const PlusPlus = punct("PlusPlus", /\+\+/, "++");
export const MinusMinus = punct("MinusMinus", /--/, "--");
export const Arrow = punct("Arrow", /->/, "->");
export const DotDot = punct("DotDot", /\.\./, "..");
export const Less = punct("Less", /</, "<", [BinaryOperator]);
export const Greater = punct("Greater", />/, ">", [BinaryOperator]);
export const Plus = punct("Plus", /\+/, "+", [BinaryOperator]);
export const Minus = punct("Minus", /-/, "-", [BinaryOperator]);
export const Star = punct("Star", /\*/, "*", [BinaryOperator]);
export const Slash = punct("Slash", /\//, "/", [BinaryOperator]);
export const Percent = punct("Percent", /%/, "%", [BinaryOperator]);
export const Amp = punct("Amp", /&/, "&", [BinaryOperator]);
export const Pipe = punct("Pipe", /\|/, "|", [BinaryOperator]);
export const Caret = punct("Caret", /\^/, "^", [BinaryOperator]);
export const Assign = punct("Assign", /=/, "=", [AssignOperator, Skippable]);
export const Bang = punct("Bang", /!/, "!");
export const Tilde = punct("Tilde", /~/, "~");
export const Question = punct("Question", /\?/, "?");
export const Colon = punct("Colon", /:/, ":", [Skippable]);
export const Dot = punct("Dot", /\./, ".");
export const Comma = punct("Comma", /,/, ",", [Skippable]);
export const LParen = punct("LParen", /\(/, "(", [Skippable]);
export const LBracket = punct("LBracket", /\[/, "[", [Skippable]);
export const RBracket = punct("RBracket", /]/, "]", [Skippable]);

export const PlainRParen = punct("PlainRParen", /\)/, ")", [RParen, Skippable]);
export const PlainSemi = punct("PlainSemi", /;/, ";", [Semi]);
export const PushLCurly = createToken({
  name: "PushLCurly",
  pattern: /{/,
  push_mode: "body",
  categories: [LCurly],
  label: "'{'",
});
export const PopRCurly = createToken({
  name: "PopRCurly",
  pattern: /}/,
  pop_mode: true,
  categories: [RCurly],
  label: "'}'",
});
/** A `}` between probes has nothing to close: it is a syntax error, but must not pop the mode stack. */
export const StrayRCurly = createToken({
  name: "StrayRCurly",
  pattern: /}/,
  categories: [RCurly],
  label: "'}'",
});

/** The `/` that opens a predicate (top mode). */
export const PredicateOpen = createToken({
  name: "PredicateOpen",
  pattern: /\//,
  push_mode: "pred",
  label: "'/'",
});
/** The `/` that closes a predicate: the one followed by the probe's `{`. */
const predicateCloseRe = /\/(?=\s*\{)/y;
export const PredicateClose = createToken({
  name: "PredicateClose",
  pattern: {
    exec: (text: string, offset: number) => {
      predicateCloseRe.lastIndex = offset;
      return predicateCloseRe.exec(text);
    },
  },
  start_chars_hint: ["/"],
  pop_mode: true,
  label: "'/'",
  line_breaks: false,
});
/** A `{` reached inside a predicate or declaration: leave that mode, enter a body (error recovery). */
export const PopPushLCurly = createToken({
  name: "PopPushLCurly",
  pattern: /{/,
  pop_mode: true,
  push_mode: "body",
  categories: [LCurly],
  label: "'{'",
});
export const PopSemi = createToken({
  name: "PopSemi",
  pattern: /;/,
  pop_mode: true,
  categories: [Semi],
  label: "';'",
});
export const PopRParen = createToken({
  name: "PopRParen",
  pattern: /\)/,
  pop_mode: true,
  categories: [RParen],
  label: "')'",
});

// ---------------------------------------------------------------- modes

const trivia = [WhiteSpace, LineComment, BlockComment];

/** Tokens of expressions and statements, shared by the body, predicate and declaration modes. */
const expressionTokens = [
  If,
  Else,
  While,
  For,
  Unroll,
  Break,
  Continue,
  Return,
  BodyLet,
  True,
  False,
  BodyImport,
  CompileTimeForm,
  StructKeyword,
  Identifier,
  Variable,
  Positional,
  ParamCount,
  MapName,
  IntLiteral,
  StringLiteral,
  ShiftLeftAssign,
  ShiftRightAssign,
  PlusAssign,
  MinusAssign,
  StarAssign,
  SlashAssign,
  PercentAssign,
  AmpAssign,
  PipeAssign,
  CaretAssign,
  ShiftLeft,
  ShiftRight,
  LessEq,
  GreaterEq,
  EqEq,
  NotEq,
  AndAnd,
  OrOr,
  PlusPlus,
  MinusMinus,
  Arrow,
  DotDot,
  Less,
  Greater,
  Plus,
  Minus,
  Star,
  Percent,
  Amp,
  Pipe,
  Caret,
  Assign,
  Bang,
  Tilde,
  Question,
  Colon,
  Dot,
  Comma,
  LParen,
  LBracket,
  RBracket,
];

export const lexerDefinition = {
  defaultMode: "top",
  modes: {
    top: [
      ...trivia,
      Shebang,
      Preprocessor,
      Config,
      TopLet,
      Macro,
      TopImport,
      Fn,
      StructDefinition,
      Attribute,
      EnumDefinition,
      TopVariable,
      MapName,
      AttachPointText,
      StringLiteral,
      IntLiteral,
      Assign,
      Comma,
      PlainSemi,
      Colon,
      LParen,
      PlainRParen,
      PushLCurly,
      StrayRCurly,
      PredicateOpen,
    ],
    // Slash comes after the expression tokens so that SlashAssign ("/=") is tried first.
    body: [...trivia, PushLCurly, PopRCurly, PlainSemi, PlainRParen, ...expressionTokens, Slash],
    pred: [...trivia, PredicateClose, PopPushLCurly, PlainSemi, PlainRParen, ...expressionTokens, Slash],
    decl: [...trivia, PopSemi, PopRParen, PopPushLCurly, ...expressionTokens, Slash],
  },
};

/** Every token type, categories included (the parser needs them all). */
export const allTokens: TokenType[] = [
  BinaryOperator,
  AssignOperator,
  LCurly,
  RCurly,
  Semi,
  RParen,
  Let,
  Import,
  UnsupportedItem,
  Skippable,
  ...new Set([
    ...lexerDefinition.modes.top,
    ...lexerDefinition.modes.body,
    ...lexerDefinition.modes.pred,
    ...lexerDefinition.modes.decl,
  ]),
];

/**
 * Chevrotain's lexer with lighter tokens. Its "full" position tracking also stores each token's
 * end line and column, which made lexing about twice as slow. No token spans lines (strings,
 * attach points and directives stop at a newline; multi-line comments and whitespace are
 * skipped), so the end follows from the start and the image (see tokenSpan). Only the end
 * offset is kept, for the parser's node locations. This overrides the factory Chevrotain uses for
 * "onlyStart" tokens (an internal of the pinned version; the lexer tests notice if it is ignored).
 */
class ProbelabLexer extends Lexer {
  createStartOnlyToken(
    image: string,
    startOffset: number,
    tokenTypeIdx: number,
    tokenType: TokenType,
    startLine: number,
    startColumn: number,
    imageLength: number,
  ): IToken {
    return {
      image,
      startOffset,
      endOffset: startOffset + imageLength - 1,
      startLine,
      startColumn,
      tokenTypeIdx,
      tokenType,
    };
  }
}

/**
 * A lexer over the definition. `validate` runs Chevrotain's checks of the token patterns
 * (a pattern no input can reach, a mode that names a missing token ...): they cost about 40 ms
 * of every start and only a change to the tokens can break them, so the lexer a run uses
 * skips them and the lexer tests build one with them on.
 */
export function makeLexer(validate: boolean): Lexer {
  return new ProbelabLexer(lexerDefinition, {
    positionTracking: "onlyStart",
    ensureOptimizations: true,
    skipValidations: !validate,
  });
}

/** The one lexer instance; Chevrotain lexers are stateless between calls. */
export const lexer = makeLexer(false);
