/**
 * Recorded function-call traces as workloads. A trace is Chrome trace-event JSON, as
 * `uftrace dump --chrome` writes it: `B` (begin) and `E` (end) events with a `tid`, a `ts` in
 * microseconds and the function's `name` (`X` events, with a `dur`, are a begin and end in
 * one). Each thread of the trace becomes a thread of the workload that makes the same calls
 * with the same nesting and timings:
 * - time inside a function before, between and after its children is `work` (on-CPU);
 * - time between a thread's outermost calls is `sleep` (the thread was elsewhere: blocked,
 *   or in code the trace did not record);
 * - a thread starts as long after the first event of the trace as its own first event did.
 *
 * `probelab workload from-trace FILE` writes a workload whose binary lists the functions and
 * whose threads say `replay: {trace: FILE, tid: N}`; loading it reads the trace and builds the
 * steps in memory, so a trace of millions of events needs no YAML of that size.
 */
import { readFileSync } from "node:fs";
import { basename, extname, resolve } from "node:path";
import type { Where } from "./errors.js";
import { type StepSpec, SYMBOL_NAME, TASK_COMM_LEN } from "./schema.js";

export class TraceError extends Error {
  override name = "TraceError";
}

/** One call as recorded: when it began and ended (ns from the trace's start), and its callees. */
interface CallNode {
  fn: string;
  start: number;
  end: number;
  children: CallNode[];
}

export interface TraceThread {
  tid: number;
  /** From a `thread_name` metadata event, else undefined. */
  name: string | undefined;
  /** The outermost calls, in order. */
  calls: CallNode[];
}

export interface ParsedTrace {
  threads: TraceThread[];
  /** Every function name, as it will be spelled in the workload, in order of first appearance. */
  functions: string[];
  /** From a `process_name` metadata event, else undefined. */
  processName: string | undefined;
  events: number;
  notes: string[];
}

interface RawEvent {
  ph?: unknown;
  name?: unknown;
  tid?: unknown;
  ts?: unknown;
  dur?: unknown;
  args?: { name?: unknown } | null;
}

/** Traces bigger than this are not something a simulated run replays usefully. */
const MAX_TRACE_BYTES = 512 * 1024 * 1024;
const MAX_DEPTH = 2000;

const traceCache = new Map<string, ParsedTrace>();

/** Reads a trace file once per path (a workload names it once per thread). */
export function readTraceFile(path: string): ParsedTrace {
  const full = resolve(path);
  let parsed = traceCache.get(full);
  if (parsed === undefined) {
    parsed = parseTrace(readText(full), path);
    traceCache.clear();
    traceCache.set(full, parsed);
  }
  return parsed;
}

function readText(path: string): string {
  try {
    const text = readFileSync(path);
    if (text.length > MAX_TRACE_BYTES)
      throw new TraceError(`${path}: ${text.length} bytes is more than probelab replays`);
    return text.toString("utf8");
  } catch (err) {
    if (err instanceof TraceError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : (code ?? String(err));
    throw new TraceError(`cannot read trace "${path}": ${why}`);
  }
}

/** Parses trace-event JSON (an array of events, or an object with `traceEvents`). */
export function parseTrace(text: string, what: string): ParsedTrace {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new TraceError(`${what}: not JSON: ${(err as Error).message}`);
  }
  const events = Array.isArray(doc) ? doc : (doc as { traceEvents?: unknown } | null)?.traceEvents;
  if (!Array.isArray(events)) {
    throw new TraceError(`${what}: expected trace-event JSON: a list of events or {"traceEvents": [...]}`);
  }
  return new TraceBuilder(what).build(events as RawEvent[]);
}

class TraceBuilder {
  private readonly stacks = new Map<number, CallNode[]>();
  private readonly threads = new Map<number, TraceThread>();
  private readonly names = new Map<string, string>();
  private readonly taken = new Set<string>();
  private processName: string | undefined;
  private renamed = 0;
  private t0 = Number.POSITIVE_INFINITY;

