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

describe("bpftrace's shipped uprobe tools, retargeted at the default workload", () => {
  const tools: Record<string, string> = {
    gethostlatency: `config = { missing_probes = ignore; }
BEGIN { printf("%-9s %-6s %-16s %6s %s\\n", "TIME", "PID", "COMM", "LATms", "HOST"); }
uprobe:libc:getaddrinfo { @start[tid] = nsecs; @name[tid] = arg0; }
uretprobe:libc:getaddrinfo /@start[tid]/ {
  $latms = (uint64)(nsecs - @start[tid]) / 1e6;
  time("%H:%M:%S  ");
  printf("%-6d %-16s %6d %s\\n", pid, comm, $latms, str(@name[tid]));
  delete(@start, tid); delete(@name, tid);
}
END { clear(@start); clear(@name); }`,
    ssllatency: `uprobe:/usr/bin/shopd:handle_request, uprobe:/usr/bin/shopd:parse_header {
  @start_ssl[tid] = nsecs; @func_ssl[tid] = func;
}
uretprobe:/usr/bin/shopd:handle_request, uretprobe:/usr/bin/shopd:parse_header /has_key(@start_ssl, tid)/ {
  $lat_us = (uint64)(nsecs - @start_ssl[tid]) / 1000;
  @hist[@func_ssl[tid]] = lhist($lat_us, 0, 1000, 200);
  @stat[@func_ssl[tid]] = stats($lat_us);
  printf("%-10u %-8d %-8s %7u %5d %s\\n", elapsed / 1000, tid, comm, $lat_us, (int8)retval, @func_ssl[tid]);
  delete(@start_ssl, tid); delete(@func_ssl, tid);
}`,
    threadsnoop: `uprobe:libc:malloc { printf("%-15s %7d %-16s %s\\n", strftime("%H:%M:%S.%f", nsecs), pid, comm, usym(arg2)); }`,
  };

  test.each(Object.entries(tools))("%s checks without diagnostics", (_name, text) => {
    const r = frontEnd({ name: "stdin", text });
    expect(r.diagnostics).toEqual([]);
    expect(r.program).not.toBeNull();
  });

  test("without the unsigned cast, the signed division warns at the parenthesised operand", () => {
    const text = "uretprobe:libc:free { $l = (nsecs - 1) / 1000; }";
    const r = frontEnd({ name: "stdin", text });
    expect(r.program).not.toBeNull();
    expect(r.diagnostics).toMatchObject([{ severity: "warning", span: { col: 28, endCol: 46 } }]);
  });
});
