import { describe, expect, it } from "vitest";
import {
  createThreadState,
  describeThread,
  encodeMemBlock,
  endLoop,
  enterLoop,
  evalArgs,
  evalReturn,
  evalValue,
  forkThreadState,
  loadWorkloadText,
  Op,
  type ProgramOp,
  walkProgram,
} from "../../src/process/index.js";

const head = `binaries:
  /usr/bin/app:
    functions: [main, outer, inner, { name: leaf, size: 32 }]
  /usr/lib/libc.so.6:
    functions: [malloc, free]
process:
  exe: /usr/bin/app
  libs: [libc]
  threads:
`;
const load = (threads: string, seed = 1, cpus = 2) =>
  loadWorkloadText(head + threads, "t.yaml", { cpus, seed });
const opNames = (ops: ProgramOp[]) => ops.map((o) => Object.keys(Op)[o.op]);

describe("compiling thread bodies into flat ops", () => {
  const w = load(`    - body:
        - loop: 2
          body:
            - call: outer
              args: [1, 2]
              ret: 7
              body:
                - call: inner+8
                  body:
                    - work: 80ns
                - sleep: 1.5us
        - exit: 3
`);
  const ops = w.process.threads[0]!.program.ops;

  it("lays nested calls and loops out in place with matching indices", () => {
    expect(opNames(ops)).toEqual([
      "LOOP_BEGIN",
      "CALL",
      "CALL",
      "INSN",
      "WORK",
      "RET",
      "SLEEP",
      "RET",
      "LOOP_END",
      "EXIT",
    ]);
    const [begin, outer, inner, insn, , innerRet, , outerRet, end, exit] = ops;
    expect(begin!.op === Op.LOOP_BEGIN && begin.end).toBe(8);
    expect(end!.op === Op.LOOP_END && end.begin).toBe(0);
    expect(outer!.op === Op.CALL && outer.ret).toBe(7);
    expect(inner!.op === Op.CALL && inner.ret).toBe(5);
    expect(innerRet!.op === Op.RET && innerRet.call).toBe(2);
    expect(outerRet!.op === Op.RET && outerRet.call).toBe(1);
    expect(insn!.op === Op.INSN && [insn.offset, insn.addr]).toEqual([0x1080 + 8, 0x401088]);
    expect(exit!.op === Op.EXIT && exit.code).toBe(3);
    expect(w.process.threads[0]!.program.maxDepth).toBe(2);
  });

  it("runs as the reference walk describes", () => {
    expect(describeThread(w, 0, 100)).toEqual([
      "call outer(1, 2)",
      "call inner()",
      "insn inner+8",
      "work 80ns",
      "ret inner = 0",
      "sleep 1500ns",
      "ret outer = 7",
      "call outer(1, 2)",
      "call inner()",
      "insn inner+8",
      "work 80ns",
      "ret inner = 0",
      "sleep 1500ns",
      "ret outer = 7",
      "exit 3",
    ]);
  });

  it("skips a loop of 0 and repeats a loop of N exactly N times, nested", () => {
    const v = load(`    - body:
        - loop: 0
          body: [{ call: leaf }]
        - loop: 3
          body:
            - loop: 2
              body: [{ call: inner }]
            - call: outer
`);
    const lines = describeThread(v, 0, 100).filter((l) => l.startsWith("call"));
    expect(lines.filter((l) => l === "call leaf()")).toHaveLength(0);
    expect(lines.filter((l) => l === "call inner()")).toHaveLength(6);
    expect(lines).toHaveLength(9);
    expect(lines.slice(0, 3)).toEqual(["call inner()", "call inner()", "call outer()"]);
  });

  it("loops forever when told to", () => {
    const v = load(`    - body:
        - loop: forever
          body: [{ call: leaf }]
`);
    expect(describeThread(v, 0, 1000)).toHaveLength(1000);
    const state = createThreadState(v.process.threads[0]!.program, v.functions.length, 1);
    const [begin, , , end] = v.process.threads[0]!.program.ops;
    if (begin!.op !== Op.LOOP_BEGIN || end!.op !== Op.LOOP_END) throw new Error("shape");
    expect(enterLoop(state, begin, 0)).toBe(1);
    expect(endLoop(state, end, 3)).toBe(1);
  });

  it("compiles address-space steps with their regions and PROT bits", () => {
    const v = load(`    - body:
        - mmap: { len: 10000, prot: rw, as: a }
        - mmap: { len: 8K, prot: r-x, as: b, file: /usr/bin/app, offset: 4K }
        - mprotect: { target: a, prot: r, range: [4K, 8K] }
        - mremap: { target: a, len: 1M, may_move: false }
        - munmap: { target: b }
        - dlclose: libc
        - fork:
            comm: child
            body:
              - munmap: { target: a }
        - exit
`);
    const p = v.process.threads[0]!.program;
    expect(p.regionNames).toEqual(["a", "b"]);
    const plain = p.ops.map((o) =>
      o.op === Op.FORK ? { op: o.op, comm: o.comm, childOps: o.child.ops } : o,
    );
    expect(plain).toEqual([
      { op: Op.MMAP, region: 0, len: 10000, prot: 3, binary: -1, pgoff: 0 },
      { op: Op.MMAP, region: 1, len: 8192, prot: 5, binary: 0, pgoff: 1 },
      { op: Op.MPROTECT, region: 0, prot: 1, from: 4096, to: 8192 },
      { op: Op.MREMAP, region: 0, len: 1 << 20, mayMove: false },
      { op: Op.MUNMAP, region: 1, from: 0, to: -1 },
      { op: Op.DLCLOSE, binary: 1 },
      { op: Op.FORK, comm: "child", childOps: [{ op: Op.MUNMAP, region: 0, from: 0, to: -1 }] },
      { op: Op.EXIT, code: 0 },
    ]);
  });

  it("looks unqualified names up in the exe, then the libraries; BINARY:FN picks a binary", () => {
    const v = loadWorkloadText(
      `binaries:
  /usr/bin/app:
    functions: [main, malloc]
  /usr/lib/libc.so.6:
    functions: [malloc]
process:
  exe: /usr/bin/app
  libs: [/usr/lib/libc.so.6]
  threads:
    - body:
        - call: malloc
        - call: libc:malloc
        - call: libc.so.6:malloc+4
`,
      "q.yaml",
      { cpus: 1, seed: 0 },
    );
    const calls = v.process.threads[0]!.program.ops.filter((o) => o.op === Op.CALL);
    expect(calls.map((c) => (c.op === Op.CALL ? v.binaries[c.binary]!.path : ""))).toEqual([
      "/usr/bin/app",
      "/usr/lib/libc.so.6",
      "/usr/lib/libc.so.6",
    ]);
  });
});

