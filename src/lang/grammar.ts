// biome-ignore-all lint/correctness/noComponentHookFactories: Chevrotain alternatives are objects with an ALT function, not React components.
/**
 * The grammar, as a Chevrotain CST parser. It recognises structure only; literal values,
 * operator precedence, lvalue rules and attach-point contents are settled by the CST→AST
 * visitor (cst-to-ast.ts), where errors can name the construct.
 *
 * Binary expressions are flat (`unary (op unary)*`) and ordered by the visitor using
 * bpftrace's precedence table; postfix operators live in the unary rule. Every rule level
 * costs a call per operand, so the expression grammar is kept three rules deep.
 */
import {
  type CstNode,
  CstParser,
  EMPTY_ALT,
  EOF,
  type IToken,
  Lexer,
  type TokenType,
  tokenMatcher,
} from "./chevrotain.js";
import { parserErrorMessages } from "./syntax-errors.js";
import * as t from "./tokens.js";

/** Type names a parenthesised cast may start with (`(int32)retval`, `(string[8])x`). */
const CAST_TYPE_NAMES = new Set([
  "int8",
  "int16",
  "int32",
  "int64",
  "uint8",
  "uint16",
  "uint32",
  "uint64",
  "bool",
  "string",
  "buffer",
  "char",
  "int",
  "long",
  "short",
  "unsigned",
  "void",
]);

/** Tokens that can begin the operand of a cast. */
const CAST_OPERAND_START = new Set<TokenType>([
  t.Identifier,
  t.Variable,
  t.Positional,
  t.ParamCount,
  t.MapName,
  t.IntLiteral,
  t.StringLiteral,
  t.True,
  t.False,
  t.LParen,
  t.Bang,
  t.Tilde,
  t.Minus,
  t.Star,
  t.Amp,
  t.PlusPlus,
  t.MinusMinus,
]);

/** Token types that occur in input (categories have no pattern), braces excluded. */
const CONCRETE_NON_BRACE_TOKENS = t.allTokens.filter((tt) => tt.PATTERN !== Lexer.NA && !isBraceToken(tt));

export class ProbelabParser extends CstParser {
  /** Syntax errors found by grammar actions (stray tokens), beside Chevrotain's own. */
  extraErrors: { message: string; token: IToken }[] = [];
  /** The error count when the last top-level item parsed without errors. */
  private cleanErrorCount = 0;
  private inStrayRun = false;
  /** Takes each probe as soon as it has parsed, while the input has no syntax errors (see handOver). */
  private onProbe: ((probe: CstNode) => void) | null = null;
  private readonly anyTokenAlts = CONCRETE_NON_BRACE_TOKENS.map((tt) => ({ ALT: () => this.CONSUME(tt) }));

  /**
   * `validate` runs Chevrotain's grammar checks (ambiguous alternatives, left recursion ...)
   * in performSelfAnalysis. Only a grammar change can break them, so the parser a run uses
   * skips them and the grammar tests build one with them on.
   */
  constructor(validate = false) {
    super(t.allTokens, {
      recoveryEnabled: true,
      nodeLocationTracking: "onlyOffset",
      // LL(1) everywhere: lookahead functions stay small and fast. The two places that need
      // more (casts, records) decide with a GATE that looks further.
      maxLookahead: 1,
      errorMessageProvider: parserErrorMessages,
      skipValidations: !validate,
    });
    this.performSelfAnalysis();
  }

  // ------------------------------------------------------------ top level

  program = this.RULE("program", () => {
    this.OPTION(() => this.CONSUME(t.Shebang));
    this.MANY(() => this.OR(this.topLevelAlts));
    this.CONSUME(EOF);
  });

  // Alternatives are built once, not on every OR: a fresh array of closures per call was the
  // parser's main source of garbage (Chevrotain recommends caching them).

  /** An attach point is also a possible stray token; the probe alternative comes first. */
  private readonly topLevelAlts = {
    IGNORE_AMBIGUITIES: true,
    DEF: [
      { ALT: () => this.topLevelItem(() => this.SUBRULE(this.configBlock)) },
      { ALT: () => this.topLevelItem(() => this.SUBRULE(this.mapDecl)) },
      { ALT: () => this.topLevelItem(() => this.SUBRULE(this.structDefinition)) },
      { ALT: () => this.topLevelItem(() => this.SUBRULE(this.enumDefinition)) },
      { ALT: () => this.topLevelItem(() => this.SUBRULE(this.macroDefinition)) },
      { ALT: () => this.topLevelItem(() => this.SUBRULE(this.unsupportedItem)) },
      { ALT: () => this.topLevelItem(() => this.handOver(this.SUBRULE(this.probe))) },
      { ALT: () => this.CONSUME(t.Semi) },
      { ALT: () => this.SUBRULE(this.strayToken) },
    ],
  };

