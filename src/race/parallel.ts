/**
 * The exploration loop over worker threads. Seeds are cut into chunks that idle workers take
 * in order; each worker runs its chunks with the ordinary loop (explore.ts) and sends back the
 * run records, and the main thread folds them in run order, so the result — the runs counted,
 * the violation found, the coverage — is exactly what one job would have produced. A worker
 * stops its chunk at a violation; chunks after the first violating one are thrown away.
 *
 * A job names its scenario (workers rebuild it: functions cannot be sent), so any spec a
 * worker can rebuild from plain data explores in parallel.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { type Policy, SimViolation } from "../sim/machine.js";
import type { RunCoverage } from "./coverage.js";
import { type ExploreResult, exploreRuns, type RunRecord, summarize } from "./explore.js";
import type { AnyScenario } from "./harness.js";
import { findRaceScenario } from "./scenarios.js";
import { type WorkloadRace, workloadScenario } from "./workload-race.js";

/** Plain data a worker can rebuild an exploration from. */
export interface ExploreJob {
  /** A RACE_SCENARIOS name (ignored when `workload` is given). */
  race: string;
  /** A workload under a script instead of a named scenario (probelab race -w). */
  workload?: WorkloadRace;
  faults: readonly string[];
  firstSeed: number;
  seeds: number;
  policies: readonly Policy[];
}

/** A run record as it crosses the thread boundary (a SimViolation does not survive cloning). */
export interface WireRecord {
  seed: number;
  policy: Policy;
  deadlocked: boolean;
  violation: { message: string; interleaving: string } | null;
  coverage: RunCoverage | null;
}

export function jobScenario(job: ExploreJob): AnyScenario {
  if (job.workload !== undefined) return workloadScenario(job.workload);
  const race = findRaceScenario(job.race);
  if (race === undefined) throw new Error(`no race scenario ${job.race}`);
  return race.build();
}

/** Run `count` seeds from `from`, stopping after a violating run. */
export function runChunk(s: AnyScenario, job: ExploreJob, from: number, count: number): WireRecord[] {
  const out: WireRecord[] = [];
  const runs = exploreRuns(s, {
    seeds: count,
    firstSeed: from,
    faults: job.faults,
    policies: job.policies,
    coverage: true,
  });
  for (const r of runs) {
    const v =
      r.violation === null ? null : { message: r.violation.message, interleaving: r.violation.interleaving };
    out.push({ ...r, violation: v });
    if (v !== null) break;
  }
  return out;
}

function fromWire(r: WireRecord): RunRecord {
  const v = r.violation === null ? null : new SimViolation(r.violation.message, r.violation.interleaving);
  return { ...r, violation: v };
}

/** The worker script next to this module (absent when running from TypeScript sources). */
function workerScript(): string | null {
  const path = fileURLToPath(new URL("./worker.js", import.meta.url));
  return existsSync(path) ? path : null;
}

/** Explore `job` with `jobs` workers (0: one per core); one job runs in this thread. */
export async function exploreInParallel(job: ExploreJob, jobs: number): Promise<ExploreResult> {
  const n = Math.min(jobs === 0 ? availableParallelism() : jobs, job.seeds);
  const script = workerScript();
  if (n <= 1 || script === null) {
    return summarize(exploreRuns(jobScenario(job), { ...job, coverage: true }), true);
  }
  const chunk = Math.max(1, Math.min(16, Math.ceil(job.seeds / (n * 8))));
  const chunks: { from: number; count: number }[] = [];
  for (let s = 0; s < job.seeds; s += chunk)
    chunks.push({ from: job.firstSeed + s, count: Math.min(chunk, job.seeds - s) });
  const done = await runChunks(script, job, chunks, n);
  return summarize(orderedRecords(done), true);
}

/** Records of chunks in order, up to and including the first violation. */
function* orderedRecords(done: readonly (WireRecord[] | undefined)[]): Generator<RunRecord> {
  for (const records of done) {
    if (records === undefined) return;
    for (const r of records) yield fromWire(r);
  }
}

/**
 * Hand chunks to `n` workers in order until all are done or some chunk has a violation and
 * every chunk before it is done (later ones cannot change the result).
 */
function runChunks(
  script: string,
  job: ExploreJob,
  chunks: readonly { from: number; count: number }[],
  n: number,
): Promise<(WireRecord[] | undefined)[]> {
  const done: (WireRecord[] | undefined)[] = new Array(chunks.length).fill(undefined);
  let next = 0;
  let firstViolation = chunks.length;
  const workers: Worker[] = [];
  return new Promise((resolve, reject) => {
    const finished = () => {
      for (let i = 0; i < firstViolation && i < chunks.length; i++) if (done[i] === undefined) return false;
      return true;
    };
    let over = false;
    const finish = () => {
      if (over) return;
      over = true;
      for (const w of workers) void w.terminate();
      resolve(done.slice(0, Math.min(firstViolation + 1, chunks.length)));
    };
    const feed = (w: Worker) => {
      if (next < chunks.length && next < firstViolation) {
        const id = next++;
        w.postMessage({ id, ...chunks[id] });
      }
    };
    for (let i = 0; i < n; i++) {
      const w = new Worker(script, { workerData: job });
      workers.push(w);
      w.on("message", (msg: { id: number; records: WireRecord[] }) => {
        done[msg.id] = msg.records;
        if (msg.records.some((r) => r.violation !== null)) firstViolation = Math.min(firstViolation, msg.id);
        if (finished()) finish();
        else feed(w);
      });
      w.on("error", (e) => {
        for (const x of workers) void x.terminate();
        reject(e);
      });
      feed(w);
    }
  });
}
