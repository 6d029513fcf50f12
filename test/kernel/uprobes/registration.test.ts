/**
 * Races between registration and the rest (kernel-model.md R8, R9, R16): a consumer's
 * UPROBE_HANDLER_REMOVE against a concurrent registration, handlers still running when
 * unregister and sync return, and mmap of a probed file against unregister.
 */
import { describe, expect, it } from "vitest";
import { explore } from "../../../src/race/explore.js";
import { mmapVsUnregister, removeVsRegister, unregisterVsChain } from "../../../src/race/scenarios.js";

const SEEDS = 150;

describe("registration races: protection on, no violation over every seed and both policies", () => {
  it.each([
    ["R8 UPROBE_HANDLER_REMOVE vs concurrent registration", removeVsRegister()],
    ["R9 handler after unregister + sync", unregisterVsChain("entry")],
    ["R9 ret_handler after unregister + sync", unregisterVsChain("return")],
    ["R16 mmap of the probed file vs unregister", mmapVsUnregister()],
  ])("%s", (_name, scenario) => {
    const r = explore(scenario, { seeds: SEEDS });
    expect(r.found?.violation.message ?? null).toBeNull();
    expect(r.deadlocks).toBe(0);
  });
});

describe("registration races: the fault switch makes exploration find the race", () => {
  it.each([
    [
      "remove-skip-recheck",
      removeVsRegister(),
      /^R8: mm\d+ is wanted by consumer \d+ .* but has no breakpoint/,
    ],
    ["unregister-skip-sync", unregisterVsChain("entry"), /^R9: consumer \d+ called after its unregister/],
    ["unregister-skip-sync", unregisterVsChain("return"), /^R9: ret_handler of consumer \d+ called after/],
    ["mmap-skip-filter", mmapVsUnregister(), /^R16: breakpoint at 0x[0-9a-f]+ in mm\d+ .* survives/],
  ])("%s", (fault, scenario, message) => {
    const r = explore(scenario, { seeds: SEEDS, faults: [fault] });
    expect(r.found).not.toBeNull();
    expect(r.found!.violation.message).toMatch(message);
    expect(r.found!.violation.interleaving).toMatch(/step \d+ cpu\d/);
  });
});
