/**
 * `curtask`: a `struct task_struct *` of the running task whose members pid, tgid, comm,
 * parent, real_parent and group_leader read what the model knows of the task.
 */
import { describe, expect, it } from "vitest";
import { DENTRY, FS_STRUCT, MOUNT, PATH, QSTR, VFSMOUNT } from "../../src/kernel/fs/namespace.js";
import { frontEnd } from "../../src/lang/index.js";
import { TASK_STRUCT_LAYOUT } from "../../src/lang/kernel-structs.js";
import { probelab } from "./harness.js";

describe("curtask", () => {
  it("in a uprobe is the traced thread, a child of bpftrace", async () => {
    const r = await probelab([
      "run",
      "-w",
      "testprogs",
      "-e",
      'uprobe:testprogs/uprobe_test:uprobeFunction1 { printf("%d %d %s %d %s %d\\n", curtask->pid, curtask->tgid, curtask->comm, curtask->parent->pid, curtask->real_parent->comm, curtask->group_leader->pid); exit(); }',
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("4100 4100 uprobe_test 4242 bpftrace 4100\n");
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
