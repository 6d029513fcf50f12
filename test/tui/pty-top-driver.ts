/**
 * A stand-alone `top` for the pseudo-terminal test: the real runTop on the process's own
 * terminal, driving the scripted fake session. (The CLI's `probelab top` is wired by the
 * CLI; this lets the view be tested in a real terminal before and independently of that.)
 */

import { runTop } from "../../src/tui/run-top.js";
import { noColorRequested } from "../../src/tui/theme.js";
import { threeProbeSession } from "./fake-session.js";

const session = threeProbeSession();
await runTop(session, {
  interval: 100,
  stdout: process.stdout,
  stdin: process.stdin,
  isTTY: process.stdout.isTTY === true && process.stdin.isTTY === true,
  format: "text",
  noColor: noColorRequested(process.env),
  maxTicks: 3,
});
process.exitCode = session.closed ? 0 : 1;
