/**
 * Builtins and functions a simulated machine can answer: bswap, nsecs(clock), config() reads,
 * the __builtin_ spellings, usermode/numaid/cgroup/jiffies/username.
 */

import { describe, expect, test } from "vitest";
import { frontEnd } from "../../src/lang/index.js";
import { runScript } from "./harness.js";

function out(prog: string, ctx = {}): string {
  const r = runScript(prog, { ctx });
  expect(r.diagnostics).toBe("");
  // exit() leaves the blank lines bpftrace prints before its map dump.
  return r.stdout.replace(/\n+$/, "\n");
}

function errors(prog: string): string {
  return runScript(prog).diagnostics;
}

describe("bswap", () => {
  test("reverses the bytes of the argument's width", () => {
    expect(
      out(
        'begin { printf("%llx %x %x %x %x\\n", bswap(0x1122334455667788), bswap((int32)0x12345678), bswap((int16)0x1234), bswap((int8)0x12), bswap(bswap(0x1234))); exit(); }',
      ),
    ).toBe("8877665544332211 78563412 3412 12 1234\n");
  });

  test("the result is unsigned, of the argument's width", () => {
    expect(out('begin { $x = bswap((int16)0xff); printf("%d %d\\n", $x, sizeof($x)); exit(); }')).toBe(
      "65280 2\n",
    );
  });
});

describe("nsecs(clock)", () => {
  test("monotonic and boot are the simulated time; tai adds the 37 s TAI-UTC offset", () => {
    expect(
      out(
        'begin { printf("%llu %llu %llu %llu\\n", nsecs(monotonic), nsecs(boot), nsecs(tai), nsecs(sw_tai)); exit(); }',
        {
          nsecs: 5000,
        },
      ),
    ).toBe("5000 5000 37000005000 37000005000\n");
  });

  test("an unknown clock names the ones there are", () => {
    expect(errors("begin { print(nsecs(realtime)); }")).toContain(
      "nsecs() takes one clock name: monotonic, boot, tai, sw_tai",
    );
  });
});

describe("config()", () => {
  test("reads an option as set by the config block, or bpftrace's default", () => {
    expect(
      out(
        'config = { max_strlen = 64 } begin { printf("%d %s %d\\n", config().max_strlen, config().stack_mode, config().cpp_demangle); exit(); }',
      ),
    ).toBe("64 bpftrace 1\n");
  });

  test("__builtin_config is config()", () => {
    expect(
      out(
        'begin { if (config().max_strlen == __builtin_config.max_strlen) { printf("match\\n"); } exit(); }',
      ),
    ).toBe("match\n");
  });

  test("an unknown option is named, and config() alone is not a value", () => {
    expect(errors("begin { print(config().max_strln); }")).toContain(
      "config() has no option named 'max_strln'",
    );
    expect(errors("begin { print(config()); }")).toContain("config() is read one option at a time");
  });
});

describe("builtins of the simulated machine", () => {
  test("__builtin_NAME is the builtin NAME, with or without parentheses", () => {
    expect(
      out(
        "begin { if (__builtin_comm == comm() && __builtin_cpu == cpu) { print(__builtin_comm); } exit(); }",
      ),
    ).toBe("bpftrace\n");
  });

  test("usermode is 1, numaid 0, cgroup the root cgroup's id, jiffies ticks at 250 Hz", () => {
    expect(
      out('begin { printf("%d %d %d %d\\n", usermode, numaid, cgroup, jiffies); exit(); }', {
        nsecs: 1_000_000_000,
      }),
    ).toBe("1 0 1 250\n");
  });

  test("username is root for uid 0 and names other users by uid", () => {
    expect(out('begin { printf("%s\\n", username); exit(); }')).toBe("root\n");
    expect(out('begin { printf("%s\\n", username); exit(); }', { uid: 1000 })).toBe("uid1000\n");
  });
});

describe("buf() of a string", () => {
  test("takes the string's bytes, its NUL padding included, up to the length", () => {
    expect(
      out('begin { printf("%rx|%rh|%r\\n", buf("Hi", 3), buf("Hello", 2), buf("ok", 2)); exit(); }'),
    ).toBe("\\x48\\x69\\x00|48 65|ok\n");
  });

  test("buffers compare by their bytes", () => {
    expect(
      out(
        'begin { $a = buf("hi", 2); $b = buf("bye", 3); printf("%d %d %d\\n", $a == buf("hi", 2), $a != $b, $a == $b); exit(); }',
      ),
    ).toBe("1 1 0\n");
  });
});

