/** `probelab list` and `probelab workloads`. */
import { globMatch, listSymbols, listWorkloads } from "../process/index.js";
import { guarded, workload } from "./common.js";

interface ListOptions {
  workload: string;
  set: string[];
}

export function runList(pattern: string | undefined, opts: ListOptions): Promise<void> {
  return guarded(() => {
    const w = workload(opts.workload, opts.set, 1, 1);
    const lines: string[] = [];
    for (const { binary, symbol } of listSymbols(w.binaries)) {
      for (const kind of ["uprobe", "uretprobe"]) {
        const name = `${kind}:${binary.path}:${symbol.name}`;
        if (pattern === undefined || globMatch(pattern, name)) lines.push(name);
      }
    }
    process.stdout.write(lines.length > 0 ? `${lines.join("\n")}\n` : "");
  });
}

export function runWorkloads(): Promise<void> {
  return guarded(() => {
    const list = listWorkloads();
    const width = Math.max(...list.map((w) => w.name.length));
    for (const w of list) process.stdout.write(`${w.name.padEnd(width)}  ${w.description}\n`);
  });
}
