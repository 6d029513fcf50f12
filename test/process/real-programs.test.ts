/**
 * The workload features that mirror real programs: binaries `like` a bundled mirror of a
 * real library, functions at given offsets, function pointers (`addr_of`), threads created
 * at run time (`thread`), lognormal latencies; and the bundled workloads built on them.
 */
import { describe, expect, it } from "vitest";
import {
  createThreadState,
  evalValue,
  findMirror,
  findSymbol,
  loadWorkload,
  loadWorkloadText,
  mirrorNames,
  Op,
  resolveTarget,
  symbolAtVaddr,
  Val,
  WorkloadError,
} from "../../src/process/index.js";

const load = (text: string) => loadWorkloadText(text, "t.yaml", { cpus: 2, seed: 1 });
const errorOf = (text: string): string => {
  try {
    load(text);
  } catch (err) {
    if (err instanceof WorkloadError) return err.message;
    throw err;
  }
  throw new Error("expected a WorkloadError");
};

const withLibc = (libc: string, body = "        - call: malloc") => `binaries:
  /usr/bin/app:
    functions: [main, { name: worker, size: 128 }]
  /usr/lib/libc.so.6:
${libc}
process:
  exe: /usr/bin/app
  libs: [libc]
  threads:
    - body:
${body}
`;

describe("binaries like a mirrored library", () => {
  it("gets glibc's real names, offsets and sizes", () => {
    const w = load(withLibc("    like: glibc-2.36"));
    const libc = w.binaries[1]!;
    expect(findSymbol(libc, "malloc")).toMatchObject({ offset: 0x98930, size: 0x317 });
    expect(findSymbol(libc, "gethostbyname2_r")).toMatchObject({ offset: 0x118fb0, size: 0x4b5 });
    expect(findSymbol(libc, "pthread_create")).toBeDefined();
    // The text mapping covers the real file size.
    expect(libc.size).toBe(Math.ceil(1926232 / 4096) * 4096);
    const offsets = libc.symbols.map((s) => s.offset);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
  });

  it("keeps functions listed in the file first, at their own layout", () => {
    const w = load(withLibc("    like: glibc-2.36\n    functions: [{ name: malloc, size: 320 }]"));
    const libc = w.binaries[1]!;
    expect(findSymbol(libc, "malloc")).toMatchObject({ offset: 0x1000, size: 320 });
    expect(libc.symbols.filter((s) => s.name === "malloc")).toHaveLength(1);
    expect(findSymbol(libc, "free")).toMatchObject({ offset: 0x98ef0 });
  });

  it("splits pthreads out of libc for the older layout", () => {
    expect(findMirror("glibc-2.31")!.functions.some(([n]) => n === "pthread_create")).toBe(false);
    expect(findMirror("libpthread-2.31")!.functions.some(([n]) => n === "pthread_create")).toBe(true);
    expect(findMirror("libpthread-2.36")!.functions.map(([n]) => n)).toEqual([
      "__libpthread_version_placeholder",
    ]);
  });

  it("names the mirrors when one is unknown", () => {
    expect(errorOf(withLibc("    like: glibc-2.63"))).toMatch(
      /^t\.yaml:5:5: binaries\["\/usr\/lib\/libc\.so\.6"\]: no mirror named "glibc-2\.63" \(did you mean "glibc-2\.36"\?\); mirrors: glibc-2\.36, /,
    );
    expect(mirrorNames()).toContain("libssl-3.0");
  });

  it("needs functions, like or elf, and not like and elf together", () => {
    expect(errorOf(withLibc("    other: 1"))).toMatch(/unknown key "other" in a binary/);
    expect(errorOf(withLibc("    like: glibc-2.36\n    elf: /bin/ls"))).toMatch(
      /"elf" does not go with "like"/,
    );
  });
});

describe("functions at given offsets", () => {
  it("places a function at its offset and the next one after it", () => {
    const w = load(
      withLibc("    functions: [{ name: malloc, offset: 0x98930, size: 0x317 }, { name: free, size: 32 }]"),
    );
    const libc = w.binaries[1]!;
    expect(findSymbol(libc, "malloc")!.offset).toBe(0x98930);
    expect(findSymbol(libc, "free")!.offset).toBe(0x98930 + 0x320);
    expect(symbolAtVaddr(libc, 0x98930 + 5)!.name).toBe("malloc");
  });
});

