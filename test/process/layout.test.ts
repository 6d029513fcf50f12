import { describe, expect, it } from "vitest";
import {
  addressToOffset,
  findSymbol,
  globMatch,
  listSymbols,
  loadWorkload,
  loadWorkloadText,
  lookupAddress,
  mappingCoversOffset,
  matchSymbols,
  offsetToAddress,
  PAGE_SIZE,
  PROT_EXEC,
  PROT_READ,
  PROT_WRITE,
  resolveTarget,
  symbolAtOffset,
} from "../../src/process/index.js";

const text = `binaries:
  /usr/bin/app:
    functions:
      - main
      - { name: big, size: 100 }
      - { name: tiny, size: 1, first_insn: ret }
      - { name: after, first_insn: push }
  /usr/lib/libc.so.6:
    functions: [malloc, free]
  /usr/lib/libssl.so.3:
    functions: [SSL_read, SSL_write]
  /usr/lib/libplug.so:
    functions: [plug_init]
  bin/helper:
    functions: [helper_main]
process:
  cwd: /srv
  exe: /usr/bin/app
  libs: [libc, libssl.so.3]
  threads:
    - body:
        - call: main
        - dlopen: libplug
`;
const w = loadWorkloadText(text, "l.yaml", { cpus: 1, seed: 0 });
const byPath = (p: string) => w.binaries.find((b) => b.path === p)!;

describe("binary layout", () => {
  it("lays functions out after a 0x1000 header, 16-byte aligned, in order", () => {
    const app = byPath("/usr/bin/app");
    expect(app.symbols.map((s) => [s.name, s.offset, s.size, s.firstInsn])).toEqual([
      ["main", 0x1000, 64, "nop"],
      ["big", 0x1040, 100, "nop"],
      ["tiny", 0x10b0, 1, "ret"],
      ["after", 0x10c0, 64, "push"],
    ]);
    expect(app.size).toBe(0x2000);
    expect(app.basename).toBe("app");
  });

  it("gives binaries distinct inode numbers in file order and resolves relative paths against cwd", () => {
    expect(w.binaries.map((b) => b.ino)).toEqual([131073, 131074, 131075, 131076, 131077]);
    expect(w.binaries.map((b) => b.path)).toContain("/srv/bin/helper");
    expect(w.process.cwd).toBe("/srv");
  });

  it("maps the exe r-x at 0x400000 with pgoff 0, libraries from 0x7f0000000000, a heap and a stack", () => {
    const maps = w.process.mappings.map((m) => [
      m.name,
      m.start.toString(16),
      m.end.toString(16),
      m.pgoff,
      m.prot,
    ]);
    expect(maps).toEqual([
      ["/usr/bin/app", "400000", "402000", 0, PROT_READ | PROT_EXEC],
      ["[heap]", "600000", "601000", 0, PROT_READ | PROT_WRITE],
      ["/usr/lib/libc.so.6", "7f0000000000", "7f0000002000", 0, PROT_READ | PROT_EXEC],
      ["/usr/lib/libssl.so.3", "7f0000100000", "7f0000102000", 0, PROT_READ | PROT_EXEC],
      ["[stack]", "7ffffffde000", "7ffffffff000", 0, PROT_READ | PROT_WRITE],
    ]);
    for (const m of w.process.mappings) {
      expect(m.start % PAGE_SIZE).toBe(0);
      expect(m.end % PAGE_SIZE).toBe(0);
    }
  });

  it("places a dlopen-only library at a fixed slot after the mapped ones", () => {
    const plug = byPath("/usr/lib/libplug.so");
    expect(w.process.placement[plug.index]!.toString(16)).toBe("7f0000200000");
  });

  it("converts addresses and file offsets through a mapping, pgoff included", () => {
    const m = {
      binary: 0,
      name: "/x",
      start: 0x7f0000005000,
      end: 0x7f0000007000,
      pgoff: 3,
      prot: PROT_READ,
    };
    expect(addressToOffset(m, 0x7f0000005010)).toBe(3 * PAGE_SIZE + 0x10);
    expect(offsetToAddress(m, 3 * PAGE_SIZE + 0x10)).toBe(0x7f0000005010);
    expect(mappingCoversOffset(m, 3 * PAGE_SIZE)).toBe(true);
    expect(mappingCoversOffset(m, 5 * PAGE_SIZE)).toBe(false);
    expect(mappingCoversOffset(m, 2 * PAGE_SIZE)).toBe(false);
  });

  it("finds symbols by name, by offset and by address", () => {
    const app = byPath("/usr/bin/app");
    expect(findSymbol(app, "big")?.offset).toBe(0x1040);
    expect(findSymbol(app, "nope")).toBeUndefined();
    expect(symbolAtOffset(app, 0x1040 + 99)?.name).toBe("big");
    expect(symbolAtOffset(app, 0x1040 + 100)).toBeUndefined(); // alignment padding
    expect(symbolAtOffset(app, 0xfff)).toBeUndefined();
    const hit = lookupAddress(w.binaries, w.process.mappings, 0x7f0000000000 + 0x1044);
    expect([hit?.binary.path, hit?.symbol?.name, hit?.offset]).toEqual([
      "/usr/lib/libc.so.6",
      "free",
      0x1044,
    ]);
    expect(lookupAddress(w.binaries, w.process.mappings, 0x600010)).toBeUndefined(); // anonymous
  });

  it("compiles call addresses from the layout", () => {
    const call = w.process.threads[0]!.program.ops[0]!;
    expect(call.op === 0 ? [call.addr, call.offset] : []).toEqual([0x401000, 0x1000]);
  });
});

