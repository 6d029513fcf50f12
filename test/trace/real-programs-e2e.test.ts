/**
 * End to end on the workloads that mirror real programs: scripts of our own that use the same
 * constructs and probes as bpftrace's uprobe tools (bashreadline, gethostlatency, ssllatency,
 * sslsnoop, threadsnoop), run through the CLI as a user would.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { probelab } from "../cli/harness.js";

const run = (workload: string, script: string, duration = "300ms") =>
  probelab(["run", "-q", "-w", workload, "--duration", duration, "-e", script]);

describe("bash: command lines from readline", () => {
  it("reads the lines typed from libreadline; /bin/bash:readline is missing and ignored", async () => {
    const r = await run(
      "bash",
      `config = { missing_probes = ignore; }
       uretprobe:/bin/bash:readline, uretprobe:libreadline:readline /comm == "bash"/ {
         printf("%-6d %s\\n", pid, str(retval));
       }`,
      "1s",
    );
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines.slice(0, 3)).toEqual(["4100   ls -l", "4100   git status", "4100   cat notes.txt"]);
    expect(lines.length).toBeGreaterThanOrEqual(5);
  });

  it("without missing_probes = ignore, the missing symbol is an error", async () => {
    const r = await run("bash", 'uretprobe:/bin/bash:readline { printf("%s\\n", str(retval)); }');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("No matches for uretprobe /bin/bash:readline");
  });

  it("forks a child for each command: the children are other processes", async () => {
    const r = await run(
      "bash",
      `uprobe:libc:execve { printf("%d %d %s\\n", pid == 4100, tid == pid, str(arg0)); }`,
      "500ms",
    );
    expect(r.status).toBe(0);
    const first = r.stdout.trim().split("\n")[0]!;
    expect(first).toBe("0 1 /usr/bin/ls");
  });
});

describe("tls: OpenSSL 3 handshakes and transfers", () => {
  const script = `config = { missing_probes = ignore; }
    uprobe:libssl:SSL_read, uprobe:libssl:SSL_write, uprobe:libssl:SSL_do_handshake {
      @start_ssl[tid] = nsecs; @func_ssl[tid] = func;
    }
    uretprobe:libssl:SSL_read, uretprobe:libssl:SSL_write, uretprobe:libssl:SSL_do_handshake
    /has_key(@start_ssl, tid)/ {
      $lat_us = (nsecs - @start_ssl[tid]) / 1000;
      if (((int8)retval) >= 1) { @ok[@func_ssl[tid]] = stats($lat_us); }
      else { @fail[@func_ssl[tid]] = count(); }
      delete(@start_ssl, tid); delete(@func_ssl, tid);
    }
    uprobe:libcrypto:rsa_ossl_private_encrypt, uprobe:libcrypto:ossl_ecdsa_sign,
    uprobe:libcrypto:ossl_ecdh_compute_key, uprobe:libcrypto:ecdh_simple_compute_key {
      @start_crypto[tid] = nsecs;
    }
    uretprobe:libcrypto:rsa_ossl_private_encrypt, uretprobe:libcrypto:ossl_ecdsa_sign,
    uretprobe:libcrypto:ossl_ecdh_compute_key
    /has_key(@start_crypto, tid)/ {
      @crypto[func] = lhist((nsecs - @start_crypto[tid]) / 1000, 0, 1400, 200);
      delete(@start_crypto, tid);
    }
    end { clear(@start_ssl); clear(@func_ssl); clear(@start_crypto); }`;

  it("times handshakes, reads and writes, and the RSA-2048 signature dominates", async () => {
    const r = await run("tls", script);
    expect(r.stderr).not.toContain("ERROR");
    expect(r.status).toBe(0);
    // The non-blocking server's first SSL_do_handshake returns -1 (want read); SSL_read's 0 is a close.
    expect(r.stdout).toMatch(/@fail\[SSL_do_handshake\]: \d+/);
    expect(r.stdout).toMatch(/@fail\[SSL_read\]: \d+/);
    // (int8)retval as the tools cast it: 348 bytes written is success, 4096 (low byte 0) is not.
    expect(r.stdout).toMatch(/@ok\[SSL_write\]: \{ \.count = \d+, \.average = \d+, \.total = \d+ \}/);
    expect(r.stdout).toMatch(/@fail\[SSL_write\]: \d+/);
    const rsa = r.stdout.split("@crypto[rsa_ossl_private_encrypt]:\n")[1]!.split("\n\n")[0]!;
    // Every RSA signature takes between 600 us and 1.4 ms.
    expect(rsa).not.toMatch(/^\[(0|200|400), /m);
    expect(rsa).toMatch(/^\[600, 800\)\s+\d+/m);
    expect(r.stdout).toContain("@crypto[ossl_ecdsa_sign]:\n[0, 200)");
  });

  it("prints per-call lines with tid, comm and retval, client and server alike", async () => {
    const r = await run(
      "tls",
      `uprobe:libssl:SSL_do_handshake { @s[tid] = nsecs; }
       uretprobe:libssl:SSL_do_handshake /has_key(@s, tid)/ {
         printf("%-11s %3d\\n", comm, retval); delete(@s, tid);
       }`,
      "20ms",
    );
    expect(r.status).toBe(0);
    // A handshake still in flight at the end leaves its @s entry, printed after the traced lines.
    const lines = new Set(r.stdout.split("\n").filter((line) => line.startsWith("tls-")));
    expect(lines).toEqual(new Set(["tls-server   -1", "tls-server    1", "tls-client    1"]));
  });
});

describe("crawler: a thread pool and name lookups", () => {
  it("names each new thread's start routine with usym(arg2), at microsecond times", async () => {
    const r = await run(
      "crawler",
      `config = { missing_probes = ignore; }
       uprobe:libpthread:pthread_create, uprobe:libc:pthread_create {
         printf("%15s %7d %-16s %s\\n", strftime("%H:%M:%S.%f", nsecs), pid, comm, usym(arg2));
       }`,
    );
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines.slice(0, 3).map((l) => l.slice(16))).toEqual([
      "   4100 crawler          fetch_worker",
      "   4100 crawler          fetch_worker",
      "   4100 crawler          fetch_worker",
    ]);
    expect(lines[0]).toMatch(/^00:00:00\.\d{6} /);
    expect(lines.slice(3).every((l) => l.endsWith(" prefetch_dns"))).toBe(true);
    expect(lines.length).toBeGreaterThan(3);
  });

  it("the threads it creates run and are threads of the same process", async () => {
    const r = await run(
      "crawler",
      `uprobe:/usr/bin/crawler:prefetch_dns { @[comm, pid] = count(); @tids = count(); }`,
      "600ms",
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/@\[crawler, 4100\]: \d+/);
  });

  it("func in a uretprobe names the function returning, one of several attach points", async () => {
    const r = await run(
      "crawler",
      "uretprobe:libc:gethostbyname, uretprobe:libc:gethostbyname2, uretprobe:libc:gethostbyname_r { @[func] = count(); }",
      "600ms",
    );
    expect(r.status).toBe(0);
    const keys = [...r.stdout.matchAll(/^@\[(\w+)\]: \d+$/gm)].map((m) => m[1]).sort();
    expect(keys).toEqual(["gethostbyname", "gethostbyname2", "gethostbyname_r"]);
  });

  it("times every resolver call and reads the host name it was given", async () => {
    const r = await run(
      "crawler",
      `config = { missing_probes = ignore; }
       uprobe:libc:getaddrinfo, uprobe:libc:gethostbyname, uprobe:libc:gethostbyname_r,
       uprobe:libc:gethostbyname2, uprobe:libc:gethostbyname2_r {
         @start[tid] = nsecs; @name[tid] = arg0;
       }
       uprobe:libc:gethostbyaddr, uprobe:libc:gethostbyaddr_r {
         @start[tid] = nsecs; @len[tid] = arg1;
       }
       macro ms_since(start) { (nsecs - start) / 1000000 }
       uretprobe:libc:getaddrinfo, uretprobe:libc:gethostbyname, uretprobe:libc:gethostbyname_r,
       uretprobe:libc:gethostbyname2, uretprobe:libc:gethostbyname2_r /@start[tid]/ {
         @lat_ms = hist(ms_since(@start[tid])); @host[str(@name[tid])] = count();
         delete(@start, tid); delete(@name, tid);
       }
       uretprobe:libc:gethostbyaddr, uretprobe:libc:gethostbyaddr_r /@start[tid]/ {
         @lat_ms = hist(ms_since(@start[tid])); @addrlen[@len[tid]] = count();
         delete(@start, tid); delete(@len, tid);
       }
       end { clear(@start); clear(@name); clear(@len); }`,
      "1s",
    );
    expect(r.stderr).not.toContain("ERROR");
    expect(r.status).toBe(0);
    for (const host of ["example.com", "github.com", "static.example.net", "api.example.com"]) {
      expect(r.stdout).toMatch(new RegExp(`@host\\[${host.replace(/\./g, "\\.")}\\]: \\d+`));
    }
    // IPv4 (in_addr, 4 bytes) and IPv6 (in6_addr, 16 bytes) reverse lookups.
    expect(r.stdout).toMatch(/@addrlen\[4\]: \d+/);
    expect(r.stdout).toMatch(/@addrlen\[16\]: \d+/);
    // Lognormal latencies: most lookups take under 2 ms, a few take tens of ms.
    expect(r.stdout).toMatch(/^\[0\]\s+\d+/m);
    expect(r.stdout).toMatch(/^\[(16|32), (32|64)\)\s+\d+/m);
  });
});

describe("threads created in a forked child", () => {
  it("hold a reference on the child's mm: the child keeps its address space after they exit", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "probelab-thread-")), "fork-thread.yaml");
    writeFileSync(
      file,
      `binaries:
  /usr/bin/app:
    functions: [main, a, b]
process:
  exe: /usr/bin/app
  threads:
    - body:
        - sleep: 2ms
        - fork:
            comm: child
            body:
              - thread:
                  body:
                    - call: a
              - sleep: 1ms
              - mmap: { len: 8K, as: buf }
              - loop: 10
                body:
                  - call: b
                  - sleep: 10us
`,
    );
    const r = await probelab([
      "run",
      "-q",
      "-w",
      file,
      "--duration",
      "10ms",
      "-e",
      "uprobe:/usr/bin/app:a, uprobe:/usr/bin/app:b { @[comm, func] = count(); }",
    ]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("@[child, a]: 1\n");
    expect(r.stdout).toContain("@[child, b]: 10\n");
  });
});

describe("address probes on a binary whose addresses are not its offsets (non-PIE)", () => {
  const file = join(mkdtempSync(join(tmpdir(), "probelab-addr-")), "nonpie.yaml");
  writeFileSync(
    file,
    `binaries:
  /usr/bin/app:
    functions:
      - { name: main, offset: 0x1000, addr: 0x401000, size: 64 }
      - { name: work, offset: 0x1040, addr: 0x401040, size: 32 }
process:
  exe: /usr/bin/app
  threads:
    - body:
        - loop: forever
          body:
            - call: work+4
            - sleep: 10us
`,
  );
  it("0xADDR is an address of the file's layout: it resolves to that spot's file offset", async () => {
    const r = await probelab([
      "run",
      "-q",
      "-w",
      file,
      "--duration",
      "5ms",
      "-e",
      "uprobe:/usr/bin/app:0x401044 { @at = count(); } uprobe:/usr/bin/app:work+4 { @off = count(); }",
    ]);
    expect(r.status).toBe(0);
    const at = Number(/@at: (\d+)/.exec(r.stdout)?.[1]);
    const off = Number(/@off: (\d+)/.exec(r.stdout)?.[1]);
    // Both fire on every call of work+4 once attached (they attach one after the other).
    expect(at).toBeGreaterThan(100);
    expect(off).toBeGreaterThan(100);
    const wrong = await probelab(["run", "--dry-run", "-w", file, "-e", "uprobe:/usr/bin/app:0x1044 {}"]);
    expect(wrong.stderr).toContain("Could not resolve address: /usr/bin/app:0x1044");
  });
});
