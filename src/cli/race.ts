/**
 * `probelab race`: explore one race scenario (src/race: the uprobes, mm and sync-primitive
 * scenarios) over many seeds and both schedule policies, with the check it exercises in place
 * or, with --fault, switched off. A violation is shrunk to a minimal schedule and printed as
 * per-CPU columns; --trace-out / --html write its timeline. Exit 0 when the run behaves as the
 * model promises (clean without the fault, a violation found with it), 1 otherwise, 2 for
 * usage errors.
 */
import { writeFileSync } from "node:fs";
import { resolveKernelConfig } from "../kernel/config.js";
import type { SourceFile } from "../lang/index.js";
import { renderColumns } from "../race/columns.js";
import { commutes, EXHAUSTIVE_POLICY, type ExhaustResult, exhaust } from "../race/exhaustive.js";
import type { ExploreResult, Found } from "../race/explore.js";
import { type AnyScenario, runAnyScenario } from "../race/harness.js";
import { type ExploreJob, exploreInParallel } from "../race/parallel.js";
import {
  faultDescription,
  findRaceScenario,
  isRaceFault,
  RACE_SCENARIOS,
  type RaceFault,
  type RaceScenario,
} from "../race/scenarios.js";
import { type Departure, formatSchedule, parseSchedule, ReplayChooser } from "../race/schedule.js";
import { type Shrunk, shrink } from "../race/shrink.js";
import { Timeline } from "../race/timeline.js";
import { timelineHtml } from "../race/timeline-html.js";
import { chromeTrace } from "../race/trace-events.js";
import { loadRaceWorkload, loadScript, type WorkloadRace, workloadScenario } from "../race/workload-race.js";
import type { Policy } from "../sim/machine.js";
import { Session } from "../trace/session.js";
import {
  type CliIo,
  fail,
  guarded,
  parseDuration,
  parseIntOption,
  processIo,
  readScript,
  stopOnSignals,
  workload,
} from "./common.js";
import { defaultScript } from "./top.js";

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
  /** Write the cross-CPU step pairs the exploration saw to this file (coverage.ts). */
  coverageOut?: string;
  /** Worker threads for the exploration (default: the machine's cores). */
  jobs?: string;
  /** Every schedule up to `preemptions` preemptions instead of seeds. */
  exhaustive?: boolean;
  preemptions?: string;
  maxRuns?: string;
  /** False with --no-reduction: --exhaustive explores commuting orders too. */
  reduction?: boolean;
  /** Explore this workload under a script (the positional argument is then the script file). */
  workload?: string;
  program?: string;
  /** Fault switches for -w, comma-separated. */
  faults?: string;
  cpus?: string;
  duration?: string;
}

/** As many seeds as the exploration tests use: every fault switch is caught well within it. */
export const DEFAULT_SEEDS = 150;

/** Seeds of a workload exploration (its runs are a few hundred times longer than a scenario's). */
export const DEFAULT_WORKLOAD_SEEDS = 10;