describe("probe target resolution", () => {
  const names = (t: string) => resolveTarget(w.binaries, w.process.cwd, t).map((b) => b.path);

  it("resolves bare lib names and versioned sonames like bpftrace", () => {
    expect(names("libc")).toEqual(["/usr/lib/libc.so.6"]);
    expect(names("libssl")).toEqual(["/usr/lib/libssl.so.3"]);
    expect(names("libssl.so.3")).toEqual(["/usr/lib/libssl.so.3"]);
    expect(names("libplug")).toEqual(["/usr/lib/libplug.so"]);
    expect(names("libcrypto")).toEqual([]);
    expect(names("libc.so")).toEqual([]);
  });

  it("resolves absolute paths, cwd-relative paths and bare file names", () => {
    expect(names("/usr/bin/app")).toEqual(["/usr/bin/app"]);
    expect(names("./bin/helper")).toEqual(["/srv/bin/helper"]);
    expect(names("bin/helper")).toEqual(["/srv/bin/helper"]);
    expect(names("../srv/bin/helper")).toEqual(["/srv/bin/helper"]);
    expect(names("app")).toEqual(["/usr/bin/app"]);
    expect(names("/usr/bin/ap")).toEqual([]);
  });

  it("expands wildcards over paths and over file names", () => {
    expect(names("/usr/lib/lib*")).toEqual([
      "/usr/lib/libc.so.6",
      "/usr/lib/libssl.so.3",
      "/usr/lib/libplug.so",
    ]);
    expect(names("lib[cs]*")).toEqual(["/usr/lib/libc.so.6", "/usr/lib/libssl.so.3"]);
    expect(names("./bin/*")).toEqual(["/srv/bin/helper"]);
    expect(names("*")).toHaveLength(5);
  });

  it("matches functions with *, ? and [..] globs", () => {
    const ssl = byPath("/usr/lib/libssl.so.3");
    expect(matchSymbols(ssl, "SSL_*").map((s) => s.name)).toEqual(["SSL_read", "SSL_write"]);
    expect(matchSymbols(ssl, "SSL_[w]rite").map((s) => s.name)).toEqual(["SSL_write"]);
    expect(matchSymbols(ssl, "SSL_[!w]*").map((s) => s.name)).toEqual(["SSL_read"]);
    expect(matchSymbols(ssl, "SSL_rea?").map((s) => s.name)).toEqual(["SSL_read"]);
    expect(matchSymbols(ssl, "SSL_read").map((s) => s.name)).toEqual(["SSL_read"]);
    expect(matchSymbols(ssl, "ssl_*")).toEqual([]);
  });

  it("treats regex characters in a pattern literally", () => {
    expect(globMatch("a.b*", "a.bc")).toBe(true);
    expect(globMatch("a.b*", "axbc")).toBe(false);
    expect(globMatch("f(x)+*", "f(x)+1")).toBe(true);
    expect(globMatch("[", "[")).toBe(true);
    expect(globMatch("$^|{}*", "$^|{}z")).toBe(true);
  });

  it("lists every symbol of every binary for `probelab list`", () => {
    const all = listSymbols(w.binaries).map(({ binary, symbol }) => `${binary.basename}:${symbol.name}`);
    expect(all).toHaveLength(10);
    expect(all.slice(0, 2)).toEqual(["app:main", "app:big"]);
  });

  it("resolves the conformance targets in the testprogs workload", () => {
    const t = loadWorkload("testprogs", { cpus: 1, seed: 0 });
    const paths = (x: string) => resolveTarget(t.binaries, t.process.cwd, x).map((b) => b.path);
    expect(paths("./testprogs/uprobe_test")).toEqual(["/src/bpftrace/tests/testprogs/uprobe_test"]);
    expect(paths("testprogs/uprobe_test")).toEqual(["/src/bpftrace/tests/testprogs/uprobe_test"]);
    const test = resolveTarget(t.binaries, t.process.cwd, "./testprogs/uprobe_test")[0]!;
    expect(matchSymbols(test, "uprobeFunction*").map((s) => s.name)).toContain("uprobeFunction2");
    expect(findSymbol(test, "uprobeFunction3")).toBeUndefined();
    expect(paths("./testprogs/uprobe*")).toEqual([
      "/src/bpftrace/tests/testprogs/uprobe_test",
      "/src/bpftrace/tests/testprogs/uprobe_negative_retval",
      "/src/bpftrace/tests/testprogs/uprobe_symres",
      "/src/bpftrace/tests/testprogs/uprobe_loop",
    ]);
  });
});

