/**
 * Lock-order checking in the manner of lockdep, over the lock events the sync primitives
 * report (Machine.noteLock). Locks fall into classes by name with their numbers folded
 * (`mm1.mmap_lock` and `mm2.mmap_lock` are one class, `register_rwsem(/usr/bin/app+0x100)`
 * is one per probed path), as lockdep keys a class by where the lock was initialised. Each
 * acquisition while other locks are held adds the edges held -> taken to one graph per run;
 * an edge that closes a cycle is a possible deadlock (two tasks taking the same two classes
 * in opposite orders), reported as a violation of the run even if this schedule got through.
 *
 * Nesting within one class (dup_mmap holds the parent's mmap_lock while it takes the child's)
 * is what lockdep's subclass annotations allow; it is not an edge here.
 */
import type { StepObserver, Task } from "../sim/machine.js";

/** Thrown from inside a step (settle turns it into the run's SimViolation). */
export class LockOrderError extends Error {}

/** The lock's class: its name with addresses and numbers folded. */
export function lockClass(lock: string): string {
  return lock.replace(/0x[0-9a-f]+|\d+/g, "#");
}

/** Classes by lock name, computed once per name for the whole process (names recur run after run). */
const CLASSES = new Map<string, string>();

function classOf(lock: string): string {
  let cls = CLASSES.get(lock);
  if (cls === undefined) {
    cls = lockClass(lock);
    if (CLASSES.size < 100_000) CLASSES.set(lock, cls);
  }
  return cls;
}

/** Watches one run's lock events and throws LockOrderError at the first inverted pair. */
export class Lockdep implements StepObserver {
  /** Per task: the classes it holds, in acquisition order (a class may be held twice). */
  private readonly held = new Map<number, string[]>();
  /** class -> classes taken while holding it. */
  private readonly after = new Map<string, Set<string>>();
  /** Where each edge was first seen, for the report. */
  private readonly firstSeen = new Map<string, string>();

  /** @param next the observer this one forwards every event to (coverage, a timeline). */
  constructor(private readonly next: StepObserver | undefined) {}

  step(cpu: number, task: Task, label: string, start: number, end: number): void {
    this.next?.step(cpu, task, label, start, end);
  }

  lock(lock: string, acquired: boolean, cpu: number, task: Task, time: number): void {
    this.next?.lock?.(lock, acquired, cpu, task, time);
    const cls = classOf(lock);
    let stack = this.held.get(task.id);
    if (stack === undefined) {
      stack = [];
      this.held.set(task.id, stack);
    }
    if (!acquired) {
      const i = stack.lastIndexOf(cls);
      if (i >= 0) stack.splice(i, 1);
      return;
    }
    for (const h of stack) if (h !== cls) this.addEdge(h, cls, `${task.name} took ${lock} holding ${h}`);
    stack.push(cls);
  }

  private addEdge(from: string, to: string, where: string): void {
    let out = this.after.get(from);
    if (out === undefined) {
      out = new Set();
      this.after.set(from, out);
    }
    if (out.has(to)) return;
    if (this.reaches(to, from)) {
      const back = this.firstSeen.get(`${to}\u0000${from}`) ?? `${to} -> ... -> ${from} seen earlier`;
      throw new LockOrderError(`lockdep: possible circular locking: ${where}, but ${back}`);
    }
    out.add(to);
    this.firstSeen.set(`${from}\u0000${to}`, where);
  }

  /** Is `to` reachable from `from` along recorded edges? */
  private reaches(from: string, to: string): boolean {
    const seen = new Set<string>([from]);
    const todo = [from];
    while (todo.length > 0) {
      for (const n of this.after.get(todo.pop()!) ?? []) {
        if (n === to) return true;
        if (!seen.has(n)) {
          seen.add(n);
          todo.push(n);
        }
      }
    }
    return false;
  }
}
