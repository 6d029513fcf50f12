import { describe, expect, test } from "vitest";
import { lexer, makeLexer } from "../../src/lang/tokens.js";

function tokens(text: string): string[] {
  const r = lexer.tokenize(text);
  expect(r.errors).toEqual([]);
  return r.tokens.map((t) => `${t.tokenType.name}:${t.image}`);
}

describe("lexer modes", () => {
  test("an attach point is one token, including paths, wildcards and quotes", () => {
    expect(tokens('uprobe:/usr/bin/shopd:handle_* , u:libc:"a b:c" {}')).toEqual([
      "AttachPointText:uprobe:/usr/bin/shopd:handle_*",
      "Comma:,",
      'AttachPointText:u:libc:"a b:c"',
      "PushLCurly:{",
      "PopRCurly:}",
    ]);
  });

  test("the same characters are operators inside a body", () => {
    expect(tokens("begin { $a = 1 / 2; }")).toEqual([
      "AttachPointText:begin",
      "PushLCurly:{",
      "Variable:$a",
      "Assign:=",
      "IntLiteral:1",
      "Slash:/",
      "IntLiteral:2",
      "PlainSemi:;",
      "PopRCurly:}",
    ]);
  });

  test("'/=' is one compound assignment in a body, not a division and an assignment", () => {
    expect(tokens("begin { $a /= 2; @b /= 3 }")).toEqual([
      "AttachPointText:begin",
      "PushLCurly:{",
      "Variable:$a",
      "SlashAssign:/=",
      "IntLiteral:2",
      "PlainSemi:;",
      "MapName:@b",
      "SlashAssign:/=",
      "IntLiteral:3",
      "PopRCurly:}",
    ]);
  });

  test("a predicate ends at the '/' followed by '{'; other slashes divide", () => {
    expect(tokens("i:s:1 /pid / 2 == 1/ { }")).toEqual([
      "AttachPointText:i:s:1",
      "PredicateOpen:/",
      "Identifier:pid",
      "Slash:/",
      "IntLiteral:2",
      "EqEq:==",
      "IntLiteral:1",
      "PredicateClose:/",
      "PushLCurly:{",
      "PopRCurly:}",
    ]);
  });

  test("an unclosed predicate still enters the body at '{'", () => {
    expect(tokens("begin /1 { 2 }").slice(-4)).toEqual([
      "IntLiteral:1",
      "PopPushLCurly:{",
      "IntLiteral:2",
      "PopRCurly:}",
    ]);
  });

  test("nested braces keep body mode until the matching '}'", () => {
    const t = tokens("begin { if (1) { $x = 1 } } end { }");
    expect(t.filter((x) => x.startsWith("AttachPointText"))).toEqual([
      "AttachPointText:begin",
      "AttachPointText:end",
    ]);
  });

  test("comments and shebang are skipped; shebang only on the first line", () => {
    expect(tokens("#!/usr/bin/probelab\n// c\nbegin /* x */ {}")).toEqual([
      "Shebang:#!/usr/bin/probelab",
      "AttachPointText:begin",
      "PushLCurly:{",
      "PopRCurly:}",
    ]);
    expect(tokens("begin {}\n#include <x.h>")[3]).toBe("Preprocessor:#include <x.h>");
  });

  test("top-level keywords do not swallow attach points that start with them", () => {
    expect(tokens("config = { a = 1 } letter:x {}")).toContain("AttachPointText:letter:x");
    expect(tokens("config={}")[0]).toBe("Config:config");
  });

  test("a top-level let declares a map until ';'", () => {
    expect(tokens("let @m = lruhash(10); begin {}")).toEqual([
      "TopLet:let",
      "MapName:@m",
      "Assign:=",
      "Identifier:lruhash",
      "LParen:(",
      "IntLiteral:10",
      "PopRParen:)",
      "PlainSemi:;",
      "AttachPointText:begin",
      "PushLCurly:{",
      "PopRCurly:}",
    ]);
  });

  test("operators are matched longest first", () => {
    const t = tokens("begin { $a <<= 1; $b = $a >= 2 && $a != 3 || $a->x; @++; $t.0..5 }");
    expect(t).toContain("ShiftLeftAssign:<<=");
    expect(t).toContain("GreaterEq:>=");
    expect(t).toContain("AndAnd:&&");
    expect(t).toContain("NotEq:!=");
    expect(t).toContain("OrOr:||");
    expect(t).toContain("Arrow:->");
    expect(t).toContain("PlusPlus:++");
    expect(t).toContain("DotDot:..");
  });

  test("integer literals carry their suffix; positional parameters and $# are tokens", () => {
    expect(tokens("begin { 10ms + 0x1f + $1 + $# }").filter((x) => !x.startsWith("Plus"))).toEqual([
      "AttachPointText:begin",
      "PushLCurly:{",
      "IntLiteral:10ms",
      "IntLiteral:0x1f",
      "Positional:$1",
      "ParamCount:$#",
      "PopRCurly:}",
    ]);
  });

  test("an unexpected character is a lexer error, not an exception", () => {
    const r = lexer.tokenize("begin { `x` }");
    expect(r.errors.length).toBeGreaterThan(0);
    expect(r.errors[0]!.column).toBe(9);
  });
});

describe("token positions", () => {
  test("tokens carry start line and column and the end offset the parser's node locations need", () => {
    const [probe, open, variable] = lexer.tokenize('begin\n  {\n\t$abc = "x"; }').tokens;
    expect([probe!.startOffset, probe!.endOffset, probe!.startLine, probe!.startColumn]).toEqual([
      0, 4, 1, 1,
    ]);
    expect([open!.startOffset, open!.endOffset, open!.startLine, open!.startColumn]).toEqual([8, 8, 2, 3]);
    expect([variable!.startOffset, variable!.endOffset, variable!.startLine, variable!.startColumn]).toEqual([
      11, 14, 3, 2,
    ]);
  });
});

test("the token definitions pass Chevrotain's validations (the run's lexer skips them)", () => {
  const validated = makeLexer(true);
  expect(validated.lexerDefinitionErrors).toEqual([]);
  // Both lexers read the same input the same way.
  const text = 'uprobe:/usr/bin/shopd:handle_* /pid == 1/ { @[comm] = count(); printf("%d\\n", 1 / 2); }';
  const image = (r: ReturnType<typeof lexer.tokenize>) =>
    r.tokens.map((t) => `${t.tokenType.name}:${t.image}`);
  expect(image(validated.tokenize(text))).toEqual(image(lexer.tokenize(text)));
});
