import { processIo } from "./common.js";
import { runCli } from "./program.js";

/** Runs the CLI; the status goes through process.exitCode so piped output is never cut. */
export function main(argv: string[]): void {
  void runCli(argv, processIo).then((status) => {
    if (status !== 0) process.exitCode = status;
  });
}
