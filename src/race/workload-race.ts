/**
 * Your own races: a bundled or user-written workload under a tracing session, explored like
 * any scenario. Each run builds a fresh session on a machine with the exploring policy, loads
 * the script, and attaches and detaches its probes while the process runs:
 *
 *   attach at 0, detach at 1/4 of the run, attach again at 1/2, detach at 3/4, run to the end
 *
 * so every registration path (install_breakpoint into a live mm, unregister + sync under hits,
 * re-registration of a probe still dying) meets the workload's threads. Every check of the
 * model applies: the in-line uprobes and mm checks (poisoned objects, exactly-once delivery,
 * the R-checks, VMA lock and use-after-free checks, lockdep-style sleeping-in-atomic checks of
 * the machine) while it runs, and uprobes_invariant_sweep over the process's address space at
 * the end.
 *
 * A workload scenario is plain data (workload name, script text, sizes), so worker threads
 * rebuild it exactly and `--jobs` explores it in parallel.
 */
import { resolveKernelConfig } from "../kernel/config.js";
import { uprobes_invariant_sweep } from "../kernel/uprobes/invariants.js";
import type { SourceFile } from "../lang/index.js";
import { loadWorkload, type Workload } from "../process/load.js";
import type { Sink } from "../runtime/index.js";
import type { MachineOptions } from "../sim/machine.js";
import { type LoadedScript, Session } from "../trace/session.js";
import { type HostedScenario, type RunResult, settle } from "./harness.js";

/** Everything a workload exploration is made of, as plain data. */
export interface WorkloadRace {
  /** A bundled workload name or a YAML path. */
  workload: string;
  script: SourceFile;
  cpus: number;
  /** Simulated ns of one run. */
  durationNs: number;
  /** The kernel profile (default latest). */
  kernel?: string;
}

const DISCARD: Sink = { write: () => {} };

/** The workload as the session loads it (the workload's own seed is fixed: runs differ by schedule). */
export function loadRaceWorkload(race: WorkloadRace): Workload {
  return loadWorkload(race.workload, { set: {}, cpus: race.cpus, seed: 1 });
}

/** A session on a machine built with `machine`'s exploring options; throws on script errors. */
function openSession(race: WorkloadRace, w: Workload, machine: MachineOptions): Session {
  const kernel = race.kernel ?? "latest";
  return new Session({
    workload: w,
    cpus: race.cpus,
    seed: machine.seed ?? 1,
    kernelProfile: kernel,
    config: resolveKernelConfig(kernel),
    format: "text",
    out: DISCARD,
    err: DISCARD,
    faults: [...(machine.faults ?? [])],
    explore: {
      policy: machine.policy,
      traceSteps: machine.traceSteps,
      profile: machine.profile,
      pctDepth: machine.pctDepth,
      pctSteps: machine.pctSteps,
      observer: machine.observer,
      chooser: machine.chooser,
    },
  });
}

/** Load the script; the diagnostics' text when it does not compile (checked before exploring). */
export function loadScript(session: Session, src: SourceFile): LoadedScript | string {
  const { script, diagnostics } = session.load(src);
  if (script !== null) return script;
  return Session.format(diagnostics, src) || `${src.name}: the script does not load`;
}

/** One run: the attach/detach phases over the process, then the sweep. */
function runOnce(race: WorkloadRace, w: Workload, machine: MachineOptions): RunResult {
  const session = openSession(race, w, machine);
  const script = loadScript(session, race.script);
  if (typeof script === "string") throw new Error(script);
  const m = session.m;
  const d = race.durationNs;
  const run = () => {
    session.start(script);
    session.runUntil(d / 4);
    session.detach(script.probes);
    session.runUntil(d / 2);
    session.attach(script.probes);
    session.runUntil((3 * d) / 4);
    session.detach(script.probes);
    session.runUntil(d);
    return !m.isDeadlocked();
  };
  const mms = session.process === null ? [] : [session.process.mm];
  return settle(m, run, () => uprobes_invariant_sweep(session.kernel.u, { mms }));
}

/** The workload race as a scenario the exploration loop, the shrinker and the views all take. */
export function workloadScenario(race: WorkloadRace): HostedScenario {
  const w = loadRaceWorkload(race);
  return {
    cpus: race.cpus,
    // A run is tens of thousands of steps: PCT's change points must fall inside it.
    pctSteps: 40_000,
    traceSteps: 160,
    host: (machine) => runOnce(race, w, machine),
  };
}
