/**
 * uprobe/uretprobe handlers fed by a hand-built HitContext, as the session will call them:
 * builtins, memory reads, symbols, stacks, and the two hot paths the benchmark measures.
 */

import { describe, expect, test } from "vitest";
import type { HitContext } from "../../src/compile/context.js";
import type { CompiledScript } from "../../src/compile/program.js";
import { runScript } from "./harness.js";

/** A tiny byte store for str()/buf(): a string at 0x1000, 5 raw bytes at 0x2000. */
const memory = {
  readCString(addr: number, max: number): string | null {
    if (addr !== 0x1000) return null;
    return "hello, world".slice(0, max);
  },
  readBytes(addr: number, len: number): Uint8Array | null {
    if (addr !== 0x2000) return null;
    return Uint8Array.from([0x41, 0x00, 0xff, 0x42, 0x0a]).slice(0, len);
  },
};

const symbols: Record<number, string> = {
  4198400: "main",
  4198656: "handle_request",
  4198912: "parse_header",
};

function hit(script: CompiledScript, ctx: HitContext, probe: number, fields: Partial<HitContext>): void {
  Object.assign(ctx, fields);
  script.probes[probe]!.run(ctx);
}

describe("builtins from the hit context", () => {
  test("pid tid uid gid comm cpu nsecs elapsed probe func", () => {
    const r = runScript(
      'uprobe:/usr/bin/shopd:handle_request { printf("%d %d %d %d %s %d %lu %lu %s %s %s\\n", pid, tid, uid, gid, comm, cpu, nsecs, elapsed, probe, func, probetype); } begin {}',
      {
        between: (script, ctx) =>
          hit(script, ctx, 0, {
            pid: 42,
            tid: 43,
            uid: 1000,
            gid: 100,
            comm: "shopd-worker-with-a-long-name",
            cpu: 3,
            nsecs: 5_000_000_123,
            startNs: 1_000_000_000,
            probe: "uprobe:/usr/bin/shopd:handle_request",
            func: "handle_request",
            funcAddr: 0x401100,
          }),
      },
    );
    expect(r.stdout.split("\n")[0]).toBe(
      "42 43 1000 100 shopd-worker-wi 3 5000000123 4000000123 uprobe:/usr/bin/shopd:handle_request handle_request uprobe",
    );
  });

  test("pcomm (and pcomm()) is the parent's comm, cut to 15 bytes as comm is", () => {
    const r = runScript(
      'uprobe:/bin/x:f { printf("%s %s\\n", pcomm, pcomm()); } begin { printf("%s\\n", pcomm); }',
      { between: (script, ctx) => hit(script, ctx, 0, { pcomm: "a-parent-with-a-long-name" }) },
    );
    // begin runs as bpftrace, whose parent is init.
    expect(r.stdout.split("\n").slice(0, 2)).toEqual(["systemd", "a-parent-with-a a-parent-with-a"]);
  });

  test("arg0..arg5 and retval", () => {
    const r = runScript(
      'uprobe:/bin/x:f { printf("%d %d %d %d %d %d\\n", arg0, arg1, arg2, arg3, arg4, arg5); } uretprobe:/bin/x:f { printf("ret %ld\\n", (int64)retval); } begin {}',
      {
        between: (script, ctx) => {
          hit(script, ctx, 0, { args: [1, 2, 3, 4, 5, 6] });
          hit(script, ctx, 1, { retval: 2n ** 64n - 7n });
        },
      },
    );
    expect(r.stdout.split("\n").slice(0, 2)).toEqual(["1 2 3 4 5 6", "ret -7"]);
  });

  test("str() reads simulated memory with max_strlen and the .. trailer; unreadable is empty", () => {
    const r = runScript(
      'config = { max_strlen = 6 } uprobe:/bin/x:f { printf("[%s] [%s] [%s]\\n", str(arg0), str(arg0, 3), str(arg1)); } begin {}',
      { between: (script, ctx) => hit(script, ctx, 0, { memory, args: [0x1000, 0x9999, 0, 0, 0, 0] }) },
    );
    expect(r.stdout.split("\n")[0]).toBe("[hello..] [hel] []");
  });

  test("buf() prints with %r, %rx and %rh", () => {
    const r = runScript(
      'uprobe:/bin/x:f { $b = buf(arg0, 5); printf("%r|%rx|%rh\\n", $b, $b, $b); } begin {}',
      {
        between: (script, ctx) => hit(script, ctx, 0, { memory, args: [0x2000, 0, 0, 0, 0, 0] }),
      },
    );
    expect(r.stdout.split("\n")[0]).toBe("A\\x00\\xffB\\x0a|\\x41\\x00\\xff\\x42\\x0a|41 00 ff 42 0a");
  });

  test("usym() names an address through the session's symbolizer, else hex", () => {
    const r = runScript('uprobe:/bin/x:f { printf("%s %s\\n", usym(arg0), usym(arg1)); } begin {}', {
      between: (script, ctx) =>
        hit(script, ctx, 0, { symbolize: (a) => symbols[a] ?? null, args: [0x401000, 0x1234, 0, 0, 0, 0] }),
    });
    expect(r.stdout.split("\n")[0]).toBe("main 0x1234");
  });

  const FRAMES = new Map([
    [0x1004, "parse_header+4"],
    [0x2012, "handle_request+18"],
    [0x3009, "main+9"],
  ]);

  test("ustack as a map key prints one frame per line", () => {
    const r = runScript("uprobe:/bin/x:f { @[ustack] = count(); } begin {}", {
      between: (script, ctx) =>
        hit(script, ctx, 0, {
          ustack: () => [0x1004, 0x2012, 0x3009],
          symbolizeFrame: (a) => FRAMES.get(a) ?? null,
        }),
    });
    expect(r.stdout).toBe(
      "\n\n@[\n        parse_header+4\n        handle_request+18\n        main+9\n]: 1\n",
    );
  });

  test("len(ustack) is the stack depth", () => {
    const r = runScript('uprobe:/bin/x:f { printf("%d\\n", len(ustack)); } begin {}', {
      between: (script, ctx) => hit(script, ctx, 0, { ustack: () => [1, 2, 3] }),
    });
    expect(r.stdout.split("\n")[0]).toBe("3");
  });

  test("rand comes from the context's seeded source", () => {
    let n = 0;
    const r = runScript('uprobe:/bin/x:f { printf("%u\\n", rand); } begin {}', {
      between: (script, ctx) => {
        ctx.rand = () => ++n * 1000;
        script.probes[0]!.run(ctx);
        script.probes[0]!.run(ctx);
      },
    });
    expect(r.stdout.split("\n").slice(0, 2)).toEqual(["1000", "2000"]);
  });
});

