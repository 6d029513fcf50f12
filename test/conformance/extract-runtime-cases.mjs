#!/usr/bin/env node
/**
 * Builds runtime-cases.json from a checkout of bpftrace's tests directory:
 *
 *   node test/conformance/extract-runtime-cases.mjs /path/to/bpftrace/tests > test/conformance/runtime-cases.json
 *
 * It reads every test file under runtime/ with the directive rules bpftrace's runner documents
 * (blank-line separated tests, `#` comment lines, indented continuation lines for PROG and EXPECT)
 * and keeps the cases probelab can be measured on: probes only of the kinds begin, end, interval,
 * uprobe/uretprobe on the test programs the `testprogs` workload mirrors and usdt on those the
 * `usdt` workload mirrors (as programs, or as `-l` patterns that list them); no SETUP, CLEANUP, REQUIRES or feature requirement, no BEFORE/AFTER
 * other than those test programs; a RUN line only when it is one bpftrace command (no pipe,
 * redirect or second command), and `-c CMD` only for the workload's own executable. Only facts are kept: the
 * program, its options and arguments, and what the output must show.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const root = process.argv[2];
if (!root) {
  process.stderr.write("usage: extract-runtime-cases.mjs BPFTRACE_TESTS_DIR\n");
  process.exit(2);
}

/** Programs and functions of workloads/testprogs.yaml. */
const TESTPROGS = {
  uprobe_test: [
    "main",
    "uprobeFunction1",
    "uprobeFunction2",
    "uprobeFunctionBranching",
    "uprobeFunctionBar",
    "uprobeFunctionUint128",
    "usleep",
  ],
  uprobe_negative_retval: ["main", "function1"],
  uprobe_symres: ["main", "test2", "test"],
  simple_struct: ["main", "func", "n_func"],
  uprobe_loop: ["main", "spin", "uprobeFunction1"],
};

/** Programs of workloads/usdt.yaml with their USDT sites; the first is the workload's executable. */
const USDT_PROGS = {
  usdt_test: ["tracetest:testprobe", "tracetest:testprobe2", "tracetest2:testprobe2"],
  "usdt_test-pie": ["tracetest:testprobe", "tracetest:testprobe2", "tracetest2:testprobe2"],
  usdt_semaphore_test: ["tracetest:testprobe"],
  usdt_sized_args: ["test:probe1", "test:probe2", "test:probe3"],
  usdt_multi_args: ["usdt_multi_args:probe1"],
};

/** The bundled workload that runs a test program, or null when none mirrors it. */
function workloadOf(program) {
  if (Object.hasOwn(TESTPROGS, program)) return "testprogs";
  if (Object.hasOwn(USDT_PROGS, program)) return "usdt";
  return null;
}

/**
 * bpftrace features the simulated kernel has (its `latest` profile is newer than any MIN_KERNEL);
 * debug-info (btf, dwarf), kernel probe and unwinder features are outside the selection.
 */
const SIMULATED_FEATURES = new Set([
  "lookup_percpu_elem",
  "loop",
  "get_tai_ns",
  "uprobe_multi",
  "get_func_ip",
]);

const SKIPPED_SUITES = new Set(["engine", "scripts", "outputs"]);

