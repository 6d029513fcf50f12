import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { frontEnd } from "../../src/lang/index.js";
import { typeName } from "../../src/lang/types.js";

const files = readdirSync("programs").filter((f) => f.endsWith(".bt"));

function check(file: string) {
  const r = frontEnd({ name: `programs/${file}`, text: readFileSync(`programs/${file}`, "utf8") });
  expect(r.diagnostics).toEqual([]);
  return r.program!;
}

describe("example programs", () => {
  test("the four documented programs exist", () => {
    expect(files).toEqual(
      expect.arrayContaining(["latency.bt", "top-callers.bt", "alloc-sizes.bt", "trace-requests.bt"]),
    );
  });

  test.each(files)("%s parses and checks cleanly", (file) => {
    check(file);
  });

  test("latency.bt pairs entry and return through @start[tid]", () => {
    const p = check("latency.bt");
    expect(
      p.maps.map((m) => [m.name, m.keyType ? typeName(m.keyType) : null, typeName(m.valueType)]),
    ).toEqual([
      ["@lat", null, "hist_t"],
      ["@start", "uint32", "uint64"],
    ]);
    expect(p.ast.probes.map((x) => x.attachPoints[0]!.canonical)).toEqual([
      "uprobe:/usr/bin/shopd:handle_request",
      "uretprobe:/usr/bin/shopd:handle_request",
      "end",
    ]);
  });

  test("top-callers.bt counts per function with a wildcard", () => {
    const p = check("top-callers.bt");
    expect(p.ast.probes[0]!.attachPoints[0]).toMatchObject({ target: "/usr/bin/shopd", func: "*" });
    expect(p.maps[0]).toMatchObject({ name: "@", keyType: { kind: "usym" }, valueType: { kind: "count" } });
  });

  test("alloc-sizes.bt uses a linear histogram on libc's malloc", () => {
    const p = check("alloc-sizes.bt");
    expect(p.ast.probes[0]!.attachPoints[0]).toMatchObject({ target: "libc", func: "malloc" });
    expect(p.maps[0]!.valueType).toEqual({ kind: "lhist", min: 0n, max: 1024n, step: 64n });
  });
});