  constructor(private readonly what: string) {}

  build(events: RawEvent[]): ParsedTrace {
    for (const e of events) {
      if (typeof e?.ts === "number" && Number.isFinite(e.ts) && e.ts < this.t0) this.t0 = e.ts;
    }
    for (let i = 0; i < events.length; i++) this.event(events[i]!, i);
    const notes: string[] = [];
    for (const [tid, stack] of this.stacks) {
      if (stack.length === 0) continue;
      notes.push(`thread ${tid}: ${stack.length} call(s) never ended; they end at the thread's last event`);
      const last = this.lastTime(tid);
      for (const node of stack) node.end = Math.max(node.start, last);
    }
    if (this.renamed > 0)
      notes.push(`${this.renamed} function name(s) respelled as symbol names (e.g. :: became __)`);
    const threads = [...this.threads.values()]
      .filter((t) => t.calls.length > 0)
      .sort((a, b) => a.tid - b.tid);
    if (threads.length === 0) throw new TraceError(`${this.what}: no B/E or X events: nothing to replay`);
    return {
      threads,
      functions: [...this.names.values()],
      processName: this.processName,
      events: events.length,
      notes,
    };
  }

  private event(e: RawEvent, i: number): void {
    if (e === null || typeof e !== "object") this.fail(i, "an event must be an object");
    const ph = e.ph;
    if (ph === "M") {
      this.metadata(e);
      return;
    }
    if (ph !== "B" && ph !== "E" && ph !== "X") return;
    const tid = e.tid;
    if (typeof tid !== "number" || !Number.isSafeInteger(tid)) this.fail(i, `"tid" must be an integer`);
    if (typeof e.ts !== "number" || !Number.isFinite(e.ts))
      this.fail(i, `"ts" must be a number (microseconds)`);
    const at = Math.round((e.ts - this.t0) * 1000);
    const stack = this.stackOf(tid);
    if (ph === "E") {
      const node = stack.pop();
      if (node === undefined) this.fail(i, `an "E" event on thread ${tid} with no call open`);
      if (at < node.start) this.fail(i, `an "E" event on thread ${tid} before its "B" (ts goes backwards)`);
      node.end = at;
      return;
    }
    if (typeof e.name !== "string" || e.name === "") this.fail(i, `a "${ph}" event needs a "name"`);
    const node: CallNode = { fn: this.symbol(e.name), start: at, end: at, children: [] };
    const parent = stack[stack.length - 1];
    if (parent !== undefined && at < parent.start) this.fail(i, `thread ${tid}: ts goes backwards`);
    (parent === undefined ? this.threads.get(tid)!.calls : parent.children).push(node);
    if (ph === "X") {
      if (typeof e.dur !== "number" || !(e.dur >= 0)) this.fail(i, `an "X" event needs a "dur" of 0 or more`);
      node.end = at + Math.round(e.dur * 1000);
      return;
    }
    if (stack.length >= MAX_DEPTH) this.fail(i, `thread ${tid}: calls nested more than ${MAX_DEPTH} deep`);
    stack.push(node);
  }

  private metadata(e: RawEvent): void {
    const name = e.args?.name;
    if (typeof name !== "string") return;
    if (e.name === "process_name") this.processName = name;
    if (e.name === "thread_name" && typeof e.tid === "number") {
      this.stackOf(e.tid);
      this.threads.get(e.tid)!.name = name;
    }
  }

  private stackOf(tid: number): CallNode[] {
    let stack = this.stacks.get(tid);
    if (stack === undefined) {
      stack = [];
      this.stacks.set(tid, stack);
      this.threads.set(tid, { tid, name: undefined, calls: [] });
    }
    return stack;
  }

