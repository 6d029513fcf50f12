import { describe, expect, it } from "vitest";
import {
  bundledNames,
  describeThread,
  findSymbol,
  listWorkloads,
  loadWorkload,
  Op,
  resolveTarget,
} from "../../src/process/index.js";

describe("bundled workloads", () => {
  it("lists every bundled workload with a one-line description", () => {
    const list = listWorkloads();
    expect(list.map((w) => w.name)).toEqual([
      "bash",
      "crawler",
      "default",
      "kvstore",
      "testprogs",
      "tls",
      "trigger",
      "usdt",
    ]);
    for (const w of list) {
      expect(w.description.length).toBeGreaterThan(20);
      expect(w.description).not.toContain("\n");
    }
  });

  it.each(bundledNames())("%s loads at 1 and 8 CPUs and its threads run", (name) => {
    for (const cpus of [1, 8]) {
      const w = loadWorkload(name, { cpus, seed: 1 });
      expect(w.process.threads.length).toBeGreaterThan(0);
      for (let t = 0; t < w.process.threads.length; t++)
        expect(describeThread(w, t, 50).length).toBeGreaterThan(0);
    }
  });

  it("loads byte-identically for the same seed", () => {
    const a = loadWorkload("default", { cpus: 4, seed: 99 });
    const b = loadWorkload("default", { cpus: 4, seed: 99 });
    for (let t = 0; t < a.process.threads.length; t++) {
      expect(describeThread(a, t, 300)).toEqual(describeThread(b, t, 300));
    }
  });

  it("default: the shop with shopd, libc, a dlopen'ed plugin and four workers", () => {
    const w = loadWorkload("default", { cpus: 4, seed: 1 });
    expect(w.name).toBe("shop");
    const shopd = resolveTarget(w.binaries, w.process.cwd, "/usr/bin/shopd")[0]!;
    for (const f of ["main", "handle_request", "parse_header", "lookup_item", "checksum", "send_reply"]) {
      expect(findSymbol(shopd, f), f).toBeDefined();
    }
    expect(findSymbol(shopd, "checksum")!.firstInsn).toBe("ret");
    const libc = resolveTarget(w.binaries, w.process.cwd, "libc")[0]!;
    // The four the shop calls keep their layout; glibc's other exports follow at real offsets.
    expect(libc.symbols.slice(0, 4).map((s) => s.name)).toEqual(["malloc", "free", "memcpy", "getaddrinfo"]);
    expect(findSymbol(libc, "gethostbyname")!.offset).toBe(0x118b70);
    expect(resolveTarget(w.binaries, w.process.cwd, "libplugin")[0]!.path).toBe("/usr/lib/libplugin.so");
    expect(w.process.mappings.map((m) => m.name)).not.toContain("/usr/lib/libplugin.so");
    expect(w.process.threads.filter((t) => t.comm === "shopd-worker")).toHaveLength(4);
    const worker = describeThread(w, 0, 40);
    expect(worker.slice(0, 2)).toEqual([
      "call handle_request(1, 512)",
      expect.stringMatching(/^call parse_header\(\d+, 64\)$/),
    ]);
    const ops = w.process.threads.flatMap((t) => t.program.ops.map((o) => o.op));
    for (const op of [Op.DLOPEN, Op.MMAP, Op.MPROTECT, Op.MUNMAP, Op.MREMAP, Op.SLEEP, Op.WORK]) {
      expect(ops, `op ${op}`).toContain(op);
    }
    const resolver = w.process.threads.find((t) => t.comm === "shopd-resolver")!;
    const call = describeThread(w, resolver.index, 3)[1]!;
    const host = Number(/getaddrinfo\((\d+)/.exec(call)![1]);
    expect(w.process.memory.readCString(host, 64)).toBe("api.payments.example");
  });

  it("trigger: one pinned producer per CPU calling the chosen target", () => {
    const w = loadWorkload("trigger", { cpus: 4, seed: 1 });
    expect(w.process.threads.map((t) => t.pinCpu)).toEqual([0, 1, 2, 3]);
    expect(describeThread(w, 2, 2)[0]).toBe("call uprobe_target_nop()");
    const ret = loadWorkload("trigger", { cpus: 2, seed: 1, set: { target: "uprobe_target_ret" } });
    expect(describeThread(ret, 1, 1)).toEqual(["call uprobe_target_ret()"]);
    const bin = ret.binaries[0]!;
    expect(["nop", "push", "ret"].map((k) => findSymbol(bin, `uprobe_target_${k}`)!.firstInsn)).toEqual([
      "nop",
      "push",
      "ret",
    ]);
    expect(() => loadWorkload("trigger", { cpus: 1, seed: 1, set: { target: "uprobe_target_jmp" } })).toThrow(
      /unknown function "uprobe_target_jmp" \(did you mean "uprobe_target_nop"\?\)/,
    );
  });

  it("testprogs: mirrors bpftrace's test programs closely enough for the conformance cases", () => {
    const w = loadWorkload("testprogs", { cpus: 2, seed: 1 });
    const thread = (comm: string) => w.process.threads.find((t) => t.comm === comm)!.index;
    const neg = describeThread(w, thread("uprobe_negative"), 1000);
    const rets = neg
      .filter((l) => l.startsWith("ret function1"))
      .map((l) => Number(l.split(" = ")[1]!.split(" ")[0]));
    expect(rets).toHaveLength(221);
    expect(rets[0]).toBe(-120);
    expect(rets.at(-1)).toBe(100);
    expect(rets.reduce((a, b) => a + b, 0)).toBe(-2210);
    expect(neg.at(-1)).toBe("ret main = -100");
    expect(describeThread(w, thread("uprobe_symres"), 10).filter((l) => l.startsWith("ret"))).toEqual([
      "ret test = 42 after 10ns",
      "ret test2 = 42",
      "ret main = 0",
    ]);
    const simple = describeThread(w, thread("simple_struct"), 5);
    const ptr = Number(/func\((\d+)\)/.exec(simple.find((l) => l.startsWith("call func"))!)![1]);
    expect(Array.from(w.process.memory.readBytes(ptr, 8)!)).toEqual([2, 0, 0, 0, 3, 0, 0, 0]);
    const test = describeThread(w, thread("uprobe_test"), 3);
    const [n, c] = /uprobeFunction1\((\d+), (\d+)\)/.exec(test[1]!)!.slice(1).map(Number);
    expect(Array.from(w.process.memory.readBytes(n!, 4)!)).toEqual([13, 0, 0, 0]);
    expect(String.fromCharCode(c!)).toBe("x");
    expect(test[2]).toBe("ret uprobeFunction1 = 13 after 10ns");
  });

  it("kvstore: clients share a mutex and a compaction thread remaps memory", () => {
    const w = loadWorkload("kvstore", { cpus: 2, seed: 1, set: { clients: "5" } });
    expect(w.process.threads.filter((t) => t.comm === "kv-client")).toHaveLength(5);
    const client = describeThread(w, 0, 30);
    expect(client).toContain("call pthread_mutex_lock(6295616)");
    const compact = w.process.threads.find((t) => t.comm === "kv-compact")!;
    expect(describeThread(w, compact.index, 30)).toContain("mremap segment 131072");
  });
});
