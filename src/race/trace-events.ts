/**
 * A run's timeline as Chrome trace-event JSON (the format chrome://tracing and Perfetto open):
 * one track per simulated CPU with a slice per step, named for the kernel function or lock its
 * label names; one track per task with its lock holds; an instant where a task was interleaved
 * (the next step ran on another CPU); flow arrows from each lock release to the acquisition by
 * another task that it handed the lock to; and a global instant for the violation.
 *
 * Times are simulated: trace-event timestamps are microseconds, so ns / 1000.
 */
import { type LockEvent, lockHandoffs, lockHolds, type Timeline, type TimelineStep } from "./timeline.js";

export interface TraceMeta {
  /** What ran: `race r9-handler-after-unregister --fault --seed 4 --policy pct`. */
  title: string;
  cpus: number;
  /** The broken invariant, when the run ended in one. */
  violation: string | null;
}

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts?: number;
  dur?: number;
  cat?: string;
  s?: string;
  id?: number;
  bp?: string;
  args?: Record<string, string | number>;
}

const PID = 1;
/** Lock tracks sit after the CPU tracks: task id + this. */
const LOCK_TRACK_BASE = 1000;

const us = (ns: number) => ns / 1000;

/** The slice name of a step: the kernel function or lock its label starts with, else the task. */
export function sliceName(s: TimelineStep): string {
  if (s.label === "") return s.name;
  const colon = s.label.indexOf(":");
  return colon > 0 ? s.label.slice(0, colon) : s.label;
}

function metadata(meta: TraceMeta, tasks: ReadonlyMap<number, string>): TraceEvent[] {
  const out: TraceEvent[] = [{ name: "process_name", ph: "M", pid: PID, tid: 0, args: { name: meta.title } }];
  for (let c = 0; c < meta.cpus; c++) {
    out.push({ name: "thread_name", ph: "M", pid: PID, tid: c, args: { name: `cpu${c}` } });
    out.push({ name: "thread_sort_index", ph: "M", pid: PID, tid: c, args: { sort_index: c } });
  }
  for (const [id, name] of tasks) {
    const tid = LOCK_TRACK_BASE + id;
    out.push({ name: "thread_name", ph: "M", pid: PID, tid, args: { name: `locks held by ${name}` } });
    out.push({ name: "thread_sort_index", ph: "M", pid: PID, tid, args: { sort_index: tid } });
  }
  return out;
}

function stepEvents(steps: readonly TimelineStep[]): TraceEvent[] {
  const out: TraceEvent[] = [];
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i];
    const args = { step: i, task: s.name, label: s.label || "-" };
    const dur = Math.max(us(s.end - s.start), 0.001);
    out.push({ name: sliceName(s), cat: "step", ph: "X", pid: PID, tid: s.cpu, ts: us(s.start), dur, args });
    const next = steps[i + 1];
    if (next !== undefined && next.cpu !== s.cpu) {
      const args2 = { step: i, task: s.name, next: `cpu${next.cpu} ${next.name}` };
      out.push({
        name: "yield",
        cat: "yield",
        ph: "i",
        s: "t",
        pid: PID,
        tid: s.cpu,
        ts: us(s.end),
        args: args2,
      });
    }
  }
  return out;
}

/** Lock holds as slices on their task's lock track, and hand-offs as flow arrows. */
function lockEvents(locks: readonly LockEvent[]): TraceEvent[] {
  const out: TraceEvent[] = [];
  for (const { from, to } of lockHolds(locks)) {
    const dur = Math.max(us(to.time - from.time), 0.001);
    const tid = LOCK_TRACK_BASE + to.task;
    out.push({
      name: to.lock,
      cat: "lock",
      ph: "X",
      pid: PID,
      tid,
      ts: us(from.time),
      dur,
      args: { task: to.name },
    });
  }
  lockHandoffs(locks).forEach(({ from, to }, id) => {
    const name = `${to.lock} hand-off`;
    out.push({ name, cat: "handoff", ph: "s", id, pid: PID, tid: from.cpu, ts: us(from.time) });
    out.push({ name, cat: "handoff", ph: "f", bp: "e", id, pid: PID, tid: to.cpu, ts: us(to.time) });
  });
  return out;
}

/** The whole trace, ready for JSON.stringify. */
export function chromeTrace(
  tl: Timeline,
  meta: TraceMeta,
): { traceEvents: TraceEvent[]; displayTimeUnit: string } {
  const tasks = new Map<number, string>();
  for (const e of tl.locks) tasks.set(e.task, e.name);
  const events = [...metadata(meta, tasks), ...stepEvents(tl.steps), ...lockEvents(tl.locks)];
  const last = tl.steps[tl.steps.length - 1];
  if (meta.violation !== null && last !== undefined) {
    events.push({
      name: `violation: ${meta.violation}`,
      cat: "violation",
      ph: "i",
      s: "g",
      pid: PID,
      tid: last.cpu,
      ts: us(last.end),
    });
  }
  return { traceEvents: events, displayTimeUnit: "ns" };
}
