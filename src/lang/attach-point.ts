/**
 * Attach points are raw text to the lexer. Here they are split the way bpftrace's
 * AttachPointParser does: `$N` replaced by positional parameters, a `name=` prefix taken off,
 * the rest split on `:` outside double quotes, the provider normalised, and the parts checked
 * against what each provider takes.
 */
import type { AttachPoint, Span } from "./ast.js";
import type { DiagnosticSink } from "./diagnostics.js";
import { parseIntLiteral } from "./literals.js";
import { own } from "./own.js";

/** Full provider names, matched case-insensitively. */
const FULL_NAMES = [
  "begin",
  "end",
  "uprobe",
  "uretprobe",
  "interval",
  "profile",
  "kprobe",
  "kretprobe",
  "tracepoint",
  "rawtracepoint",
  "fentry",
  "fexit",
  "kfunc",
  "kretfunc",
  "usdt",
  "software",
  "hardware",
  "watchpoint",
  "asyncwatchpoint",
  "iter",
  "self",
  "test",
  "bench",
];

/** Short aliases, matched exactly (`u` is uprobe but `U` is usdt). */
const ALIASES: Record<string, string> = {
  u: "uprobe",
  ur: "uretprobe",
  i: "interval",
  p: "profile",
  k: "kprobe",
  kr: "kretprobe",
  t: "tracepoint",
  rt: "rawtracepoint",
  f: "fentry",
  fr: "fexit",
  U: "usdt",
  s: "software",
  h: "hardware",
  w: "watchpoint",
  aw: "asyncwatchpoint",
  it: "iter",
};

const INTERVAL_UNIT_NS: Record<string, number> = { s: 1e9, ms: 1e6, us: 1e3 };
const MIN_INTERVAL_NS = 1000;

/** Replaces `$N` with the N-th positional argument; reports a missing one. */
function substitutePositionals(raw: string, args: string[], span: Span, sink: DiagnosticSink): string {
  return raw.replace(/\$([0-9]+)/g, (_m, digits: string) => {
    const n = Number(digits);
    if (n === 0 || n > args.length) {
      sink.error(`attach point uses positional parameter $${digits}, which was not provided`, span);
      return "";
    }
    return args[n - 1]!;
  });
}

/** Splits on `:` outside double quotes; quotes are removed, `\` escapes the next char inside them. */
export function splitAttachPoint(text: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === "\\" && i + 1 < text.length) {
      current += text[++i];
    } else if (c === '"') {
      quoted = !quoted;
    } else if (c === ":" && !quoted) {
      parts.push(current);
      current = "";
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}

export function normaliseProvider(name: string): string {
  const alias = own(ALIASES, name);
  if (alias !== undefined) return alias;
  const lower = name.toLowerCase();
  return FULL_NAMES.includes(lower) ? lower : name;
}

/** Parses one attach point's text (as lexed) into an AttachPoint, reporting what is wrong. */
export function parseAttachPoint(
  rawText: string,
  span: Span,
  args: string[],
  sink: DiagnosticSink,
): AttachPoint {
  let text = substitutePositionals(rawText, args, span, sink);
  let label: string | undefined;
  const eq = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(text);
  if (eq) {
    label = eq[1];
    text = text.slice(eq[0].length);
  }
  const [first = "", ...rest] = splitAttachPoint(text);
  const provider = normaliseProvider(first);
  const ap: AttachPoint = { kind: "attachPoint", provider, raw: text, parts: rest, canonical: text, span };
  if (label !== undefined) ap.label = label;
  switch (provider) {
    case "begin":
    case "end":
      checkSpecial(ap, rest, sink);
      break;
    case "uprobe":
    case "uretprobe":
      checkUprobe(ap, rest, sink);
      break;
    case "interval":
    case "profile":
      checkInterval(ap, rest, sink);
      break;
    case "kfunc":
    case "kretfunc":
      ap.provider = provider === "kfunc" ? "fentry" : "fexit";
      checkKernelFunction(ap, rest, sink);
      break;
    case "kprobe":
    case "kretprobe":
    case "fentry":
    case "fexit":
      checkKernelFunction(ap, rest, sink);
      break;
    case "tracepoint":
      checkTracepoint(ap, rest, sink);
      break;
    case "rawtracepoint":
      checkRawTracepoint(ap, rest, sink);
      break;
    case "software":
      checkSoftware(ap, rest, sink);
      break;
    case "hardware":
      // perf's hardware events count what a real CPU's PMU sees; the simulated CPUs have none.
      sink.error(
        "hardware probes are not supported by probelab: the model has no hardware counters (software:cpu-clock and software:context-switches are the events it counts)",
        ap.span,
      );
      break;
    case "usdt":
      checkUsdt(ap, rest, sink);
      break;
    default:
      reportUnsupported(ap, first, sink);
  }
  return ap;
}

function checkSpecial(ap: AttachPoint, rest: string[], sink: DiagnosticSink): void {
  ap.canonical = ap.provider;
  if (rest.length === 0 || (rest.length === 1 && rest[0] === "*")) return;
  sink.error(`${ap.provider} probe type requires 0 arguments, found ${rest.length}`, ap.span);
}

