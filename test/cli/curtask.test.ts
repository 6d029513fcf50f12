/**
 * `curtask`: a `struct task_struct *` of the running task whose members pid, tgid, comm,
 * parent, real_parent and group_leader read what the model knows of the task.
 */
import { describe, expect, it } from "vitest";
import { DENTRY, FS_STRUCT, MOUNT, PATH, QSTR, VFSMOUNT } from "../../src/kernel/fs/namespace.js";
import { frontEnd } from "../../src/lang/index.js";
import { TASK_STRUCT_LAYOUT } from "../../src/lang/kernel-structs.js";
import { probelab } from "./harness.js";

/** `probelab run -w WORKLOAD --duration 1s -e SCRIPT`. */
function runFor1s(workload: string, script: string) {
  return probelab(["run", "-w", workload, "--duration", "1s", "-e", script]);
}

describe("curtask", () => {
  it("in a uprobe is the traced thread, whose real_parent is the one ppid names (init)", async () => {
    const r = await probelab([
      "run",
      "-w",
      "testprogs",
      "-e",
      'uprobe:testprogs/uprobe_test:uprobeFunction1 { printf("%d %d %s %d %s %d\\n", curtask->pid, curtask->tgid, curtask->comm, curtask->parent->pid, curtask->real_parent->comm, curtask->group_leader->pid); exit(); }',
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("4100 4100 uprobe_test 1 systemd 4100\n");
  });

  it("a forked child's real_parent is the task that forked it: ppid and pcomm agree with it", async () => {
    const r = await runFor1s(
      "bash",
      'uprobe:/bin/bash:shell_execve /@n++ < 1/ { printf("%d %d %d %s %s\\n", pid, ppid, curtask->real_parent->pid, curtask->real_parent->comm, pcomm); } end { clear(@n); }',
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("4101 4100 4100 bash bash\n\n\n");
  });

  it("in begin is bpftrace itself, a child of init, and a true pointer", async () => {
    const r = await probelab([
      "run",
      "-e",
      'begin { printf("%s %d %d\\n", curtask->comm, curtask->real_parent->pid, curtask ? 1 : 0); }',
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("bpftrace 1 1\n");
  });

  it("pcomm is the parent's comm at the hit: init's for bash, bash's for its forked children", async () => {
    const r = await runFor1s(
      "bash",
      'begin { printf("%s %s\\n", comm, pcomm); } tracepoint:sched:sched_process_exec /@n++ < 2/ { printf("%d %d %s %s\\n", pid, ppid, comm, pcomm); } uprobe:/bin/bash:shell_execve /@u++ < 1/ { printf("%d %s %s\\n", pid, comm, pcomm); } end { clear(@n); clear(@u); }',
    );
    expect(r.status).toBe(0);
    // bpftrace and the shell are children of init (ppid 1); the child execs ls and keeps bash as its parent.
    expect(r.stdout).toBe("bpftrace systemd\n4100 1 bash systemd\n4101 bash bash\n4101 4100 ls bash\n\n\n");
  });

  it("pcomm in a thread is its process's parent's comm, as clone(CLONE_THREAD) sets real_parent", async () => {
    const r = await runFor1s(
      "crawler",
      'tracepoint:syscalls:sys_enter_nanosleep /tid != pid && @n++ < 1/ { printf("%d %s %d %s\\n", tid, comm, ppid, pcomm); } end { clear(@n); }',
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("4102 crawl-fetch 1 systemd\n\n\n");
  });

  it("takes the script's own struct task_struct when it defines one", async () => {
    const r = await probelab([
      "run",
      "-e",
      'struct task_struct { int x; } begin { printf("%d\\n", curtask.x); }',
    ]);
    expect(r.status).toBe(0);
    // x lies where the model keeps pid.
    expect(r.stdout).toContain("4242\n");
  });

  it("has the member offsets the session's task image is built with", () => {
    const fe = frontEnd({ name: "t.bt", text: "begin { $t = curtask; }" });
    const probe = fe.program!.ast.probes[0]!;
    const stmt = probe.body.statements[0] as { value: { type: { kind: string; to: { fields: unknown[] } } } };
    const fields = stmt.value.type.to.fields as { name: string; offset: number }[];
    const offsets = Object.fromEntries(fields.map((f) => [f.name, f.offset]));
    const { size: _size, ...expected } = TASK_STRUCT_LAYOUT;
    expect(offsets).toEqual(expected);
  });

  it("the fs structs have the offsets the kernel model writes them at", async () => {
    const members: [string, Record<string, number>][] = [
      ["struct qstr", QSTR],
      ["struct dentry", DENTRY],
      ["struct vfsmount", VFSMOUNT],
      ["struct mount", MOUNT],
      ["struct path", PATH],
      ["struct fs_struct", FS_STRUCT],
    ];
    const exprs = members.flatMap(([s, layout]) =>
      Object.keys(layout).map((m) => (m === "size" ? `sizeof(${s})` : `offsetof(${s}, ${m})`)),
    );
    const r = await probelab([
      "run",
      "-e",
      `begin { printf("${exprs.map(() => "%d").join(" ")}\\n", ${exprs.join(", ")}); exit(); }`,
    ]);
    expect(r.stdout.split("\n")[0]).toBe(members.flatMap(([, l]) => Object.values(l)).join(" "));
  });
});