  /**
   * A token that cannot start any top-level item: reported, then skipped so parsing goes on.
   * Only the first of a run is reported, and none right after an error inside an item: those
   * are the broken item's leftovers, already reported.
   */
  strayToken = this.RULE("strayToken", () => {
    const tok = this.OR(this.strayAlts);
    this.ACTION(() => {
      if (!this.inStrayRun && this.errors.length === this.cleanErrorCount) {
        this.extraErrors.push({ message: `unexpected ${describeToken(tok)}`, token: tok });
      }
      this.inStrayRun = true;
    });
  });

  private readonly strayAlts = [
    { ALT: () => this.CONSUME(t.RCurly) },
    { ALT: () => this.CONSUME(t.Skippable) },
  ];

  configBlock = this.RULE("configBlock", () => {
    this.CONSUME(t.Config);
    this.CONSUME(t.Assign);
    this.CONSUME(t.LCurly);
    this.MANY(() => this.SUBRULE(this.configEntry));
    this.CONSUME(t.RCurly);
  });

  configEntry = this.RULE("configEntry", () => {
    this.CONSUME(t.Identifier);
    this.CONSUME(t.Assign);
    this.OR(this.configValueAlts);
    this.OPTION(() => this.CONSUME(t.Semi));
  });

  private readonly configValueAlts = [
    { ALT: () => this.CONSUME(t.IntLiteral) },
    { ALT: () => this.CONSUME(t.StringLiteral) },
    { ALT: () => this.CONSUME(t.True) },
    { ALT: () => this.CONSUME(t.False) },
    { ALT: () => this.CONSUME2(t.Identifier) },
  ];

  mapDecl = this.RULE("mapDecl", () => {
    this.CONSUME(t.Let);
    this.CONSUME(t.MapName);
    this.CONSUME(t.Assign);
    this.CONSUME(t.Identifier);
    this.CONSUME(t.LParen);
    this.CONSUME(t.IntLiteral);
    this.CONSUME(t.RParen);
    this.OPTION(() => this.CONSUME(t.Semi));
  });

  /**
   * `struct Foo { int m; ... }` or `union`, then any `__attribute__((...))`; the trailing `;`
   * is optional.
   */
  structDefinition = this.RULE("structDefinition", () => {
    this.CONSUME(t.StructDefinition);
    this.CONSUME(t.AttachPointText, { LABEL: "name", ERR_MSG: "expected the struct's name" });
    this.CONSUME(t.LCurly);
    this.MANY(() => this.SUBRULE(this.structField));
    this.CONSUME(t.RCurly);
    this.MANY2(() => this.SUBRULE(this.structAttribute));
    this.OPTION(() => this.CONSUME(t.Semi));
  });

  /** `__attribute__((packed))`, `__attribute__((packed, aligned(8)))`. */
  structAttribute = this.RULE("structAttribute", () => {
    this.CONSUME(t.Attribute);
    this.CONSUME(t.LParen);
    this.CONSUME2(t.LParen);
    this.AT_LEAST_ONE_SEP({ SEP: t.Comma, DEF: () => this.SUBRULE(this.attributeItem) });
    this.CONSUME(t.RParen);
    this.CONSUME2(t.RParen);
  });

  /** `packed` or `aligned(8)`: which names mean something is the AST visitor's business. */
  attributeItem = this.RULE("attributeItem", () => {
    this.CONSUME(t.AttachPointText);
    this.OPTION(() => {
      this.CONSUME(t.LParen);
      this.CONSUME(t.IntLiteral);
      this.CONSUME(t.RParen);
    });
  });