  /** The name as a workload symbol: `std::vector<int>::push_back` becomes a valid, unique name. */
  private symbol(name: string): string {
    let spelled = this.names.get(name);
    if (spelled !== undefined) return spelled;
    spelled = name;
    if (!SYMBOL_NAME.test(name)) {
      this.renamed++;
      spelled = name.replace(/::/g, "__").replace(/[^A-Za-z0-9_.$@]/g, "_");
      if (!/^[A-Za-z_.$]/.test(spelled)) spelled = `_${spelled}`;
      const base = spelled;
      for (let n = 2; this.taken.has(spelled); n++) spelled = `${base}.${n}`;
    }
    this.taken.add(spelled);
    this.names.set(name, spelled);
    return spelled;
  }

  private lastTime(tid: number): number {
    let last = 0;
    const visit = (nodes: CallNode[]) => {
      for (const n of nodes) {
        last = Math.max(last, n.start, n.end);
        visit(n.children);
      }
    };
    visit(this.threads.get(tid)!.calls);
    return last;
  }

  private fail(i: number, message: string): never {
    throw new TraceError(`${this.what}: event ${i}: ${message}`);
  }
}

/** The steps that replay one thread of a trace; `at` is where the workload asked for it. */
export function replaySteps(thread: TraceThread, at: Where): StepSpec[] {
  const steps: StepSpec[] = [];
  let now = 0;
  for (const call of thread.calls) {
    if (call.start > now) steps.push({ kind: "sleep", time: { kind: "fixed", ns: call.start - now }, at });
    steps.push(callStep(call, at));
    now = call.end;
  }
  return steps;
}

function callStep(node: CallNode, at: Where): StepSpec {
  const body: StepSpec[] = [];
  let now = node.start;
  for (const child of node.children) {
    if (child.start > now) body.push({ kind: "work", time: { kind: "fixed", ns: child.start - now }, at });
    body.push(callStep(child, at));
    now = Math.max(now, child.end);
  }
  const self = Math.max(0, node.end - now);
  return {
    kind: "call",
    target: node.fn,
    args: [],
    ret: undefined,
    time: self > 0 ? { kind: "fixed", ns: self } : undefined,
    body,
    at,
  };
}

/** The workload parameter that says how many times the threads replay the trace. */
const PARAM_REPEAT = "$" + "{repeat}";

/** `probelab workload from-trace`: the workload YAML for a trace file, and notes for the user. */
export function workloadFromTrace(path: string): { yaml: string; notes: string[] } {
  const trace = readTraceFile(path);
  const full = resolve(path);
  const program = trace.processName ?? basename(path, extname(path));
  const exe = `/usr/bin/${program.replace(/[^A-Za-z0-9_.-]/g, "_") || "traced"}`;
  const comm = program.slice(0, TASK_COMM_LEN - 1);
  const lines = [
    `# Written by probelab workload from-trace from ${full}: ${trace.events} events,`,
    `# ${trace.threads.length} thread(s). Each thread replays its calls with the recorded timings;`,
    "# --set repeat=N replays them N times.",
    `name: ${JSON.stringify(program)}`,
    `description: ${JSON.stringify(`Replays ${basename(path)}: ${trace.threads.length} thread(s), ${trace.functions.length} functions`)}`,
    "params:",
    "  repeat: 1",
    "binaries:",
    `  ${JSON.stringify(exe)}:`,
    "    functions:",
    ...trace.functions.map((f) => `      - ${JSON.stringify(f)}`),
    "process:",
    `  comm: ${JSON.stringify(comm)}`,
    `  exe: ${JSON.stringify(exe)}`,
    "  threads:",
  ];
  for (const t of trace.threads) {
    lines.push(
      `    - name: ${JSON.stringify((t.name ?? comm).slice(0, TASK_COMM_LEN - 1))}`,
      "      body:",
      `        - loop: ${PARAM_REPEAT}`,
      "          body:",
      `            - replay: { trace: ${JSON.stringify(full)}, tid: ${t.tid} }`,
    );
  }
  return { yaml: `${lines.join("\n")}\n`, notes: trace.notes };
}
