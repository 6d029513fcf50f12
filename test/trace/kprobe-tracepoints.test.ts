/**
 * Tracepoints of the model's kernel through the Session: the sched events of the simulated
 * process and the syscalls its workload steps make, with bpftrace's `args` fields.
 */
import { describe, expect, it } from "vitest";
import { resolveKernelConfig } from "../../src/kernel/config.js";
import { loadWorkload } from "../../src/process/index.js";
import { StringSink } from "../../src/runtime/index.js";
import { Session } from "../../src/trace/session.js";

const MS = 1_000_000;

function session(workload = "default") {
  const out = new StringSink();
  const s = new Session({
    workload: loadWorkload(workload, { cpus: 2, seed: 1 }),
    cpus: 2,
    seed: 1,
    kernelProfile: "latest",
    config: resolveKernelConfig("latest"),
    format: "text",
    out,
    err: new StringSink(),
    attachBeforeStart: true,
  });
  return { s, out };
}

function run(text: string, ms: number, workload = "default") {
  const { s, out } = session(workload);
  const { script, diagnostics } = s.load({ name: "stdin", text });
  if (script === null) throw new Error(diagnostics.map((d) => d.message).join("; "));
  s.start(script);
  s.runUntil(ms * MS);
  s.finish();
  return out.text();
}

describe("sched tracepoints", () => {
  it("sched_process_exec names the executable; fork names parent and child", () => {
    const text = run(
      'tracepoint:sched:sched_process_exec { printf("exec %s %d\\n", args.filename, args.pid); }\n' +
        'tracepoint:sched:sched_process_fork { printf("fork %s %d %s\\n", args.parent_comm, args.parent_pid, args.child_comm); }',
      200,
      "bash",
    );
    const lines = text.trim().split("\n");
    expect(lines[0]).toBe("exec /bin/bash 4100");
    expect(lines.filter((l) => l.startsWith("fork bash 4100 ")).length).toBeGreaterThan(0);
  });

  it("sched_process_exit fires once per exiting task, with its comm and tid", () => {
    const text = run(
      "tracepoint:sched:sched_process_fork { @forks = count(); }\ntracepoint:sched:sched_process_exit { @exits = count(); }",
      300,
      "bash",
    );
    const forks = Number(/@forks: (\d+)/.exec(text)?.[1]);
    const exits = Number(/@exits: (\d+)/.exec(text)?.[1]);
    expect(forks).toBeGreaterThan(0);
    expect(exits).toBeGreaterThan(0);
    expect(exits).toBeLessThanOrEqual(forks + 1);
  });
});

describe("scheduler tracepoints", () => {
  it("sched_switch pairs prev and next on each CPU; a woken task is switched in later", () => {
    const text = run(
      "tracepoint:sched:sched_wakeup { @woken[args.pid] = nsecs; @wakeups = count(); }\n" +
        "tracepoint:sched:sched_switch { @switches = count(); @prev[args.prev_state] = count();\n" +
        "  if (@woken[args.next_pid] != 0) { @waited = count(); if (nsecs < @woken[args.next_pid]) { @before = count(); } delete(@woken[args.next_pid]); } }\n" +
        "end { clear(@woken); }",
      50,
      "kvstore",
    );
    const n = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, "m").exec(text)?.[1] ?? 0);
    expect(n("@switches")).toBeGreaterThan(100);
    expect(n("@wakeups")).toBeGreaterThan(10);
    expect(n("@waited")).toBeGreaterThan(10);
    // prev_state: 0 preempted/still runnable, 1 went to sleep.
    expect(n("@prev\\[1\\]")).toBeGreaterThan(0);
  });

  it("the scheduler hooks are off unless a sched tracepoint is attached", () => {
    const { s } = session();
    expect(s.m.sched).toBeNull();
    const { script } = s.load({ name: "stdin", text: "tracepoint:sched:sched_switch { }" });
    s.start(script!);
    expect(s.m.sched).not.toBeNull();
    s.finish();
    expect(s.m.sched).toBeNull();
  });
});

describe("syscalls tracepoints", () => {
  it("dlopen is openat + read + mmap + close of the library, by the thread that loads it", () => {
    const text = run(
      'tracepoint:syscalls:sys_enter_openat { printf("%s openat %s\\n", comm, str(args.filename)); }\n' +
        'tracepoint:syscalls:sys_exit_openat { printf("fd %d\\n", args.ret); }\n' +
        'tracepoint:syscalls:sys_enter_close { printf("close %d\\n", args.fd); }',
      20,
    );
    expect(text.trimEnd()).toBe("shopd-plugins openat /usr/lib/libplugin.so\nfd 3\nclose 3");
  });

  it("raw_syscalls:sys_enter counts every system call by number; sys_exit_mmap returns addresses", () => {
    const text = run(
      "tracepoint:raw_syscalls:sys_enter { @[args.id] = count(); }\n" +
        "tracepoint:syscalls:sys_exit_mmap /args.ret == 0/ { @zero = count(); }",
      50,
    );
    expect(text).toMatch(/@\[9\]: \d+/); // mmap
    expect(text).toMatch(/@\[35\]: \d+/); // nanosleep
    expect(text).not.toMatch(/@zero/);
  });

  it("names a tracepoint the model lacks, and the fields a tracepoint has", () => {
    const { s } = session();
    const messages = (t: string) => s.load({ name: "stdin", text: t }).diagnostics.map((d) => d.message);
    expect(messages("tracepoint:syscalls:sys_enter_bogus { }")).toEqual([
      "No matches for tracepoint syscalls:sys_enter_bogus.",
    ]);
    expect(messages("tracepoint:sched:sched_process_exit { @[args.nope] = count(); }")[0]).toMatch(
      /Record does not contain a field named 'nope'/,
    );
  });
});

describe("software events", () => {
  it("context-switches runs every N-th switch of a CPU, in the switched-out task", () => {
    const text = run(
      "software:cs:10 { @cs = count(); } tracepoint:sched:sched_switch { @sw[cpu] = count(); }",
      50,
      "kvstore",
    );
    const sw = [...text.matchAll(/^@sw\[\d+\]: (\d+)$/gm)].map((m) => Number(m[1]));
    const cs = Number(/^@cs: (\d+)$/m.exec(text)?.[1]);
    expect(sw.length).toBe(2);
    expect(cs).toBe(sw.reduce((n, k) => n + Math.floor(k / 10), 0));
  });

  it("cpu-clock samples every CPU each period, as profile does", () => {
    const text = run("software:cpu-clock:1000000 { @[cpu] = count(); }", 20, "trigger");
    // Ticks at 1, 2, ..., 19 ms on each of the two CPUs.
    expect(text).toContain("@[0]: 19\n");
    expect(text).toContain("@[1]: 19\n");
  });

  it("an event the model does not count is an error at its attach point", () => {
    const { s } = session();
    const { script, diagnostics } = s.load({ name: "stdin", text: "software:page-faults:100 { }" });
    expect(script).toBeNull();
    expect(diagnostics[0]!.message).toBe(
      "software:page-faults is not supported by probelab: the model's kernel counts only the cpu-clock and context-switches software events",
    );
  });
});
