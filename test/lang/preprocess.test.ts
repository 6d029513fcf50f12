/**
 * The C preprocessor in front of the parser: directives, macro expansion (not in strings or
 * comments, not of bpftrace's own names), conditional sections, shipped headers, -I files, and
 * diagnostics that still point at the script's own line and column.
 */
import { describe, expect, test } from "vitest";
import { DiagnosticSink } from "../../src/lang/diagnostics.js";
import { formatDiagnostics, frontEnd, type IncludeOptions } from "../../src/lang/index.js";
import { preprocess } from "../../src/lang/preprocess.js";

function output(text: string, includes: IncludeOptions = {}): string {
  const sink = new DiagnosticSink();
  const pre = preprocess({ name: "stdin", text }, includes, sink);
  if (pre === null) throw new Error(sink.list.map((d) => d.message).join("\n"));
  return pre.text;
}

function report(text: string, includes: IncludeOptions = {}): string {
  const src = { name: "script.bt", text };
  return formatDiagnostics(frontEnd(src, { includes }).diagnostics, src);
}

function errors(text: string, includes: IncludeOptions = {}): string[] {
  return frontEnd({ name: "script.bt", text }, { includes })
    .diagnostics.filter((d) => d.severity === "error")
    .map((d) => d.message);
}

function files(table: Record<string, string>): IncludeOptions {
  const map = new Map(Object.entries(table));
  return { includeDirs: ["/inc"], readFile: (path) => map.get(path) ?? null };
}

describe("directives", () => {
  test("object-like and function-like macros expand in code, keeping every line in its place", () => {
    const out = output('#define N 4\n#define SQ(x) ((x) * (x))\nbegin { @a = SQ(N); print("N"); } // N\n');
    expect(out.split("\n")).toEqual(["", "", 'begin { @a = ((4) * (4)); print("N"); } // N', ""]);
  });

  test("bpftrace's own names are left alone: $x, @x, fields, attach points", () => {
    const out = output("#define pid 7\n#define x 9\nkprobe:pid { $x = args.pid; @x[pid] = 1; }");
    expect(out.split("\n")[2]).toBe("kprobe:pid { $x = args.pid; @x[7] = 1; }");
  });

  test("#undef, #ifdef, #ifndef, #if defined(), #elif and #else choose sections", () => {
    const text = [
      "#define A 2",
      "#ifdef A",
      "a",
      "#else",
      "not-a",
      "#endif",
      "#undef A",
      "#ifndef A",
      "no-a",
      "#endif",
      "#if defined(A) || A + 1 == 2",
      "wrong",
      "#elif (3 << 2) == 12 && !defined B",
      "elif",
      "#else",
      "else",
      "#endif",
    ].join("\n");
    expect(
      output(text)
        .split("\n")
        .filter((l) => l !== ""),
    ).toEqual(["a", "no-a", "elif"]);
  });

  test("recursion stops as in C, variadic macros, # and ##", () => {
    const text =
      '#define R R + 1\n#define P(fmt, ...) printf(fmt, __VA_ARGS__)\n#define S(a) #a\n#define J(a, b) a ## b\nR P("%d %d", 1, 2) S(x y) J(ab, 12)';
    expect(output(text).split("\n")[4]!.replace(/\s+/g, " ")).toBe('R + 1 printf("%d %d", 1, 2) "x y" ab12');
  });

  test("BPFTRACE_HAVE_BTF is not defined, so the tools take their #include branch", () => {
    expect(output("#ifndef BPFTRACE_HAVE_BTF\nheaders\n#endif").split("\n")[1]).toBe("headers");
  });
});

describe("shipped headers", () => {
  test("constants and types of linux/sched.h, socket.h, in.h, fcntl.h, errno.h, time.h, signal.h", () => {
    const text = [
      "#include <linux/sched.h>",
      "#include <netinet/in.h>",
      "#include <fcntl.h>",
      "#include <errno.h>",
      "#include <time.h>",
      "#include <signal.h>",
      "#include <net/tcp_states.h>",
      "begin { @ = TASK_RUNNING + TASK_UNINTERRUPTIBLE + AF_INET6 + O_CREAT + ENOENT + SIGKILL + TCP_LISTEN;",
      "  @s = sizeof(struct sockaddr_in) + sizeof(struct sockaddr_in6) + sizeof(struct timespec); }",
    ].join("\n");
    const r = frontEnd({ name: "script.bt", text });
    expect(r.diagnostics).toEqual([]);
    expect(output(text).split("\n")[7]).toContain(
      "@ = 0x00000000 + 0x00000002 + 10 + 00000100 + 2 + 9 + TCP_LISTEN;",
    );
  });

  test("struct task_struct comes from the model, not a second definition", () => {
    expect(errors("#include <linux/sched.h>\nbegin { @ = curtask->pid; }")).toEqual([]);
  });

  test("a header included twice is read once (include guards)", () => {
    expect(
      errors("#include <linux/in.h>\n#include <netinet/in.h>\nbegin { @ = sizeof(struct in_addr); }"),
    ).toEqual([]);
  });

  test("an unknown header is named with the list of shipped ones", () => {
    expect(report("begin { }\n#include <linux/nope.h>\n")).toMatch(
      /^script\.bt:2:1-24: ERROR: header <linux\/nope\.h> is not shipped with probelab; shipped: asm-generic/,
    );
  });
});