describe("function pointers and threads created at run time", () => {
  const body = `        - call: pthread_create
          args: [0x7ffc0000, 0, { addr_of: worker }, 7]
          ret: 0
          body:
            - thread:
                comm: pool
                body:
                  - call: worker
                    args: [{ seq: 1 }]`;
  it("passes the start routine's address and starts the thread from inside the call", () => {
    const w = load(withLibc("    like: glibc-2.36", body));
    const program = w.process.threads[0]!.program;
    const call = program.ops[0]!;
    expect(call.op).toBe(Op.CALL);
    if (call.op !== Op.CALL) return;
    const state = createThreadState(program, w.functions.length, 1);
    const start = evalValue(state, call.args[2]!);
    const worker = findSymbol(w.binaries[0]!, "worker")!;
    expect(start).toBe(w.process.placement[0]! + worker.offset);
    const fork = program.ops[1]!;
    expect(fork.op).toBe(Op.FORK);
    if (fork.op !== Op.FORK) return;
    expect(fork.child.newThread).toBe(true);
    expect(fork.comm).toBe("pool");
  });

  it("reports an unknown start routine where it is named", () => {
    expect(
      errorOf(withLibc("    like: glibc-2.36", body.replace("addr_of: worker", "addr_of: wroker"))),
    ).toMatch(/^t\.yaml:12:44: .*args\[2\]\.addr_of: unknown function "wroker" \(did you mean "worker"\?\)/);
  });
});

describe("lognormal times", () => {
  it("draws around the median with the given 99th percentile", () => {
    const w = load(withLibc("    like: glibc-2.36", "        - sleep: { lognormal: [1ms, 20ms] }"));
    const program = w.process.threads[0]!.program;
    const op = program.ops[0]!;
    if (op.op !== Op.SLEEP) throw new Error("expected a sleep");
    expect(program.values[op.time]!.kind).toBe(Val.LOGNORMAL);
    const state = createThreadState(program, w.functions.length, 7);
    const draws = Array.from({ length: 20000 }, () => evalValue(state, op.time)).sort((a, b) => a - b);
    const median = draws[10000]!;
    const p99 = draws[19800]!;
    expect(median).toBeGreaterThan(900_000);
    expect(median).toBeLessThan(1_100_000);
    expect(p99).toBeGreaterThan(16_000_000);
    expect(p99).toBeLessThan(24_000_000);
  });

  it("rejects a zero median and a p99 below the median", () => {
    expect(errorOf(withLibc("    like: glibc-2.36", "        - sleep: { lognormal: [0ns, 1ms] }"))).toMatch(
      /median of a lognormal time must be above 0/,
    );
    expect(errorOf(withLibc("    like: glibc-2.36", "        - sleep: { lognormal: [2ms, 1ms] }"))).toMatch(
      /the low end 2000000 is above the high end 1000000/,
    );
  });
});

describe("bundled workloads that mirror real programs", () => {
  const opts = { cpus: 2, seed: 1 };
  it("bash links a split libreadline, and /bin/bash has no readline of its own", () => {
    const w = loadWorkload("bash", opts);
    const [bash] = resolveTarget(w.binaries, w.process.cwd, "/bin/bash");
    const [readline] = resolveTarget(w.binaries, w.process.cwd, "libreadline");
    expect(findSymbol(bash!, "readline")).toBeUndefined();
    expect(findSymbol(readline!, "readline")).toBeDefined();
    expect(w.process.comm).toBe("bash");
  });

  it("tls has OpenSSL 3 names in libssl and libcrypto", () => {
    const w = loadWorkload("tls", opts);
    const [ssl] = resolveTarget(w.binaries, "/", "libssl");
    const [crypto] = resolveTarget(w.binaries, "/", "libcrypto");
    for (const f of ["SSL_read", "SSL_write", "SSL_do_handshake"]) expect(findSymbol(ssl!, f)).toBeDefined();
    for (const f of ["rsa_ossl_private_encrypt", "ossl_ecdsa_sign", "ossl_ecdh_compute_key"]) {
      expect(findSymbol(crypto!, f)).toBeDefined();
    }
    // OpenSSL 3 renamed ecdh_simple_compute_key; the old name is not there.
    expect(findSymbol(crypto!, "ecdh_simple_compute_key")).toBeUndefined();
  });

  it("every bundled process that links libc gets glibc's resolver and pthread names", () => {
    for (const name of ["default", "kvstore", "bash", "tls", "crawler"]) {
      const w = loadWorkload(name, opts);
      const [libc] = resolveTarget(w.binaries, "/", "libc");
      for (const f of ["getaddrinfo", "gethostbyname2_r", "gethostbyaddr", "calloc", "nanosleep"]) {
        expect(findSymbol(libc!, f), `${name}: ${f}`).toBeDefined();
      }
    }
  });
});