describe("global variables", () => {
  const globals = loadWorkloadText(
    `binaries:
  /usr/bin/g:
    functions: [{ name: main, size: 40 }]
    data:
      - { name: COUNT, size: 4, value: -2 }
      - { name: FLAG, size: 1, value: 7 }
      - { name: TOTAL, size: 8, value: 0x0102030405 }
process:
  exe: /usr/bin/g
  threads:
    - body:
        - call: main
`,
    "g.yaml",
    { cpus: 1, seed: 0 },
  );

  it("lays them out after the functions, each aligned to its size, with their bytes in memory", () => {
    const [bin] = globals.binaries;
    expect(bin!.data.map((d) => [d.name, d.offset])).toEqual([
      ["COUNT", 0x1028],
      ["FLAG", 0x102c],
      ["TOTAL", 0x1030],
    ]);
    const memory = globals.process.memory;
    expect([...memory.readBytes(0x400000 + 0x1028, 4)!]).toEqual([0xfe, 0xff, 0xff, 0xff]);
    expect([...memory.readBytes(0x400000 + 0x1030, 8)!]).toEqual([5, 4, 3, 2, 1, 0, 0, 0]);
  });

  it("refuses a size a C integer does not have", () => {
    expect(() =>
      loadWorkloadText(
        "binaries:\n  /b:\n    functions: [main]\n    data: [{ name: X, size: 3 }]\nprocess:\n  exe: /b\n  threads: [{ body: [{ call: main }] }]\n",
        "d.yaml",
        { cpus: 1, seed: 0 },
      ),
    ).toThrow('d.yaml:4:29: binaries["/b"].data[0].size: a global variable is 1, 2, 4 or 8 bytes, not 3');
  });
});
