import { describe, expect, it } from "vitest";
import { BpfMap } from "../../src/runtime/maps.js";
import {
  JsonWriter,
  type OutputConsumer,
  OutputRing,
  StringSink,
  TextWriter,
} from "../../src/runtime/output.js";
import { type FormatSpec, isFormatError, parseFormat } from "../../src/runtime/printf.js";
import type { ValueType } from "../../src/runtime/types.js";
import { makeRecord } from "../../src/runtime/values.js";

function spec(fmt: string): FormatSpec {
  const r = parseFormat(fmt);
  if (isFormatError(r)) throw new Error(r.error);
  return r;
}

function buffer() {
  const chunks: string[] = [];
  return { write: (s: string) => void chunks.push(s), text: () => chunks.join("") };
}

const I64: ValueType = { kind: "int", bits: 64, signed: true };
const LOC = { filename: "stdin", line: 1, col: 9, colEnd: 30 };

describe("OutputRing", () => {
  it("delivers events in order and formats them only when drained", () => {
    const ring = new OutputRing(8);
    const s = spec("%d %s\n");
    const args = [1, "a"];
    ring.printf(s, args);
    args[0] = 2; // the handler may reuse its argument array
    args[1] = "b";
    ring.printf(s, args);
    ring.printValue([1, 20], undefined);
    expect(ring.length).toBe(3);
    const out = buffer();
    expect(ring.drain(new TextWriter(out))).toBe(3);
    expect(out.text()).toBe("1 a\n2 b\n(1, 20)\n");
    expect(ring.length).toBe(0);
  });

  it("counts lost events when full and reports them in stream position", () => {
    const ring = new OutputRing(2);
    const s = spec("e%d\n");
    for (let i = 0; i < 5; i++) ring.printf(s, [i]);
    expect(ring.lostTotal).toBe(3);
    const out = buffer();
    const err = buffer();
    const w = new TextWriter(out, err);
    ring.drain(w);
    expect(out.text()).toBe("e0\ne1\n");
    expect(err.text()).toBe("Lost 3 events\n");

    // A loss followed by a successful push is reported just before that event.
    const log: string[] = [];
    const rec: OutputConsumer = {
      printf: (t) => void log.push(t),
      value: () => {},
      map: () => {},
      time: () => {},
      errorf: () => {},
      warnf: () => {},
      lostEvents: (n) => void log.push(`lost ${n}`),
    };
    ring.printf(s, [10]);
    ring.printf(s, [11]);
    ring.printf(s, [12]);
    ring.drain(rec);
    ring.printf(s, [13]);
    ring.drain(rec);
    expect(log).toEqual(["e10\n", "e11\n", "lost 1", "e13\n"]);
    expect(ring.lostTotal).toBe(4);
  });

  it("reads maps when print events are drained, and applies clear/zero in order", () => {
    const m = new BpfMap({
      name: "@",
      keyed: true,
      keyType: { kind: "string", size: 8 },
      value: { kind: "avg", signed: true },
      maxEntries: 100,
      ncpus: 1,
    });
    for (const [k, v] of [
      ["a", 10],
      ["b", 20],
      ["c", 30],
      ["d", 40],
    ] as const)
      m.aggregate(0, k, v);
    const ring = new OutputRing();
    ring.printMap(m, 2, 10);
    ring.clearMap(m);
    expect(m.len()).toBe(4);
    const out = buffer();
    ring.drain(new TextWriter(out));
    expect(out.text()).toBe("@[c]: 3\n@[d]: 4\n");
    expect(m.len()).toBe(0);

    const c = new BpfMap({ name: "@c", keyed: false, value: { kind: "count" }, maxEntries: 1, ncpus: 1 });
    c.aggregate(0, undefined);
    ring.zeroMap(c);
    ring.printMap(c);
    const out2 = buffer();
    ring.drain(new TextWriter(out2));
    expect(out2.text()).toBe("@c: 0\n");
  });

  it("delivers exit and time events", () => {
    const ring = new OutputRing();
    ring.time(3_723_000_000_000n);
    ring.time(0, "%Y-%m-%d %H:%M:%S.%f");
    ring.exit(3);
    const codes: number[] = [];
    const out = buffer();
    const w = new TextWriter(out);
    ring.drain({
      ...w,
      printf: w.printf.bind(w),
      value: w.value.bind(w),
      map: w.map.bind(w),
      time: w.time.bind(w),
      errorf: w.errorf.bind(w),
      warnf: w.warnf.bind(w),
      lostEvents: w.lostEvents.bind(w),
      exit: (c) => void codes.push(c),
    });
    expect(out.text()).toBe("01:02:03\n1970-01-01 00:00:00.000000");
    expect(codes).toEqual([3]);
  });

  it("rejects a capacity below one", () => {
    expect(() => new OutputRing(0)).toThrow(RangeError);
  });
});

