import { processIo } from "./common.js";
import { runCli } from "./program.js";

/** Runs the CLI; the status goes through process.exitCode so piped output is never cut. */
export function main(argv: string[]): void {
  process.stdout.on("error", quietOnClosedPipe);
  void runCli(argv, processIo).then((status) => {
    if (status !== 0) process.exitCode = status;
  });
}

/**
 * Whoever read stdout has gone (`probelab run ... | head -1`): there is nobody left to tell, so
 * stop at once and quietly, as a Unix filter does. Any other stdout failure is one error line.
 */
function quietOnClosedPipe(err: NodeJS.ErrnoException): void {
  if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
  process.stderr.write(`ERROR: cannot write to stdout: ${err.message}\n`);
  process.exit(1);
}
