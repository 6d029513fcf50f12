/**
 * A session on a bundled workload with its output captured, as the trace tests build it:
 * loadWorkload + resolveKernelConfig + Session in one place, so a new session option is added
 * once here rather than in every test.
 */

import { resolveKernelConfig } from "../../src/kernel/config.js";
import { loadWorkload, loadWorkloadText } from "../../src/process/index.js";
import { type Sink, StringSink } from "../../src/runtime/index.js";
import { Session, type SessionOptions } from "../../src/trace/session.js";

export interface SessionFixtureOptions {
  workload?: string;
  /** A workload file's text, instead of a bundled workload's name. */
  workloadYaml?: string;
  cpus?: number;
  seed?: number;
  kernel?: string;
  switches?: string[];
  /** Capture stderr apart from stdout (by default both go to `out`). */
  separateErr?: boolean;
  /** Send both streams here instead of capturing them. */
  sink?: Sink;
  extra?: Partial<SessionOptions>;
}

export function testSession(opts: SessionFixtureOptions = {}): {
  s: Session;
  out: StringSink;
  err: StringSink;
} {
  const cpus = opts.cpus ?? 2;
  const seed = opts.seed ?? 1;
  const kernel = opts.kernel ?? "latest";
  const out = new StringSink();
  const err = opts.separateErr ? new StringSink() : out;
  const s = new Session({
    workload:
      opts.workloadYaml === undefined
        ? loadWorkload(opts.workload ?? "default", { cpus, seed })
        : loadWorkloadText(opts.workloadYaml, "workload.yaml", { cpus, seed }),
    cpus,
    seed,
    kernelProfile: kernel,
    config: resolveKernelConfig(kernel, opts.switches ?? []),
    format: "text",
    out: opts.sink ?? out,
    err: opts.sink ?? err,
    ...opts.extra,
  });
  return { s, out, err };
}
