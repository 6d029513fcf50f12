/**
 * Kernel tracing end to end through the CLI: `probelab list` of the kernel's probes (with
 * fields under -v), `run` with kprobes, tracepoints, profile and kstack, and bad kernel
 * probe specs as located errors.
 */
import { describe, expect, it } from "vitest";
import { noStackTrace, probelab } from "./harness.js";

describe("probelab list: the kernel's probes", () => {
  it("lists the traceable functions a kprobe glob names", async () => {
    const r = await probelab(["list", "kprobe:*uprobe*"]);
    expect(r.stdout).toBe(
      [
        "kprobe:find_active_uprobe_rcu",
        "kprobe:find_active_uprobe_speculative",
        "kprobe:find_uprobe_rcu",
        "kprobe:uprobe_register",
        "kprobe:uprobe_unregister_nosync",
        "",
      ].join("\n"),
    );
  });

  it("-v prints tracepoint fields and fexit arguments with retval, as bpftrace -lv", async () => {
    const tp = await probelab(["list", "-v", "t:sched:sched_process_fork"]);
    expect(tp.stdout).toBe(
      "tracepoint:sched:sched_process_fork\n    char parent_comm[16]\n    pid_t parent_pid\n    char child_comm[16]\n    pid_t child_pid\n",
    );
    const fexit = await probelab(["list", "-v", "fexit:vmlinux:lock_vma_under_rcu"]);
    expect(fexit.stdout).toBe(
      "fexit:vmlinux:lock_vma_under_rcu\n    struct mm_struct * mm\n    unsigned long address\n    struct vm_area_struct * retval\n",
    );
  });
});