  /**
   * `int m;`, `unsigned long long n : 3;`, `struct Bar *next;`, `char name[16];`, and nested
   * definitions: `struct Bar { int x; } bar;`, `struct { int a; } s;`, or an anonymous
   * `union { int i; long l; };`. The words before the name are the type; which word is the
   * name is settled by the AST visitor (the declarator after `*` or `}`, else the last word).
   */
  structField = this.RULE("structField", () => {
    this.OPTION(() => this.CONSUME(t.StructKeyword));
    this.MANY(() => this.CONSUME(t.Identifier, { LABEL: "word" }));
    this.OPTION2(() => {
      this.CONSUME(t.LCurly);
      this.MANY2(() => this.SUBRULE(this.structField));
      this.CONSUME(t.RCurly);
    });
    this.MANY3(() => this.CONSUME(t.Star));
    this.OPTION3(() => this.CONSUME2(t.Identifier, { LABEL: "declarator" }));
    this.OPTION4(() => {
      this.CONSUME(t.LBracket);
      this.OPTION5(() => this.CONSUME(t.IntLiteral));
      this.CONSUME(t.RBracket);
    });
    this.OPTION6(() => {
      this.CONSUME(t.Colon);
      this.CONSUME2(t.IntLiteral, { LABEL: "bits" });
    });
    // As bpftrace, the last member may go without its ';'.
    this.OR([
      { ALT: () => this.CONSUME(t.Semi) },
      { GATE: () => tokenMatcher(this.LA(1), t.RCurly), ALT: EMPTY_ALT() },
    ]);
  });

  /** `enum Foo { A, B = 5, }` or `enum { ... }`; the trailing `,` and `;` are optional. */
  enumDefinition = this.RULE("enumDefinition", () => {
    this.CONSUME(t.EnumDefinition);
    this.OPTION(() => this.CONSUME(t.AttachPointText, { LABEL: "name" }));
    this.CONSUME(t.LCurly);
    this.OPTION2(() => {
      this.SUBRULE(this.enumVariant);
      this.MANY(() => {
        this.CONSUME(t.Comma);
        this.OPTION3(() => this.SUBRULE2(this.enumVariant));
      });
    });
    this.CONSUME(t.RCurly);
    this.OPTION4(() => this.CONSUME(t.Semi));
  });

  /** `NAME` or `NAME = [-]INT`. */
  enumVariant = this.RULE("enumVariant", () => {
    this.CONSUME(t.Identifier);
    this.OPTION(() => {
      this.CONSUME(t.Assign);
      this.OPTION2(() => this.CONSUME(t.Minus));
      this.CONSUME(t.IntLiteral);
    });
  });

  /** `macro NAME($x, @m, ident) { body }`. */
  macroDefinition = this.RULE("macroDefinition", () => {
    this.CONSUME(t.Macro);
    this.CONSUME(t.AttachPointText, { LABEL: "name", ERR_MSG: "expected the macro's name" });
    this.CONSUME(t.LParen);
    this.OPTION(() => {
      this.SUBRULE(this.macroParameter);
      this.MANY(() => {
        this.CONSUME(t.Comma);
        this.SUBRULE2(this.macroParameter);
      });
    });
    this.CONSUME(t.RParen);
    this.SUBRULE(this.block);
  });

  macroParameter = this.RULE("macroParameter", () => {
    this.OR(this.macroParameterAlts);
  });

  private readonly macroParameterAlts = [
    { ALT: () => this.CONSUME(t.TopVariable) },
    { ALT: () => this.CONSUME(t.MapName) },
    { ALT: () => this.CONSUME(t.AttachPointText) },
  ];

  /** Enums, preprocessor lines, imports, `fn`: skipped as a unit and reported. */
  unsupportedItem = this.RULE("unsupportedItem", () => {
    this.CONSUME(t.UnsupportedItem);
    this.MANY(() => this.CONSUME(t.Skippable));
    this.OPTION(() => this.SUBRULE(this.skippedBlock));
    this.OPTION2(() => this.CONSUME(t.Semi));
  });

  /** A brace-balanced run of any tokens (the body of something unsupported). */
  skippedBlock = this.RULE("skippedBlock", () => {
    this.CONSUME(t.LCurly);
    this.MANY(() => this.OR(this.skippedAlts));
    this.CONSUME(t.RCurly);
  });

  private readonly skippedAlts = [
    { ALT: () => this.SUBRULE(this.skippedBlock) },
    { ALT: () => this.SUBRULE(this.anyToken) },
  ];

  anyToken = this.RULE("anyToken", () => {
    this.OR(this.anyTokenAlts);
  });

  probe = this.RULE("probe", () => {
    this.CONSUME(t.AttachPointText);
    this.MANY(() => {
      this.CONSUME(t.Comma);
      this.OPTION(() => this.CONSUME2(t.AttachPointText));
    });
    this.OPTION2(() => this.SUBRULE(this.predicate));
    this.SUBRULE(this.block);
  });