function parseFile(text) {
  const tests = [];
  let block = [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  lines.forEach((line, i) => {
    if (line.startsWith("#")) return;
    if (line !== "") block.push(line);
    if ((line === "" || i === lines.length - 1) && block.length > 0) {
      tests.push(parseTest(block));
      block = [];
    }
  });
  return tests;
}

function parseTest(block) {
  const t = { expects: [], befores: [], requires: [], features: [], env: {}, arch: [] };
  let prev = "";
  for (const item of block) {
    const lead = item.slice(0, prev.length + 1);
    if (prev !== "" && lead.trim() === "" && lead.length === prev.length + 1) {
      const rest = item.slice(prev.length + 1);
      if (prev === "PROG") {
        t.prog += `\n${rest}`;
        continue;
      }
      if (prev === "EXPECT" || prev === "EXPECT_REGEX") {
        t.expects[t.expects.length - 1].expect += `\n${rest}`;
        continue;
      }
    }
    const trimmed = item.trim();
    const space = trimmed.search(/\s/);
    const key = space < 0 ? trimmed : trimmed.slice(0, space);
    const value = space < 0 ? "" : trimmed.slice(space).trim();
    prev = key;
    const mode = {
      EXPECT: "text",
      EXPECT_NONE: "text_none",
      EXPECT_REGEX: "regex",
      EXPECT_REGEX_NONE: "regex_none",
      EXPECT_FILE: "file",
      EXPECT_JSON: "json",
    }[key];
    if (mode) t.expects.push({ mode, expect: value });
    else if (key === "NAME") t.name = value;
    else if (key === "RUN") t.run = value;
    else if (key === "PROG") t.prog = value;
    else if (key === "TIMEOUT") t.timeout = Number(value);
    else if (key === "BEFORE") t.befores.push(value);
    else if (key === "AFTER") t.after = value;
    else if (key === "SETUP") t.setup = value;
    else if (key === "CLEANUP") t.cleanup = value;
    else if (key === "REQUIRES") t.requires.push(value);
    else if (key === "REQUIRES_FEATURE") t.features.push(value);
    else if (key === "ENV") for (const kv of value.split(/\s+/)) t.env[kv.split("=")[0]] = kv.split("=")[1];
    else if (key === "ARCH") t.arch = value.split("|").map((a) => a.trim());
    else if (key === "WILL_FAIL") t.will_fail = true;
    else if (key === "NEW_PIDNS") t.new_pidns = true;
    else if (key === "RETURN_CODE") t.return_code = Number(value);
    else if (key === "MIN_KERNEL" || key === "MAX_KERNEL") t.kernel = value;
    else if (key === "SKIP_IF_ENV_HAS") t.skipIfEnv = value;
    else if (key === "LOCALIZE_TIMESTAMPS") t.localize = value;
    else throw new Error(`unknown directive ${key}`);
  }
  return t;
}

/** Splits a shell command line the way sh would for the simple lines we accept; null otherwise. */
function shellWords(line) {
  const words = [];
  let word = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return null;
      word = (word ?? "") + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let s = "";
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === "\\" && '"\\$`'.includes(line[j + 1])) j++;
        else if (line[j] === "$" || line[j] === "`") return null;
        s += line[j];
      }
      if (j >= line.length) return null;
      word = (word ?? "") + s;
      i = j;
    } else if (c === " " || c === "\t") {
      if (word !== null) words.push(word);
      word = null;
    } else if ("|&;<>()$`\\*?".includes(c)) {
      return null;
    } else {
      word = (word ?? "") + c;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

const TESTPROG_PATH = /^(?:\.\/)?testprogs\/([A-Za-z0-9_-]+)$/;

/** The workload of a BEFORE/AFTER/-c command that runs one mirrored test program, else null. */
function mirroredProgram(cmd) {
  const words = shellWords(cmd);
  if (words?.length !== 1) return null;
  const m = TESTPROG_PATH.exec(words[0]);
  return m === null ? null : workloadOf(m[1]);
}

const PROBE_KIND =
  /(?:^|[\s},;])(kprobe|kretprobe|uprobe|uretprobe|tracepoint|usdt|profile|interval|software|hardware|watchpoint|asyncwatchpoint|kfunc|kretfunc|fentry|fexit|rawtracepoint|iter|self|test|bench|k|kr|u|ur|t|p|i|s|h|w|aw|f|fr|rt|U):([^\s{,/]*(?:\/[^\s{,]*)?)/g;

/** Strips string literals and comments so probe-like text inside them is not taken for a probe. */
function codeOnly(prog) {
  return prog
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\/\/[^\n]*/g, "")
    .replace(/\/\*[\s\S]*?\*\//g, "");
}

/** Why a program's probes are outside the selection, or null when every probe is in it. */
function probeProblem(prog) {
  const code = codeOnly(prog);
  for (const m of code.matchAll(PROBE_KIND)) {
    const kind = m[1];
    const rest = m[2];
    if (kind === "interval" || kind === "i") continue;
    if (kind === "usdt" || kind === "U") {
      const problem = usdtProblem(rest);
      if (problem) return problem;
      continue;
    }
    if (!["uprobe", "uretprobe", "u", "ur"].includes(kind)) return `probe kind ${kind}`;
    const parts = rest.split(":");
    const target = parts[0];
    const fn = parts.length > 1 ? parts[parts.length - 1] : "";
    const t = TESTPROG_PATH.exec(target);
    if (!t || !(t[1] in TESTPROGS)) {
      if (/\*/.test(target) && globOverPrograms(target, TESTPROGS) && /[*?]/.test(fn)) continue;
      return `uprobe target ${target}`;
    }
    if (!/[*?]/.test(fn) && !TESTPROGS[t[1]].includes(fn)) return `function ${t[1]}:${fn}`;
  }
  if (/^\s*#include/m.test(prog) && /\b(kprobe|tracepoint)\b/.test(code)) return "kernel probes";
  return null;
}

/** Why a usdt probe's TARGET:[PROVIDER:]NAME is outside the selection, or null. */
function usdtProblem(spec) {
  const parts = spec.split(":");
  const target = parts.length === 1 ? "" : parts[0];
  if (target === "" || target === "*") return null;
  const t = TESTPROG_PATH.exec(target);
  if (t === null || !Object.hasOwn(USDT_PROGS, t[1])) {
    // A wildcard over the mirrored programs (usdt:./testprogs/usdt_test*) is in the selection.
    if (/\*/.test(target) && globOverPrograms(target, USDT_PROGS)) return null;
    return `usdt target ${target}`;
  }
  return null;
}

/** Whether a glob over ./testprogs/ (`./testprogs/usdt_test*`) matches one of `programs`. */
function globOverPrograms(target, programs) {
  const glob = new RegExp(
    `^(?:\\./)?testprogs/${target.replace(/^(?:\.\/)?testprogs\//, "").replace(/\*/g, ".*")}$`,
  );
  return Object.keys(programs).some((p) => glob.test(`testprogs/${p}`));
}

/** The probelab argument list for a RUN line, or null when it is not one plain bpftrace command. */
function runArgs(run, t) {
  const withPid = run.replaceAll("{{BEFORE_PID}}", "@TESTPROGS_PID@");
  if (!withPid.startsWith("{{BPFTRACE}}")) return null;
  const words = shellWords(withPid.slice("{{BPFTRACE}}".length));
  if (!words) return null;
  const args = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    // A script file of bpftrace's runtime/scripts is read in (the case carries its text).
    if (/^runtime\/scripts\/[\w.-]+\.bt$/.test(w)) {
      t.script = readFileSync(join(root, w), "utf8");
      args.push("@SCRIPT@");
    } else if (/^(?:\.\/)?testprogs\/|^runtime\//.test(w) && !TESTPROG_PATH.test(w)) {
      return null;
    } else {
      args.push(w);
    }
  }
  return args;
}

/** The pattern of a `-l PATTERN` run when it lists user probes (uprobe, uretprobe, usdt), else undefined. */
function listedPattern(args) {
  if (args.length !== 2 || args[0] !== "-l") return undefined;
  return /^(?:uprobe|uretprobe|usdt|u|ur|U):/.test(args[1]) ? args[1] : undefined;
}

/**
 * The workload a case runs on: the one its BEFORE/AFTER programs name, else `usdt` for a usdt
 * probe and `testprogs` for anything else naming the test programs, else none (null). A `-c CMD`
 * must be the workload's executable (probelab cannot start another program): undefined if not.
 */
function caseWorkload(programText, args, fromCommands) {
  const usdt = /(?:^|[\s},;])(?:usdt|U):/.test(codeOnly(programText));
  const namesTestprogs =
    /testprogs\//.test(programText) || args.some((a) => a.includes("testprogs/") || a === "@TESTPROGS_PID@");
  const workload = fromCommands ?? (usdt ? "usdt" : namesTestprogs ? "testprogs" : null);
  const c = args.indexOf("-c");
  if (c >= 0) {
    const m = TESTPROG_PATH.exec(args[c + 1] ?? "");
    const exe = workload === "usdt" ? "usdt_test" : "uprobe_test";
    if (m === null || m[1] !== exe) return undefined;
  }
  return workload;
}

function expectFile(path) {
  return readFileSync(join(root, path), "utf8");
}

const cases = [];
/** How often each `suite: NAME` was seen: bpftrace repeats some names within a suite. */
const seen = new Map();
const dropped = {};
function drop(why) {
  dropped[why] = (dropped[why] ?? 0) + 1;
}

const runtimeDir = join(root, "runtime");
for (const suite of readdirSync(runtimeDir).sort()) {
  if (SKIPPED_SUITES.has(suite) || suite.startsWith(".")) continue;
  if (!statSync(join(runtimeDir, suite)).isFile()) continue;
  for (const t of parseFile(readFileSync(join(runtimeDir, suite), "utf8"))) {
    const positive = t.arch.filter((a) => !a.startsWith("!"));
    const negative = t.arch.filter((a) => a.startsWith("!")).map((a) => a.slice(1));
    const host = ["x86_64", "le"];
    if (positive.length > 0 && !positive.some((a) => host.includes(a))) continue;
    if (negative.some((a) => host.includes(a))) continue;
    if (t.setup || t.cleanup) {
      drop("SETUP/CLEANUP");
      continue;
    }
    if (t.requires.length > 0) {
      drop("REQUIRES");
      continue;
    }
    const missing = t.features.flatMap((f) => f.split(/\s+/)).filter((f) => !SIMULATED_FEATURES.has(f));
    if (missing.length > 0) {
      drop("REQUIRES_FEATURE");
      continue;
    }
    const commands = [...t.befores, ...(t.after ? [t.after] : [])];
    const workloads = new Set(commands.map(mirroredProgram));
    if (workloads.has(null) || workloads.size > 1) {
      drop("BEFORE/AFTER program");
      continue;
    }
    let args;
    if (t.prog !== undefined) {
      const json = t.expects.length > 0 && t.expects[0].mode === "json";
      args = [...(json ? ["-q", "-f", "json"] : []), "-e", t.prog];
    } else {
      args = runArgs(t.run, t);
      if (!args) {
        drop("RUN not one plain command");
        continue;
      }
    }
    // `-l PATTERN` lists probes: a user-probe pattern over the test programs is in the selection.
    const programText =
      t.prog ?? t.script ?? args.find((_, i) => i > 0 && args[i - 1] === "-e") ?? listedPattern(args);
    if (programText === undefined) {
      drop("no program (CLI-only)");
      continue;
    }
    const problem = probeProblem(programText);
    if (problem) {
      drop(problem.split(" ").slice(0, 2).join(" "));
      continue;
    }
    const expects = t.expects.map((e) =>
      e.mode === "file" || e.mode === "json"
        ? { mode: e.mode, expect: expectFile(e.expect), ndjson: e.expect.endsWith(".ndjson") || undefined }
        : e,
    );
    const workload = caseWorkload(programText, args, [...workloads][0]);
    if (workload === undefined) {
      drop("-c program");
      continue;
    }
    const base = `${suite}: ${t.name}`;
    seen.set(base, (seen.get(base) ?? 0) + 1);
    cases.push({
      id: seen.get(base) === 1 ? base : `${base} #${seen.get(base)}`,
      source: `bpftrace/bpftrace:tests/runtime/${suite}`,
      args,
      ...(t.script !== undefined ? { script: t.script } : {}),
      expects,
      ...(t.will_fail ? { will_fail: true } : {}),
      ...(t.return_code !== undefined ? { return_code: t.return_code } : {}),
      timeout: t.timeout ?? 5,
      ...(t.localize !== undefined ? { localize_ts: Number(t.localize) } : {}),
      ...(t.new_pidns ? { new_pidns: true } : {}),
      ...(Object.keys(t.env).length > 0 ? { env: t.env } : {}),
      ...(workload !== null ? { workload } : {}),
    });
  }
}

process.stdout.write(`${JSON.stringify(cases, null, 1)}\n`);
process.stderr.write(`kept ${cases.length}\n`);
for (const [why, n] of Object.entries(dropped).sort((a, b) => b[1] - a[1])) {
  process.stderr.write(`  dropped ${n}: ${why}\n`);
}
