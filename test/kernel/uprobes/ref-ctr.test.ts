/**
 * USDT semaphores as in kernel/events/uprobes.c: a uprobe with a ref_ctr_offset bumps the
 * 16-bit counter in the probed file's private writable data page once per mm while its
 * breakpoint is in place (update_ref_ctr from uprobe_write_opcode, only when the instruction
 * really changes), and owes the bump on delayed_uprobe_list while that page is not mapped
 * (delayed_ref_ctr_inc pays it from uprobe_mmap; uprobe_clear_state forgets it at exit).
 * uprobe_register refuses an offset past the file's end and a counter that is not a short's
 * address, as the kernel does.
 */
import { describe, expect, it } from "vitest";
import {
  do_mmap,
  type MmStruct,
  mmput,
  PAGE_SIZE,
  PROT_READ,
  PROT_WRITE,
} from "../../../src/kernel/mm/index.js";
import { uprobe_register } from "../../../src/kernel/uprobes/index.js";
import { counter, functions, runScenario, TEXT } from "../../../src/race/harness.js";

const REF_CTR = 2 * PAGE_SIZE + 0x10;
const DATA = TEXT + 2 * PAGE_SIZE;
const SEMAPHORE = DATA + 0x10;

/** What a test sees at each note: the semaphore's value and the bumps owed to the mm. */
type Seen = [semaphore: number | undefined, owed: number][];

interface Ctx {
  mm: MmStruct;
  /** Register one more consumer of f0 with the semaphore; returns its detach. */
  attach(): Generator<number, () => Generator<number, void>>;
  /** Map the data page holding the semaphore (what ld.so does with .data). */
  mapData(): Generator<number, void>;
  note(): void;
}

/** A process with /usr/bin/app's text mapped runs `body`; returns every note taken. */
function run(body: (c: Ctx) => Generator<number, void>): Seen {
  const seen: Seen = [];
  const r = runScenario(
    {
      cpus: 1,
      build(w) {
        const fns = functions(1);
        const bin = w.binary("/usr/bin/app", fns, 3);
        const mm = w.addressSpace();
        const note = () =>
          seen.push([
            mm.ref_ctrs.get(SEMAPHORE),
            w.u.delayed_uprobe_list.filter((du) => du.mm === mm).length,
          ]);
        const ctx: Ctx = {
          mm,
          note,
          *attach() {
            const uc = counter();
            const uprobe = yield* uprobe_register(w.u, bin, fns[0].offset, uc, REF_CTR);
            return () => w.detach([{ uprobe, uc }]);
          },
          *mapData() {
            const prot = PROT_READ | PROT_WRITE;
            yield* do_mmap(mm, { addr: DATA, len: PAGE_SIZE, prot, file: bin, pgoff: 2 });
          },
        };
        w.task("exec", function* () {
          yield* w.mapText(mm, bin);
          yield* body(ctx);
        });
      },
    },
    { seed: 1, policy: "random" },
  );
  expect(r.violation?.message ?? null).toBeNull();
  return seen;
}

describe("USDT semaphores (ref_ctr_offset)", () => {
  it("one bump per mm however many consumers install the probe; back to 0 after the last detach", () => {
    const seen = run(function* (c) {
      yield* c.mapData();
      const detachA = yield* c.attach();
      c.note();
      const detachB = yield* c.attach(); // the breakpoint is already there: no second bump
      c.note();
      yield* detachB();
      c.note();
      yield* detachA();
      c.note();
    });
    expect(seen).toEqual([
      [1, 0],
      [1, 0],
      [1, 0],
      [0, 0],
    ]);
  });

  it("a bump made before the data page is mapped waits on delayed_uprobe_list until uprobe_mmap", () => {
    const seen = run(function* (c) {
      const detach = yield* c.attach();
      c.note();
      yield* c.mapData();
      c.note();
      yield* detach();
      c.note();
    });
    expect(seen).toEqual([
      [undefined, 1],
      [1, 0],
      [0, 0],
    ]);
  });

  it("an mm that exits owing a bump leaves nothing on delayed_uprobe_list (uprobe_clear_state)", () => {
    const seen = run(function* (c) {
      yield* c.attach();
      c.note();
      yield* mmput(c.mm);
      c.note();
    });
    expect(seen).toEqual([
      [undefined, 1],
      [undefined, 0],
    ]);
  });
});

describe("uprobe_register's argument checks", () => {
  /** What uprobe_register throws for these arguments (null: it registered). */
  function registerError(offset: number, ref_ctr_offset: number): string | null {
    let error: string | null = null;
    const r = runScenario(
      {
        cpus: 1,
        build(w) {
          const bin = w.binary("/usr/bin/app", functions(1), 3);
          w.task("registrar", function* () {
            try {
              yield* uprobe_register(w.u, bin, offset, counter(), ref_ctr_offset);
            } catch (e) {
              error = (e as Error).message;
            }
          });
        },
      },
      { seed: 1, policy: "random" },
    );
    expect(r.violation?.message ?? null).toBeNull();
    return error;
  }

  it("an offset past i_size or an odd ref_ctr_offset is EINVAL; a matching one registers", () => {
    expect(registerError(4 * PAGE_SIZE, 0)).toBe("/usr/bin/app+0x4000 is past the end of the file (EINVAL)");
    expect(registerError(0x100, REF_CTR + 1)).toBe(
      "/usr/bin/app+0x100: ref_ctr_offset 0x2011 is not a short's address (EINVAL)",
    );
    expect(registerError(0x100, REF_CTR)).toBeNull();
  });
});