describe("rawtracepoint: the TP_PROTO arguments of the model's tracepoints", () => {
  it("list -v prints each raw tracepoint's arguments; rt: is the short name", async () => {
    const r = await probelab(["list", "-v", "rt:vmlinux:sched_sw*"]);
    expect(r.stdout).toBe(
      "rawtracepoint:vmlinux:sched_switch\n    bool preempt\n    struct task_struct * prev\n    struct task_struct * next\n    unsigned int prev_state\n",
    );
    const all = await probelab(["list", "rawtracepoint:*"]);
    expect(all.stdout).toContain("rawtracepoint:vmlinux:sys_enter\n");
    // syscalls:sys_enter_NAME are built on raw_syscalls: they have no raw tracepoint of their own.
    expect(all.stdout).not.toContain("sys_enter_openat");
  });

  it("task pointers read as the task; argN and args.NAME agree; output is deterministic", async () => {
    const args = [
      "run",
      "-w",
      "bash",
      "--duration",
      "400ms",
      "-e",
      "rawtracepoint:sched_switch /args.next->pid == 4100/ { @next[args.next->comm, arg2 == (uint64)args.next] = count(); } " +
        "rt:vmlinux:sched_process_fork { @fork[args.parent->pid, args.child->comm] = count(); } " +
        "rt:vmlinu*:sys_enter /args.id == 257/ { @openat[probe] = count(); }",
    ];
    const a = await probelab(args);
    expect(a.status).toBe(0);
    expect(a.stdout).toMatch(/@fork\[4100, bash\]: [1-9]/);
    expect(a.stdout).toMatch(/@next\[bash, true\]: [1-9]/);
    expect(a.stdout).toMatch(/@openat\[rawtracepoint:vmlinux:sys_enter\]: [1-9]/);
    expect((await probelab(args)).stdout).toBe(a.stdout);
  });

  it("a missing event or module is a located error; a formatted field is not an argument", async () => {
    const r = await probelab(["run", "-w", "bash", "-e", "rawtracepoint:nonsense:sys_exit { } rt:nope { }"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("stdin:1:1-32: ERROR: No matches for rawtracepoint nonsense:sys_exit.");
    expect(r.stderr).toContain("stdin:1:37-44: ERROR: No matches for rawtracepoint nope.");
    const field = await probelab(["run", "-w", "bash", "-e", "rt:sched_switch { print(args.next_pid); }"]);
    expect(field.status).toBe(1);
    expect(field.stderr).toContain("ERROR: Record does not contain a field named 'next_pid'");
    expect(noStackTrace(r.all + field.all)).toBe(true);
  });

  it("hardware probes are refused with the reason, at the attach point", async () => {
    const r = await probelab(["run", "-w", "bash", "-e", "hardware:cache-misses:10 { }"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      "stdin:1:1-25: ERROR: hardware probes are not supported by probelab: the model has no hardware counters",
    );
    expect(noStackTrace(r.all)).toBe(true);
  });
});

describe("probelab run: kernel probes", () => {
  it("kstack in a kprobe is the model's call path down to the probed function", async () => {
    const r = await probelab([
      "run",
      "--duration",
      "20ms",
      "-e",
      "uprobe:/usr/bin/shopd:handle_request { } kprobe:find_uprobe_rcu { @[kstack] = count(); }",
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /@\[\n {8}find_uprobe_rcu\+0\n {8}find_active_uprobe_speculative\+0\n {8}find_active_uprobe_rcu\+0\n {8}handle_swbp\+0\n\]: \d+/,
    );
  });

  it("tracepoints and profile need no flags beyond the workload; the output is deterministic", async () => {
    const args = [
      "run",
      "--duration",
      "50ms",
      "-e",
      "tracepoint:raw_syscalls:sys_enter { @sys[comm] = count(); } profile:hz:499 /pid/ { @cpu[cpu] = count(); }",
    ];
    const a = await probelab(args);
    const b = await probelab(args);
    expect(a.status).toBe(0);
    expect(a.stdout).toMatch(/@sys\[shopd-worker\]: \d+/);
    expect(a.stdout).toMatch(/@cpu\[\d\]: \d+/);
    expect(b.stdout).toBe(a.stdout);
  });

  it("func in a kernel function's probe is a ksym_t: it shares a map with ksym() (xfsdist)", async () => {
    const r = await probelab([
      "run",
      "-w",
      "bash",
      "--duration",
      "300ms",
      "-e",
      "BEGIN { @name[0] = ksym(0); } kprobe:vfs_read, fentry:vfs_write { @name[tid] = func; @c[func] = count(); }\n" +
        "kretprobe:vfs_read { @r[func] = count(); } END { clear(@name); }",
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/@c\[vfs_read\]: \d+\n/);
    expect(r.stdout).toMatch(/@c\[vfs_write\]: \d+\n/);
    expect(r.stdout).toMatch(/@r\[vfs_read\]: \d+\n/);
  });

  it("percpu_kaddr: process_counts add up to the forks, runqueues is a struct rq, a bad name or CPU is refused", async () => {
    const sum = [0, 1, 2, 3].map((c) => `*percpu_kaddr("process_counts", ${c})`).join(" + ");
    const r = await probelab([
      "run",
      "-w",
      "bash",
      "--duration",
      "1s",
      "-e",
      "tracepoint:sched:sched_process_fork { @forks = count(); }\n" +
        `end { printf("%d %d %d\\n", ${sum}, ((struct rq *)percpu_kaddr("runqueues", 0))->nr_running, percpu_kaddr("runqueues", 4)); }`,
    ]);
    expect(r.status).toBe(0);
    const forks = /@forks: (\d+)/.exec(r.stdout)?.[1];
    expect(Number(forks)).toBeGreaterThan(0);
    expect(r.stdout).toContain(`${forks} 0 0\n`);
    const bad = await probelab(["run", "-e", 'begin { print(percpu_kaddr("nope")); }']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('ERROR: Could not resolve variable "nope" from BTF');
    expect(bad.stderr).toContain("HINT: the model's per-CPU variables are process_counts, runqueues");
  });

  it("a task switched in is stamped no earlier than its wakeup, also on a CPU that was idle", async () => {
    // runqlat's bookkeeping: a negative wait means the switch from idle read a stale clock.
    const r = await probelab([
      "run",
      "-w",
      "bash",
      "--duration",
      "2s",
      "-e",
      "tracepoint:sched:sched_wakeup, tracepoint:sched:sched_wakeup_new { @woken[args.pid] = nsecs; }\n" +
        "tracepoint:sched:sched_switch { $w = @woken[args.next_pid]; if ($w) { " +
        "if ((int64)nsecs < (int64)$w) { @early = count(); } @switches = count(); delete(@woken, args.next_pid); } }\n" +
        "END { clear(@woken); }",
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/@switches: [1-9]\d*\n/);
    expect(r.stdout).not.toContain("@early");
  });

  it("an unknown kernel function or tracepoint is an error at its attach point, exit 1", async () => {
    const r = await probelab(["run", "-e", "kprobe:mmap_read_lok { } tracepoint:sched:nope { }"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/stdin:1:1-21: ERROR: No matches for kprobe mmap_read_lok\./);
    expect(r.stderr).toMatch(/did you mean 'mmap_read_lock'\?/);
    expect(r.stderr).toMatch(/stdin:1:26-47: ERROR: No matches for tracepoint sched:nope\./);
    expect(noStackTrace(r.all)).toBe(true);
    // A tool's args on a tracepoint the model lacks (biolatency's block events) says so.
    const args = await probelab([
      "run",
      "-e",
      "tracepoint:block:block_bio_queue { @[args.sector] = nsecs; }",
    ]);
    expect(args.status).toBe(1);
    expect(args.stderr).toContain(
      "The args builtin has no fields at tracepoint:block:block_bio_queue: it matches nothing here (`probelab list 'tracepoint:*'` lists what there is)",
    );
  });

  it("kaddr is a traceable function's kallsyms address and ksym names any address inside it", async () => {
    const r = await probelab([
      "run",
      "-e",
      'BEGIN { printf("%lx %s %s\\n", kaddr("handle_swbp"), ksym(kaddr("handle_swbp") + 5), ksym(0x10)); exit(); }',
    ]);
    expect(r.stdout.split("\n")[0]).toBe("ffffffff81005000 handle_swbp 0x10");
  });

  it("kaddr of a name the kernel lacks is an error when the script is compiled", async () => {
    const r = await probelab(["run", "-e", 'BEGIN { print(kaddr("nosuch")); }']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("stdin:1:15-30: ERROR: Failed to resolve kernel symbol: nosuch");
    expect(noStackTrace(r.all)).toBe(true);
  });
});
