#!/usr/bin/env node
// Entry point: the compiled CLI lives in dist/ (built by `npm install` through `prepare`).
import { main } from "../dist/cli/main.js";

main(process.argv);