describe("-I and --include", () => {
  const inc = files({
    "/inc/mine.h": '#include "local.h"\n#define MINE 5\nstruct mine { int a; long b; };',
    "/inc/local.h": "#define LOCAL 6",
    "/inc/bad.h": "struct bad { int a; nosuch b; };",
    "/inc/loop.h": '#include "loop.h"',
  });

  test('<...> is searched in -I directories, "..." next to the including file first', () => {
    expect(errors("#include <mine.h>\nbegin { @ = MINE + LOCAL + sizeof(struct mine); }", inc)).toEqual([]);
  });

  test("--include reads a header before the script's first line", () => {
    const withForced = { ...inc, includeFiles: ["mine.h"] };
    expect(errors("begin { @ = MINE + sizeof(struct mine); }", withForced)).toEqual([]);
    // Columns of the first line are still the script's own.
    expect(report("begin { @ = nope; }", withForced)).toContain(
      "script.bt:1:13-17: ERROR: Unknown identifier",
    );
  });

  test("a problem inside a header is reported at the #include, naming the header's line", () => {
    expect(report("\n#include <bad.h>\nbegin { }", inc)).toMatch(
      /^script\.bt:2:1-17: ERROR: .*nosuch.*\(\/inc\/bad\.h:1:/,
    );
  });

  test("a header that includes itself stops with a located error", () => {
    expect(errors('#include "loop.h"\nbegin { }', inc)).toEqual([
      "#include nested more than 64 levels deep (a header that includes itself?) (/inc/loop.h:1)",
    ]);
  });
});

describe("positions and errors", () => {
  test("a diagnostic after a macro on the same line points at the script's column", () => {
    const text = "#define LONGER_NAME 1\nbegin { @ = LONGER_NAME + nope; }";
    expect(report(text)).toContain("script.bt:2:27-31: ERROR: Unknown identifier");
  });

  test("a diagnostic on a macro use covers the macro's name", () => {
    expect(report('#define BAD "s" - 1\nbegin { @ = BAD; }')).toMatch(/script\.bt:2:13-16: ERROR/);
  });

  test("lines after a multi-line directive keep their numbers", () => {
    expect(report("#define X 1 + \\\n  2\nbegin { @ = X; }\nbegin { @ = nope; }")).toContain("script.bt:4:");
  });

  test("a macro bomb stops quickly with a located error", () => {
    const defs = ["#define B0 x"];
    for (let i = 1; i <= 40; i++) defs.push(`#define B${i} B${i - 1} B${i - 1}`);
    const started = Date.now();
    expect(report(`${defs.join("\n")}\nbegin { @ = B40; }`)).toContain(
      "script.bt:42:13-16: ERROR: in macro B40: macro expansion made more than 100000 tokens",
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test("malformed directives say what is wrong, where", () => {
    expect(report("#if 1 +\n#endif\nbegin { }")).toContain(
      "script.bt:1:1-8: ERROR: #if expression ends too early",
    );
    expect(errors("#endif\nbegin { }")).toEqual(["#endif without #if"]);
    expect(errors("#ifdef A\nbegin { }")).toEqual(["unterminated #if at the end of script.bt"]);
    expect(errors('#error "no"\nbegin { }')).toEqual(['#error "no"']);
    expect(errors("#define F(a) a\nbegin { @ = F(1, 2); }")).toEqual([
      "in macro F: macro F takes 1 argument, 2 given",
    ]);
  });

  test("a script without directives is passed through untouched", () => {
    const text = '#!/usr/bin/env bpftrace\nbegin { printf("#define\\n"); }';
    expect(output(text)).toBe(text);
  });
});
