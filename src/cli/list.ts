/** `probelab list`, `probelab workloads` and `probelab workloads show`. */
import {
  type Binary,
  describeThread,
  globMatch,
  listSymbols,
  listWorkloads,
  processBinaries,
  resolveTarget,
  shownTarget,
  type Workload,
} from "../process/index.js";
import { kernelProbeListing } from "../trace/kernel-targets.js";
import { type CliIo, guarded, processIo, workload } from "./common.js";

interface ListOptions {
  workload: string;
  set: string[];
  /** Also print each kernel probe's fields (`args`), as bpftrace -lv does. */
  verbose?: boolean;
}

const KINDS = ["uprobe", "uretprobe"] as const;
const ALIASES = new Map([
  ["u", "uprobe"],
  ["ur", "uretprobe"],
  ["k", "kprobe"],
  ["kr", "kretprobe"],
  ["f", "fentry"],
  ["fr", "fexit"],
  ["t", "tracepoint"],
  ["rt", "rawtracepoint"],
]);

/**
 * Every probe point of the workload, as bpftrace -l prints them (`uprobe:PATH:FUNC`).
 * A pattern with three parts (`uprobe:libc:mall*`, `ur:shopd:*`) is read like an attach
 * point: the provider may be abbreviated and the target resolves as a probe's would (a
 * library name, a relative path); anything else is a glob over the whole printed name.
 */
export function runList(
  pattern: string | undefined,
  opts: ListOptions,
  io: CliIo = processIo,
): Promise<void> {
  return guarded(() => {
    io.stdout.write(listing(workload(opts.workload, opts.set, 1, 1), pattern, opts.verbose === true));
  }, io);
}

/** What `list PATTERN` prints: the workload's probe points, then the model kernel's. */
export function listing(w: Workload, pattern: string | undefined, verbose: boolean): string {
  const user = probeNames(w, pattern)
    .map((n) => `${n}\n`)
    .join("");
  return user + kernelProbeLines(pattern, verbose).join("");
}

/**
 * The probe names `pattern` selects, as bpftrace -l orders them: grouped by probe type
 * (uprobe before uretprobe) and sorted within a group (bpftrace collects matches in a set).
 */
export function probeNames(w: Workload, pattern: string | undefined): string[] {
  const parts = pattern?.split(":") ?? [];
  const structured = parts.length === 3;
  const provider = structured ? (ALIASES.get(parts[0]) ?? parts[0]) : "*";
  const targets: Set<Binary> | null = structured
    ? new Set(resolveTarget(w.binaries, w.process.cwd, parts[1]))
    : null;
  const names: string[] = [];
  for (const kind of KINDS) {
    if (!globMatch(provider, kind)) continue;
    const group: string[] = [];
    for (const { binary, symbol } of listSymbols(w.binaries)) {
      if (targets !== null && !targets.has(binary)) continue;
      if (structured && !globMatch(parts[2], symbol.name)) continue;
      const shown = structured ? shownTarget(parts[1], binary, w.process.cwd) : binary.path;
      const name = `${kind}:${shown}:${symbol.name}`;
      if (structured || pattern === undefined || globMatch(pattern, name)) group.push(name);
    }
    names.push(...new Set(group.sort()));
  }
  names.push(...usdtNames(w, pattern));
  return names;
}

/**
 * The USDT sites `pattern` selects: `usdt:TARGET:PROVIDER:NAME` with its parts globbed (in
 * `usdt:TARGET:*` the last part covers PROVIDER:NAME), or a glob over the whole name. As
 * bpftrace does, a target written without a wildcard is printed as written.
 */
