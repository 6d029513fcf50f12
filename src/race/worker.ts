/**
 * One exploration worker (see parallel.ts): rebuilds the job's scenario once, then runs each
 * chunk of seeds it is sent and answers with the run records.
 */
import { parentPort, workerData } from "node:worker_threads";
import { type ExploreJob, jobScenario, runChunk } from "./parallel.js";

const job = workerData as ExploreJob;
// Messages that arrive while the scenario is built wait in the port until the listener is on.
const scenario = await jobScenario(job);
parentPort?.on("message", (msg: { id: number; from: number; count: number }) => {
  parentPort?.postMessage({ id: msg.id, records: runChunk(scenario, job, msg.from, msg.count) });
});
