/**
 * vma_complete runs uprobe_munmap for the VMA a merge removes, as for any mapping that goes
 * away: if that VMA mapped a probe, the mm is marked MMF_RECALC_UPROBES, so the next lookup
 * that finds no uprobe recalculates MMF_HAS_UPROBES.
 */
import { expect, it } from "vitest";
import { do_mprotect, PAGE_SIZE, PROT_EXEC, PROT_READ } from "../../../src/kernel/mm/index.js";
import { MMF_RECALC_UPROBES } from "../../../src/kernel/uprobes/index.js";
import { counter, runScenario, TEXT } from "../../../src/race/harness.js";

it("a merge that removes the VMA mapping a probe marks the mm MMF_RECALC_UPROBES", () => {
  const seen: Record<string, unknown> = {};
  const r = runScenario(
    {
      cpus: 1,
      build(w) {
        const fns = [{ name: "g", offset: PAGE_SIZE + 0x100, insn: "nop" as const }];
        const bin = w.binary("/usr/bin/app", fns);
        const mm = w.addressSpace();
        w.task("exec", function* () {
          yield* w.mapText(mm, bin);
          const reg = yield* w.attach(bin, fns[0].offset, counter());
          yield* do_mprotect(mm, TEXT + PAGE_SIZE, PAGE_SIZE, PROT_READ); // split off g's page
          seen.split = mm.vmas().length;
          mm.clear_bit(MMF_RECALC_UPROBES); // as a lookup's mmf_recalc_uprobes would
          yield* do_mprotect(mm, TEXT + PAGE_SIZE, PAGE_SIZE, PROT_READ | PROT_EXEC); // merge back
          seen.merged = mm.vmas().length;
          seen.recalc = mm.test_bit(MMF_RECALC_UPROBES);
          seen.breakpoint = mm.breakpointAt(TEXT + fns[0].offset);
          yield* w.detach([reg]);
        });
      },
    },
    { seed: 1, policy: "random" },
  );
  expect(r.violation?.message ?? null).toBeNull();
  expect(seen).toEqual({ split: 2, merged: 1, recalc: true, breakpoint: true });
});
