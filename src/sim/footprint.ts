/**
 * Step footprints: which shared objects a step touched, for partial-order reduction.
 *
 * Two steps on different CPUs commute when neither wrote an object the other touched: run in
 * either order they leave the same state. The model reports its shared objects as it touches
 * them: a cache line read or written (every shared variable of the model sits on one), a wait
 * queue joined or woken, the task table when a task is spawned. An exploration that wants
 * footprints passes a sink to the machine; without one, the model pays a null check.
 *
 * Objects are named by serial numbers in creation order. Two replays of a scenario create the
 * same objects in the same order for as long as their schedules agree, so a footprint noted
 * in one run can be compared with the steps of another run that shares its prefix (see
 * FootprintSink.base).
 */

/** Receives the footprint of the running step, object by object. */
export interface FootprintSink {
  /** The running step read (write false) or wrote `serial` (see nextSerial). */
  touch(serial: number, write: boolean): void;
  /**
   * The run did something whose outcome depends on simulated time (it armed a timer): the
   * order of commuting steps changes the clocks, so it could change what happens.
   */
  clockDependent(what: string): void;
}

/** The serial of the task table (spawn touches it): below every object's. */
export const TASK_TABLE = -1;

let created = 0;

/** A serial for a new shared object; serials only grow, in creation order. */
export function nextSerial(): number {
  return created++;
}

/** The serial the next object will get: a run's objects are numbered from here. */
export function serialBase(): number {
  return created;
}
