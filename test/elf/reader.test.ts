/**
 * The ELF reader on this machine's own binaries (/bin/ls, glibc) and on damaged files made
 * from them: every damage is a clear ElfError, never a crash.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ElfError, readElf, readElfFile } from "../../src/elf/index.js";

const LIBC = "/lib/x86_64-linux-gnu/libc.so.6";
const LS = "/bin/ls";

const errorOf = (bytes: Uint8Array): string => {
  try {
    readElf(bytes, "bad.so");
  } catch (err) {
    if (err instanceof ElfError) return err.message;
    throw err;
  }
  throw new Error("expected an ElfError");
};

/** A copy of /bin/ls with some bytes changed. */
const patched = (edit: (view: DataView, bytes: Uint8Array) => void): Uint8Array => {
  const bytes = new Uint8Array(readFileSync(LS));
  edit(new DataView(bytes.buffer), bytes);
  return bytes;
};

describe("reading real ELF files", () => {
  it("lists glibc's functions with file offsets and sizes, default versions first", () => {
    const libc = readElfFile(LIBC);
    expect(libc.type).toBe("ET_DYN");
    const byName = new Map(libc.functions.map((f) => [f.name, f]));
    for (const name of ["malloc", "free", "getaddrinfo", "gethostbyname2_r", "pthread_create", "nanosleep"]) {
      const f = byName.get(name);
      expect(f, name).toBeDefined();
      expect(f!.size, name).toBeGreaterThan(0);
      expect(f!.offset, name).toBeGreaterThan(0x1000);
      expect(f!.offset, name).toBeLessThan(libc.fileSize);
    }
    // memcpy@@GLIBC_2.14 (an ifunc) wins over the old memcpy@GLIBC_2.2.5.
    expect(byName.get("memcpy")!.ifunc).toBe(true);
    expect(libc.functions.map((f) => f.offset)).toEqual(
      libc.functions.map((f) => f.offset).sort((a, b) => a - b),
    );
    expect(new Set(libc.functions.map((f) => f.name)).size).toBe(libc.functions.length);
  });

  it("says a distribution's /bin/ls is stripped and names its debug link", () => {
    const ls = readElfFile(LS);
    expect(ls.interp).toBe(true);
    // Distributions ship it stripped, with a .gnu_debuglink naming the separate debug file.
    expect(ls.stripped).toBe(true);
    expect(ls.debuglink).toMatch(/\.debug$/);
    expect(ls.functions.length).toBeGreaterThan(0);
    expect(ls.functions.every((f) => f.table === "dynsym")).toBe(true);
  });

  it("reads a file's .symtab when it has one", () => {
    // Strip nothing: a copy with .dynsym's section type changed to SHT_SYMTAB reads as a symtab.
    const bytes = patched((v, b) => {
      const shoff = Number(v.getBigUint64(40, true));
      const shnum = v.getUint16(60, true);
      for (let i = 0; i < shnum; i++) {
        const at = shoff + i * 64;
        if (v.getUint32(at + 4, true) === 11) v.setUint32(at + 4, 2, true);
      }
      void b;
    });
    const info = readElf(bytes, "ls-symtab");
    expect(info.stripped).toBe(false);
    expect(info.functions.length).toBeGreaterThan(0);
    expect(info.functions.every((f) => f.table === "symtab")).toBe(true);
  });
});

describe("damaged files give a clear error", () => {
  it("not ELF at all", () => {
    expect(errorOf(new TextEncoder().encode("#!/bin/sh\necho hi\n"))).toBe(
      "bad.so: not an ELF file (no \\x7fELF magic at the start)",
    );
    expect(errorOf(new Uint8Array(0))).toMatch(/not an ELF file/);
  });

  it("the wrong class, byte order or machine", () => {
    expect(errorOf(patched((_v, b) => void (b[4] = 1)))).toBe(
      "bad.so: the file is 32-bit (ELFCLASS32); probelab reads 64-bit ELF files only",
    );
    expect(errorOf(patched((_v, b) => void (b[4] = 9)))).toMatch(/of unknown class 9/);
    expect(errorOf(patched((_v, b) => void (b[5] = 2)))).toMatch(/big-endian/);
    expect(errorOf(patched((v) => v.setUint16(18, 183, true)))).toBe(
      "bad.so: built for AArch64; the simulated machine is x86-64",
    );
  });

  it("truncated anywhere", () => {
    const whole = new Uint8Array(readFileSync(LS));
    for (const len of [20, 63, 64, 1000, whole.length >> 1, whole.length - 100]) {
      expect(errorOf(whole.subarray(0, len)), `cut at ${len}`).toMatch(/^bad\.so: .*(truncated|damaged)/);
    }
  });

  it("huge section and header counts", () => {
    // e_shnum 0 means "the count is in section 0's sh_size": claim 2^40 sections there.
    const huge = patched((v) => {
      const shoff = Number(v.getBigUint64(40, true));
      v.setUint16(60, 0, true);
      v.setBigUint64(shoff + 32, 1n << 40n, true);
    });
    expect(errorOf(huge)).toBe("bad.so: 1099511627776 sections claimed; at most 65536");
    expect(errorOf(patched((v) => v.setUint16(60, 0xfff0, true)))).toMatch(
      /65520 section headers .* truncated|truncated/,
    );
    expect(errorOf(patched((v) => v.setUint16(58, 40, true)))).toBe(
      "bad.so: section headers of 40 bytes (expected 64)",
    );
    expect(errorOf(patched((v) => v.setBigUint64(40, 1n << 62n, true)))).toMatch(
      /e_shoff is 0x4000000000000000/,
    );
  });

  it("a symbol table whose strings or entries point outside the file", () => {
    const badLink = patched((v) => {
      const shoff = Number(v.getBigUint64(40, true));
      const shnum = v.getUint16(60, true);
      for (let i = 0; i < shnum; i++) {
        const at = shoff + i * 64;
        if (v.getUint32(at + 4, true) === 11) v.setUint32(at + 40, 999, true);
      }
    });
    expect(errorOf(badLink)).toBe("bad.so: .dynsym links to section 999, which does not exist");
    const badSize = patched((v) => {
      const shoff = Number(v.getBigUint64(40, true));
      const shnum = v.getUint16(60, true);
      for (let i = 0; i < shnum; i++) {
        const at = shoff + i * 64;
        if (v.getUint32(at + 4, true) === 11) v.setBigUint64(at + 32, 1n << 36n, true);
      }
    });
    expect(errorOf(badSize)).toMatch(/truncated or damaged: \.dynsym would end at byte/);
  });

  it("a path that is not a readable file", () => {
    expect(() => readElfFile("/nonexistent/lib.so")).toThrow("cannot read /nonexistent/lib.so: no such file");
    expect(() => readElfFile("/tmp")).toThrow("/tmp: is a directory, not an ELF file");
  });
});