  predicate = this.RULE("predicate", () => {
    this.CONSUME(t.PredicateOpen);
    this.SUBRULE(this.expression);
    this.CONSUME(t.PredicateClose, { ERR_MSG: "expected '/' to close predicate" });
  });

  // ------------------------------------------------------------ statements

  /** `{ stmt; stmt; [expr] }`; which `;` may be left out is checked by the AST visitor. */
  block = this.RULE("block", () => {
    this.CONSUME(t.LCurly);
    this.MANY(() => {
      this.SUBRULE(this.statement);
      this.OPTION(() => this.CONSUME(t.Semi));
    });
    this.CONSUME(t.RCurly);
  });

  statement = this.RULE("statement", () => {
    this.OR(this.statementAlts);
  });

  private readonly statementAlts = {
    IGNORE_AMBIGUITIES: true,
    DEF: [
      { ALT: () => this.SUBRULE(this.ifStatement) },
      { ALT: () => this.SUBRULE(this.letStatement) },
      { ALT: () => this.SUBRULE(this.unrollStatement) },
      { ALT: () => this.SUBRULE(this.whileStatement) },
      { ALT: () => this.SUBRULE(this.forStatement) },
      { ALT: () => this.SUBRULE(this.jumpStatement) },
      { ALT: () => this.SUBRULE(this.returnStatement) },
      { ALT: () => this.SUBRULE(this.importStatement) },
      { ALT: () => this.SUBRULE(this.block) },
      { ALT: () => this.SUBRULE(this.expressionStatement) },
    ],
  };

  ifStatement = this.RULE("ifStatement", () => {
    this.CONSUME(t.If);
    this.SUBRULE(this.expression);
    this.SUBRULE(this.block);
    this.OPTION(() => {
      this.CONSUME(t.Else);
      this.OR(this.elseStatementAlts);
    });
  });

  private readonly elseStatementAlts = [
    { ALT: () => this.SUBRULE2(this.ifStatement) },
    { ALT: () => this.SUBRULE2(this.block) },
  ];

  letStatement = this.RULE("letStatement", () => {
    this.CONSUME(t.Let);
    this.CONSUME(t.Variable);
    this.OPTION(() => {
      this.CONSUME(t.Colon);
      this.SUBRULE(this.typeRef);
    });
    this.OPTION2(() => {
      this.CONSUME(t.Assign);
      this.SUBRULE(this.expression);
    });
  });

  unrollStatement = this.RULE("unrollStatement", () => {
    this.CONSUME(t.Unroll);
    this.SUBRULE(this.expression);
    this.SUBRULE(this.block);
  });

  whileStatement = this.RULE("whileStatement", () => {
    this.CONSUME(t.While);
    this.SUBRULE(this.expression);
    this.SUBRULE(this.block);
  });

  /** `for ($kv : @map)` and `for ($i : a..b)`, parentheses optional. */
  forStatement = this.RULE("forStatement", () => {
    this.CONSUME(t.For);
    this.OPTION(() => this.CONSUME(t.LParen));
    this.CONSUME(t.Variable);
    this.CONSUME(t.Colon);
    this.SUBRULE(this.expression);
    this.OPTION2(() => {
      this.CONSUME(t.DotDot);
      this.SUBRULE2(this.expression);
    });
    this.OPTION3(() => this.CONSUME(t.RParen));
    this.SUBRULE(this.block);
  });

  jumpStatement = this.RULE("jumpStatement", () => {
    this.OR(this.jumpAlts);
  });

  private readonly jumpAlts = [{ ALT: () => this.CONSUME(t.Break) }, { ALT: () => this.CONSUME(t.Continue) }];

  returnStatement = this.RULE("returnStatement", () => {
    this.CONSUME(t.Return);
    this.OPTION(() => this.SUBRULE(this.expression));
  });

  importStatement = this.RULE("importStatement", () => {
    this.CONSUME(t.Import);
    this.CONSUME(t.StringLiteral);
  });

  /** An expression, optionally assigned to: `e`, `lv = e`, `lv += e` (lvalues checked later). */
  expressionStatement = this.RULE("expressionStatement", () => {
    this.SUBRULE(this.expression);
    this.OPTION(() => {
      this.CONSUME(t.AssignOperator);
      this.SUBRULE2(this.expression);
    });
  });

