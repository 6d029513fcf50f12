// Per-hit cost of the runtime's hot paths. Run `npm run build` first; prints ops/s figures.
// Not a test: nothing here asserts on time.

import { add } from "../dist/runtime/int64.js";
import { BpfMap } from "../dist/runtime/maps.js";
import { OutputRing } from "../dist/runtime/output.js";
import { parseFormat } from "../dist/runtime/printf.js";

const NCPUS = 8;

function measure(name, iterations, body) {
  body(Math.min(iterations, 100_000)); // warm up the JIT
  const start = process.hrtime.bigint();
  const sink = body(iterations);
  const ns = Number(process.hrtime.bigint() - start);
  const perSec = (iterations / ns) * 1e9;
  console.log(
    `${name.padEnd(40)} ${(perSec / 1e6).toFixed(2).padStart(8)} M ops/s  (${(ns / iterations).toFixed(1)} ns/op)`,
  );
  return sink;
}

function mapOf(value, keyed = true) {
  return new BpfMap({ name: "@m", keyed, value, maxEntries: 4096, ncpus: NCPUS });
}

const N = Number(process.argv[2] ?? 5_000_000);

measure("count() per hit, scalar map", N, (n) => {
  const m = mapOf({ kind: "count" }, false);
  for (let i = 0; i < n; i++) m.aggregate(i & (NCPUS - 1), undefined);
  return m.lookup();
});

measure("count() per hit, int key (64 keys)", N, (n) => {
  const m = mapOf({ kind: "count" });
  for (let i = 0; i < n; i++) m.aggregate(i & (NCPUS - 1), i & 63);
  return m.len();
});

measure("count() per hit, string key (comm)", N, (n) => {
  const m = mapOf({ kind: "count" });
  const comms = ["bash", "curl", "nginx", "postgres"];
  for (let i = 0; i < n; i++) m.aggregate(i & (NCPUS - 1), comms[i & 3]);
  return m.len();
});

measure("hist() add per hit, scalar", N, (n) => {
  const m = mapOf({ kind: "hist", k: 0 }, false);
  for (let i = 0; i < n; i++) m.aggregate(i & (NCPUS - 1), undefined, (i * 2654435761) % 1_000_000);
  return m.lookup();
});

measure("sum() per hit, int key", N, (n) => {
  const m = mapOf({ kind: "sum", signed: true });
  for (let i = 0; i < n; i++) m.aggregate(i & (NCPUS - 1), i & 15, i);
  return m.len();
});

measure("int64 add, fast path", N * 4, (n) => {
  let acc = 0;
  for (let i = 0; i < n; i++) acc = add(acc, i & 1023, true);
  return acc;
});

measure("int64 add, bigint slow path", N / 5, (n) => {
  let acc = 1n << 60n;
  for (let i = 0; i < n; i++) acc = add(acc, 1n << 60n, false);
  return acc;
});

const spec = parseFormat("%-6d %s %lu\n");
measure("printf push (ring 4096, drained per 4096)", N, (n) => {
  const ring = new OutputRing(4096);
  const args = [0, "bash", 0];
  let chars = 0;
  const consumer = {
    printf: (t) => {
      chars += t.length;
    },
    value() {},
    map() {},
    time() {},
    errorf() {},
    warnf() {},
    lostEvents() {},
  };
  for (let i = 0; i < n; i++) {
    args[0] = i;
    args[2] = i * 3;
    if (!ring.printf(spec, args)) {
      ring.drain(consumer);
      ring.printf(spec, args);
    }
  }
  ring.drain(consumer);
  return chars;
});
