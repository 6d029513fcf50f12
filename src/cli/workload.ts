/** `probelab workload from-elf` and `probelab workload from-trace`: workloads from real programs. */
import { writeFileSync } from "node:fs";
import { ElfError } from "../elf/index.js";
import { workloadFromElf } from "../process/from-elf.js";
import { TraceError, workloadFromTrace } from "../process/from-trace.js";
import { loadWorkloadText, WorkloadError } from "../process/index.js";
import { type CliIo, fail, guarded, processIo } from "./common.js";

interface OutputOptions {
  output?: string;
}

export function runFromElf(paths: string[], opts: OutputOptions, io: CliIo = processIo): Promise<void> {
  return guarded(() => {
    const { yaml, notes } = convert(() => workloadFromElf(paths));
    emit(yaml, notes, opts, io);
  }, io);
}

export function runFromTrace(path: string, opts: OutputOptions, io: CliIo = processIo): Promise<void> {
  return guarded(() => {
    const { yaml, notes } = convert(() => workloadFromTrace(path));
    emit(yaml, notes, opts, io);
  }, io);
}

/** Reading errors become one-line user errors. */
function convert<T>(body: () => T): T {
  try {
    return body();
  } catch (err) {
    if (err instanceof ElfError || err instanceof TraceError) fail(err.message);
    throw err;
  }
}

/** The workload is checked by loading it before it is written: what we write always loads. */
function emit(yaml: string, notes: string[], opts: OutputOptions, io: CliIo): void {
  try {
    loadWorkloadText(yaml, opts.output ?? "the written workload", { cpus: 1, seed: 1 });
  } catch (err) {
    if (err instanceof WorkloadError) fail(`the workload written would not load: ${err.message}`);
    throw err;
  }
  for (const note of notes) io.stderr.write(`NOTE: ${note}\n`);
  if (opts.output === undefined) {
    io.stdout.write(yaml);
    return;
  }
  try {
    writeFileSync(opts.output, yaml);
  } catch (err) {
    fail(`cannot write ${opts.output}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  io.stderr.write(`wrote ${opts.output}\n`);
}
