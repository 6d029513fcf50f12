// CLI start time: `probelab --help` and `probelab run -e 'begin { exit(); }'`, median of 7 runs.
// Run after `npm run build`: node bench/cli-start.mjs
import { execFileSync } from "node:child_process";

function median(args) {
  const times = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    execFileSync(process.execPath, ["bin/probelab.js", ...args], { stdio: "ignore" });
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[3];
}

console.log(`probelab --help: ${median(["--help"]).toFixed(0)} ms`);
console.log(
  `probelab run -e 'begin { exit(); }': ${median(["run", "-q", "-e", "begin { exit(); }"]).toFixed(0)} ms`,
);
