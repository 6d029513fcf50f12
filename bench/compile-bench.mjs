// Compiled-handler speed: probe hits per real second for the two hot paths the compiler
// is built around, each run in a loop with one reused HitContext (as the session calls it):
//   1. uprobe:/usr/bin/shopd:* { @[func] = count(); }
//   2. @start[tid] = nsecs on entry, @lat = hist(nsecs - @start[tid]) on return
// plus a printf tracer whose events are drained by a discarding consumer.
// Also prints heap bytes allocated per hit, measured in a child process whose young
// generation is big enough that no scavenge runs inside the measured window (that flag
// would distort the throughput figures, so they are taken here, without it).
// Run after `npm run build`: node bench/compile-bench.mjs
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const ALLOC_MODE = process.argv[2] === "--alloc";

const { frontEnd } = await import("../dist/lang/index.js");
const { compileProgram, createHitContext } = await import("../dist/compile/index.js");
const { OutputRing } = await import("../dist/runtime/output.js");

function compile(text) {
  const source = { name: "stdin", text };
  const fe = frontEnd(source);
  if (!fe.program) throw new Error(fe.diagnostics.map((d) => d.message).join("\n"));
  const ring = new OutputRing(65536);
  return { script: compileProgram(fe.program, { ncpus: 8, output: ring, source }), ring };
}

const FUNCS = [
  [0x401000, "main"],
  [0x401100, "handle_request"],
  [0x401200, "parse_header"],
  [0x401300, "lookup_item"],
  [0x401400, "checksum"],
  [0x401500, "send_reply"],
];

/** Runs `step(i)` for about `ms` real milliseconds; returns calls per second. */
function rate(step, ms = 700) {
  for (let i = 0; i < 50_000; i++) step(i); // warm up the JIT
  let n = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(ms) * 1_000_000n;
  for (;;) {
    for (let i = 0; i < 10_000; i++) step(n + i);
    n += 10_000;
    if (process.hrtime.bigint() - start >= budget) break;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return n / seconds;
}

/** Heap bytes per call of `step`, after a warm-up (so maps already hold their keys). */
function bytesPerHit(step, hits = 100_000) {
  for (let i = 0; i < hits; i++) step(i);
  globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < hits; i++) step(i);
  const after = process.memoryUsage().heapUsed;
  return Math.max(0, (after - before) / hits);
}

/** One figure: allocation per hit in --alloc mode, hits per second otherwise. */
function measure(label, step) {
  if (ALLOC_MODE) console.log(`${label}  ${bytesPerHit(step).toFixed(1).padStart(7)} bytes allocated/hit`);
  else console.log(`${label}  ${(rate(step) / 1e6).toFixed(2).padStart(7)} M hits/s`);
}

{
  const { script } = compile("uprobe:/usr/bin/shopd:* { @[func] = count(); }");
  const ctx = createHitContext({ probe: "uprobe:/usr/bin/shopd:main" });
  const run = script.probes[0].run;
  const step = (i) => {
    const f = FUNCS[i % 6];
    ctx.cpu = i & 7;
    ctx.funcAddr = f[0];
    ctx.func = f[1];
    run(ctx);
  };
  measure("@[func] = count()                         ", step);
}

{
  const { script } = compile(
    "uprobe:/usr/bin/shopd:handle_request { @start[tid] = nsecs; }" +
      " uretprobe:/usr/bin/shopd:handle_request { @lat = hist(nsecs - @start[tid]); }",
  );
  const ctx = createHitContext({ probe: "uprobe:/usr/bin/shopd:handle_request" });
  const entry = script.probes[0].run;
  const ret = script.probes[1].run;
  let now = 1_000_000;
  const step = (i) => {
    ctx.tid = 100 + ((i >> 1) & 63);
    ctx.cpu = i & 7;
    now += 137;
    ctx.nsecs = now;
    if ((i & 1) === 0) entry(ctx);
    else ret(ctx);
  };
  measure("@start[tid] = nsecs / hist(nsecs - @start) ", step);
}

{
  const { script, ring } = compile(
    'uprobe:/usr/bin/shopd:handle_request { printf("%d %s %lu\\n", tid, comm, arg0); }',
  );
  const ctx = createHitContext({ probe: "uprobe:/usr/bin/shopd:handle_request", comm: "shopd" });
  const run = script.probes[0].run;
  const discard = {
    printf() {},
    value() {},
    map() {},
    time() {},
    errorf() {},
    warnf() {},
    lostEvents() {},
  };
  const step = (i) => {
    ctx.tid = i & 255;
    ctx.args[0] = i;
    run(ctx);
    if ((i & 1023) === 1023) ring.drain(discard);
  };
  measure("printf tracer (events formatted on drain)  ", step);
}

if (!ALLOC_MODE) {
  const flags = ["--expose-gc", "--max-semi-space-size=128"];
  spawnSync(process.execPath, [...flags, fileURLToPath(import.meta.url), "--alloc"], { stdio: "inherit" });
}