describe("TextWriter", () => {
  it("writes the banner, errorf/warnf and the exit dump", () => {
    const out = buffer();
    const err = buffer();
    const w = new TextWriter(out, err);
    w.attachedProbes(1);
    w.attachedProbes(3);
    const ring = new OutputRing();
    ring.printf(spec("hi\n"), []);
    ring.errorf(spec("bad value %d"), [5], LOC);
    ring.warnf(spec("careful\n"), [], { filename: "x.bt", line: 2, col: 1 });
    ring.warnf(spec("span"), [], { filename: "x.bt", line: 2, col: 1, lineEnd: 4 });
    ring.drain(w);
    const b = new BpfMap({
      name: "@b",
      keyed: false,
      value: { kind: "plain", type: I64 },
      maxEntries: 1,
      ncpus: 1,
    });
    b.update(undefined, 2);
    const a = new BpfMap({
      name: "@a",
      keyed: true,
      value: { kind: "plain", type: I64 },
      maxEntries: 9,
      ncpus: 1,
    });
    a.update(1, 5);
    a.update(2, 3);
    w.end([b, a]);
    expect(err.text()).toBe(
      "Attached 1 probe\nAttached 3 probes\nstdin:1:9-30: ERROR: bad value 5\nx.bt:2:1-2: WARNING: careful\n" +
        "x.bt:2-4: WARNING: span\n",
    );
    expect(out.text()).toBe("hi\n\n\n@a[2]: 3\n@a[1]: 5\n@b: 2\n");
  });

  it("skips the map dump when print_maps_on_exit is off", () => {
    const out = buffer();
    const b = new BpfMap({
      name: "@b",
      keyed: false,
      value: { kind: "plain", type: I64 },
      maxEntries: 1,
      ncpus: 1,
    });
    b.update(undefined, 2);
    new TextWriter(out).end([b], false);
    expect(out.text()).toBe("\n\n");
  });
});

describe("JsonWriter", () => {
  it("writes one record per line in bpftrace's shapes", () => {
    const out = buffer();
    const w = new JsonWriter(out);
    w.attachedProbes(1);
    const ring = new OutputRing(3);
    ring.printf(spec("test %d"), [5]);
    ring.printValue(makeRecord([2, 3]), {
      kind: "record",
      fields: [
        { name: "m", type: I64 },
        { name: "n", type: I64 },
      ],
    });
    ring.printValue([1, 2, "string"]);
    ring.printValue(true);
    ring.drain(w);
    ring.errorf(spec('oops\t"%s"'), ["x\u0001"], LOC);
    ring.time(0, "%H:%M:%S\n");
    ring.drain(w);
    const lines = out.text().split("\n");
    expect(lines).toEqual([
      '{"type": "attached_probes", "count": 1, "data": {"probes": 1}}',
      '{"type": "printf", "data": "test 5"}',
      '{"type": "value", "data": {"m": 2, "n": 3}}',
      '{"type": "value", "data": [1,2,"string"]}',
      '{"type": "lost_events", "count": 1, "data": {"events": 1}}',
      '{"type": "errorf", "msg": "oops\\t\\"x\\u0001\\"", "filename": "stdin", "line": 1, "col": 9}',
      '{"type": "time", "data": "00:00:00\\n"}',
      "",
    ]);
    for (const l of lines.slice(0, -1)) expect(() => JSON.parse(l)).not.toThrow();
  });

  it("prints maps at exit without blank lines", () => {
    const out = buffer();
    const m = new BpfMap({
      name: "@map",
      keyed: true,
      keyType: { kind: "string", size: 8 },
      value: { kind: "plain", type: I64 },
      maxEntries: 9,
      ncpus: 1,
    });
    m.update("key1", 2);
    m.update("key2", 3);
    const s = new BpfMap({
      name: "@scalar",
      keyed: false,
      value: { kind: "plain", type: I64 },
      maxEntries: 1,
      ncpus: 1,
    });
    s.update(undefined, 5);
    new JsonWriter(out).end([s, m]);
    expect(out.text()).toBe(
      '{"type": "map", "data": {"@map": {"key1": 2, "key2": 3}}}\n{"type": "map", "data": {"@scalar": 5}}\n',
    );
  });
});

describe("StringSink", () => {
  it("collects and resets", () => {
    const s = new StringSink();
    new TextWriter(s).printf("a");
    s.write("b");
    expect(s.text()).toBe("ab");
    s.reset();
    expect(s.text()).toBe("");
  });
});