describe("strerror, signal_name, ntop and pton", () => {
  test("strerror and signal_name answer as glibc does", () => {
    expect(
      out(
        'begin { printf("%s|%s|%s|%s|%s|%s\\n", strerror(22), strerror(7), strerror(9999), signal_name(2), signal_name(0), signal_name(1024)); exit(); }',
      ),
    ).toBe("Invalid argument|Argument list too long|Unknown error 9999|Interrupt|Unknown signal 0|N/A\n");
  });

  test("ntop of an integer reads it as an IPv4 address in memory order", () => {
    expect(
      out('begin { printf("%s %s %s\\n", ntop(1), ntop(0x0100007f), ntop(2, 0xffff0000)); exit(); }'),
    ).toBe("1.0.0.0 127.0.0.1 0.0.255.255\n");
  });

  test("pton's bytes go back through ntop, IPv6 zero runs written as ::", () => {
    expect(
      out(
        'begin { printf("%s %s %s\\n", ntop(2, pton("10.1.2.3")), ntop(10, pton("::1")), ntop(pton("fe80:0:0:0:1:0:0:2"))); exit(); }',
      ),
    ).toBe("10.1.2.3 ::1 fe80::1:0:0:2\n");
  });

  test("pton of something that is no address is an error", () => {
    expect(errors('begin { print(ntop(pton("1.2.3.400"))); }')).toContain(
      "pton() expects an IPv4 or IPv6 address",
    );
  });
});

describe("front-end warnings and config checks", () => {
  test("a declared map no probe uses is an unused map", () => {
    expect(errors("let @a = hash(2); let @b = hash(2); begin { @b[1] = 1; }")).toContain(
      "WARNING: Unused map: @a\n",
    );
  });

  test("statements after exit() or return are unreachable", () => {
    const d = errors("begin { exit(); print(1); }");
    expect(d).toContain("stdin:1:17-25: WARNING: Unreachable statement");
    expect(errors("begin { print(1); exit(); }")).not.toContain("Unreachable");
  });

  test("an unknown license is refused with the valid ones", () => {
    expect(errors('config = { license = "Potato" } begin { }')).toContain(
      "ERROR: Invalid value for license. Found: Potato. Valid values: Dual MIT/GPL",
    );
  });
});

describe("maps and positionals", () => {
  test("a full lruhash evicts the least recently used key, with no Map full warning", () => {
    const r = runScript(
      "let @a = lruhash(2); begin { @a[0] = 0; @a[1] = 1; $x = @a[0]; @a[2] = 2; exit(); }",
    );
    expect(r.combined).not.toContain("Map full");
    expect(r.stdout).toContain("@a[0]: 0\n@a[2]: 2\n");
    expect(r.stdout).not.toContain("@a[1]");
  });

  test("str($N) is the argument's text even when it reads as a number", () => {
    const r = runScript('begin { printf("-%s-%d\\n", str($1), $1 + 1); exit(); }', { args: ["1"] });
    expect(r.stdout).toContain("-1-2\n");
  });

  test("str($N) is a string literal, and str($N + K) drops the text's first K bytes", () => {
    const r = runScript('begin { printf("%s|%s|%s\\n", str($1 + 1), str($1 + 5), str($2 + 1)); exit(); }', {
      args: ["hello", "42"],
    });
    expect(r.stdout).toContain("ello||2\n");
    // kaddr() takes only a literal: str($1) is one (the front end accepts it).
    const fe = frontEnd(
      { name: "stdin", text: "begin { @ = kaddr(str($1)); exit(); }" },
      { args: ["vfs_read"] },
    );
    expect(fe.diagnostics).toEqual([]);
    expect(runScript('begin { printf("%s", str($1 + 6)); }', { args: ["hello"] }).diagnostics).toContain(
      "str($1 + 6): the offset is past the end of the parameter's 5 bytes",
    );
  });
});
