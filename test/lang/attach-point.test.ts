import { describe, expect, test } from "vitest";
import type { AttachPoint } from "../../src/lang/ast.js";
import { normaliseProvider, parseAttachPoint, splitAttachPoint } from "../../src/lang/attach-point.js";
import { DiagnosticSink } from "../../src/lang/diagnostics.js";

const span = { line: 1, col: 1, endLine: 1, endCol: 2 };

function parse(text: string, args: string[] = []): { ap: AttachPoint; errors: string[] } {
  const sink = new DiagnosticSink();
  const ap = parseAttachPoint(text, span, args, sink);
  return { ap, errors: sink.list.map((d) => d.message) };
}

function clean(text: string, args: string[] = []): AttachPoint {
  const { ap, errors } = parse(text, args);
  expect(errors).toEqual([]);
  return ap;
}

describe("splitting", () => {
  test("splits on ':' outside quotes, removing quotes and honouring escapes", () => {
    expect(splitAttachPoint("uprobe:./a.out:func")).toEqual(["uprobe", "./a.out", "func"]);
    expect(splitAttachPoint('uprobe:./a.out:"A::f"')).toEqual(["uprobe", "./a.out", "A::f"]);
    expect(splitAttachPoint('uprobe:"/path/with space":f')).toEqual(["uprobe", "/path/with space", "f"]);
    expect(splitAttachPoint('u:x:"a\\"b"')).toEqual(["u", "x", 'a"b']);
  });

  test("providers: full names any case, aliases exactly", () => {
    expect(normaliseProvider("BEGIN")).toBe("begin");
    expect(normaliseProvider("Uprobe")).toBe("uprobe");
    expect(normaliseProvider("u")).toBe("uprobe");
    expect(normaliseProvider("ur")).toBe("uretprobe");
    expect(normaliseProvider("U")).toBe("usdt");
    expect(normaliseProvider("i")).toBe("interval");
  });
});

describe("uprobe and uretprobe", () => {
  test("TARGET:FUNC with wildcards", () => {
    const ap = clean("u:/usr/bin/shopd:handle_*");
    expect(ap).toMatchObject({
      provider: "uprobe",
      target: "/usr/bin/shopd",
      func: "handle_*",
      canonical: "uprobe:/usr/bin/shopd:handle_*",
    });
    expect(clean("uretprobe:libc:malloc")).toMatchObject({
      provider: "uretprobe",
      target: "libc",
      func: "malloc",
    });
  });

  test("FUNC+OFF gives an offset; uretprobe refuses it", () => {
    expect(clean("uprobe:/usr/bin/shopd:checksum+0x10")).toMatchObject({ func: "checksum", offset: 16n });
    expect(parse("uretprobe:/usr/bin/shopd:checksum+4").errors).toEqual(["Offset not allowed"]);
  });

  test("an offset that is not a number is a diagnostic, not a crash", () => {
    expect(parse("uprobe:/usr/bin/shopd:handle_req+est").errors).toEqual([
      "invalid offset in attach point: est",
    ]);
  });

  test("a numeric FUNC is an address", () => {
    const ap = clean("uprobe:/bin/bash:0x4a0");
    expect(ap.address).toBe(0x4a0n);
    expect(ap.func).toBeUndefined();
    expect(parse("uprobe:/bin/*:10").errors).toEqual(["Cannot use wildcards with an address attach point"]);
  });

  test("argument counts are reported as bpftrace does", () => {
    expect(parse("uprobe:f").errors).toEqual(["uprobe probe type requires 2 or 3 arguments, found 1"]);
    expect(parse("uprobe:a:cpp:f").errors[0]).toMatch(/language-specific uprobes .* not supported/);
    expect(parse("uprobe:./a.out@file.c:10").errors[0]).toMatch(/source-location uprobes/);
  });

  test("$N is substituted from the positional parameters", () => {
    expect(clean("uprobe:$1:$2", ["/usr/bin/shopd", "main"])).toMatchObject({
      target: "/usr/bin/shopd",
      func: "main",
      raw: "uprobe:/usr/bin/shopd:main",
    });
    expect(parse("uprobe:$1:main").errors[0]).toMatch(/positional parameter \$1/);
  });

  test("a name= prefix is kept as the label", () => {
    expect(clean("entry=uprobe:libc:free")).toMatchObject({
      label: "entry",
      provider: "uprobe",
      func: "free",
    });
  });
});

