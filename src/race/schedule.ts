/**
 * Schedules as choices: which CPU ran each step. A schedule is written down as the few steps
 * where it departs from a default rule — stay on the CPU that ran the last step while it can
 * run, otherwise take the lowest-numbered runnable CPU — so a schedule with two preemptions is
 * two entries, whatever the length of the run. A departure from a CPU that could have gone on
 * is a preemption; one from a CPU that had blocked or finished is only a choice of successor.
 *
 * Both choosers here watch the run they steer and report its departures, preemptions and
 * steps: the recorder follows the exploring policy (so the run is the one that policy makes),
 * the replayer follows a list of departures (a shrunk or user-given schedule).
 */
import type { Chooser, Cpu, Machine } from "../sim/machine.js";

/** One departure from the default rule: at step `step` (0-based), run CPU `cpu`. */
export interface Departure {
  step: number;
  cpu: number;
}

/** What a steered run did, departure by departure. */
export interface ScheduleStats {
  departures: Departure[];
  /** Departures that took the CPU away from a task that could have gone on. */
  preemptions: number;
}

/** The default rule: the last step's CPU while it can run, else the lowest-numbered one. */
function defaultPick(runnable: readonly Cpu[], last: number): Cpu {
  let lowest = runnable[0];
  for (const c of runnable) {
    if (c.id === last) return c;
    if (c.id < lowest.id) lowest = c;
  }
  return lowest;
}

function findCpu(runnable: readonly Cpu[], id: number): Cpu | null {
  for (const c of runnable) if (c.id === id) return c;
  return null;
}

/** Keeps the departures of the run it steers; subclasses say which CPU to take. */
abstract class SteeringChooser implements Chooser {
  private readonly departures: Departure[] = [];
  private readonly preemptive: boolean[] = [];
  /** The CPU of the most recent pick and its step: it ran once the step count moves on. */
  private pendingCpu = -1;
  private pendingStep = -1;
  private last = -1;

  /** @param maxSteps the run is stopped past this many steps (a schedule that never ends). */
  constructor(private readonly maxSteps: number) {}

  pick(m: Machine, runnable: readonly Cpu[], proposed: Cpu): Cpu {
    const step = m.steps;
    if (step !== this.pendingStep) this.last = this.pendingCpu;
    else this.forget(step); // picked again for the same step (a timer fired in between)
    if (step >= this.maxSteps) m.stop();
    const fallback = defaultPick(runnable, this.last);
    const chosen = this.choose(step, runnable, proposed) ?? fallback;
    if (chosen !== fallback) {
      this.departures.push({ step, cpu: chosen.id });
      this.preemptive.push(fallback.id === this.last);
    }
    this.pendingStep = step;
    this.pendingCpu = chosen.id;
    return chosen;
  }

  stats(): ScheduleStats {
    return { departures: this.departures, preemptions: this.preemptive.filter((p) => p).length };
  }

  /** The CPU to run at `step`, or null for the default rule. */
  protected abstract choose(step: number, runnable: readonly Cpu[], proposed: Cpu): Cpu | null;

  private forget(step: number): void {
    const n = this.departures.length;
    if (n > 0 && this.departures[n - 1].step === step) {
      this.departures.pop();
      this.preemptive.pop();
    }
  }
}

/** Follows the exploring policy and writes its schedule down. */
export class RecordingChooser extends SteeringChooser {
  constructor() {
    super(Number.POSITIVE_INFINITY);
  }

  protected choose(_step: number, _runnable: readonly Cpu[], proposed: Cpu): Cpu {
    return proposed;
  }
}

/** Follows a list of departures (by step); a departure to a CPU that cannot run is skipped. */
export class ReplayChooser extends SteeringChooser {
  private next = 0;

  constructor(
    private readonly plan: readonly Departure[],
    maxSteps = Number.POSITIVE_INFINITY,
  ) {
    super(maxSteps);
  }

  protected choose(step: number, runnable: readonly Cpu[]): Cpu | null {
    const plan = this.plan;
    while (this.next < plan.length && plan[this.next].step < step) this.next++;
    if (this.next >= plan.length || plan[this.next].step !== step) return null;
    return findCpu(runnable, plan[this.next].cpu);
  }
}

/** `412:1,530:0`: the form the replay line prints and --schedule reads. */
export function formatSchedule(plan: readonly Departure[]): string {
  return plan.map((d) => `${d.step}:${d.cpu}`).join(",");
}

/** Parse --schedule; returns an error message instead for text that is not a schedule. */
export function parseSchedule(text: string): Departure[] | string {
  if (text.trim() === "") return [];
  const plan: Departure[] = [];
  for (const item of text.split(",")) {
    const m = /^\s*(\d{1,9}):(\d{1,3})\s*$/.exec(item);
    if (m === null) return `"${item}" is not STEP:CPU`;
    const d = { step: Number(m[1]), cpu: Number(m[2]) };
    if (plan.length > 0 && d.step <= plan[plan.length - 1].step) return `steps must increase ("${item}")`;
    plan.push(d);
  }
  return plan;
}
