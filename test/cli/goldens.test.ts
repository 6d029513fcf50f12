/**
 * End-to-end goldens: bundled workloads through `probelab run` with exact expected output.
 * A run is deterministic (same seed, same bytes), so any change in what a user sees shows up
 * here. When a change is intended (say the scheduler's costs moved), regenerate with
 *   UPDATE_GOLDENS=1 npx vitest run test/cli/goldens.test.ts
 * and read the diff before committing it. A missing golden fails (test/cli/golden-file.ts).
 *
 * These are model goldens as much as format goldens: the counts come from the cost model, so a
 * cost change rewrites them. The output format on its own is pinned by the conformance cases.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { expectGolden } from "./golden-file.js";
import { probelab } from "./harness.js";

const DIR = join(process.cwd(), "test", "cli", "goldens");

/** Short runs on 2 CPUs: enough hits to fill every bucket kind, quick enough for a test. */
const SHORT = ["--duration", "20ms", "--cpus", "2", "--seed", "1"];

interface Golden {
  name: string;
  why: string;
  args: string[];
}

const GOLDENS: Golden[] = [
  {
    name: "latency-hist",
    why: "uprobe + uretprobe pairing per thread: a log2 latency histogram",
    args: ["run", "programs/latency.bt", ...SHORT],
  },
  {
    name: "wildcard-count",
    why: "uprobe:/usr/bin/shopd:* attaches to every function; counts print in value order",
    args: ["run", "-e", "uprobe:/usr/bin/shopd:* { @[func] = count(); }", ...SHORT],
  },
  {
    name: "libc-malloc-aggregations",
    why: "a library probe by short name (libc), and every aggregation kind printed at exit",
    args: [
      "run",
      "-e",
      `uprobe:libc:malloc {
  @n = count(); @bytes = sum(arg0); @avg = avg(arg0); @min = min(arg0); @max = max(arg0);
  @st = stats(arg0); @log = hist(arg0); @lin = lhist(arg0, 0, 1024, 256);
  @by_tid[tid] = count(); @last_size = arg0;
}`,
      ...SHORT,
    ],
  },
  {
    name: "dlopen-plugin",
    why: "a probe on libplugin.so, mapped only when the plugin thread dlopens it after 5 ms",
    args: [
      "run",
      "-e",
      `uprobe:/usr/lib/libplugin.so:plugin_filter {
  @[str(arg1)] = count();
  if (arg0 == 1) { printf("first filter: %s at %d us on %s\\n", str(arg1), nsecs / 1000, comm); }
}`,
      ...SHORT,
    ],
  },
  {
    name: "printf-forms",
    why: "every printf conversion and flag, from begin and from a uprobe, plus print() of values and maps",
    args: [
      "run",
      "-e",
      `begin {
  printf("d=%d i=%i u=%u o=%o x=%x X=%X #x=%#x c=%c s=%s\\n", -42, 7, 42, 8, 255, 255, 255, 65, "str");
  printf("[%-6s] [%6s] [%6d] [%-6d] [%+d] [%05d] [%.2s] [%lu] [%llx] [%hhx] 100%%\\n",
         "ab", "ab", 42, 42, 42, 42, "abcdef", 18446744073709551615, 0xdeadbeefcafe, 0x1ff);
  print(123); print("a string"); print((1, "two", (3, 4)));
}
uprobe:/usr/bin/shopd:handle_request /arg0 <= 3/ {
  printf("%-16s tid=%-6d req=%-3d size=%5d ptr=0x%lx\\n", comm, tid, arg0, arg1, arg0 * 4096);
  @sizes[arg0] = arg1;
}
end { print(@sizes); clear(@sizes); printf("done\\n"); }`,
      ...SHORT,
    ],
  },
  {
    name: "json-aggregations",
    why: "-f json: the attach record, printf records, and every aggregation's record at exit",
    args: [
      "run",
      "-f",
      "json",
      "-e",
      `uprobe:libc:free { @n = count(); @s = sum(1); @a = avg(2); @mi = min(3); @ma = max(4);
  @st = stats(5); @h = hist(tid); @l = lhist(tid % 8, 0, 8, 2); @m[comm] = count(); }
begin { printf("start\\n"); }`,
      ...SHORT,
    ],
  },
];

function check(file: string, actual: string): void {
  expectGolden(join(DIR, file), actual);
}

describe("golden files", () => {
  test("a missing golden fails and is not created, unless goldens are being updated", () => {
    const dir = mkdtempSync(join(tmpdir(), "probelab-golden-"));
    try {
      const path = join(dir, "missing.out");
      expect(() => expectGolden(path, "output\n", false)).toThrow(/golden file .*missing\.out is missing/);
      expect(existsSync(path)).toBe(false);
      expectGolden(path, "output\n", true);
      expect(() => expectGolden(path, "output\n", false)).not.toThrow();
      expect(() => expectGolden(path, "changed\n", false)).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("end-to-end goldens on bundled workloads", () => {
  for (const g of GOLDENS) {
    test(`${g.name}: ${g.why}`, async () => {
      const r = await probelab(g.args);
      expect(r.status).toBe(0);
      check(`${g.name}.out`, r.stdout);
      check(`${g.name}.err`, r.stderr);
    });
  }

  test("a run is byte-identical when repeated, and another seed changes it", async () => {
    const args = [
      "run",
      "-e",
      "uprobe:libc:malloc { @[tid] = hist(arg0); }",
      "--duration",
      "10ms",
      "--cpus",
      "2",
    ];
    const a = await probelab([...args, "--seed", "3"]);
    const b = await probelab([...args, "--seed", "3"]);
    const c = await probelab([...args, "--seed", "4"]);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).not.toBe(c.stdout);
  });
});
