/**
 * Drives the real CLI in-process: the Commander program from buildProgram(), with stdout,
 * stderr, stdin and the environment replaced, so a test sees exactly what a user would and
 * the exit status the process would end with.
 */
import { runCli } from "../../src/cli/program.js";

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved in the order they were written, as a terminal shows them. */
  all: string;
}

export interface CliInput {
  stdin?: string;
  env?: Record<string, string>;
  /** Pretend stderr is a terminal (diagnostics may then be coloured). */
  tty?: boolean;
}

export async function probelab(args: string[], input: CliInput = {}): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  let all = "";
  const status = await runCli(["node", "probelab", ...args], {
    stdout: {
      write: (s) => {
        stdout += s;
        all += s;
      },
    },
    stderr: {
      write: (s) => {
        stderr += s;
        all += s;
      },
    },
    readStdin: () => input.stdin ?? "",
    env: input.env ?? {},
    stderrIsTTY: input.tty ?? false,
    setExitCode: () => {},
  });
  return { status, stdout, stderr, all };
}

/** Neither a JavaScript stack frame nor an internal error reached the user. */
export function noStackTrace(text: string): boolean {
  return !/\n\s+at .+:\d+:\d+\)?/.test(text) && !text.includes("internal error");
}
