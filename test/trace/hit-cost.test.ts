/** A hit costs O(log VMAs): no per-hit copy of the whole VMA list (vma_lookup_quiet uses the tree). */

import { expect, it } from "vitest";
import { testSession } from "./session-fixture.js";

it("hits never list every VMA", () => {
  const { s } = testSession();
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
