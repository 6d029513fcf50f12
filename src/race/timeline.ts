/**
 * Every step of one run, kept for looking at: the per-CPU columns of a counterexample and the
 * Chrome trace-event export both read it. Only replays of a found schedule (and `run
 * --trace-out`) record one; explorations never do.
 */
import type { StepObserver, Task } from "../sim/machine.js";

export interface TimelineStep {
  cpu: number;
  /** Task id and name (interrupt tasks have ids too, but are not in the machine's task list). */
  task: number;
  name: string;
  label: string;
  /** Simulated ns. */
  start: number;
  end: number;
}

/** A lock taken or released (Machine.noteLock). */
export interface LockEvent {
  lock: string;
  acquired: boolean;
  cpu: number;
  task: number;
  name: string;
  time: number;
  /** The step it happened in (index into Timeline.steps). */
  step: number;
}

export class Timeline implements StepObserver {
  readonly steps: TimelineStep[] = [];
  readonly locks: LockEvent[] = [];

  /** @param limit steps kept at most (older steps are still counted, not kept). */
  constructor(private readonly limit = 1_000_000) {}

  /** Steps seen, kept or not. */
  seen = 0;

  step(cpu: number, task: Task, label: string, start: number, end: number): void {
    this.seen++;
    if (this.steps.length < this.limit)
      this.steps.push({ cpu, task: task.id, name: task.name, label, start, end });
  }

  lock(lock: string, acquired: boolean, cpu: number, task: Task, time: number): void {
    if (this.locks.length < this.limit)
      this.locks.push({ lock, acquired, cpu, task: task.id, name: task.name, time, step: this.seen });
  }
}

/** A lock held by one task from one event to another. */
export interface LockHold {
  from: LockEvent;
  to: LockEvent;
}

/** Pair each release with the same task's latest open acquisition of that lock. */
export function lockHolds(locks: readonly LockEvent[]): LockHold[] {
  const open = new Map<string, LockEvent[]>();
  const out: LockHold[] = [];
  for (const e of locks) {
    const key = `${e.task}\u0000${e.lock}`;
    let stack = open.get(key);
    if (stack === undefined) {
      stack = [];
      open.set(key, stack);
    }
    if (e.acquired) stack.push(e);
    else {
      const from = stack.pop();
      if (from !== undefined) out.push({ from, to: e });
    }
  }
  return out;
}

/** Lock hand-offs: a release, and the next acquisition of that lock when another task made it. */
export function lockHandoffs(locks: readonly LockEvent[]): LockHold[] {
  const lastRelease = new Map<string, LockEvent>();
  const out: LockHold[] = [];
  for (const e of locks) {
    if (!e.acquired) {
      lastRelease.set(e.lock, e);
      continue;
    }
    const rel = lastRelease.get(e.lock);
    if (rel === undefined) continue;
    lastRelease.delete(e.lock);
    if (rel.task !== e.task) out.push({ from: rel, to: e });
  }
  return out;
}
