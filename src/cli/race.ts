/**
 * `probelab race`: explore one race scenario of the uprobes model (src/race/scenarios.ts) over
 * many seeds and both schedule policies, with the check it exercises in place or, with
 * --fault, switched off. Exit 0 when the run behaves as the model promises (clean without the
 * fault, a violation found with it), 1 otherwise, 2 for usage errors.
 */
import { KERNEL_FAULTS } from "../kernel/faults.js";
import { type ExploreResult, explore } from "../race/harness.js";
import { findRaceScenario, RACE_SCENARIOS, type RaceScenario } from "../race/scenarios.js";
import type { Policy } from "../sim/machine.js";
import { type CliIo, fail, guarded, parseIntOption, processIo } from "./common.js";

export interface RaceOptions {
  fault?: boolean;
  /** Seeds to explore; one when --seed is given alone, else DEFAULT_SEEDS. */
  seeds?: string;
  policy: "random" | "pct" | "both";
  /** The first seed (a replay gives the seed a violation was found with). */
  seed?: string;
}

/** As many seeds as the exploration tests use: every fault switch is caught well within it. */
export const DEFAULT_SEEDS = 150;

export function runRace(name: string | undefined, opts: RaceOptions, io: CliIo = processIo): Promise<void> {
  return guarded(() => {
    if (name === undefined) listScenarios(io);
    else io.setExitCode(race(scenario(name), opts, io));
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
      ? `did you mean ${near.map((r) => r.name).join(" or ")}?`
      : `known: ${RACE_SCENARIOS.map((r) => r.name).join(", ")}`;
  fail(`unknown race scenario "${name}"; ${hint} (\`probelab race\` lists them)`, 2);
}

/** Explore `r` as the options say, print what was found, and return the exit status. */
function race(r: RaceScenario, opts: RaceOptions, io: CliIo): number {
  const firstSeed = opts.seed === undefined ? 1 : parseIntOption(opts.seed, "--seed", 1, 2 ** 31 - 1);
  const seedsDefault = opts.seed === undefined ? DEFAULT_SEEDS : 1;
  const seeds = opts.seeds === undefined ? seedsDefault : parseIntOption(opts.seeds, "--seeds", 1, 100_000);
  const policies: Policy[] = opts.policy === "both" ? ["random", "pct"] : [opts.policy];
  const faultOn = opts.fault === true;
  const out = (line: string) => io.stdout.write(`${line}\n`);

  out(`race ${r.name}: ${r.description}`);
  out(`fault ${r.fault}: ${faultOn ? "on" : "off"} (${KERNEL_FAULTS[r.fault]})`);
  const lastSeed = firstSeed + seeds - 1;
  const range = seeds === 1 ? `seed ${firstSeed}` : `seeds ${firstSeed}-${lastSeed}`;
  out(`exploring ${range}, policy ${policies.join("+")}`);
  const result = explore(r.build(), { seeds, firstSeed, policies, faults: faultOn ? [r.fault] : [] });
  report(r, result, faultOn, out);
  const clean = result.found === null && result.deadlocks === 0;
  return (faultOn ? result.found !== null : clean) ? 0 : 1;
}

function report(r: RaceScenario, result: ExploreResult, faultOn: boolean, out: (line: string) => void): void {
  const f = result.found;
  if (result.deadlocks > 0) out(`${result.deadlocks} of ${result.runs} runs deadlocked`);
  if (f === null) {
    out(`no violation in ${result.runs} run${result.runs === 1 ? "" : "s"}`);
    if (faultOn) out(`the fault was not caught: try more --seeds`);
    return;
  }
  out(`violation in run ${f.runs} of the exploration:`);
  out(`  ${f.violation.message}`);
  out(`replay: probelab race ${r.name}${faultOn ? " --fault" : ""} --seed ${f.seed} --policy ${f.policy}`);
  out("interleaving (the last recorded steps, oldest first):");
  out(f.violation.interleaving);
}