describe("begin, end, interval", () => {
  test("begin and end take no arguments, in any case", () => {
    expect(clean("BEGIN")).toMatchObject({ provider: "begin", canonical: "begin" });
    expect(clean("end")).toMatchObject({ provider: "end", canonical: "end" });
    expect(parse("begin:x").errors).toEqual(["begin probe type requires 0 arguments, found 1"]);
  });

  test("interval:UNIT:N and interval:DURATION", () => {
    expect(clean("interval:ms:100")).toMatchObject({ intervalNs: 100_000_000, canonical: "interval:ms:100" });
    expect(clean("i:s:1")).toMatchObject({
      provider: "interval",
      intervalNs: 1e9,
      canonical: "interval:s:1",
    });
    expect(clean("i:hz:99").intervalNs).toBe(Math.floor(1e9 / 99));
    expect(clean("interval:1s")).toMatchObject({ intervalNs: 1e9, canonical: "interval:us:1000000" });
    expect(clean("interval:1000000").intervalNs).toBe(1_000_000);
    expect(clean("i:ms:1e3").intervalNs).toBe(1e9);
  });

  test("bad intervals", () => {
    expect(parse("interval:min:1").errors[0]).toMatch(/invalid unit/);
    expect(parse("interval:100").errors[0]).toMatch(/too short/);
    expect(parse("interval:ms:0").errors[0]).toMatch(/invalid count/);
  });
});

describe("software events", () => {
  test("an alias names its event; the count defaults to perf's", () => {
    const cs = parse("software:cs:").ap;
    expect([cs.canonical, cs.target, cs.func]).toEqual([
      "software:context-switches:1000",
      "context-switches",
      "1000",
    ]);
    const cpu = parse("s:cpu-clock:250000").ap;
    expect([cpu.canonical, cpu.intervalNs]).toEqual(["software:cpu-clock:250000", 250000]);
  });

  test("an unknown event or a bad count is an error", () => {
    expect(parse("software:nope:1").errors[0]).toMatch(/unknown event 'nope'/);
    expect(parse("software:cs:0").errors[0]).toMatch(/invalid count '0'/);
  });
});

describe("unsupported providers are named", () => {
  test.each([
    ["w:0x1000:8:rw", "watchpoint"],
    ["watchpoint:0x1000:8:rw", "watchpoint"],
  ])("%s", (text, provider) => {
    expect(parse(text).errors).toEqual([
      `${provider} probes are not supported by probelab (supported: uprobe, uretprobe, usdt, kprobe, kretprobe, fentry, fexit, tracepoint, rawtracepoint, software, profile, begin, end, interval)`,
    ]);
  });

  test("hardware events are refused: the model has no hardware counters", () => {
    for (const text of ["hardware:cache-misses:1000", "h:cycles"])
      expect(parse(text).errors).toEqual([
        "hardware probes are not supported by probelab: the model has no hardware counters (software:cpu-clock and software:context-switches are the events it counts)",
      ]);
  });
});

describe("usdt attach points", () => {
  test("target, provider and name; a missing provider or target matches any", () => {
    const forms: [string, string][] = [
      ["usdt:/usr/bin/app:myapp:request", "usdt:/usr/bin/app:myapp:request"],
      ["usdt:/usr/bin/app:request", "usdt:/usr/bin/app:*:request"],
      ["usdt:request", "usdt:*:*:request"],
      ["U:/usr/bin/app::request", "usdt:/usr/bin/app:*:request"],
    ];
    for (const [text, canonical] of forms) expect(parse(text).ap.canonical).toBe(canonical);
  });

  test("too many parts or a source location are refused", () => {
    expect(parse("usdt:/bin/x:a:b:c").errors).toEqual([
      "usdt probe type requires 1 to 3 arguments (TARGET:[PROVIDER:]NAME), found 4",
    ]);
    expect(parse("usdt:/bin/x@a.c:3:probe").errors).toEqual([
      "usdt probes take TARGET:[PROVIDER:]NAME, not a source location",
    ]);
  });
});

describe("rawtracepoint attach points", () => {
  test("an event, with or without its module; rt is the short name", () => {
    const bare = parse("rt:sched_switch").ap;
    expect([bare.provider, bare.target, bare.func, bare.canonical]).toEqual([
      "rawtracepoint",
      undefined,
      "sched_switch",
      "rawtracepoint:sched_switch",
    ]);
    const mod = parse("rawtracepoint:vmlinux:sys_exit").ap;
    expect([mod.target, mod.func, mod.canonical]).toEqual([
      "vmlinux",
      "sys_exit",
      "rawtracepoint:vmlinux:sys_exit",
    ]);
  });

  test("more parts or an empty event is an error", () => {
    expect(parse("rawtracepoint:a:b:c").errors[0]).toMatch(
      /requires 1 or 2 arguments \(\[module:\]event\), found 3/,
    );
    expect(parse("rawtracepoint:").errors[0]).toMatch(/requires 1 or 2 arguments/);
  });

  test("an unknown provider", () => {
    expect(parse("bogus:x").errors).toEqual(["Invalid provider: 'bogus'"]);
  });
});
