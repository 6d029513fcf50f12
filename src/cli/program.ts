import { Command, CommanderError, Option } from "commander";
import type { CliIo } from "./common.js";

// Command bodies are imported when a command runs, so `probelab --help` loads only Commander
// (the parser, the simulator and Ink are not needed to print usage).
type AnyArgs = unknown[];
const runRun = async (...a: AnyArgs) =>
  (await import("./run.js")).runRun(...(a as Parameters<typeof import("./run.js").runRun>));
const runTopCommand = async (...a: AnyArgs) => {
  // Ink decides once, when it loads, to draw only the last frame if it sees a CI variable; a
  // live view on a real terminal must stay live even inside a CI job.
  if (process.stdout.isTTY && process.stdin.isTTY) process.env.CI = "false";
  return (await import("./top.js")).runTopCommand(
    ...(a as Parameters<typeof import("./top.js").runTopCommand>),
  );
};
const runList = async (...a: AnyArgs) =>
  (await import("./list.js")).runList(...(a as Parameters<typeof import("./list.js").runList>));
const runWorkloads = async (io?: CliIo) => (await import("./list.js")).runWorkloads(io);
const runWorkloadShow = async (...a: AnyArgs) =>
  (await import("./list.js")).runWorkloadShow(
    ...(a as Parameters<typeof import("./list.js").runWorkloadShow>),
  );
const runFromElf = async (...a: AnyArgs) =>
  (await import("./workload.js")).runFromElf(...(a as Parameters<typeof import("./workload.js").runFromElf>));
const runFromTrace = async (...a: AnyArgs) =>
  (await import("./workload.js")).runFromTrace(
    ...(a as Parameters<typeof import("./workload.js").runFromTrace>),
  );
const runRace = async (...a: AnyArgs) =>
  (await import("./race.js")).runRace(...(a as Parameters<typeof import("./race.js").runRace>));
const runBench = async (...a: AnyArgs) =>
  (await import("./bench.js")).runBench(...(a as Parameters<typeof import("./bench.js").runBench>));

const EXAMPLES = `
EXAMPLES:
  probelab run programs/latency.bt                 latency histogram of handle_request on the default workload
  probelab run -e 'uprobe:libc:malloc { @[comm] = count(); }' --duration 1s
  probelab run -e 'begin { printf("hello\\n"); }'
  probelab top                                     live view of the default workload
  probelab list 'uprobe:*:handle*'                 probe points the workload offers
  probelab bench scaling --kernel baseline,latest --cpus 1,2,4,8
  probelab run --kernel help                        kernel profiles and switches
  probelab race                                    race scenarios of the uprobes model
  probelab race r9-handler-after-unregister --fault   find the race the fault lets in
`;

/** Options every command that runs a workload shares, spelled the same everywhere. */
function sharedOptions(cmd: Command): Command {
  return cmd
    .option("-e, --program <PROGRAM>", "the script text")
    .option("-w, --workload <NAME|FILE>", "bundled workload name or YAML file", "default")
    .option("--set <key=value>", "override a workload parameter (repeatable)", collect, [])
    .option("--cpus <N>", "simulated CPUs", "4")
    .option("--seed <N>", "seed of the run", "1")
    .option(
      "--kernel <PROFILE>",
      "kernel design: baseline, srcu, tasks-trace, speculative, latest, or help",
      "latest",
    )
    .option("--switch <key=value>", "change one switch of the kernel profile (repeatable)", collect, [])
    .option("-f, --format <FORMAT>", "output format: text or json", "text")
    .option("-q, --quiet", "no attach banner or messages")
    .option("-v, --verbose", "also print the simulated set-up and the kernel model's counters (stderr)");
}

/**
 * After an unknown option, `run` prints its usage, as bpftrace prints USAGE after an option it
 * does not know; the usual cause is a script option (`--aa=20`) written before `--`.
 */
const RUN_USAGE = `USAGE:
    probelab run [options] FILE [ARGS...]
    probelab run [options] - (the script on stdin)
    probelab run [options] -e 'PROGRAM' [ARGS...]
Script options go after --: probelab run -e 'PROGRAM' -- --name=value. probelab run --help lists the options.
`;