  // ------------------------------------------------------------ expressions

  /** Operands joined by binary operators (ordered by the visitor), then an optional ternary. */
  expression = this.RULE("expression", () => {
    this.SUBRULE(this.unaryExpression);
    this.MANY(() => {
      this.CONSUME(t.BinaryOperator);
      this.SUBRULE2(this.unaryExpression);
    });
    this.OPTION(() => {
      this.CONSUME(t.Question);
      this.OPTION2(() => this.SUBRULE(this.expression));
      this.CONSUME(t.Colon);
      this.SUBRULE2(this.expression);
    });
  });

  unaryExpression = this.RULE("unaryExpression", () => {
    this.OR(this.unaryAlts);
  });

  private readonly unaryAlts = [
    {
      ALT: () => {
        this.OR2(this.prefixOperatorAlts);
        this.SUBRULE(this.unaryExpression);
      },
    },
    { GATE: () => this.castAhead(), ALT: () => this.SUBRULE(this.castExpression) },
    {
      ALT: () => {
        this.OR3(this.primaryAlts);
        this.MANY(this.postfixOperators);
      },
    },
  ];

  private readonly prefixOperatorAlts = [
    { ALT: () => this.CONSUME(t.Bang) },
    { ALT: () => this.CONSUME(t.Tilde) },
    { ALT: () => this.CONSUME(t.Minus) },
    { ALT: () => this.CONSUME(t.Star) },
    { ALT: () => this.CONSUME(t.Amp) },
    { ALT: () => this.CONSUME(t.PlusPlus) },
    { ALT: () => this.CONSUME(t.MinusMinus) },
  ];

  private readonly postfixOperators = () => this.SUBRULE(this.postfixOperator);

  castExpression = this.RULE("castExpression", () => {
    this.CONSUME(t.LParen);
    this.SUBRULE(this.typeRef);
    this.CONSUME(t.RParen);
    this.SUBRULE(this.unaryExpression);
  });

  /** `int32`, `string[8]`, `struct Foo *`, `uint8[4]`. */
  typeRef = this.RULE("typeRef", () => {
    this.OR(this.typeBaseAlts);
    this.MANY(() => this.CONSUME(t.Star));
    this.OPTION2(() => {
      this.CONSUME(t.LBracket);
      this.OPTION3(() => this.CONSUME(t.IntLiteral));
      this.CONSUME(t.RBracket);
    });
  });

  /** A type's name, or `typeof(...)` standing for the type of what it holds. */
  private readonly typeBaseAlts = [
    {
      GATE: () => this.LA(1).image === "typeof",
      ALT: () => this.SUBRULE(this.compileTimeForm),
    },
    {
      ALT: () => {
        this.OPTION(() => this.CONSUME(t.StructKeyword));
        this.CONSUME(t.Identifier);
      },
    },
  ];

  /** `.field`, `.N`, `->field`, `[index]`, `++`, `--` after an operand. */
  postfixOperator = this.RULE("postfixOperator", () => {
    this.OR(this.postfixAlts);
  });

  private readonly postfixAlts = [
    {
      ALT: () => {
        this.CONSUME(t.Dot);
        this.OR2(this.memberAlts);
      },
    },
    {
      ALT: () => {
        this.CONSUME(t.Arrow);
        this.CONSUME2(t.Identifier);
      },
    },
    {
      ALT: () => {
        this.CONSUME(t.LBracket);
        this.SUBRULE(this.expression);
        this.CONSUME(t.RBracket);
      },
    },
    { ALT: () => this.CONSUME(t.PlusPlus) },
    { ALT: () => this.CONSUME(t.MinusMinus) },
  ];

  private readonly memberAlts = [
    { ALT: () => this.CONSUME(t.Identifier) },
    { ALT: () => this.CONSUME(t.IntLiteral) },
  ];

  /**
   * The operands: literals, names, calls, groups, blocks. They are parsed in place in
   * unaryExpression: as a rule of their own they cost a CST node for every operand.
   */
  private readonly primaryAlts = [
    { ALT: () => this.CONSUME(t.IntLiteral) },
    { ALT: () => this.CONSUME(t.StringLiteral) },
    { ALT: () => this.CONSUME(t.True) },
    { ALT: () => this.CONSUME(t.False) },
    { ALT: () => this.CONSUME(t.Variable) },
    { ALT: () => this.CONSUME(t.Positional) },
    { ALT: () => this.CONSUME(t.ParamCount) },
    { ALT: () => this.SUBRULE(this.mapAccess) },
    { ALT: () => this.SUBRULE(this.callOrIdentifier) },
    { ALT: () => this.SUBRULE(this.parenExpression) },
    { ALT: () => this.SUBRULE(this.block) },
    { ALT: () => this.SUBRULE(this.ifExpression) },
    { ALT: () => this.SUBRULE(this.compileTimeForm) },
  ];

