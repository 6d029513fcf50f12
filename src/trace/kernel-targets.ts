/**
 * What the model's kernel offers to attach to, seen from the script: kernel functions
 * matched by name or wildcard (kprobe, kretprobe, fentry, fexit), and the fields `args` has
 * at each attach point.
 */
import "../kernel/kprobes/kprobes.js"; // every traceable function is declared once this is loaded
import { type Tracepoint, tracepoints } from "../kernel/tracepoints.js";
import type { AttachPoint, Diagnostic, ProbeArgField } from "../lang/index.js";
import { editDistance } from "../lang/index.js";
import { globError, globMatch, hasWildcard } from "../process/index.js";
import { type TraceableFunction, traceableByName, traceableFunctions } from "../sim/ftrace.js";

export interface KernelResolution {
  functions: TraceableFunction[];
  diagnostics: Diagnostic[];
}

/** The traceable functions an attach point's function pattern names. */
export function resolveKernelFunctions(
  ap: AttachPoint,
  missing: "error" | "warn" | "ignore",
): KernelResolution {
  const pattern = ap.func ?? "";
  const diagnostics: Diagnostic[] = [];
  const bad = globError(pattern);
  if (bad !== null) {
    diagnostics.push({ severity: "error", message: bad, span: ap.span, hints: [] });
    return { functions: [], diagnostics };
  }
  const functions = matchKernelFunctions(pattern);
  if (functions.length === 0 && missing !== "ignore") {
    const what = `${ap.provider} ${pattern}`;
    diagnostics.push({
      severity: missing === "error" ? "error" : "warning",
      message: missing === "error" ? `No matches for ${what}.` : `No matches for ${what}. Skipping.`,
      span: ap.span,
      hints: hasWildcard(pattern) ? [] : nearFunctions(pattern),
    });
  }
  return { functions, diagnostics };
}

