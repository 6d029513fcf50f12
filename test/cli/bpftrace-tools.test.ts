/**
 * The constructs of bpftrace's syscall, exec, signal and VFS tools, run through `probelab run`
 * on bundled workloads: each script here is our own, written with the probes, builtins and
 * functions its tool uses (syscount: raw_syscalls and syscall_name; execsnoop: sys_enter_exec*,
 * ppid and join; killsnoop: kill/tkill/tgkill by field name; vfscount and vfsstat: vfs_*
 * kprobes), and checked for the lines a user of the tool would recognise.
 */
import { describe, expect, it } from "vitest";
import { probelab } from "./harness.js";

/** `probelab run -w WORKLOAD --duration TIME -e SCRIPT`. */
function run(workload: string, duration: string, script: string) {
  return probelab(["run", "-w", workload, "--duration", duration, "-e", script]);
}

describe("bpftrace's tools on bundled workloads", () => {
  it("syscount: counts system calls by name and by process on -w bash", async () => {
    const r = await run(
      "bash",
      "400ms",
      "tracepoint:raw_syscalls:sys_enter { @syscallname[syscall_name(args.id)] = count(); @process[comm] = count(); }\n" +
        'END { printf("\\nTop 10 syscalls NAMEs:\\n"); print(@syscallname, 10); clear(@syscallname); }',
    );
    expect(r.status).toBe(0);
    for (const name of ["execve", "openat", "read", "write", "close", "clone", "nanosleep"])
      expect(r.stdout).toMatch(new RegExp(`@syscallname\\[${name}\\]: \\d+`));
    // The children are renamed by their exec: ls and git make system calls of their own.
    expect(r.stdout).toMatch(/@process\[ls\]: \d+/);
    expect(r.stdout).toMatch(/@process\[bash\]: \d+/);
  });

  it("syscall_name of a number the kernel lacks is bpftrace's Unknown syscall", async () => {
    const r = await probelab([
      "run",
      "-e",
      'BEGIN { printf("%s|%s|%s\\n", syscall_name(0), syscall_name(257), syscall_name(9999)); exit(); }',
    ]);
    expect(r.stdout.split("\n")[0]).toBe("read|openat|Unknown syscall");
  });

  it("execsnoop: new programs with their pid, parent and argv joined on -w bash", async () => {
    const r = await run(
      "bash",
      "400ms",
      'tracepoint:syscalls:sys_enter_exec* { printf("%-7d %-7d ", pid, ppid); join(args.argv); }',
    );
    expect(r.status).toBe(0);
    expect(r.stdout.split("\n").slice(0, 3)).toEqual([
      "4100    1       /bin/bash",
      "4101    4100    ls -l",
      "4102    4100    git status",
    ]);
  });

  it("join takes a separator", async () => {
    const r = await run(
      "bash",
      "200ms",
      'tracepoint:syscalls:sys_enter_execve /pid != 4100/ { join(args.argv, ","); exit(); }',
    );
    expect(r.stdout).toContain("ls,-l\n");
  });

  it("killsnoop: kill, tkill and tgkill share pid and sig; the exit has the result", async () => {
    const r = await run(
      "crawler",
      "2s",
      "tracepoint:syscalls:sys_enter_kill, tracepoint:syscalls:sys_enter_tkill, tracepoint:syscalls:sys_enter_tgkill\n" +
        "{ @tpid[tid] = args.pid; @tsig[tid] = args.sig; }\n" +
        "tracepoint:syscalls:sys_exit_kill, tracepoint:syscalls:sys_exit_tkill, tracepoint:syscalls:sys_exit_tgkill\n" +
        '/has_key(@tpid, tid)/ { printf("%d %s %d %d %d\\n", pid, comm, @tsig[tid], @tpid[tid], args.ret); delete(@tpid, tid); delete(@tsig, tid); }\n' +
        "END { clear(@tpid); clear(@tsig); }",
    );
    expect(r.status).toBe(0);
    const lines = r.stdout.split("\n").filter((l) => l.startsWith("4100 crawler 0 "));
    expect(lines.length).toBeGreaterThan(0);
    // pthread_kill(helper, 0): 0 while the helper runs, -ESRCH once it has exited.
    for (const l of lines) expect(l).toMatch(/^4100 crawler 0 41\d\d (0|-3)$/);
  });

  it("vfscount: kprobe:vfs_* counts the VFS functions the system calls reach on -w bash", async () => {
    const r = await run("bash", "400ms", "kprobe:vfs_* { @[func] = count(); }");
    expect(r.status).toBe(0);
    expect(r.stderr).toContain("Attached 5 probes");
    expect(r.stdout).toMatch(/@\[vfs_read\]: \d+\n/);
    expect(r.stdout).toMatch(/@\[vfs_write\]: \d+\n/);
    expect(r.stdout).toMatch(/@\[vfs_open\]: \d+\n/);
  });

  it("vfsstat: the named VFS kprobes all exist; kvstore's fsyncs show each second", async () => {
    const r = await run(
      "kvstore",
      "1100ms",
      "kprobe:vfs_read*, kprobe:vfs_write*, kprobe:vfs_fsync, kprobe:vfs_open, kprobe:vfs_create { @[func] = count(); }\n" +
        "interval:1s { time(); print(@); clear(@); } END { clear(@); }",
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^00:00:01\n@\[vfs_fsync\]: \d+\n/);
  });
});

describe("opensnoop's constructs: the cwd's dentry chain in kernel memory", () => {
  it("walks curtask.fs.pwd up through d_parent and across the /home mount", async () => {
    const script = [
      "config = { missing_probes = warn }",
      "tracepoint:syscalls:sys_enter_openat, tracepoint:syscalls:sys_enter_openat2 { @file[tid] = args.filename; }",
      "tracepoint:syscalls:sys_exit_openat /@file[tid]/ {",
      "  $d = curtask.fs.pwd.dentry; $vm = curtask.fs.pwd.mnt;",
      "  $m = (struct mount *)(((uint64)$vm) - offsetof(struct mount, mnt)); $root = $vm.mnt_root;",
      '  for $i : ((uint64)0)..((uint64)getopt("depth", 8)) {',
      "    @name[tid, $i] = str($d.d_name.name);",
      "    if ($d == $d.d_parent || $d == $root) {",
      "      $p = (struct mount *)($m.mnt_parent); if ($m == $p) { break; }",
      "      $d = $m.mnt_mountpoint; $m = $p; $root = $m.mnt.mnt_root; continue;",
      "    }",
      "    $d = $d.d_parent;",
      "  }",
      "  $f = str(@file[tid]);",
      '  if ($f[0] != "/"[0]) { printf("%s|%s|%s|%s %s %d\\n", @name[tid, 3], @name[tid, 2], @name[tid, 1], @name[tid, 0], $f, args.ret); exit(); }',
      "  delete(@file, tid);",
      "}",
    ].join("\n");
    const r = await probelab(["run", "-w", "bash", "--duration", "1s", "-e", script]);
    expect(r.status).toBe(0);
    // alice under /home's root ("/"), home's mountpoint in the root fs, then the root.
    expect(r.stdout).toContain("/|home|/|alice . 3\n");
    expect(r.stderr).toContain("WARNING: No matches for tracepoint syscalls:sys_enter_openat2. Skipping.");
  });
});
