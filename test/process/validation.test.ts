/**
 * Golden messages for every way a workload file can be wrong: each names the file, line and
 * column, the field path, and why; none is a stack trace.
 */
import { describe, expect, it } from "vitest";
import { loadWorkloadText, WorkloadError } from "../../src/process/index.js";

/** A small valid workload around the given threads (and extra top-level text). */
const base = (threads: string, extra = "") => `${extra}binaries:
  /usr/bin/app:
    functions: [main, parse_header, { name: work_fn, size: 32 }]
  /usr/lib/libc.so.6:
    functions: [malloc, free]
  /usr/lib/libplug.so:
    functions: [plug]
process:
  exe: /usr/bin/app
  libs: [libc]
  threads:
${threads}`;
const cases: { name: string; text: string; set?: Record<string, string>; expected: string }[] = [
  {
    name: "unknown fn",
    text: base(`    - body:\n        - call: main\n    - body:\n        - call: parse\n`),
    expected:
      'w.yaml:15:17: process.threads[1].body[0].call: unknown function "parse" (did you mean "parse_header"?)',
  },
  {
    name: "unknown top key",
    text: `binaries: {}\nproces: {}\n`,
    expected: 'w.yaml:2:1: proces: unknown key "proces" in a workload (did you mean "process"?)',
  },
  {
    name: "yaml syntax",
    text: `binaries: [1, 2\nprocess: 3\n`,
    expected:
      "w.yaml:2:1: YAML: Flow sequence in block collection must be sufficiently indented and end with a ]",
  },
  {
    name: "dup key",
    text: `binaries: {}\nbinaries: {}\n`,
    expected: "w.yaml:2:1: YAML: Map keys must be unique",
  },
  {
    name: "js tag",
    text: `binaries: !!js/function "x"\n`,
    expected: "w.yaml:1:11: YAML: Unresolved tag: tag:yaml.org,2002:js/function",
  },
  {
    name: "missing process",
    text: `binaries:\n  /a:\n    functions: [f]\n`,
    expected: 'w.yaml:1:1: missing "process": the process whose threads run',
  },
  {
    name: "no binaries",
    text: `binaries: {}\nprocess: {exe: /a, threads: []}\n`,
    expected: "w.yaml:1:11: binaries: a workload needs at least one binary",
  },
  {
    name: "bad step key",
    text: base(`    - body:\n        - cal: main\n`),
    expected:
      'w.yaml:13:11: process.threads[0].body[0].cal: unknown key "cal" in a step (did you mean "call"?)',
  },
  {
    name: "two kinds",
    text: base(`    - body:\n        - call: main\n          loop: 3\n`),
    expected: 'w.yaml:13:11: process.threads[0].body[0]: a step does one thing; found both "call" and "loop"',
  },
  {
    name: "args with loop",
    text: base(`    - body:\n        - loop: 3\n          args: [1]\n          body: [{call: main}]\n`),
    expected: 'w.yaml:14:17: process.threads[0].body[0].args: "args" does not go with "loop"',
  },
  {
    name: "too many args",
    text: base(`    - body:\n        - call: main\n          args: [1,2,3,4,5,6,7]\n`),
    expected: "w.yaml:14:17: process.threads[0].body[0].args: at most 6 arguments (arg0..arg5), found 7",
  },
  {
    name: "bad time",
    text: base(`    - body:\n        - work: 5 minutes\n`),
    expected:
      'w.yaml:13:17: process.threads[0].body[0].work: bad time "5 minutes": expected a number with a unit ns, us, ms or s (e.g. 80ns, 2us)',
  },
  {
    name: "bad uniform",
    text: base(`    - body:\n        - work: {uniform: [5us, 1us]}\n`),
    expected:
      "w.yaml:13:27: process.threads[0].body[0].work.uniform: the low end 5000 is above the high end 1000",
  },
  {
    name: "bad value",
    text: base(`    - body:\n        - call: main\n          args: [{sq: 1}]\n`),
    expected:
      'w.yaml:14:19: process.threads[0].body[0].args[0].sq: unknown key "sq" in a value (did you mean "seq"?)',
  },
  {
    name: "offset outside",
    text: base(`    - body:\n        - call: work_fn+40\n`),
    expected:
      'w.yaml:13:17: process.threads[0].body[0].call: offset 40 is outside function "work_fn" (size 32)',
  },
  {
    name: "bad offset",
    text: base(`    - body:\n        - call: main+zz\n`),
    expected:
      'w.yaml:13:17: process.threads[0].body[0].call: bad offset in "main+zz": write FN+16 or FN+0x10',
  },
  {
    name: "unknown binary",
    text: base(`    - body:\n        - call: /usr/bin/ap:main\n`),
    expected:
      'w.yaml:13:17: process.threads[0].body[0].call: unknown binary "/usr/bin/ap" (did you mean "/usr/bin/app"?); binaries are listed under "binaries"',
  },
  {
    name: "never mapped",
    text: base(`    - body:\n        - call: plug\n`),
    expected:
      'w.yaml:13:17: process.threads[0].body[0].call: "plug" is in /usr/lib/libplug.so, which is never mapped: add it to process.libs or dlopen it',
  },
  {
    name: "unknown region",
    text: base(`    - body:\n        - mmap: {len: 8K, as: scratch}\n        - munmap: {target: scrach}\n`),
    expected:
      'w.yaml:14:19: process.threads[0].body[1].munmap: no mapping named "scrach" (did you mean "scratch"?); name one with mmap\'s "as"',
  },
  {
    name: "bad prot",
    text: base(`    - body:\n        - mmap: {len: 8K, prot: rwz, as: s}\n`),
    expected:
      'w.yaml:13:33: process.threads[0].body[0].mmap.prot: bad protection "rwz": use letters r, w, x (e.g. rw, r-x) or none',
  },
  {
    name: "unaligned range",
    text: base(
      `    - body:\n        - mmap: {len: 8K, as: s}\n        - mprotect: {target: s, prot: r, range: [0, 100]}\n`,
    ),
    expected:
      "w.yaml:14:53: process.threads[0].body[1].mprotect.range[1]: 100 is not a multiple of the 4 KiB page size",
  },
  {
    name: "unknown param",
    text: base(`    - body:\n        - call: \${targt}\n`, "params: {target: main}\n"),
    expected:
      'w.yaml:14:17: process.threads[0].body[0].call: unknown parameter "targt" (did you mean "target"?); declare it under params:',
  },
  {
    name: "set unknown",
    text: base(`    - body:\n        - call: \${target}\n`, "params: {target: main}\n"),
    set: { tagret: "x" },
    expected:
      'w.yaml: --set tagret: unknown parameter "tagret" (did you mean "target"?); its parameters are target',
  },
  {
    name: "set cpus",
    text: base(`    - body:\n        - call: main\n`),
    set: { cpus: "3" },
    expected: 'w.yaml: --set cpus: "cpus" is built in; use --cpus',
  },
  {
    name: "pin too high",
    text: base(`    - pin_cpu: 9\n      body:\n        - call: main\n`),
    expected:
      "w.yaml:12:16: process.threads[0].pin_cpu: CPU 9 does not exist: the machine has 4 CPU(s) (--cpus)",
  },
  {
    name: "loop str",
    text: base(`    - body:\n        - loop: lots\n          body: [{call: main}]\n`),
    expected:
      'w.yaml:13:17: process.threads[0].body[0].loop: expected a count or "forever", found the text "lots"',
  },
  {
    name: "loop no body",
    text: base(`    - body:\n        - loop: 3\n`),
    expected: 'w.yaml:13:11: process.threads[0].body[0]: a loop needs a "body"',
  },
  {
    name: "empty body",
    text: base(`    - body: []\n`),
    expected: "w.yaml:12:13: process.threads[0].body: a body needs at least one step",
  },
  {
    name: "bad fn name",
    text: `binaries:\n  /a:\n    functions: ["a b"]\nprocess: {exe: /a, threads: [{body: [{call: a}]}]}\n`,
    expected:
      'w.yaml:3:17: binaries["/a"].functions[0]: "a b" is not a symbol name (letters, digits, _ . $ @; no spaces, \':\' or wildcards)',
  },
  {
    name: "dup fn",
    text: `binaries:\n  /a:\n    functions: [f, f]\nprocess: {exe: /a, threads: [{body: [{call: f}]}]}\n`,
    expected: 'w.yaml:3:16: binaries["/a"].functions: function "f" is listed twice',
  },
  {
    name: "first insn",
    text: `binaries:\n  /a:\n    functions: [{name: f, first_insn: jmp}]\nprocess: {exe: /a, threads: [{body: [{call: f}]}]}\n`,
    expected:
      'w.yaml:3:39: binaries["/a"].functions[0].first_insn: unknown first instruction "jmp": use nop, nop5, push or ret',
  },
  {
    name: "dlopen exe",
    text: base(`    - body:\n        - dlopen: /usr/bin/app\n`),
    expected: "w.yaml:13:19: process.threads[0].body[0].dlopen: cannot dlopen the executable itself",
  },
  {
    name: "exe in libs",
    text: base(`    - body:\n        - call: main\n`).replace("libs: [libc]", "libs: [libc, /usr/bin/app]"),
    expected: "w.yaml:10:16: process.libs[1]: /usr/bin/app is the executable; list only libraries here",
  },
  {
    name: "ret_of bad",
    text: base(`    - body:\n        - call: main\n          args: [{ret_of: mallc}]\n`),
    expected:
      'w.yaml:14:27: process.threads[0].body[0].args[0].ret_of: unknown function "mallc" (did you mean "malloc"?)',
  },
  {
    name: "seq+pick",
    text: base(`    - body:\n        - call: main\n          args: [{seq: 1, pick: [1]}]\n`),
    expected: 'w.yaml:14:18: process.threads[0].body[0].args[0]: "pick" does not go with "seq"',
  },
  {
    name: "mem width",
    text: base(`    - body:\n        - call: main\n          args: [{mem: [1], width: 3}]\n`),
    expected: "w.yaml:14:36: process.threads[0].body[0].args[0].width: width must be 1, 2, 4 or 8 bytes",
  },
  {
    name: "mem fit",
    text: base(`    - body:\n        - call: main\n          args: [{mem: [300], width: 1}]\n`),
    expected: "w.yaml:14:25: process.threads[0].body[0].args[0].mem[0]: 300 does not fit in 1 byte",
  },
  {
    name: "list step",
    text: base(`    - body:\n        - [1]\n`),
    expected:
      "w.yaml:13:11: process.threads[0].body[0]: expected a step (a map with one of call, work, sleep, loop, mmap, munmap, mprotect, mremap, dlopen, dlclose, fork, thread, replay, exit, syscall, usdt), found a list",
  },
  {
    name: "thread count 0",
    text: base(`    - count: 0\n      body:\n        - call: main\n`),
    expected: "w.yaml:12:14: process.threads[0].count: must be between 1 and 1024",
  },
  {
    name: "cwd rel",
    text: base(`    - body:\n        - call: main\n`).replace("  exe:", "  cwd: foo\n  exe:"),
    expected: 'w.yaml:9:8: process.cwd: cwd must be an absolute path, found "foo"',
  },
  {
    name: "ambiguous",
    text: `binaries:\n  /a/libx.so.1:\n    functions: [f]\n  /b/libx.so.1:\n    functions: [f]\n  /a/e:\n    functions: [m]\nprocess: {exe: /a/e, libs: [libx.so.1], threads: [{body: [{call: m}]}]}\n`,
    expected:
      'w.yaml:8:29: process.libs[0]: "libx.so.1" could be any of /a/libx.so.1, /b/libx.so.1; write the full path',
  },
  {
    name: "unterminated",
    text: base(`    - body:\n        - call: \${target\n`, "params: {target: main}\n"),
    expected: `w.yaml:14:17: process.threads[0].body[0].call: unterminated parameter reference in "\${target" (write \${name})`,
  },
  {
    name: "empty",
    text: ``,
    expected: "w.yaml:1:1: the file is empty; a workload needs binaries and a process",
  },
  {
    name: "a forever loop of zero-time work",
    text: base(`    - body:\n        - loop: forever\n          body:\n            - work: 0ns\n`),
    expected:
      "w.yaml:13:17: process.threads[0].body[0].loop: this loop's body takes no simulated time, so the loop would spin with the clock stopped; give a step a time (work: 1us)",
  },
  {
    name: "a forever loop of zero sleeps, zero uniform work or an empty inner loop",
    text: base(
      `    - body:\n        - loop: 3\n          body:\n            - sleep: 1us\n        - loop: forever\n          body:\n            - sleep: 0ns\n            - work: { uniform: [0ns, 0ns] }\n            - loop: 0\n              body:\n                - work: 1us\n`,
    ),
    expected:
      "w.yaml:16:17: process.threads[0].body[1].loop: this loop's body takes no simulated time, so the loop would spin with the clock stopped; give a step a time (work: 1us)",
  },
  {
    name: "a 64-bit extreme as an argument is named as written",
    text: base(`    - body:\n        - { call: main, args: [1, -9223372036854775808] }\n`),
    expected:
      "w.yaml:13:35: process.threads[0].body[0].args[1]: -9223372036854775808 is out of range: a workload value is exact only within ±9007199254740991 (2^53 - 1)",
  },
];