/** Traceable functions matching a glob, in name order. */
export function matchKernelFunctions(pattern: string): TraceableFunction[] {
  return traceableFunctions()
    .filter((f) => globMatch(pattern, f.name))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function nearFunctions(name: string): string[] {
  return traceableFunctions()
    .map((f) => ({ n: f.name, d: editDistance(f.name, name) }))
    .filter((x) => x.d <= Math.max(2, Math.floor(name.length / 3)))
    .sort((a, b) => a.d - b.d || (a.n < b.n ? -1 : 1))
    .slice(0, 3)
    .map((x) => `did you mean '${x.n}'?`);
}

export interface TracepointResolution {
  tracepoints: Tracepoint[];
  diagnostics: Diagnostic[];
}

/** The tracepoints `tracepoint:CATEGORY:NAME` names (either part may be a wildcard). */
export function resolveTracepoints(
  ap: AttachPoint,
  missing: "error" | "warn" | "ignore",
): TracepointResolution {
  const category = ap.target ?? "";
  const name = ap.func ?? "";
  return resolveEvents(ap, missing, [category, name], `tracepoint ${category}:${name}`, () =>
    matchTracepoints(category, name),
  );
}

/**
 * The raw tracepoints `rawtracepoint[:MODULE]:NAME` names: the events with a TP_PROTO, all
 * in vmlinux (either part may be a wildcard).
 */
export function resolveRawTracepoints(
  ap: AttachPoint,
  missing: "error" | "warn" | "ignore",
): TracepointResolution {
  const module = ap.target ?? "*";
  const name = ap.func ?? "";
  const what = `rawtracepoint ${ap.target === undefined ? "" : `${module}:`}${name}`;
  return resolveEvents(ap, missing, [module, name], what, () => matchRawTracepoints(module, name));
}

/** Checks the globs, finds the events, and reports none found as `missing` says. */
function resolveEvents(
  ap: AttachPoint,
  missing: "error" | "warn" | "ignore",
  globs: readonly string[],
  what: string,
  find: () => Tracepoint[],
): TracepointResolution {
  const diagnostics: Diagnostic[] = [];
  const bad = globs.map(globError).find((e) => e !== null) ?? null;
  if (bad !== null) {
    diagnostics.push({ severity: "error", message: bad, span: ap.span, hints: [] });
    return { tracepoints: [], diagnostics };
  }
  const found = find();
  if (found.length === 0 && missing !== "ignore") {
    diagnostics.push({
      severity: missing === "error" ? "error" : "warning",
      message: missing === "error" ? `No matches for ${what}.` : `No matches for ${what}. Skipping.`,
      span: ap.span,
      hints: [],
    });
  }
  return { tracepoints: found, diagnostics };
}

/** Raw tracepoints matching a module glob (the model's kernel has only vmlinux) and a name glob. */
export function matchRawTracepoints(module: string, name: string): Tracepoint[] {
  if (!globMatch(module, "vmlinux")) return [];
  return tracepoints().filter((tp) => tp.raw !== undefined && globMatch(name, tp.name));
}

export function matchTracepoints(category: string, name: string): Tracepoint[] {
  return tracepoints().filter((tp) => globMatch(category, tp.category) && globMatch(name, tp.name));
}

/**
 * The fields of `args` at an attach point: a tracepoint's fields, or a function's arguments
 * for fentry/fexit (with a wildcard, those of the first match), null elsewhere.
 */
export function probeArgFields(ap: AttachPoint): readonly ProbeArgField[] | null {
  if (ap.provider === "tracepoint") {
    const found = matchTracepoints(ap.target ?? "", ap.func ?? "");
    return found.length === 0 ? null : commonFields(found.map(tracepointFields));
  }
  if (ap.provider === "rawtracepoint") {
    const tp = matchRawTracepoints(ap.target ?? "*", ap.func ?? "")[0];
    return tp === undefined ? null : rawTracepointFields(tp);
  }
  if (ap.provider !== "fentry" && ap.provider !== "fexit") return null;
  const pattern = ap.func ?? "";
  const fn = hasWildcard(pattern) ? matchKernelFunctions(pattern)[0] : traceableByName(pattern);
  if (fn === undefined) return null;
  return fn.args.map((a) => ({ name: a.name, type: "int" as const }));
}

/** A raw tracepoint's TP_PROTO arguments: a task pointer is typed, so `args.next->pid` reads the task. */
function rawTracepointFields(tp: Tracepoint): ProbeArgField[] {
  return tp.raw!.map((a) =>
    a.kind === "task"
      ? { name: a.name, type: "int", ctype: "struct task_struct *" }
      : { name: a.name, type: "int" },
  );
}

function tracepointFields(tp: Tracepoint): ProbeArgField[] {
  return tp.fields.map((f) =>
    f.decl.startsWith("const char *")
      ? { name: f.name, type: f.kind, userPointer: true }
      : { name: f.name, type: f.kind },
  );
}

/**
 * The fields every one of several tracepoints has (same name and kind), in the first's order:
 * what `args` offers a probe on all of them, as `sys_enter_exec*` has `argv` though execve and
 * execveat differ in their other fields.
 */
export function commonFields(lists: readonly (readonly ProbeArgField[])[]): ProbeArgField[] {
  const [first, ...rest] = lists;
  if (first === undefined) return [];
  return first.filter((f) => rest.every((l) => l.some((g) => g.name === f.name && g.type === f.type)));
}

/**
 * The names of `args`'s fields for a tracepoint probe with these attach points (what the
 * checker typed `args` as): the fields they all have.
 */
export function tracepointArgNames(aps: readonly AttachPoint[]): string[] {
  const lists = aps.map(probeArgFields).filter((l) => l !== null);
  return commonFields(lists).map((f) => f.name);
}

/** One line of `probelab list`: a kernel probe's name and, for -v, its fields. */
export interface KernelProbeListing {
  name: string;
  fields: string[];
}

/**
 * Every probe the model's kernel offers, as bpftrace -l names them: kprobe and kretprobe per
 * traceable function, fentry and fexit with the vmlinux module (their -v fields are the
 * arguments and, for fexit, retval), then the tracepoints with their fields and the raw
 * tracepoints with their TP_PROTO arguments.
 */
export function kernelProbeListing(): KernelProbeListing[] {
  const out: KernelProbeListing[] = [];
  const fns = matchKernelFunctions("*");
  const args = (f: TraceableFunction) => f.args.map((a) => `${a.type} ${a.name}`);
  for (const f of fns) out.push({ name: `kprobe:${f.name}`, fields: [] });
  for (const f of fns) out.push({ name: `kretprobe:${f.name}`, fields: [] });
  for (const f of fns) out.push({ name: `fentry:vmlinux:${f.name}`, fields: args(f) });
  for (const f of fns) {
    const ret = f.ret === "void" ? [] : [`${f.ret} retval`];
    out.push({ name: `fexit:vmlinux:${f.name}`, fields: [...args(f), ...ret] });
  }
  for (const tp of tracepoints())
    out.push({ name: `tracepoint:${tp.category}:${tp.name}`, fields: tp.fields.map((x) => x.decl) });
  const raw = tracepoints()
    .filter((tp) => tp.raw !== undefined)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const tp of raw)
    out.push({ name: `rawtracepoint:vmlinux:${tp.name}`, fields: tp.raw!.map((a) => a.decl) });
  return out;
}
