import { describe, expect, it } from "vitest";
import { describeThread, loadWorkloadText, Op } from "../../src/process/index.js";

const text = `params:
  target: fast
  iters: 3
  suffix: _path
binaries:
  /usr/bin/app:
    functions: [fast, slow, slow_path, main]
process:
  exe: /usr/bin/app
  threads:
    - name: t
      count: \${cpus}
      body:
        - loop: \${iters}
          body:
            - call: \${target}
              args: ["\${iters}", "n=\${iters}"]
        - call: slow\${suffix}
`;

const load = (set?: Record<string, string>, cpus = 2) =>
  loadWorkloadText(text, "p.yaml", { cpus, seed: 7, set });

describe("workload parameters", () => {
  it("substitutes declared defaults, keeping a lone reference's number type", () => {
    const w = load();
    expect(w.params).toEqual({ target: "fast", iters: 3, suffix: "_path", cpus: 2 });
    const lines = describeThread(w, 0, 20);
    expect(lines.filter((l) => l.startsWith("call fast("))).toHaveLength(3);
    // arg0 is the number 3; arg1 is text spliced into a string, so it becomes a pointer.
    expect(lines[0]).toMatch(/^call fast\(3, \d+\)$/);
    expect(w.process.memory.readCString(Number(lines[0]!.split(", ")[1]!.slice(0, -1)), 64)).toBe("n=3");
    expect(lines.at(-2)).toBe("call slow_path()");
  });

  it("lets --set override a default; numbers given as text become numbers", () => {
    const w = load({ target: "slow", iters: "0x2" });
    const calls = describeThread(w, 0, 20).filter((l) => l.startsWith("call"));
    expect(calls).toEqual(["call slow(2, " + calls[0]!.split(", ")[1], calls[1], "call slow_path()"]);
    expect(calls).toHaveLength(3);
  });

  it("the built-in cpus parameter follows the caller's CPU count", () => {
    expect(load(undefined, 1).process.threads).toHaveLength(1);
    expect(load(undefined, 6).process.threads).toHaveLength(6);
  });

  it("a --set value that names no function is caught where it is used", () => {
    expect(() => load({ target: "nope" })).toThrow(
      'p.yaml:16:21: process.threads[0].body[0].body[0].call: unknown function "nope"',
    );
  });

  it("rejects declaring cpus, bad parameter names and non-scalar values", () => {
    const bad = (params: string) => () =>
      loadWorkloadText(text.replace(/^params:\n( {2}.*\n)+/, `params:\n${params}\n`), "p.yaml", {
        cpus: 1,
        seed: 0,
      });
    expect(bad("  cpus: 3")).toThrow(
      'p.yaml:2:9: params.cpus: "cpus" is built in (the simulated CPU count); pick another name',
    );
    expect(bad('  "a-b": 3')).toThrow('"a-b" is not a parameter name');
    expect(bad("  target: [1, 2]")).toThrow(
      "p.yaml:2:11: params.target: expected a single value, found a list",
    );
  });

  it("rejects a CPU count that is not a whole number above zero", () => {
    expect(() => load(undefined, 0)).toThrow("p.yaml: the CPU count must be a whole number ≥ 1, got 0");
  });

  it("compiles the loop count from the parameter", () => {
    const ops = load().process.threads[0]!.program.ops;
    const loop = ops.find((o) => o.op === Op.LOOP_BEGIN);
    expect(loop && loop.op === Op.LOOP_BEGIN ? loop.count : -9).toBe(3);
  });
});
