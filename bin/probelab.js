#!/usr/bin/env node
// Entry point: the compiled CLI lives in dist/ (built by `npm ci` or `npm install` through `prepare`).
let cli;
try {
  cli = await import("../dist/cli/main.js");
} catch (err) {
  if (err?.code !== "ERR_MODULE_NOT_FOUND") throw err;
  process.stderr.write(
    "ERROR: probelab is not built yet: run `npm ci` (or `npm run build`) in its folder first\n",
  );
  process.exit(1);
}
cli.main(process.argv);
