/**
 * `probelab race`: explore one race scenario (src/race: the uprobes, mm and sync-primitive
 * scenarios) over many seeds and both schedule policies, with the check it exercises in place
 * or, with --fault, switched off. A violation is shrunk to a minimal schedule and printed as
 * per-CPU columns; --trace-out / --html write its timeline. Exit 0 when the run behaves as the
 * model promises (clean without the fault, a violation found with it), 1 otherwise, 2 for
 * usage errors.
 */
import { writeFileSync } from "node:fs";
import { renderColumns } from "../race/columns.js";
import type { ExploreResult, Found } from "../race/explore.js";
import { type AnyScenario, runAnyScenario } from "../race/harness.js";
import { exploreInParallel } from "../race/parallel.js";
import { faultDescription, findRaceScenario, RACE_SCENARIOS, type RaceScenario } from "../race/scenarios.js";
import { type Departure, formatSchedule, parseSchedule, ReplayChooser } from "../race/schedule.js";
import { type Shrunk, shrink } from "../race/shrink.js";
import { Timeline } from "../race/timeline.js";
import { timelineHtml } from "../race/timeline-html.js";
import { chromeTrace } from "../race/trace-events.js";
import type { Policy } from "../sim/machine.js";
import { type CliIo, fail, guarded, parseIntOption, processIo, stopOnSignals } from "./common.js";

export interface RaceOptions {
  fault?: boolean;
  /** Seeds to explore; one when --seed is given alone, else DEFAULT_SEEDS. */
  seeds?: string;
  policy: "random" | "pct" | "both";
  /** The first seed (a replay gives the seed a violation was found with). */
  seed?: string;
  /** Replay exactly this schedule (the departures a shrunk counterexample printed). */
  schedule?: string;
  /** False with --no-shrink: print the raw interleaving instead of a minimal schedule. */
  shrink?: boolean;
  traceOut?: string;
  html?: string;
  /** Worker threads for the exploration (default: the machine's cores). */
  jobs?: string;
}

/** As many seeds as the exploration tests use: every fault switch is caught well within it. */
export const DEFAULT_SEEDS = 150;

export function runRace(name: string | undefined, opts: RaceOptions, io: CliIo = processIo): Promise<void> {
  return guarded(async () => {
    if (name === undefined) listScenarios(io);
    else io.setExitCode(await race(scenario(name), opts, io));
  }, io);
}

/** One line per scenario: its name, the fault switch that breaks it, and what races. */
function listScenarios(io: CliIo): void {
  const nameWidth = Math.max(...RACE_SCENARIOS.map((r) => r.name.length));
  const faultWidth = Math.max(...RACE_SCENARIOS.map((r) => r.fault.length));
  io.stdout.write(`${"NAME".padEnd(nameWidth)}  ${"FAULT".padEnd(faultWidth)}  DESCRIPTION\n`);
  for (const r of RACE_SCENARIOS)
    io.stdout.write(`${r.name.padEnd(nameWidth)}  ${r.fault.padEnd(faultWidth)}  ${r.description}\n`);
}

function scenario(name: string): RaceScenario {
  const found = findRaceScenario(name);
  if (found !== undefined) return found;
  // Same race number (`r4-...`, or `r4` alone) or same leading word: the likely meant ones.
  const head = name.toLowerCase().split("-")[0];
  const near = RACE_SCENARIOS.filter((r) => r.name === head || r.name.startsWith(`${head}-`));
  const hint =
    near.length > 0
      ? `did you mean ${near.map((r) => r.name).join(" or ")}? (\`probelab race\` lists them)`
      : `\`probelab race\` lists the ${RACE_SCENARIOS.length} scenarios`;
  fail(`unknown race scenario "${name}"; ${hint}`, 2);
}

/** Everything one `probelab race NAME` needs, read from the options once. */
interface RacePlan {
  race: RaceScenario;
  scenario: AnyScenario;
  faults: string[];
  firstSeed: number;
  seeds: number;
  policies: Policy[];
  jobs: number;
  /** The command line that reruns this exploration (for replay lines). */
  command: string;
  out: (line: string) => void;
}

function planRace(r: RaceScenario, opts: RaceOptions, io: CliIo): RacePlan {
  const firstSeed = opts.seed === undefined ? 1 : parseIntOption(opts.seed, "--seed", 1, 2 ** 31 - 1);
  const seedsDefault = opts.seed === undefined ? DEFAULT_SEEDS : 1;
  const seeds =
    opts.seeds === undefined ? seedsDefault : parseIntOption(opts.seeds, "--seeds", 1, 10_000_000);
  const jobs = opts.jobs === undefined ? 0 : parseIntOption(opts.jobs, "--jobs", 1, 256);
  const faultOn = opts.fault === true;
  return {
    race: r,
    scenario: r.build(),
    faults: faultOn ? [r.fault] : [],
    firstSeed,
    seeds,
    policies: opts.policy === "both" ? ["random", "pct"] : [opts.policy],
    jobs,
    command: `probelab race ${r.name}${faultOn ? " --fault" : ""}`,
    out: (line: string) => io.stdout.write(`${line}\n`),
  };
}

