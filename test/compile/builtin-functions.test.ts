/**
 * Builtins and functions a simulated machine can answer: bswap, nsecs(clock), config() reads,
 * the __builtin_ spellings, usermode/numaid/cgroup/jiffies/username.
 */

import { describe, expect, test } from "vitest";
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