describe("value sources", () => {
  it("seq and pick count per call site and per thread", () => {
    const v = load(`    - count: 2
      body:
        - loop: 4
          body:
            - call: leaf
              args: [{ seq: 10, step: 5 }, { pick: [1, 2, 3] }, { seq: 10, step: 5 }]
        - call: inner
          args: [{ seq: 0 }]
`);
    const expected = [
      "call leaf(10, 1, 10)",
      "call leaf(15, 2, 15)",
      "call leaf(20, 3, 20)",
      "call leaf(25, 1, 25)",
      "call inner(0)",
    ];
    for (const t of [0, 1])
      expect(describeThread(v, t, 100).filter((l) => l.startsWith("call"))).toEqual(expected);
  });

  it("uniform draws are seeded per thread, in range, and reproducible", () => {
    const threads = `    - count: 2
      body:
        - loop: 200
          body:
            - call: leaf
              args: [{ uniform: [-5, 5] }]
              time: { uniform: [1us, 2us] }
`;
    const a = load(threads, 42);
    const again = load(threads, 42);
    const other = load(threads, 43);
    const t0 = describeThread(a, 0, 400);
    expect(describeThread(again, 0, 400)).toEqual(t0);
    expect(describeThread(other, 0, 400)).not.toEqual(t0);
    expect(describeThread(a, 1, 400)).not.toEqual(t0);
    const args = t0.filter((l) => l.startsWith("call")).map((l) => Number(/\((-?\d+)\)/.exec(l)![1]));
    expect(Math.min(...args)).toBe(-5);
    expect(Math.max(...args)).toBe(5);
    const times = t0.filter((l) => l.startsWith("ret")).map((l) => Number(/after (\d+)ns/.exec(l)![1]));
    expect(times.every((t) => t >= 1000 && t <= 2000)).toBe(true);
  });

  it("a thread's values do not depend on how it interleaves with others", () => {
    const v = load(`    - count: 2
      body:
        - loop: forever
          body:
            - call: leaf
              args: [{ uniform: [0, 1000000] }, { seq: 1 }, { pick: [5, 6, 7] }]
`);
    const [p0, p1] = v.process.threads.map((t) => t.program);
    const call = p0!.ops[1]!;
    if (call.op !== Op.CALL) throw new Error("shape");
    const regs = new Float64Array(6);
    const alone = createThreadState(p0!, v.functions.length, v.process.threads[0]!.seed);
    const soloRun: number[][] = [];
    for (let i = 0; i < 50; i++) {
      evalArgs(alone, call, regs);
      soloRun.push(Array.from(regs.subarray(0, 3)));
    }
    // Same thread again, now with the other thread evaluating a varying number of times in between.
    const a = createThreadState(p0!, v.functions.length, v.process.threads[0]!.seed);
    const b = createThreadState(p1!, v.functions.length, v.process.threads[1]!.seed);
    const mixed: number[][] = [];
    for (let i = 0; i < 50; i++) {
      for (let k = 0; k < i % 4; k++) evalArgs(b, call, regs);
      evalArgs(a, call, regs);
      mixed.push(Array.from(regs.subarray(0, 3)));
    }
    expect(mixed).toEqual(soloRun);
  });

  it("ret_of gives the last value a function returned in this thread, 0 before", () => {
    const v = load(`    - body:
        - call: free
          args: [{ ret_of: malloc }]
        - loop: 2
          body:
            - call: malloc
              ret: { seq: 4096, step: 64 }
            - call: free
              args: [{ ret_of: libc:malloc }]
`);
    expect(describeThread(v, 0, 100).filter((l) => l.startsWith("call free"))).toEqual([
      "call free(0)",
      "call free(4096)",
      "call free(4160)",
    ]);
  });

  it("strings become pointers to NUL-terminated text in the process memory, shared when equal", () => {
    const v = load(`    - body:
        - call: leaf
          args: ["GET /", "héllo", "GET /", ""]
`);
    const call = v.process.threads[0]!.program.ops[0]!;
    if (call.op !== Op.CALL) throw new Error("shape");
    const state = createThreadState(v.process.threads[0]!.program, v.functions.length, 0);
    const regs = new Float64Array(6);
    expect(evalArgs(state, call, regs)).toBe(4);
    const [a, b, c, d] = regs;
    expect(a).toBe(c);
    const heap = v.process.mappings.find((m) => m.name === "[heap]")!;
    for (const p of [a!, b!, d!]) expect(p >= heap.start && p < heap.end).toBe(true);
    const mem = v.process.memory;
    expect(mem.readCString(a!, 64)).toBe("GET /");
    expect(mem.readCString(b!, 64)).toBe("héllo");
    expect(mem.readCString(d!, 64)).toBe("");
    expect(mem.readCString(a!, 3)).toBe("GET");
    expect(Array.from(regs.subarray(4))).toEqual([0, 0]);
  });

  it("mem blocks lay out little-endian fields with C alignment", () => {
    const v = load(`    - body:
        - call: leaf
          args: [{ mem: [2, 3], width: 4 }, { mem: [123, { str: hello, size: 10 }, 1, -1], width: 4 }]
`);
    const state = createThreadState(v.process.threads[0]!.program, v.functions.length, 0);
    const regs = new Float64Array(6);
    const call = v.process.threads[0]!.program.ops[0]!;
    if (call.op !== Op.CALL) throw new Error("shape");
    evalArgs(state, call, regs);
    const mem = v.process.memory;
    expect(Array.from(mem.readBytes(regs[0]!, 8)!)).toEqual([2, 0, 0, 0, 3, 0, 0, 0]);
    expect(regs[0]! % 4).toBe(0);
    const foo = mem.readBytes(regs[1]!, 24)!;
    expect(Array.from(foo.subarray(0, 4))).toEqual([123, 0, 0, 0]);
    expect(new TextDecoder().decode(foo.subarray(4, 9))).toBe("hello");
    expect(Array.from(foo.subarray(9, 16))).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(foo.subarray(16, 24))).toEqual([1, 0, 0, 0, 255, 255, 255, 255]);
    expect(encodeMemBlock({ width: 8, items: [{ kind: "str", value: "abc", size: 3 }] })).toHaveLength(8);
  });

  it("RET records the return value for ret_of and a fork child gets its own stream", () => {
    const v = load(`    - body:
        - call: malloc
          ret: { uniform: [1, 1000000000] }
        - fork:
            body:
              - call: leaf
                args: [{ uniform: [1, 1000000000] }]
`);
    const p = v.process.threads[0]!.program;
    const state = createThreadState(p, v.functions.length, 9);
    const ret = p.ops[1]!;
    const fork = p.ops[2]!;
    if (ret.op !== Op.RET || fork.op !== Op.FORK) throw new Error("shape");
    const value = evalReturn(state, ret);
    expect(state.lastRet[ret.fn]).toBe(value);
    const c1 = forkThreadState(state, fork.child);
    const c2 = forkThreadState(state, fork.child);
    expect(c1.seed).not.toBe(c2.seed);
    expect(c1.lastRet[ret.fn]).toBe(value);
    const first = walkProgram(v, fork.child, c1.seed, 1);
    expect(walkProgram(v, fork.child, c1.seed, 1)).toEqual(first);
    expect(walkProgram(v, fork.child, c2.seed, 1)).not.toEqual(first);
    expect(evalValue(c1, 0)).toBeGreaterThan(0);
  });

  it("pins copies of a pinned thread to consecutive CPUs, wrapping around", () => {
    const v = load(
      `    - count: 3
      pin_cpu: 1
      body: [{ call: leaf }]
    - body: [{ call: leaf }]
`,
      1,
      2,
    );
    expect(v.process.threads.map((t) => [t.comm, t.instance, t.entry, t.pinCpu])).toEqual([
      ["app", 0, 0, 1],
      ["app", 1, 0, 0],
      ["app", 2, 0, 1],
      ["app", 0, 1, -1],
    ]);
    expect(new Set(v.process.threads.map((t) => t.seed)).size).toBe(4);
  });
});
