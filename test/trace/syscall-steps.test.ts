/**
 * `syscall:` workload steps: each is a system call of the model's kernel, seen by the
 * syscalls and raw_syscalls tracepoints with bpftrace's fields (a `const char *` read from
 * the process), and the file calls reach vfs_read, vfs_write and vfs_open.
 */
import { describe, expect, it } from "vitest";
import { WorkloadError } from "../../src/process/index.js";
import { testSession } from "./session-fixture.js";

const MS = 1_000_000;

const FILES = `
name: files
binaries:
  /usr/bin/app:
    functions: [main]
process:
  comm: app
  exe: /usr/bin/app
  threads:
    - name: app
      body:
        - loop: forever
          body:
            - syscall: openat
              args: [-100, "/etc/hosts", 0]
              ret: 3
              time: 2us
            - syscall: read
              args: [3, 0x1000, 4096]
              ret: 120
              time: 1us
            - syscall: write
              args: [1, 0x1000, 120]
              ret: 120
            - syscall: close
              args: [3]
            - syscall: kill
              args: [4200, 15]
              ret: -3
            - syscall: execve
              args: ["/usr/bin/ls", { argv: [ls, -l, /tmp] }, 0]
            - sleep: 1ms
`;

function run(text: string, ms: number, yaml = FILES): string {
  const { s, out } = testSession({ workloadYaml: yaml, cpus: 1, extra: { attachBeforeStart: true } });
  const { script, diagnostics } = s.load({ name: "stdin", text });
  if (script === null) throw new Error(diagnostics.map((d) => d.message).join("; "));
  s.start(script);
  s.runUntil(ms * MS);
  s.finish();
  return out.text();
}

describe("syscall steps", () => {
  it("sys_enter_NAME has the call's arguments by name, strings read from the process", () => {
    const text = run(
      'tracepoint:syscalls:sys_enter_openat { printf("%s %d %d\\n", str(args.filename), args.dfd, args.flags); }\n' +
        'tracepoint:syscalls:sys_enter_kill { printf("kill %d %d\\n", args.pid, args.sig); }\n' +
        'tracepoint:syscalls:sys_exit_kill { printf("ret %d\\n", args.ret); }',
      3,
    );
    expect(text.split("\n").slice(0, 3)).toEqual(["/etc/hosts -100 0", "kill 4200 15", "ret -3"]);
  });

  it("raw_syscalls:sys_enter counts every call by its x86-64 number", () => {
    const text = run("tracepoint:raw_syscalls:sys_enter { @[args.id] = count(); }", 3.5);
    // Four loops: openat 257, read 0, write 1, close 3, kill 62, execve 59, nanosleep 35; execve once more at start.
    for (const id of [0, 1, 3, 35, 62, 257]) expect(text).toContain(`@[${id}]: 4\n`);
    expect(text).toContain("@[59]: 5\n");
  });

  it("read, write and openat reach vfs_read, vfs_write and vfs_open, whose kretprobes see the step's return", () => {
    const text = run("kprobe:vfs_* { @[func] = count(); } kretprobe:vfs_read { @ret = max(retval); }", 3.5);
    expect(text).toContain("@[vfs_open]: 4\n");
    expect(text).toContain("@[vfs_read]: 4\n");
    expect(text).toContain("@[vfs_write]: 4\n");
    expect(text).toContain("@ret: 120\n");
  });

  it("a successful execve renames the task after the program", () => {
    const text = run("tracepoint:syscalls:sys_enter_kill { @[comm] = count(); }", 3.5);
    expect(text).toContain("@[app]: 1\n");
    expect(text).toContain("@[ls]: 3\n");
  });

  it("an unknown system call is an error at its step, with a suggestion", () => {
    const bad = FILES.replace("syscall: kill", "syscall: kil");
    expect(() => run("BEGIN { }", 1, bad)).toThrow(WorkloadError);
    expect(() => run("BEGIN { }", 1, bad)).toThrow(
      /workload\.yaml:\d+:\d+.*unknown system call "kil".*did you mean "kill"/,
    );
  });
});
