/**
 * What `system()` does in a simulated run. probelab never starts a program on the host (what
 * a script says must not escape the simulation), so the one command a script may hand to
 * system() is `echo`, performed here as the shell would: words split on blanks, joined by one
 * space, a newline after. The checker refuses any other command when the script loads
 * (src/lang/builtins.ts, SIMULATED_COMMAND).
 */

/** The output of the command line `command` (already formatted), as its stdout. */
export function runSimulatedCommand(command: string): string {
  const words = command
    .trim()
    .split(/[ \t]+/)
    .slice(1);
  return `${words.join(" ")}\n`;
}
