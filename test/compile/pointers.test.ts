/**
 * C pointer arithmetic as bpftrace does it: `p + n`, `n + p`, `p - n`, `p += n`, `++`/`--`
 * move by whole elements of the pointee (void * by bytes); `p - q` counts elements; pointers
 * compare as addresses; anything else on a pointer is a type error.
 */

import { describe, expect, test } from "vitest";
import { runScript } from "./harness.js";

function out(prog: string): string {
  const r = runScript(prog);
  expect(r.diagnostics).not.toContain("ERROR");
  return r.stdout;
}

describe("pointer arithmetic", () => {
  test("a map pointer moves by the pointee's size with +=, -=, ++ and --", () => {
    expect(out("begin { @=(int8*) 0x32; @+=1; }")).toContain("@: 0x33");
    expect(out("begin { @=(int16*) 0x32; @++; }")).toContain("@: 0x34");
    expect(out("begin { @=(int32*) 0x32; @-=6; }")).toContain("@: 0x1a");
    expect(out("begin { @=(int64*) 0x32; --@; }")).toContain("@: 0x2a");
    expect(out("begin { @dec = 4; @=(int32*) 0x32; @-=@dec; }")).toContain("@: 0x22");
  });

  test("variables: p + n, n + p, p - q in elements, comparison, ++", () => {
    expect(
      out(
        "begin { $p = (int64*) 0x32; $q = $p + 2; $r = 1 + $p; print(($q, $r, $q - $p, $p < $q)); $p++; print($p); exit(); }",
      ),
    ).toContain("(0x42, 0x3a, 2, true)\n0x3a\n");
  });

  test("void * moves by bytes", () => {
    expect(out("begin { $p = (void *) 0x10; print($p + 3); exit(); }")).toContain("0x13");
  });

  test("multiplying a pointer, or adding two, is a type error naming the operator", () => {
    expect(runScript("begin { $p = (int8*) 0x32; print($p * 2); }").diagnostics).toMatch(
      /ERROR: Type mismatch for '\*': int8 \* and/,
    );
    expect(runScript("begin { $p = (int8*) 0x32; print($p + $p); }").diagnostics).toMatch(
      /ERROR: Type mismatch for '\+'/,
    );
  });
});