function checkUprobe(ap: AttachPoint, rest: string[], sink: DiagnosticSink): void {
  if (ap.raw.includes("@")) {
    sink.error("source-location uprobes (TARGET@FILE:LINE) are not supported by probelab", ap.span);
    return;
  }
  if (rest.length !== 2 && rest.length !== 3) {
    sink.error(`${ap.provider} probe type requires 2 or 3 arguments, found ${rest.length}`, ap.span);
    return;
  }
  if (rest.length === 3) {
    sink.error(
      `language-specific uprobes (${ap.provider}:TARGET:${rest[1]}:FUNC) are not supported by probelab`,
      ap.span,
    );
    return;
  }
  const [target, funcPart] = rest as [string, string];
  if (target === "") sink.error(`${ap.provider} target is empty`, ap.span);
  if (funcPart === "") sink.error(`${ap.provider} function is empty`, ap.span);
  ap.target = target;
  ap.canonical = `${ap.provider}:${target}:${funcPart}`;
  const plus = funcPart.lastIndexOf("+");
  if (plus > 0) {
    if (ap.provider === "uretprobe") {
      sink.error("Offset not allowed", ap.span);
      return;
    }
    const offset = parseIntLiteral(funcPart.slice(plus + 1));
    if (!offset.ok) {
      sink.error(`invalid offset in attach point: ${funcPart.slice(plus + 1)}`, ap.span);
      return;
    }
    ap.func = funcPart.slice(0, plus);
    ap.offset = offset.value;
    return;
  }
  if (/^[0-9]/.test(funcPart)) {
    const address = parseIntLiteral(funcPart);
    if (!address.ok) {
      sink.error(`invalid address in attach point: ${funcPart}`, ap.span);
      return;
    }
    if (target.includes("*")) sink.error("Cannot use wildcards with an address attach point", ap.span);
    ap.address = address.value;
    return;
  }
  ap.func = funcPart;
}

/**
 * `usdt:TARGET:PROVIDER:NAME` or `usdt:TARGET:NAME` (any provider). An empty or `*` TARGET
 * is every binary of the traced process (bpftrace's `usdt::PROVIDER:NAME` with `-p`), and
 * `usdt:*` alone is every site. An empty provider or name matches any.
 */
function checkUsdt(ap: AttachPoint, rest: string[], sink: DiagnosticSink): void {
  if (rest.length < 1 || rest.length > 3) {
    sink.error(
      `usdt probe type requires 1 to 3 arguments (TARGET:[PROVIDER:]NAME), found ${rest.length}`,
      ap.span,
    );
    return;
  }
  if (ap.raw.includes("@")) {
    sink.error("usdt probes take TARGET:[PROVIDER:]NAME, not a source location", ap.span);
    return;
  }
  const target = rest.length === 1 ? "*" : rest[0]!;
  const provider = rest.length === 3 ? rest[1]! : "";
  const name = rest.length === 1 ? rest[0]! : rest[rest.length - 1]!;
  ap.target = target === "" ? "*" : target;
  ap.usdtProvider = provider === "" ? "*" : provider;
  ap.func = name === "" ? "*" : name;
  ap.canonical = `usdt:${ap.target}:${ap.usdtProvider}:${ap.func}`;
}

/**
 * `kprobe:FUNC`, `kretprobe:FUNC`, `fentry:FUNC`, `fexit:FUNC`, each also with a module
 * (`kprobe:vmlinux:FUNC`): the model's kernel is one image, vmlinux.
 */
function checkKernelFunction(ap: AttachPoint, rest: string[], sink: DiagnosticSink): void {
  if (rest.length === 2 && rest[0] !== "vmlinux" && !rest[0]!.includes("*")) {
    sink.error(
      `${ap.provider}: module '${rest[0]}' does not exist (the model's kernel has only vmlinux)`,
      ap.span,
    );
    return;
  }
  if (rest.length !== 1 && rest.length !== 2) {
    sink.error(`${ap.provider} probe type requires 1 or 2 arguments, found ${rest.length}`, ap.span);
    return;
  }
  const func = rest[rest.length - 1]!;
  if (func === "") {
    sink.error(`${ap.provider} function is empty`, ap.span);
    return;
  }
  if (func.includes("+") || /^[0-9]/.test(func)) {
    sink.error(
      `${ap.provider}: offsets and addresses are not supported by probelab (probe a function by name)`,
      ap.span,
    );
    return;
  }
  ap.func = func;
  ap.canonical = `${ap.provider}:${func}`;
}

/** `tracepoint:CATEGORY:NAME`. */
function checkTracepoint(ap: AttachPoint, rest: string[], sink: DiagnosticSink): void {
  if (rest.length !== 2 || rest[0] === "" || rest[1] === "") {
    sink.error(`tracepoint probe type requires 2 arguments (category:name), found ${rest.length}`, ap.span);
    return;
  }
  ap.target = rest[0];
  ap.func = rest[1];
  ap.canonical = `tracepoint:${rest[0]}:${rest[1]}`;
}

