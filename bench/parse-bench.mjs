// Front-end throughput: lex + parse + build the AST + check a large generated script.
// Run `npm run build` first, then `node bench/parse-bench.mjs [probes]`. Prints lines/s.
// Not a test: nothing here asserts on time. Goal: >= 200,000 lines/s.

import { frontEnd } from "../dist/lang/index.js";

const FUNCS = ["main", "handle_request", "parse_header", "lookup_item", "checksum", "send_reply"];

/** One realistic probe pair per function: entry stamps, return measures, as latency.bt does. */
function probePair(i) {
  const f = FUNCS[i % FUNCS.length];
  return `uprobe:/usr/bin/shopd:${f}
/pid > 0 && comm != "idle"/
{
	@start_${i}[tid] = nsecs;
	@calls_${i}[comm, func] = count();
	$size = arg0 & 0xffff;
	if ($size > 4096) {
		@big_${i} = count();
	} else {
		@small_${i} = sum($size);
	}
}

uretprobe:/usr/bin/shopd:${f}
/has_key(@start_${i}, tid)/
{
	$lat = (nsecs - @start_${i}[tid]) / 1000;
	@lat_${i} = hist($lat);
	@lin_${i} = lhist($lat, 0, 1000, 50);
	printf("%-8d %-16s %lu us ret=%d\\n", tid, comm, $lat, (int32)retval);
	delete(@start_${i}, tid);
}
`;
}

const probes = Number(process.argv[2] ?? 2000);
const header = 'config = { max_map_keys = 65536; missing_probes = "warn" }\n\n';
const text = header + Array.from({ length: probes }, (_, i) => probePair(i)).join("\n");
const lines = text.split("\n").length;
const src = { name: "bench.bt", text };

const check = frontEnd(src);
if (!check.program) {
  console.error(check.diagnostics.slice(0, 5));
  throw new Error("the generated script does not check cleanly");
}

frontEnd(src); // warm up the JIT
// Wall time and this process's CPU time: on a shared, loaded machine the CPU figure is the
// front end's own cost; the wall figure includes waiting for a core.
const runs = 5;
const wall = [];
const cpu = [];
for (let r = 0; r < runs; r++) {
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  frontEnd(src);
  const used = process.cpuUsage(cpuStart);
  wall.push(Number(process.hrtime.bigint() - start) / 1e9);
  cpu.push((used.user + used.system) / 1e6);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rate = (seconds) => Math.round(lines / seconds).toLocaleString("en-US");
console.log(
  `parse+check ${lines} lines (${text.length} bytes, ${probes * 2} probes), median of ${runs}: ` +
    `wall ${(median(wall) * 1000).toFixed(0)} ms = ${rate(median(wall))} lines/s; ` +
    `cpu ${(median(cpu) * 1000).toFixed(0)} ms = ${rate(median(cpu))} lines/cpu-s`,
);
