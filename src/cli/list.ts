/** `probelab list` and `probelab workloads`. */
import {
  type Binary,
  globMatch,
  listSymbols,
  listWorkloads,
  resolveTarget,
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
    const w = workload(opts.workload, opts.set, 1, 1);
    io.stdout.write(
      probeNames(w, pattern)
        .map((n) => `${n}\n`)
        .join(""),
    );
    io.stdout.write(kernelProbeLines(pattern, opts.verbose === true).join(""));
  }, io);
}

/** The probe names `pattern` selects, in binary and symbol order, uprobe before uretprobe. */
export function probeNames(w: Workload, pattern: string | undefined): string[] {
  const parts = pattern?.split(":") ?? [];
  const structured = parts.length === 3;
  const provider = structured ? (ALIASES.get(parts[0]) ?? parts[0]) : "*";
  const targets: Set<Binary> | null = structured
    ? new Set(resolveTarget(w.binaries, w.process.cwd, parts[1]))
    : null;
  const names: string[] = [];
  for (const { binary, symbol } of listSymbols(w.binaries)) {
    if (targets !== null && !targets.has(binary)) continue;
    if (structured && !globMatch(parts[2], symbol.name)) continue;
    for (const kind of KINDS) {
      if (!globMatch(provider, kind)) continue;
      const name = `${kind}:${binary.path}:${symbol.name}`;
      if (structured || pattern === undefined || globMatch(pattern, name)) names.push(name);
    }
  }
  return names;
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