/**
 * `rawtracepoint:NAME` or `rawtracepoint:MODULE:NAME`: `func` is the event, `target` the
 * module when one is given (it may be a wildcard; resolution matches it against vmlinux).
 */
function checkRawTracepoint(ap: AttachPoint, rest: string[], sink: DiagnosticSink): void {
  if ((rest.length !== 1 && rest.length !== 2) || rest.some((p) => p === "")) {
    sink.error(
      `rawtracepoint probe type requires 1 or 2 arguments ([module:]event), found ${rest.length}`,
      ap.span,
    );
    return;
  }
  ap.func = rest[rest.length - 1];
  if (rest.length === 2) ap.target = rest[0];
  ap.canonical = `rawtracepoint:${rest.join(":")}`;
}

/**
 * perf's software events as bpftrace names them (`cs` is `context-switches`), with the count
 * between two firings when the probe gives none.
 */
const SOFTWARE_EVENTS = new Map<string, { name: string; count: number }>();
for (const [name, alias, count] of [
  ["alignment-faults", "", 1],
  ["bpf-output", "", 1],
  ["context-switches", "cs", 1000],
  ["cpu-clock", "cpu", 1000000],
  ["cpu-migrations", "", 1],
  ["dummy", "", 1],
  ["emulation-faults", "", 1],
  ["major-faults", "", 1],
  ["minor-faults", "", 100],
  ["page-faults", "faults", 100],
  ["task-clock", "", 1],
] as const) {
  SOFTWARE_EVENTS.set(name, { name, count });
  if (alias !== "") SOFTWARE_EVENTS.set(alias, { name, count });
}

/**
 * `software:EVENT:COUNT` (or `software:EVENT:`): `target` is the event's full name and
 * `func` the count, as text; cpu-clock's count is nanoseconds, so it is its period too.
 */
function checkSoftware(ap: AttachPoint, rest: string[], sink: DiagnosticSink): void {
  if (rest.length < 1 || rest.length > 2) {
    sink.error(`software probe type requires 1 or 2 arguments (event:count), found ${rest.length}`, ap.span);
    return;
  }
  const event = SOFTWARE_EVENTS.get(rest[0]!);
  if (event === undefined) {
    sink.error(`software: unknown event '${rest[0]}' (${[...SOFTWARE_EVENTS.keys()].join(", ")})`, ap.span);
    return;
  }
  let count = event.count;
  if (rest.length === 2 && rest[1] !== "") {
    const value = parseIntLiteral(rest[1]!);
    if (!value.ok || value.value <= 0n || value.value > BigInt(Number.MAX_SAFE_INTEGER)) {
      sink.error(`software: invalid count '${rest[1]}'`, ap.span);
      return;
    }
    count = Number(value.value);
  }
  ap.target = event.name;
  ap.func = String(count);
  ap.canonical = `software:${event.name}:${count}`;
  if (event.name === "cpu-clock") ap.intervalNs = Math.max(count, MIN_INTERVAL_NS);
}

/** `interval:UNIT:N`, `interval:DURATION`, `interval:NANOSECONDS` (and `profile:` alike). */
function checkInterval(ap: AttachPoint, rest: string[], sink: DiagnosticSink): void {
  let ns: number;
  if (rest.length === 2) {
    const [unit, count] = rest as [string, string];
    const value = parseIntLiteral(count);
    if (!value.ok || value.value === 0n) {
      sink.error(`${ap.provider}: invalid count '${count}'`, ap.span);
      return;
    }
    if (unit === "hz") {
      ns = Math.floor(1e9 / Number(value.value));
    } else if (own(INTERVAL_UNIT_NS, unit) !== undefined) {
      ns = Number(value.value) * own(INTERVAL_UNIT_NS, unit)!;
    } else {
      sink.error(`${ap.provider}: invalid unit '${unit}' (expected s, ms, us or hz)`, ap.span);
      return;
    }
    ap.canonical = `${ap.provider}:${unit}:${count}`;
  } else if (rest.length === 1) {
    const value = parseIntLiteral(rest[0]!);
    if (!value.ok) {
      sink.error(`${ap.provider}: invalid duration '${rest[0]}'`, ap.span);
      return;
    }
    ns = Number(value.value);
    ap.canonical = `${ap.provider}:us:${Math.floor(ns / 1000)}`;
  } else {
    sink.error(`${ap.provider} probe type requires 1 or 2 arguments, found ${rest.length}`, ap.span);
    return;
  }
  if (ns < MIN_INTERVAL_NS) {
    sink.error(`${ap.provider} is too short: ${ns} ns (minimum ${MIN_INTERVAL_NS} ns)`, ap.span);
    return;
  }
  ap.intervalNs = ns;
}

function reportUnsupported(ap: AttachPoint, written: string, sink: DiagnosticSink): void {
  if (FULL_NAMES.includes(ap.provider)) {
    sink.error(
      `${ap.provider} probes are not supported by probelab (supported: uprobe, uretprobe, usdt, kprobe, kretprobe, fentry, fexit, tracepoint, rawtracepoint, software, profile, begin, end, interval)`,
      ap.span,
    );
    return;
  }
  sink.error(`Invalid provider: '${written}'`, ap.span);
}
