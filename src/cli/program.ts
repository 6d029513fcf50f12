import { Command } from "commander";

/** Builds the probelab command tree; a factory so tests can drive it without a process. */
export function buildProgram(): Command {
  const program = new Command("probelab");
  program.description("bpftrace-style scripts on a simulated process and a simulated Linux uprobes stack");
  return program;
}
