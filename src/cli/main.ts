import { buildProgram } from "./program.js";

/** Runs the CLI; exit codes go through process.exitCode so piped output is never cut. */
export function main(argv: string[]): void {
  const program = buildProgram();
  program.parseAsync(argv).catch((err: unknown) => {
    process.stderr.write(`ERROR: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
