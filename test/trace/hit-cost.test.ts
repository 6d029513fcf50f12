/** A hit costs O(log VMAs): no per-hit copy of the whole VMA list (vma_lookup_quiet uses the tree). */
import { expect, it } from "vitest";
import { resolveKernelConfig } from "../../src/kernel/config.js";
import { loadWorkload } from "../../src/process/index.js";
import { StringSink } from "../../src/runtime/index.js";
import { Session } from "../../src/trace/session.js";

it("hits never list every VMA", () => {
  const out = new StringSink();
  const s = new Session({
    workload: loadWorkload("default", { cpus: 2, seed: 1 }),
    cpus: 2,
    seed: 1,
    kernelProfile: "latest",
    config: resolveKernelConfig("latest"),
    format: "text",
    out,
    err: out,
  });
  const { script } = s.load({ name: "hits", text: "uprobe:libc:malloc { @ = count(); }" });
  s.start(script!);
  s.runUntil(5_000_000);
  const mm = s.process!.mm;
  let listed = 0;
  const vmas = mm.vmas.bind(mm);
  mm.vmas = () => {
    listed++;
    return vmas();
  };
  const before = script!.probes[0].hits();
  s.runUntil(30_000_000);
  expect(script!.probes[0].hits() - before).toBeGreaterThan(100);
  expect(listed).toBe(0);
});