describe("the hot paths", () => {
  test("@[func] = count() prints function names, most frequent last", () => {
    const r = runScript("uprobe:/usr/bin/shopd:* { @[func] = count(); } begin {}", {
      between: (script, ctx) => {
        const calls: [number, string][] = [
          [0x401100, "handle_request"],
          [0x401200, "parse_header"],
          [0x401200, "parse_header"],
          [0x401000, "main"],
          [0x401200, "parse_header"],
          [0x401100, "handle_request"],
        ];
        for (const [funcAddr, func] of calls) hit(script, ctx, 0, { funcAddr, func });
      },
    });
    expect(r.stdout).toBe("\n\n@[main]: 1\n@[handle_request]: 2\n@[parse_header]: 3\n");
  });

  test("@start[tid] = nsecs; hist(nsecs - @start[tid]); delete", () => {
    const prog =
      "uprobe:/usr/bin/shopd:handle_request { @start[tid] = nsecs; }" +
      " uretprobe:/usr/bin/shopd:handle_request /@start[tid]/ { @lat = hist(nsecs - @start[tid]); delete(@start, tid); } begin {}";
    const r = runScript(prog, {
      between: (script, ctx) => {
        for (let tid = 1; tid <= 4; tid++) hit(script, ctx, 0, { tid, nsecs: 1000 * tid });
        for (let tid = 1; tid <= 4; tid++) hit(script, ctx, 1, { tid, nsecs: 1000 * tid + 100 * tid * tid });
        hit(script, ctx, 1, { tid: 99, nsecs: 1 }); // no entry: the predicate filters it
      },
    });
    expect(r.stdout).toBe(
      "\n\n@lat:\n" +
        "[64, 128)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n" +
        "[128, 256)             0 |                                                    |\n" +
        "[256, 512)             1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n" +
        "[512, 1K)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n" +
        "[1K, 2K)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\n",
    );
  });

  test("a full map warns once and keeps running", () => {
    const r = runScript("let @m = hash(2); uprobe:/bin/x:f { @m[tid] = 1; } begin {}", {
      between: (script, ctx) => {
        for (let tid = 1; tid <= 4; tid++) hit(script, ctx, 0, { tid });
      },
    });
    expect(r.stdout).toBe("\n\n@m[1]: 1\n@m[2]: 1\n");
    expect(r.stderr.match(/Map full/g)).toHaveLength(1);
  });
});
