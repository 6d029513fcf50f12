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
const runs = 5;
const times = [];
for (let r = 0; r < runs; r++) {
  const start = process.hrtime.bigint();
  frontEnd(src);
  times.push(Number(process.hrtime.bigint() - start) / 1e9);
}
times.sort((a, b) => a - b);
const median = times[Math.floor(runs / 2)];
console.log(
  `parse+check ${lines} lines (${text.length} bytes, ${probes * 2} probes): median ${(median * 1000).toFixed(1)} ms, ` +
    `${Math.round(lines / median).toLocaleString("en-US")} lines/s (best ${Math.round(lines / times[0]).toLocaleString("en-US")})`,
);