function withRunUsage(outputError: (text: string, write: (s: string) => void) => void) {
  return (text: string, write: (s: string) => void): void => {
    outputError(text, write);
    if (/unknown option/.test(text)) write(RUN_USAGE);
  };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * Commander's own errors (unknown option, missing value, bad choice) are usage errors: exit 2.
 * Help and version requests exit 0.
 */
function commanderStatus(err: CommanderError): number {
  return err.exitCode === 0 ? 0 : 2;
}

/**
 * Builds the probelab command tree; a factory so tests can drive it without a process.
 * Without `io` it works on the real process: a usage error ends it (status 2, after Commander
 * printed one line). With `io` everything goes through it, and a usage error throws the
 * CommanderError for runCli to turn into a status.
 */
export function buildProgram(io?: CliIo): Command {
  const program = new Command("probelab");
  // Commander's own messages read like ours: `ERROR: unknown option '--bogus'`.
  const outputError = (text: string, write: (s: string) => void) =>
    write(text.replace(/^error: /, "ERROR: "));
  program.configureOutput(
    io === undefined
      ? { outputError }
      : { writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s), outputError },
  );
  program
    .exitOverride((err) => {
      if (io === undefined) process.exit(commanderStatus(err));
      throw err;
    })
    .description("bpftrace-style scripts on a simulated process and a simulated Linux uprobes stack")
    .version("probelab 0.1.0", "-V, --version")
    .addHelpText("after", EXAMPLES)
    .showSuggestionAfterError();

  sharedOptions(
    program
      .command("run")
      .description("run scripts against a workload and print what bpftrace would print")
      .argument("[file]", "script file, or - for stdin")
      .argument("[args...]", "positional script parameters ($1, $2, ...) after --"),
  )
    .option("--duration <TIME>", "simulated run time (500ms, 2s)", "1s")
    .option("-o, --output <FILE>", "write tracing output to FILE")
    .option("-d, --debug <STAGES>", "debug dumps: tokens, ast, typed, all")
    .option("--dry-run", "parse, check and resolve probes; attach nothing, run nothing")
    .option("-l, --list", "list the script's probes instead of running it")
    .option("-p, --pid <PID>", "trace only this process (the workload's pid)")
    .option("-c, --command <CMD>", "the workload's program, as bpftrace runs CMD")
    .option(
      "--usdt-file-activation",
      "accepted for bpftrace's sake (the workload is one process, whose USDT semaphores an attached probe raises)",
    )
    .option("--probe-filter <REGEX>", "attach only probes whose names match (begin and end always)")
    .option("--no-warnings", "print no warnings")
    .option("--unsafe", "allow system() (a simulated run performs only echo)")
    .option("-k", "warn when a BPF helper fails: a map lookup of a missing key")
    .option("-I, --include-dir <DIR>", "search DIR for #include headers (repeatable)", collect, [])
    .option("--include <FILE>", "as #include <FILE> before the script (repeatable)", collect, [])
    .addHelpText("after", EXAMPLES)
    .action((file, args, opts) => runRun(file, args, opts, io));
  const run = program.commands.find((c) => c.name() === "run")!;
  run.configureOutput({ ...run.configureOutput(), outputError: withRunUsage(outputError) });

  sharedOptions(
    program
      .command("top")
      .description("live view of hits, rates and latencies; attach and detach while it runs")
      .argument("[file]", "script file, or - for stdin"),
  )
    .option("--interval <TIME>", "refresh period (real time)", "500ms")
    .option("--speed <X>", "simulated seconds per real second", "0.01")
    .option("--duration <TIME>", "stop after this much simulated time (non-TTY)")
    .addHelpText("after", EXAMPLES)
    .action(runTopCommand);

  program
    .command("list")
    .description("probe points the workload offers (like bpftrace -l)")
    .argument("[pattern]", "uprobe:TARGET:FUNC, kprobe:FUNC or tracepoint:CAT:NAME pattern with wildcards")
    .option("-v, --verbose", "print the fields of kernel probes (args), as bpftrace -lv")
    .option("-w, --workload <NAME|FILE>", "bundled workload name or YAML file", "default")
    .option("--set <key=value>", "override a workload parameter (repeatable)", collect, [])
    .addHelpText(
      "after",
      `
EXAMPLES:
  probelab list                                    every probe point of the default workload
  probelab list 'uprobe:libc:mall*'                the libc functions starting with mall
  probelab list -w kvstore 'ur:*:*get*'            uretprobes on kvstore functions with get in the name`,
    )
    .action((pattern, opts) => runList(pattern, opts, io));

  const workloadsCmd = program
    .command("workloads")
    .description("bundled workloads, one line each; `workloads show NAME` describes one")
    .addHelpText(
      "after",
      `
EXAMPLES:
  probelab workloads                               the bundled workloads
  probelab workloads show kvstore                  its binaries, functions, threads and parameters`,
    )
    .action(() => runWorkloads(io));
  workloadsCmd
    .command("show")
    .description("a workload's parameters, binaries with their functions and offsets, and threads")
    .argument("<NAME|FILE>", "bundled workload name or YAML file")
    .option("--set <key=value>", "override a workload parameter (repeatable)", collect, [])
    .addHelpText(
      "after",
      `
EXAMPLES:
  probelab workloads show default
  probelab workloads show trigger --set target=uprobe_target_ret
  probelab workloads show ./my-workload.yaml`,
    )
    .action((name, opts) => runWorkloadShow(name, opts, io));

  const workloadCmd = program
    .command("workload")
    .description("write a workload from a real program: its ELF files, or a recorded call trace")
    .addHelpText(
      "after",
      `
EXAMPLES:
  probelab workload from-elf /usr/bin/python3 /lib/x86_64-linux-gnu/libc.so.6 -o python.yaml
  probelab workload from-trace app.json -o app.yaml`,
    );
  workloadCmd
    .command("from-elf")
    .description("a workload with the real function symbols (.symtab, .dynsym) of ELF files")
    .argument("<path...>", "the executable, then the libraries it links")
    .option("-o, --output <FILE>", "write the workload to FILE (default: stdout)")
    .addHelpText(
      "after",
      `
EXAMPLES:
  probelab workload from-elf /usr/bin/python3 /lib/x86_64-linux-gnu/libc.so.6 -o python.yaml
  probelab list -w python.yaml 'uprobe:/usr/bin/python3:*'`,
    )
    .action((paths, opts) => runFromElf(paths, opts, io));
  workloadCmd
    .command("from-trace")
    .description("a workload whose threads replay a Chrome trace-event JSON file (uftrace dump --chrome)")
    .argument("<file>", "the trace")
    .option("-o, --output <FILE>", "write the workload to FILE (default: stdout)")
    .addHelpText(
      "after",
      `
EXAMPLES:
  uftrace record ./app && uftrace dump --chrome > app.json
  probelab workload from-trace app.json -o app.yaml
  probelab run -w app.yaml --set repeat=10 -e 'uprobe:app:* { @[func] = count(); }'`,
    )
    .action((file, opts) => runFromTrace(file, opts, io));

  program
    .command("race")
    .description("explore a race scenario of the kernel model; with --fault, find and shrink the race")
    .argument("[name]", "scenario name (none: list them); with -w, the script FILE")
    .option("--fault", "switch off the check the scenario exercises")
    .option("--seeds <N>", `seeds to explore, each under every policy (default 150; 1 with --seed)`)
    .addOption(
      new Option("--policy <POLICY>", "schedule policy").choices(["random", "pct", "both"]).default("both"),
    )
    .option("--seed <S>", "first seed (replays a violation with its --policy)")
    .option("--schedule <STEP:CPU,...>", "replay one shrunk schedule (with --seed and --policy)")
    .option("--no-shrink", "print the raw interleaving instead of a minimal counterexample")
    .option("--trace-out <FILE.json>", "write the counterexample's timeline as Chrome trace-event JSON")
    .option("--html <FILE>", "write the same timeline as a self-contained HTML page")
    .option(
      "--coverage-out <FILE>",
      "write the cross-CPU step pairs the runs exercised, one per line (diffable)",
    )
    .option("--jobs <N>", "worker threads (default: one per core)")
    .option("--exhaustive", "explore every schedule up to --preemptions preemptions (small scenarios)")
    .option("--preemptions <K>", "preemption bound of --exhaustive (default 2)")
    .option("--max-runs <N>", "runs --exhaustive may spend before it stops unfinished (default 100000)")
    .option("--no-reduction", "with --exhaustive: no partial-order reduction (explore commuting orders too)")
    .option("-w, --workload <NAME|FILE>", "explore a workload under a script instead of a scenario")
    .option("-e, --program <PROGRAM>", "with -w: the script text (default: the workload's default probes)")
    .option("--faults <NAME,...>", "with -w: fault switches to turn on")
    .option("--cpus <N>", "with -w: simulated CPUs (default 4)")
    .option("--duration <TIME>", "with -w: simulated time of one run (default 20ms)")
    .addHelpText(
      "after",
      `
EXAMPLES:
  probelab race                                    the scenarios, with the fault each one guards
  probelab race r9-handler-after-unregister        explore it: no violation with the check on
  probelab race r9-handler-after-unregister --fault --html r9.html   find, shrink and draw the race
  probelab race r1-speculative-vs-munmap --fault --seed 6 --policy random   replay one run`,
    )
    .action((name, opts) => runRace(name, opts, io));

  const BENCH_EXAMPLES = `
EXAMPLES:
  probelab bench scaling --kernel baseline,latest --cpus 1,2,4,8
  probelab bench scaling --probe uretprobe-nop --cpus 1,16 --duration 5ms -f json
  probelab bench scaling --kernel baseline,srcu,tasks-trace,latest --plot scaling.svg
  probelab bench scaling --kernel baseline,latest --cpus 1,8,64 --plot scaling.png`;
  const bench = program
    .command("bench")
    .description("simulated throughput benchmarks")
    .addHelpText("after", BENCH_EXAMPLES);
  bench
    .command("scaling")
    .description("simulated M hits/s vs CPUs, like the kernel's trigger bench")
    .option("--kernel <P[,P...]>", "kernel profiles", "latest")
    .option(
      "--probe <KIND>",
      "uprobe-nop | uprobe-push | uprobe-ret | uprobe-nop5 | uretprobe-nop | uretprobe-push | uretprobe-ret | uretprobe-nop5",
      "uprobe-nop",
    )
    .option("--cpus <LIST>", "CPU counts", "1,2,4,8,16,32,64,80")
    .option("--duration <TIME>", "simulated time per point", "2ms")
    .option("--switch <key=value>", "change one switch (repeatable)", collect, [])
    .option("--seed <N>", "seed", "1")
    .option("-f, --format <FORMAT>", "output format: text (a table and a bar chart) or json", "text")
    .option(
      "--plot <FILE>",
      "also draw total and per-CPU M hits/s against CPUs, with the published points: FILE.svg, or FILE.png (the same chart at twice its size)",
    )
    .addHelpText("after", BENCH_EXAMPLES)
    .action((opts) => runBench(opts, io));
  return program;
}

/**
 * Runs the CLI on `argv` (as process.argv: node, script, then the arguments) with `io`, and
 * returns the exit status instead of ending the process: what tests call in-process.
 */
/**
 * `probelab FILE.bt ...` is `probelab run FILE.bt ...`, so a script whose first line is
 * `#!/usr/bin/env probelab` runs when executed, as bpftrace's tools do with bpftrace.
 */
function scriptAsRun(argv: string[]): string[] {
  const first = argv[2];
  if (first === undefined || first.startsWith("-") || !first.endsWith(".bt")) return argv;
  return [...argv.slice(0, 2), "run", ...argv.slice(2)];
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let status = 0;
  const captured: CliIo = {
    ...io,
    setExitCode: (code) => {
      status = code;
    },
  };
  try {
    await buildProgram(captured).parseAsync(scriptAsRun(argv));
  } catch (err) {
    if (err instanceof CommanderError) return commanderStatus(err);
    io.stderr.write(`ERROR: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  return status;
}