/** Explore (or replay) as the options say, print what was found, and return the exit status. */
async function race(r: RaceScenario, opts: RaceOptions, io: CliIo): Promise<number> {
  const p = planRace(r, opts, io);
  const faultOn = p.faults.length > 0;
  p.out(`race ${r.name}: ${r.description}`);
  p.out(`fault ${r.fault}: ${faultOn ? "on" : "off"} (${faultDescription(r.fault)})`);
  if (opts.schedule !== undefined) return replaySchedule(p, opts, opts.schedule);
  const lastSeed = p.firstSeed + p.seeds - 1;
  const range = p.seeds === 1 ? `seed ${p.firstSeed}` : `seeds ${p.firstSeed}-${lastSeed}`;
  p.out(`exploring ${range}, policy ${p.policies.join("+")}`);
  // Ctrl-C or SIGTERM ends the exploration early; what was explored is still reported.
  const interrupt = new AbortController();
  const signals = stopOnSignals(() => interrupt.abort());
  const result = await exploreInParallel(
    { race: r.name, faults: p.faults, firstSeed: p.firstSeed, seeds: p.seeds, policies: p.policies },
    p.jobs,
    interrupt.signal,
  ).finally(() => signals.dispose());
  if (signals.requested && result.found === null) {
    p.out(`interrupted: ${result.runs} of ${p.seeds * p.policies.length} runs explored`);
  }
  report(p, result, opts);
  const clean = result.found === null && result.deadlocks === 0;
  return (faultOn ? result.found !== null : clean) ? 0 : 1;
}

function report(p: RacePlan, result: ExploreResult, opts: RaceOptions): void {
  const f = result.found;
  if (result.deadlocks > 0) p.out(`${result.deadlocks} of ${result.runs} runs deadlocked`);
  if (result.coverage !== null) p.out(result.coverage.summary());
  if (f === null) {
    p.out(`no violation in ${result.runs} run${result.runs === 1 ? "" : "s"}`);
    if (p.faults.length > 0) p.out(`the fault was not caught: try more --seeds`);
    writeViews(p, opts, () => record(p, p.firstSeed, p.policies[0], []), null);
    return;
  }
  p.out(`violation in run ${f.runs} of the exploration:`);
  p.out(`  ${f.violation.message}`);
  p.out(`replay: ${p.command} --seed ${f.seed} --policy ${f.policy}`);
  if (opts.shrink === false) {
    p.out("interleaving (the last recorded steps, oldest first):");
    p.out(f.violation.interleaving);
    writeViews(p, opts, () => record(p, f.seed, f.policy, null), f.violation.message);
    return;
  }
  const shrunk = shrink({ scenario: p.scenario, seed: f.seed, policy: f.policy, faults: p.faults });
  if (shrunk === null) fail(`internal: run ${f.runs} did not fail again when replayed`);
  const timeline = printMinimal(p, f, shrunk);
  writeViews(p, opts, () => ({ timeline }), shrunk.minimal.violation.message);
}

/** The shrunk counterexample: sizes before and after, its replay line, its columns. */
function printMinimal(p: RacePlan, f: Found, s: Shrunk): Timeline {
  const size = (x: { steps: number; preemptions: number }) =>
    `${x.steps} steps, ${x.preemptions} preemption${x.preemptions === 1 ? "" : "s"}`;
  const budget = s.exhausted ? " (replay budget spent: may not be minimal)" : "";
  p.out(`shrunk from ${size(s.original)} to ${size(s.minimal)} in ${s.replays} replays${budget}`);
  const schedule = formatSchedule(s.minimal.plan);
  p.out(`minimal: ${p.command} --seed ${f.seed} --policy ${f.policy} --schedule '${schedule}'`);
  const tl = record(p, f.seed, f.policy, s.minimal.plan).timeline;
  printColumns(p, tl, s.minimal.plan);
  p.out(`broken: ${s.minimal.violation.message}`);
  return tl;
}

function printColumns(p: RacePlan, tl: Timeline, plan: readonly Departure[]): void {
  const cpus = p.scenario.cpus ?? 3;
  const width = cpus <= 3 ? 36 : Math.max(20, Math.floor(120 / cpus));
  for (const line of renderColumns(tl.steps, plan, { cpus, width })) p.out(line);
}

/** One run with every step recorded; `plan` null follows the policy as explored. */
function record(p: RacePlan, seed: number, policy: Policy, plan: readonly Departure[] | null) {
  const timeline = new Timeline();
  const chooser = plan === null ? undefined : new ReplayChooser(plan);
  const r = runAnyScenario(p.scenario, { seed, policy, faults: p.faults, chooser, observer: timeline });
  return { timeline, violation: r.violation };
}

/** --schedule: run exactly that schedule once and show it. */
function replaySchedule(p: RacePlan, opts: RaceOptions, text: string): number {
  const plan = parseSchedule(text);
  if (typeof plan === "string") fail(`--schedule: ${plan}`, 2);
  if (opts.seed === undefined || p.policies.length !== 1)
    fail("--schedule replays one run: give it --seed and --policy random or pct", 2);
  const [policy] = p.policies;
  const { timeline, violation } = record(p, p.firstSeed, policy, plan);
  p.out(`replaying seed ${p.firstSeed}, policy ${policy}, schedule '${formatSchedule(plan)}'`);
  printColumns(p, timeline, plan);
  p.out(violation === null ? "no violation" : `broken: ${violation.message}`);
  writeViews(p, opts, () => ({ timeline, violation }), violation?.message ?? null);
  return p.faults.length > 0 === (violation !== null) ? 0 : 1;
}

/** --trace-out and --html: the timeline of the run `recordRun` makes (only if asked for). */
function writeViews(
  p: RacePlan,
  opts: RaceOptions,
  recordRun: () => { timeline: Timeline },
  violation: string | null,
): void {
  if (opts.traceOut === undefined && opts.html === undefined) return;
  const { timeline } = recordRun();
  const meta = { title: `race ${p.race.name}`, cpus: p.scenario.cpus ?? 3, violation };
  if (opts.traceOut !== undefined) writeOut(opts.traceOut, JSON.stringify(chromeTrace(timeline, meta)));
  if (opts.html !== undefined) writeOut(opts.html, timelineHtml(timeline, meta));
}

function writeOut(path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (e) {
    fail(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}
