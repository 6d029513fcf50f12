/**
 * `probelab workload from-elf` on this machine's binaries and `probelab workload from-trace`
 * on a hand-written and a generated trace: the workloads they write load, list the real
 * symbols, resolve offset and address probes as bpftrace does, and replay the recorded calls.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readElfFile } from "../../src/elf/index.js";
import { loadWorkload } from "../../src/process/index.js";
import { noStackTrace, probelab } from "./harness.js";

const LIBC = "/lib/x86_64-linux-gnu/libc.so.6";
const dir = mkdtempSync(join(tmpdir(), "probelab-from-"));
const realMalloc = readElfFile(LIBC).functions.find((f) => f.name === "malloc")!;

describe("workload from-elf", () => {
  const out = join(dir, "ls.yaml");

  it("writes a workload with /bin/ls and libc's real symbols, and says they are stripped", async () => {
    const r = await probelab(["workload", "from-elf", "/bin/ls", LIBC, "-o", out]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain("NOTE: /bin/ls is stripped: only its");
    expect(r.stderr).toContain(`wrote ${out}`);
    const w = loadWorkload(out, { cpus: 2, seed: 1 });
    expect(w.binaries.map((b) => b.path)).toEqual(["/bin/ls", LIBC]);
    const malloc = w.binaries[1]!.symbols.find((s) => s.name === "malloc")!;
    expect(malloc).toMatchObject({ offset: realMalloc.offset, size: realMalloc.size });
  });

  it("lists the real symbols as bpftrace -l does", async () => {
    const r = await probelab(["list", "-w", out, "uprobe:libc:gethostbyname*"]);
    expect(r.stdout.split("\n").filter(Boolean)).toEqual([
      `uprobe:${LIBC}:gethostbyname`,
      `uprobe:${LIBC}:gethostbyname2`,
      `uprobe:${LIBC}:gethostbyname2_r`,
      `uprobe:${LIBC}:gethostbyname_r`,
    ]);
  });

  it("resolves a virtual address to the function's file offset, and checks offsets as bpftrace does", async () => {
    const addr = `0x${realMalloc.vaddr.toString(16)}`;
    const r = await probelab([
      "run",
      "-q",
      "-w",
      out,
      "--duration",
      "30ms",
      "-e",
      `uprobe:libc:malloc { @entry = count(); } uprobe:libc.so.6:${addr} { @by_addr = count(); }`,
    ]);
    expect(r.status).toBe(0);
    const entry = Number(/@entry: (\d+)/.exec(r.stdout)![1]);
    expect(entry).toBeGreaterThan(0);
    // The same instruction: both count the same calls (give or take the probes' attach order).
    const byAddr = Number(/@by_addr: (\d+)/.exec(r.stdout)![1]);
    expect(Math.abs(byAddr - entry)).toBeLessThanOrEqual(5);
    const dry = await probelab([
      "run",
      "--dry-run",
      "-w",
      out,
      "-e",
      `uretprobe:libc:0x${(realMalloc.vaddr + 4).toString(16)} {}`,
    ]);
    expect(dry.status).not.toBe(0);
    expect(dry.stderr).toMatch(
      /uretprobes cannot be attached at function offset\. \(address resolved to: \w*malloc\+4\)/,
    );
    const off = await probelab(["run", "--dry-run", "-w", out, "-e", "uprobe:libc:malloc+99999 {}"]);
    expect(off.stderr).toContain("Offset outside the function bounds");
  });

  it("an elf: source in a workload file reads the symbols when it loads", () => {
    const file = join(dir, "elf-source.yaml");
    writeFileSync(
      file,
      `binaries:\n  /usr/bin/app:\n    functions: [main]\n  ${LIBC}:\n    elf: ${LIBC}\nprocess:\n  exe: /usr/bin/app\n  libs: [libc]\n  threads:\n    - body:\n        - call: malloc\n`,
    );
    const w = loadWorkload(file, { cpus: 1, seed: 1 });
    expect(w.binaries[1]!.symbols.find((s) => s.name === "malloc")!.offset).toBe(realMalloc.offset);
  });

  it("a damaged or missing file is one clear error line, exit 1", async () => {
    const cut = join(dir, "cut.so");
    writeFileSync(cut, readFileSync("/bin/ls").subarray(0, 3000));
    const r = await probelab(["workload", "from-elf", cut]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^ERROR: .*cut\.so: truncated or damaged: /);
    expect(noStackTrace(r.stderr)).toBe(true);
    const missing = await probelab(["workload", "from-elf", "/no/such/bin"]);
    expect(missing.stderr).toBe("ERROR: cannot read /no/such/bin: no such file\n");
    const bad = join(dir, "bad-elf.yaml");
    writeFileSync(
      bad,
      `binaries:\n  /x:\n    elf: ${cut}\nprocess:\n  exe: /x\n  threads:\n    - body: [{ work: 1us }]\n`,
    );
    expect(() => loadWorkload(bad, { cpus: 1, seed: 1 })).toThrow(
      /^.*bad-elf\.yaml:3:5: binaries\["\/x"\]: .*truncated/,
    );
  });
});

describe("workload from-trace", () => {
  const trace = join(dir, "hand.json");
  writeFileSync(
    trace,
    JSON.stringify({
      traceEvents: [
        { ph: "M", pid: 77, name: "process_name", args: { name: "myapp" } },
        { ph: "M", pid: 77, tid: 78, name: "thread_name", args: { name: "worker" } },
        { ts: 100, ph: "B", pid: 77, tid: 77, name: "main" },
        { ts: 101.5, ph: "B", pid: 77, tid: 77, name: "parse_args" },
        { ts: 103, ph: "E", pid: 77, tid: 77, name: "parse_args" },
        { ts: 110, ph: "B", pid: 77, tid: 77, name: "std::vector<int>::push_back" },
        { ts: 110.25, ph: "E", pid: 77, tid: 77 },
        { ts: 200, ph: "B", pid: 77, tid: 78, name: "work" },
        { ts: 250, ph: "E", pid: 77, tid: 78 },
        { ts: 300, ph: "E", pid: 77, tid: 77 },
        { ts: 400, ph: "X", dur: 20, pid: 77, tid: 78, name: "work" },
      ],
      displayTimeUnit: "ns",
    }),
  );
  const out = join(dir, "hand.yaml");

  it("writes a workload whose threads replay the calls with their nesting and timings", async () => {
    const r = await probelab(["workload", "from-trace", trace, "-o", out]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain("respelled as symbol names");
    const w = loadWorkload(out, { cpus: 2, seed: 1 });
    expect(w.process.threads.map((t) => t.comm)).toEqual(["myapp", "worker"]);
    const { describeThread } = await import("../../src/process/index.js");
    expect(describeThread(w, 0, 20)).toEqual([
      "call main()",
      "work 1500ns",
      "call parse_args()",
      "ret parse_args = 0 after 1500ns",
      "work 7000ns",
      "call std__vector_int___push_back()",
      "ret std__vector_int___push_back = 0 after 250ns",
      "ret main = 0 after 189750ns",
    ]);
    expect(describeThread(w, 1, 20)).toEqual([
      "sleep 100000ns",
      "call work()",
      "ret work = 0 after 50000ns",
      "sleep 150000ns",
      "call work()",
      "ret work = 0 after 20000ns",
    ]);
  });

  it("probes on the replayed functions fire and time them as recorded", async () => {
    const r = await probelab([
      "run",
      "-q",
      "-w",
      out,
      "--set",
      "repeat=200",
      "--duration",
      "30ms",
      "-e",
      "uprobe:myapp:parse_args { @s[tid] = nsecs; } uretprobe:myapp:parse_args /@s[tid]/ { @lat = stats(nsecs - @s[tid]); delete(@s, tid); } uprobe:myapp:work { @w[comm] = count(); }",
    ]);
    expect(r.status).toBe(0);
    const avg = Number(
      /@lat: count \d+, average (\d+)/.exec(r.stdout)?.[1] ?? /\.average = (\d+)/.exec(r.stdout)![1],
    );
    expect(avg).toBeGreaterThanOrEqual(1500);
    expect(avg).toBeLessThan(2500);
    expect(r.stdout).toMatch(/@w\[worker\]: \d+/);
  });

  it("loads a generated trace of 100k events in a few seconds", () => {
    const big = join(dir, "big.json");
    const events: object[] = [];
    let ts = 0;
    for (let i = 0; events.length < 100_000; i++) {
      const tid = 1000 + (i % 4);
      events.push({ ph: "B", tid, ts, name: i % 3 === 0 ? "handle" : "step" });
      events.push({ ph: "B", tid, ts: ts + 0.5, name: "leaf" });
      events.push({ ph: "E", tid, ts: ts + 1.25 });
      events.push({ ph: "E", tid, ts: ts + 2 });
      ts += 2.5;
    }
    writeFileSync(big, JSON.stringify(events));
    const started = Date.now();
    const file = join(dir, "big.yaml");
    return probelab(["workload", "from-trace", big, "-o", file]).then((r) => {
      expect(r.status).toBe(0);
      const w = loadWorkload(file, { cpus: 4, seed: 1 });
      expect(w.process.threads).toHaveLength(4);
      const ops = w.process.threads.reduce((n, t) => n + t.program.ops.length, 0);
      // 50,000 calls: a CALL and a RET each, plus the work and sleep between them.
      expect(ops).toBeGreaterThan(100_000);
      expect(Date.now() - started).toBeLessThan(5000);
    });
  });

  it("a broken trace is one clear error", async () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify([{ ph: "E", tid: 1, ts: 5 }]));
    const r = await probelab(["workload", "from-trace", bad]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`ERROR: ${bad}: event 0: an "E" event on thread 1 with no call open\n`);
    writeFileSync(bad, "{ not json");
    expect((await probelab(["workload", "from-trace", bad])).stderr).toMatch(
      /^ERROR: .*bad\.json: not JSON: /,
    );
    writeFileSync(bad, JSON.stringify({ traceEvents: [{ ph: "B", tid: 1, ts: "soon", name: "f" }] }));
    expect((await probelab(["workload", "from-trace", bad])).stderr).toContain(
      'event 0: "ts" must be a number',
    );
    writeFileSync(bad, JSON.stringify({ other: 1 }));
    expect((await probelab(["workload", "from-trace", bad])).stderr).toContain("expected trace-event JSON");
  });
});
