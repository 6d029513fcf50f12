/**
 * The two races of docs/kernel-model.md that are performance effects rather than wrong
 * answers, measured on scenarios (bench/kernel-effects-bench.mjs prints the figures):
 *
 * - R3: while a registration holds an mm's mmap_write_lock, every speculative lookup in that
 *   mm fails at mmap_lock_speculate_try_begin and queues on mmap_read_lock behind it.
 * - R10: uprobe_unregister_sync waits for an uretprobes_srcu grace period, which a task with
 *   a pending return instance holds up until it returns, or until its ri_timer converts the
 *   lease, which it cannot do while new instances keep re-arming it within 100 ms.
 */
import type { TaskStruct } from "../kernel/task.js";
import type { UprobeStats } from "../kernel/uprobes/state.js";
import { CALLER_RET, counter, functions, runScenario, type Scenario, TEXT } from "./harness.js";
import { callAt } from "./kernel-scenarios.js";

const STACK = 0x7ffffffde000 - 8;
const MS = 1_000_000;

/** Run `s` once on simulated time (durations decide these effects); its stats and length. */
function measure(s: Scenario, seed: number): { st: UprobeStats; ns: number } {
  const r = runScenario(s, { seed, policy: "time" });
  if (r.violation !== null) throw new Error(r.violation.message);
  return { st: r.world.u.stats, ns: r.machine.now() };
}

export interface SpeculationFigures {
  hits: number;
  speculative: number;
  /** Lookups that found mm_lock_seq odd or moved and took mmap_read_lock. */
  fallbacks: number;
  /** Breakpoint hits per simulated millisecond, over all hitters. */
  hitsPerMs: number;
}

/**
 * R3: three threads hit f0 for as long as a registrar attaches and detaches `registrations`
 * consumers on seven other functions of the same binary (each register_for_each_vma takes
 * the mm's mmap_write_lock), or, with 0, sleeps as long.
 */
export function speculationVsRegistration(registrations: number, seed = 1): SpeculationFigures {
  const s: Scenario = {
    cpus: 4,
    build(w) {
      const fns = functions(8);
      w.process(fns, function* (mm, bin) {
        yield* w.attach(bin, fns[0].offset, counter());
        for (let i = 0; i < 3; i++)
          w.hitter(mm, `hitter${i}`, TEXT + fns[0].offset, { work: 200, max: 100_000 });
        w.driver("registrar", function* () {
          if (registrations === 0) yield* w.m.sleep(2 * MS);
          for (let i = 0; i < registrations; i++) {
            const reg = yield* w.attach(bin, fns[1 + (i % 7)].offset, counter());
            yield* w.detach([reg]);
          }
        });
      });
    },
  };
  const { st, ns } = measure(s, seed);
  return {
    hits: st.hits,
    speculative: st.speculativeHits,
    fallbacks: st.speculativeFallbacks,
    hitsPerMs: st.hits / (ns / MS),
  };
}

export interface SyncFigures {
  syncs: number;
  /** Mean simulated time of one uprobe_unregister_sync. */
  meanSyncMs: number;
}

/**
 * R10: a registrar attaches and detaches a consumer of f2 (a sync per detach) while a thread
 * calls f1, which has a return consumer, every 20 ms for 400 ms. With `outerPending`, all of
 * those calls happen inside one long call of f0, which has a return consumer too: its
 * instance stays pending, and each new inner instance re-arms the ri_timer.
 */
export function syncVsPendingReturn(outerPending: boolean, seed = 1): SyncFigures {
  const s: Scenario = {
    cpus: 2,
    build(w) {
      const fns = functions(3);
      const [f0, f1] = [TEXT + fns[0].offset, TEXT + fns[1].offset];
      w.process(fns, function* (mm, bin) {
        yield* w.attach(bin, fns[0].offset, counter({ entry: false, ret: true }));
        yield* w.attach(bin, fns[1].offset, counter({ entry: false, ret: true }));
        let running = true;
        const inner = function* (t: TaskStruct) {
          for (let i = 0; i < 20; i++) {
            yield* callAt(w, t, f1, STACK - 64, TEXT + 0x180);
            yield* w.m.sleep(20 * MS);
          }
        };
        w.thread(mm, "caller", function* (t) {
          if (outerPending) yield* callAt(w, t, f0, STACK, CALLER_RET, () => inner(t));
          else yield* inner(t);
          running = false;
        });
        w.driver("registrar", function* () {
          while (running) {
            const reg = yield* w.attach(bin, fns[2].offset, counter());
            yield* w.detach([reg]);
            yield* w.m.sleep(5 * MS);
          }
        });
      });
    },
  };
  const { st } = measure(s, seed);
  return { syncs: st.syncCalls, meanSyncMs: st.syncTimeNs / Math.max(1, st.syncCalls) / MS };
}