export function runRace(name: string | undefined, opts: RaceOptions, io: CliIo = processIo): Promise<void> {
  return guarded(async () => {
    if (opts.workload !== undefined)
      io.setExitCode(await explorePlan(planWorkloadRace(name, opts, io), opts));
    else if (name === undefined) listScenarios(io);
    else io.setExitCode(await explorePlan(planRace(scenario(name), opts, io), opts));
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

/** Everything one `probelab race` needs, read from the options once. */
interface RacePlan {
  /** What runs, for the header and the timeline's title. */
  title: string;
  /** The header lines: what races, which faults are on. */
  header: string[];
  job: ExploreJob;
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

/** The options every exploration shares: seeds, policies, jobs. */
function planSeeds(opts: RaceOptions, defaultSeeds: number) {
  const firstSeed = opts.seed === undefined ? 1 : parseIntOption(opts.seed, "--seed", 1, 2 ** 31 - 1);
  const seedsDefault = opts.seed === undefined ? defaultSeeds : 1;
  const seeds =
    opts.seeds === undefined ? seedsDefault : parseIntOption(opts.seeds, "--seeds", 1, 10_000_000);
  const jobs = opts.jobs === undefined ? 0 : parseIntOption(opts.jobs, "--jobs", 1, 256);
  const policies: Policy[] = opts.policy === "both" ? ["random", "pct"] : [opts.policy];
  return { firstSeed, seeds, jobs, policies };
}

function planRace(r: RaceScenario, opts: RaceOptions, io: CliIo): RacePlan {
  if (opts.faults !== undefined) fail("--faults goes with -w; a scenario takes --fault", 2);
  const faultOn = opts.fault === true;
  const faults = faultOn ? [r.fault] : [];
  const seeds = planSeeds(opts, DEFAULT_SEEDS);
  return {
    title: `race ${r.name}`,
    header: [
      `race ${r.name}: ${r.description}`,
      `fault ${r.fault}: ${faultOn ? "on" : "off"} (${faultDescription(r.fault)})`,
    ],
    job: { race: r.name, faults, firstSeed: seeds.firstSeed, seeds: seeds.seeds, policies: seeds.policies },
    scenario: r.build(),
    faults,
    ...seeds,
    command: `probelab race ${r.name}${faultOn ? " --fault" : ""}`,
    out: (line: string) => io.stdout.write(`${line}\n`),
  };
}

/** Explore (or replay) as the options say, print what was found, and return the exit status. */
async function explorePlan(p: RacePlan, opts: RaceOptions): Promise<number> {
  const faultOn = p.faults.length > 0;
  for (const line of p.header) p.out(line);
  if (opts.coverageOut !== undefined && (opts.schedule !== undefined || opts.exhaustive === true))
    fail("--coverage-out counts the runs of a seeded exploration, not --schedule or --exhaustive", 2);
  if (opts.schedule !== undefined) return replaySchedule(p, opts, opts.schedule);
  if (opts.exhaustive === true) return exhaustively(p, opts);
  const lastSeed = p.firstSeed + p.seeds - 1;
  const range = p.seeds === 1 ? `seed ${p.firstSeed}` : `seeds ${p.firstSeed}-${lastSeed}`;
  p.out(`exploring ${range}, policy ${p.policies.join("+")}`);
  // Ctrl-C or SIGTERM ends the exploration early; what was explored is still reported.
  const interrupt = new AbortController();
  const signals = stopOnSignals(() => interrupt.abort());
  const result = await exploreInParallel(p.job, p.jobs, interrupt.signal).finally(() => signals.dispose());
  if (signals.requested && result.found === null) {
    p.out(`interrupted: ${result.runs} of ${p.seeds * p.policies.length} runs explored`);
  }
  report(p, result, opts);
  const clean = result.found === null && result.deadlocks === 0;
  return (faultOn ? result.found !== null : clean) ? 0 : 1;
}

/** `probelab race -w WORKLOAD [-e PROGRAM | FILE]`: the workload under the script, as a scenario. */
function planWorkloadRace(file: string | undefined, opts: RaceOptions, io: CliIo): RacePlan {
  if (opts.fault === true)
    fail("--fault names a scenario's own switch; with -w give --faults NAME[,NAME...]", 2);
  if (opts.exhaustive === true)
    fail("--exhaustive is for the small scenarios; a workload run is too long", 2);
  const cpus = opts.cpus === undefined ? 4 : parseIntOption(opts.cpus, "--cpus", 1, 128);
  const durationNs = parseDuration(opts.duration ?? "20ms", "--duration");
  const faults = parseFaults(opts.faults);
  const wname = opts.workload!;
  workload(wname, [], cpus, 1); // the field-path error of a bad workload, before anything runs
  const src = file === undefined && opts.program === undefined ? null : readScript(file, opts.program, io);
  const script = src ?? defaultScript(loadRaceWorkload({ workload: wname, cpus, durationNs, script: EMPTY }));
  const spec = { workload: wname, script, cpus, durationNs };
  checkScript(spec, io);
  const seeds = planSeeds(opts, DEFAULT_WORKLOAD_SEEDS);
  return {
    title: `race -w ${wname}`,
    header: [
      `race -w ${wname}: ${script.name === "stdin" ? "-e program" : script.name}, ${cpus} CPUs, ${opts.duration ?? "20ms"} per run, probes attached at 0 and 1/2, detached at 1/4 and 3/4`,
      ...(faults.length === 0
        ? ["faults: none"]
        : faults.map((f) => `fault ${f}: on (${faultDescription(f)})`)),
    ],
    job: {
      race: "",
      workload: spec,
      faults,
      firstSeed: seeds.firstSeed,
      seeds: seeds.seeds,
      policies: seeds.policies,
    },
    scenario: workloadScenario(spec),
    faults,
    ...seeds,
    command: workloadCommand(wname, src, opts, faults),
    out: (line: string) => io.stdout.write(`${line}\n`),
  };
}

const EMPTY = { name: "", text: "" };

/** The `probelab race -w ...` that reruns this exploration, with only the options given. */
function workloadCommand(wname: string, src: SourceFile | null, opts: RaceOptions, faults: string[]): string {
  const words = ["probelab race -w", shellQuote(wname)];
  if (src !== null)
    words.push(opts.program !== undefined ? `-e ${shellQuote(src.text)}` : shellQuote(src.name));
  if (opts.cpus !== undefined) words.push(`--cpus ${opts.cpus}`);
  if (opts.duration !== undefined) words.push(`--duration ${shellQuote(opts.duration)}`);
  if (faults.length > 0) words.push(`--faults ${faults.join(",")}`);
  return words.join(" ");
}

/** --faults: known switch names only. */
function parseFaults(text: string | undefined): RaceFault[] {
  if (text === undefined) return [];
  const out: RaceFault[] = [];
  for (const name of text.split(",").map((f) => f.trim())) {
    if (!isRaceFault(name))
      fail(`--faults: unknown fault switch "${name}" (\`probelab race\` lists them)`, 2);
    out.push(name);
  }
  return out;
}

/** The script must load against the workload and attach uprobes, or nothing would race. */
function checkScript(spec: WorkloadRace, io: CliIo): void {
  const session = new Session({
    workload: loadRaceWorkload(spec),
    cpus: spec.cpus,
    seed: 1,
    kernelProfile: "latest",
    config: resolveKernelConfig("latest"),
    format: "text",
    out: { write: () => {} },
    err: { write: () => {} },
  });
  const script = loadScript(session, spec.script);
  if (typeof script === "string") {
    io.stderr.write(script);
    fail("", 1);
  }
  if (script.probes.length === 0)
    fail(`${spec.script.name}: the script attaches no uprobes, so nothing can race`, 2);
}

/** Quote for a POSIX shell, only when needed. */
function shellQuote(text: string): string {
  return /^[\w./:=,@+-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}

/** The exploration in words, for the coverage file's header. */
function exploration(p: RacePlan): string {
  const last = p.firstSeed + p.seeds - 1;
  return `${p.command}, seeds ${p.firstSeed}-${last}, policy ${p.policies.join("+")}`;
}

function report(p: RacePlan, result: ExploreResult, opts: RaceOptions): void {
  const f = result.found;
  if (result.deadlocks > 0) p.out(`${result.deadlocks} of ${result.runs} runs deadlocked`);
  if (result.coverage !== null) {
    p.out(result.coverage.summary());
    if (opts.coverageOut !== undefined)
      writeOut(opts.coverageOut, result.coverage.exportPairs(exploration(p)));
  }
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

/** Default preemption bound and run budget of --exhaustive. */
export const DEFAULT_PREEMPTIONS = 2;
export const DEFAULT_MAX_RUNS = 100_000;

/** --exhaustive: every schedule up to the bound, fewest preemptions first. */
function exhaustively(p: RacePlan, opts: RaceOptions): number {
  const bound =
    opts.preemptions === undefined
      ? DEFAULT_PREEMPTIONS
      : parseIntOption(opts.preemptions, "--preemptions", 0, 20);
  const maxRuns =
    opts.maxRuns === undefined
      ? DEFAULT_MAX_RUNS
      : parseIntOption(opts.maxRuns, "--max-runs", 1, 100_000_000);
  const plural = bound === 1 ? "" : "s";
  p.out(`exhaustive: every schedule with at most ${bound} preemption${plural}, seed ${p.firstSeed}`);
  const reduce = opts.reduction !== false;
  const r = exhaust(p.scenario, { seed: p.firstSeed, faults: p.faults, preemptions: bound, maxRuns, reduce });
  p.out(`explored ${r.schedules} schedules (${perBound(r)}) in ${r.runs} runs: ${ending(r, maxRuns)}`);
  p.out(`partial-order reduction: ${reduction(p, r, reduce)}`);
  if (r.deadlocks > 0) p.out(`${r.deadlocks} of ${r.schedules} schedules deadlocked`);
  if (r.cut > 0) p.out(`${r.cut} of ${r.schedules} schedules ran into the step limit and were not judged`);
  const f = r.found;
  if (f === null) {
    if (p.faults.length > 0) p.out(`the fault was not caught: try more --preemptions`);
    writeViews(p, opts, () => record(p, p.firstSeed, EXHAUSTIVE_POLICY, []), null);
    return (p.faults.length > 0 ? false : r.deadlocks === 0) ? 0 : 1;
  }
  const schedule = formatSchedule(f.plan);
  p.out(`minimal: ${p.command} --seed ${p.firstSeed} --policy ${EXHAUSTIVE_POLICY} --schedule '${schedule}'`);
  const tl = record(p, p.firstSeed, EXHAUSTIVE_POLICY, f.plan).timeline;
  printColumns(p, tl, f.plan);
  p.out(`broken: ${f.violation.message}`);
  writeViews(p, opts, () => ({ timeline: tl }), f.violation.message);
  return p.faults.length > 0 ? 0 : 1;
}

/** `0 preemptions: 6, 1: 512`: how many schedules each bound added. */
function perBound(r: ExhaustResult): string {
  return r.perBound.map((n, k) => (k === 0 ? `0 preemptions: ${n}` : `${k}: ${n}`)).join(", ");
}

function reduction(p: RacePlan, r: ExhaustResult, asked: boolean): string {
  if (r.reduced)
    return `${r.pruned} runs stopped early, each only reordering commuting steps of a schedule explored`;
  if (!asked) return "off (--no-reduction)";
  if (!commutes(p.scenario)) return "off (this scenario's steps do not report all they share)";
  return "off";
}

function ending(r: ExhaustResult, maxRuns: number): string {
  if (r.found !== null) return `stopped at a violation with ${r.found.preemptions} preemption(s)`;
  if (r.finished) return "finished, every schedule clean";
  return `not finished: the budget of ${maxRuns} runs ran out (raise --max-runs or lower --preemptions)`;
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
  const meta = { title: p.title, cpus: p.scenario.cpus ?? 3, violation };
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