function errorOf(text: string, set?: Record<string, string>): WorkloadError {
  try {
    loadWorkloadText(text, "w.yaml", { cpus: 4, seed: 1, set });
  } catch (err) {
    if (err instanceof WorkloadError) return err;
    throw err;
  }
  throw new Error("the workload loaded without error");
}

describe("workload validation errors", () => {
  it.each(cases)("$name", ({ text, set, expected }) => {
    expect(errorOf(text, set).message).toBe(expected);
  });

  it("the base workload itself is valid", () => {
    const w = loadWorkloadText(base("    - body:\n        - call: main\n"), "w.yaml", { cpus: 4, seed: 1 });
    expect(w.name).toBe("workload");
    expect(w.process.threads).toHaveLength(1);
  });

  it("reports a missing file and an unknown bundled name plainly", async () => {
    const { loadWorkload } = await import("../../src/process/index.js");
    expect(() => loadWorkload("/nonexistent/w.yaml", { cpus: 1, seed: 0 })).toThrow(
      'cannot read workload file "/nonexistent/w.yaml": no such file',
    );
    expect(() => loadWorkload("triger", { cpus: 1, seed: 0 })).toThrow(
      /^unknown workload "triger" \(did you mean "trigger"\?\); bundled: .*default.*trigger/,
    );
  });

  it("bounds alias expansion and nesting instead of running away", () => {
    // Each level is a loop over ten copies of the level below: 10^9 calls if expanded.
    const levels = ["        - &s0 { call: f }"];
    for (let i = 1; i <= 9; i++) {
      levels.push(
        `        - &s${i} { loop: 1, body: [${Array(10)
          .fill(`*s${i - 1}`)
          .join(", ")}] }`,
      );
    }
    const head = "binaries:\n  /a:\n    functions: [f]\nprocess:\n  exe: /a\n  threads:\n";
    const bomb = `${head}    - body:\n${levels.join("\n")}\n`;
    expect(errorOf(bomb).message).toMatch(/: the workload is too large \(more than 200000 values\)$/);
    const cycle = `${head}    - body: &s\n        - call: f\n          body: *s\n`;
    expect(errorOf(cycle).message).toMatch(/: nested more than 100 levels deep$/);
  });
});