  mapAccess = this.RULE("mapAccess", () => {
    this.CONSUME(t.MapName);
    this.OPTION(() => {
      this.CONSUME(t.LBracket);
      this.SUBRULE(this.expression);
      this.MANY(() => {
        this.CONSUME(t.Comma);
        this.SUBRULE2(this.expression);
      });
      this.CONSUME(t.RBracket);
    });
  });

  callOrIdentifier = this.RULE("callOrIdentifier", () => {
    this.CONSUME(t.Identifier);
    this.OPTION(() => {
      this.CONSUME(t.LParen);
      this.OPTION2(() => {
        this.SUBRULE(this.expression);
        this.MANY(() => {
          this.CONSUME(t.Comma);
          this.SUBRULE2(this.expression);
        });
      });
      this.CONSUME(t.RParen);
    });
  });

  /** `()`, `(e)`, `(e,)`, `(a, b, ...)`, `(name = e, ...)`. */
  parenExpression = this.RULE("parenExpression", () => {
    this.CONSUME(t.LParen);
    this.OPTION(() => this.OR(this.parenContentAlts));
    this.CONSUME(t.RParen);
  });

  private readonly parenContentAlts = [
    {
      GATE: () => this.LA(2).tokenType === t.Assign,
      ALT: () => {
        this.SUBRULE(this.recordField);
        this.MANY(() => {
          this.CONSUME(t.Comma);
          this.OPTION2(() => this.SUBRULE2(this.recordField));
        });
      },
    },
    {
      ALT: () => {
        this.SUBRULE(this.expression);
        this.MANY2(() => {
          this.CONSUME2(t.Comma);
          this.OPTION3(() => this.SUBRULE2(this.expression));
        });
      },
    },
  ];

  recordField = this.RULE("recordField", () => {
    this.CONSUME(t.Identifier);
    this.CONSUME(t.Assign);
    this.SUBRULE(this.expression);
  });

  ifExpression = this.RULE("ifExpression", () => {
    this.CONSUME(t.If);
    this.SUBRULE(this.expression);
    this.SUBRULE(this.block);
    this.OPTION(() => {
      this.CONSUME(t.Else);
      this.OR(this.elseExpressionAlts);
    });
  });

  private readonly elseExpressionAlts = [
    { ALT: () => this.SUBRULE2(this.ifExpression) },
    { ALT: () => this.SUBRULE2(this.block) },
  ];

  /**
   * `sizeof(T)`, `sizeof(e)`, `offsetof(struct S, a.b)`, `typeof(T)`, `typeof(e)`;
   * `typeinfo(...)` and `comptime e` are parsed the same way to be reported as unsupported.
   */
  compileTimeForm = this.RULE("compileTimeForm", () => {
    this.CONSUME(t.CompileTimeForm);
    this.OR(this.compileTimeAlts);
  });

  private readonly compileTimeAlts = [
    {
      GATE: () => this.typeInParensAhead(),
      ALT: () => {
        this.CONSUME(t.LParen);
        this.SUBRULE(this.typeRef);
        this.OPTION(() => {
          this.CONSUME(t.Comma);
          this.CONSUME(t.Identifier, { LABEL: "member" });
          this.MANY(() => {
            this.CONSUME(t.Dot);
            this.CONSUME2(t.Identifier, { LABEL: "member" });
          });
        });
        this.CONSUME(t.RParen);
      },
    },
    { ALT: () => this.SUBRULE(this.unaryExpression) },
  ];

  /**
   * Prepares for a new input: clears the state grammar actions keep between tokens. `onProbe`,
   * if given, receives each probe's CST while the input is still free of syntax errors.
   */
  start(tokens: IToken[], onProbe: ((probe: CstNode) => void) | null = null): void {
    this.input = tokens;
    this.extraErrors = [];
    this.cleanErrorCount = 0;
    this.inStrayRun = false;
    this.onProbe = onProbe;
  }

