/**
 * The name a uprobe gets (what `probe` prints and the live view lists): bpftrace names each
 * expanded probe by its resolved target, so a wildcard or a bare library name becomes the
 * file's path, while a path given in full stays as written.
 */

import { describe, expect, it } from "vitest";
import { testSession } from "./session-fixture.js";

// Two files a bare `libfoo` names: bpftrace takes the first and warns.
const TWO_LIBS = `
name: twolibs
binaries:
  /usr/bin/app:
    functions: [main]
  /usr/lib/libfoo.so.1:
    functions: [foo]
  /usr/lib/libfoo.so.2:
    functions: [foo]
process:
  comm: app
  exe: /usr/bin/app
  threads:
    - name: app
      body:
        - loop: forever
          body:
            - call: main
            - sleep: 1ms
`;

function probeNames(text: string, workloadYaml?: string): { names: string[]; warnings: string[] } {
  const { s } = testSession({ separateErr: true, workloadYaml });
  const { script, diagnostics } = s.load({ name: "stdin", text });
  if (script === null) throw new Error(diagnostics.map((d) => d.message).join("; "));
  return {
    names: script.probes.map((p) => p.concrete.name).sort(),
    warnings: diagnostics.filter((d) => d.severity === "warning").map((d) => d.message),
  };
}

describe("uprobe names", () => {
  it("a wildcard target names each match by its path", () => {
    expect(probeNames("uprobe:*:lookup_item { @[probe] = count(); }").names).toEqual([
      "uprobe:/usr/bin/shopd:lookup_item",
    ]);
    expect(probeNames("uprobe:/usr/bin/*:handle_* { @[probe] = count(); }").names).toEqual([
      "uprobe:/usr/bin/shopd:handle_request",
    ]);
  });

  it("a bare library name is named by the file it resolved to", () => {
    expect(probeNames("uretprobe:libc:free { @[probe] = count(); }").names).toEqual([
      "uretprobe:/usr/lib/libc.so.6:free",
    ]);
  });

  it("a relative glob names each match relative to the cwd, as glob(3) returns it", () => {
    const text = "uprobe:./testprogs/uprobe*:uprobeFunction1 { @[probe] = count(); }";
    const { s } = testSession({ separateErr: true, workload: "testprogs" });
    const { script } = s.load({ name: "stdin", text });
    expect(script!.probes.map((p) => p.concrete.name).sort()).toEqual([
      "uprobe:./testprogs/uprobe_loop:uprobeFunction1",
      "uprobe:./testprogs/uprobe_test:uprobeFunction1",
    ]);
  });

  it("a path given in full stays as written", () => {
    expect(probeNames("uprobe:/usr/bin/shopd:checksum { @[probe] = count(); }").names).toEqual([
      "uprobe:/usr/bin/shopd:checksum",
    ]);
  });

  it("a bare name that matches several files takes the first, with bpftrace's warning", () => {
    const { names, warnings } = probeNames("uprobe:libfoo:foo { @[probe] = count(); }", TWO_LIBS);
    expect(names).toEqual(["uprobe:/usr/lib/libfoo.so.1:foo"]);
    expect(warnings).toEqual([
      "attaching to uprobe target file '/usr/lib/libfoo.so.1' but matched 2 binaries",
    ]);
  });

  it("probe prints the resolved name in the map's keys", () => {
    const { s, out } = testSession({ separateErr: true });
    const { script } = s.load({ name: "stdin", text: "uprobe:*:lookup_item { @[probe] = count(); }" });
    s.start(script!);
    s.runUntil(20_000_000);
    s.finish();
    expect(out.text()).toMatch(/^\n\n@\[uprobe:\/usr\/bin\/shopd:lookup_item\]: \d+\n$/);
  });
});
