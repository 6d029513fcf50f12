import { expect, test } from "vitest";
import { dumpAst, dumpTokens, dumpTyped } from "../../src/lang/index.js";

const src = { name: "stdin", text: "begin { $x = 1 + 2; @m[pid] = $x; }" };

test("-d tokens lists each token with its position", () => {
  const lines = dumpTokens(src).trimEnd().split("\n");
  expect(lines[0]).toBe("1:1-6 AttachPointText 'begin'");
  expect(lines[3]).toBe("1:12-13 Assign '='");
  expect(lines.length).toBe(16);
});

test("-d ast prints the tree with spans", () => {
  expect(dumpAst(src)).toBe(
    [
      "program config=[] mapDecls=[] structs=[] enums=[] macros=[] @1:1-36",
      "  probes[0]: probe index=0 @1:1-36",
      '    attachPoints[0]: attachPoint provider="begin" raw="begin" parts=[] canonical="begin" @1:1-6',
      "    body: block @1:7-36",
      "      statements[0]: assign @1:9-19",
      '        target: var name="$x" slot=-1 @1:9-11',
      '        value: binary op="+" @1:14-19',
      '          left: int value=1 text="1" @1:14-15',
      '          right: int value=2 text="2" @1:18-19',
      "      statements[1]: assign @1:21-33",
      '        target: map name="@m" @1:21-28',
      '          key: builtin name="pid" @1:24-27',
      '        value: var name="$x" slot=-1 @1:31-33',
      "",
    ].join("\n"),
  );
});

test("-d typed adds types, slots, maps and config", () => {
  const out = dumpTyped(src);
  expect(out).toContain('value: binary op="+" : int64 @1:14-19');
  expect(out).toContain('target: var name="$x" slot=0 : int64 @1:9-11');
  expect(out).toContain("  @m key=uint32 value=int64 kind=hash maxEntries=4096");
  expect(out).toContain("  slot 0 $x: int64");
});

test("dumps of broken programs show the diagnostics", () => {
  expect(dumpAst({ name: "stdin", text: "begin { $x = ; }" })).toContain("ERROR: syntax: unexpected ';'");
  expect(dumpTyped({ name: "stdin", text: "begin { $x = y; }" })).toContain("ERROR: Unknown identifier: 'y'");
});