function usdtNames(w: Workload, pattern: string | undefined): string[] {
  const parts = pattern?.split(":") ?? [];
  const structured = (parts.length === 3 || parts.length === 4) && globMatch(parts[0]!, "usdt");
  const anyTarget = !structured || parts[1] === "*" || parts[1] === "";
  const binaries = anyTarget ? processBinaries(w) : resolveTarget(w.binaries, w.process.cwd, parts[1]!);
  const group: string[] = [];
  for (const binary of binaries) {
    const shown = structured && parts[1] !== "" ? shownTarget(parts[1]!, binary, w.process.cwd) : binary.path;
    for (const note of binary.usdt) {
      const site = `${note.provider}:${note.name}`;
      const name = `usdt:${shown}:${site}`;
      if (structured) {
        const matches =
          parts.length === 3
            ? globMatch(parts[2]!, site) || globMatch(parts[2]!, note.name)
            : globMatch(parts[2]! || "*", note.provider) && globMatch(parts[3]! || "*", note.name);
        if (matches) group.push(name);
      } else if (pattern === undefined || globMatch(pattern, name)) group.push(name);
    }
  }
  return [...new Set(group.sort())];
}

/** Every probe `pattern` selects, user probes first, by name only (what `-l` prints for an attach point). */
export function matchingProbes(w: Workload, pattern: string): string[] {
  return [...probeNames(w, pattern), ...kernelProbeLines(pattern, false).map((line) => line.trimEnd())];
}

/** The model kernel's probes `pattern` selects (a glob over the full name; `k:`/`t:` aliases expand). */
function kernelProbeLines(pattern: string | undefined, verbose: boolean): string[] {
  const parts = pattern?.split(":") ?? [];
  const full =
    pattern === undefined ? "*" : [ALIASES.get(parts[0]!) ?? parts[0], ...parts.slice(1)].join(":");
  const lines: string[] = [];
  for (const p of kernelProbeListing()) {
    if (!globMatch(full, p.name)) continue;
    lines.push(`${p.name}\n`);
    if (verbose) for (const f of p.fields) lines.push(`    ${f}\n`);
  }
  return lines;
}

export function runWorkloads(io: CliIo = processIo): Promise<void> {
  return guarded(() => {
    const list = listWorkloads();
    const width = Math.max(...list.map((w) => w.name.length));
    for (const w of list) io.stdout.write(`${w.name.padEnd(width)}  ${w.description}\n`);
  }, io);
}

/** Steps of each thread `workloads show` prints before "...". */
const SHOWN_STEPS = 6;

/**
 * `probelab workloads show NAME`: what a workload offers a script. Its parameters, every
 * binary with its functions (file offset and size, as `uprobe:BIN:FUNC` and offsets name
 * them), and each thread with its first steps.
 */
export function runWorkloadShow(name: string, opts: ListOptions, io: CliIo = processIo): Promise<void> {
  return guarded(() => {
    // As `run` would load it: its default 4 CPUs and seed 1.
    const w = workload(name, opts.set, 4, 1);
    const out: string[] = [`${w.name}: ${w.description}`, `source: ${w.source}`, "", "parameters:"];
    const params = Object.entries(w.params);
    for (const [key, value] of params) out.push(`  ${key} = ${value}`);
    for (const b of w.binaries) {
      out.push("", `binary ${b.path} (${b.symbols.length} functions)`);
      for (const sym of b.symbols) {
        out.push(
          `  0x${sym.offset.toString(16).padStart(6, "0")}  ${String(sym.size).padStart(5)}  ${sym.name}`,
        );
      }
    }
    out.push("", `process ${w.process.comm}: ${w.process.threads.length} threads, cwd ${w.process.cwd}`);
    w.process.threads.forEach((t, i) => {
      const pin = t.pinCpu >= 0 ? `, pinned to CPU ${t.pinCpu}` : "";
      out.push(`  thread ${i} ${t.comm}${pin}`);
      const steps = describeThread(w, i, SHOWN_STEPS + 1);
      for (const step of steps.slice(0, SHOWN_STEPS)) out.push(`    ${step}`);
      if (steps.length > SHOWN_STEPS) out.push("    ...");
    });
    io.stdout.write(`${out.join("\n")}\n`);
  }, io);
}