  /**
   * Gives a cleanly parsed probe to `onProbe`, then empties its CST node: the subtree becomes
   * garbage while it is still young, which the garbage collector reclaims almost for free. A
   * CST kept for the whole input instead survives collection after collection, and copying it
   * was most of the parser's time on large scripts. The emptied node keeps its location.
   */
  private handOver(probe: CstNode): void {
    this.ACTION(() => {
      if (!this.onProbe || this.errors.length > 0 || this.extraErrors.length > 0) return;
      this.onProbe(probe);
      const children = probe.children;
      for (const name of Object.keys(children)) delete children[name];
    });
  }

  /** Runs one top-level item, noting whether it parsed cleanly (see strayToken). */
  private topLevelItem(parse: () => void): void {
    const before = this.errors.length;
    parse();
    this.ACTION(() => {
      this.inStrayRun = false;
      if (this.errors.length === before) this.cleanErrorCount = before;
    });
  }

  /**
   * A parenthesised type followed by an operand is a cast: `(int32)retval`, `(uint8)-1`,
   * `(struct Foo *)arg0`. Identifiers that are not type names stay grouping, so `(pid)*tid`
   * multiplies.
   */
  private castAhead(): boolean {
    if (this.LA(1).tokenType !== t.LParen) return false;
    if (this.LA(2).tokenType === t.StructKeyword) return true;
    const i = this.typeEnd(2);
    return i > 0 && isRParen(this.LA(i).tokenType) && CAST_OPERAND_START.has(this.LA(i + 1).tokenType);
  }

  /** `(type)` or `(type, ...`: what sizeof and offsetof take a type from. */
  private typeInParensAhead(): boolean {
    if (this.LA(1).tokenType !== t.LParen) return false;
    if (this.LA(2).tokenType === t.StructKeyword) return true;
    // `offsetof(type, member)` in a macro whose parameter `type` is bound to a typeof.
    if (this.LA(2).tokenType === t.Identifier && this.LA(3).tokenType === t.Comma) return true;
    const i = this.typeEnd(2);
    return i > 0 && (isRParen(this.LA(i).tokenType) || this.LA(i).tokenType === t.Comma);
  }

  /** Just past an identifier or a balanced `typeof(...)` at lookahead `i`, or -1. */
  private typeBaseEnd(i: number): number {
    const first = this.LA(i);
    if (first.tokenType === t.Identifier) return i + 1;
    if (first.image !== "typeof" || !isLParen(this.LA(i + 1).tokenType)) return -1;
    let depth = 0;
    for (let k = i + 1; ; k++) {
      const tt = this.LA(k).tokenType;
      if (tt === EOF) return -1;
      if (isLParen(tt)) depth++;
      else if (isRParen(tt) && --depth === 0) return k + 1;
    }
  }

  /** Where a type name that starts at lookahead `i` ends (stars, `[N]`), or -1 if none starts there. */
  private typeEnd(start: number): number {
    let i = this.typeBaseEnd(start);
    if (i < 0) return -1;
    const named = i === start + 1 && !CAST_TYPE_NAMES.has(this.LA(start).image);
    while (this.LA(i).tokenType === t.Star) i++;
    // Any other name is a type only behind a star, `(T *)`, which no expression can be: a
    // macro parameter bound to a typeof (`macro m(T) { (T *)0 }`).
    if (named && (i === start + 1 || !isRParen(this.LA(i).tokenType))) return -1;
    if (this.LA(i).tokenType === t.LBracket) {
      i++;
      if (this.LA(i).tokenType === t.IntLiteral) i++;
      if (this.LA(i).tokenType !== t.RBracket) return -1;
      i++;
    }
    return i;
  }
}

function isLParen(tt: TokenType): boolean {
  return tt === t.LParen;
}

function isRParen(tt: TokenType): boolean {
  return tt === t.PlainRParen || tt === t.PopRParen;
}

function isBraceToken(tt: TokenType): boolean {
  return (
    tt === t.PushLCurly ||
    tt === t.PopPushLCurly ||
    tt === t.PopRCurly ||
    tt === t.StrayRCurly ||
    tt === t.LCurly ||
    tt === t.RCurly
  );
}

export function describeToken(tok: IToken): string {
  if (tok.tokenType === EOF) return "end of file";
  return `'${tok.image}'`;
}

/** The one parser instance: Chevrotain parsers are reused by assigning `input`. */
export const parser = new ProbelabParser();
