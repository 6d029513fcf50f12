/**
 * Uretprobes (kernel-model.md 1.4, 2.12): hijacking the return address, return_instance
 * stacks, hprobe leases under uretprobes_srcu with the 100 ms ri_timer, and the trampoline.
 */
import { type Cpu, type Machine, PENDING, type Pending, type Sub } from "../../sim/machine.js";
import type { TaskStruct } from "../task.js";
import type { UprobesState } from "./state.js";
import { checkLive, get_uprobe, put_uprobe, try_get_uprobe } from "./tree.js";
import {
  ConsumerState,
  type Hprobe,
  HprobeState,
  MAX_URETPROBE_DEPTH,
  ReturnInstance,
  RI_TIMER_PERIOD_NS,
  TrampolinePhase,
  type TrampolineWalk,
  type Uprobe,
  type UprobeConsumer,
  type UprobeTask,
  type XolArea,
} from "./types.js";
import { get_xol_area } from "./xol.js";

/** A return instance from the task's pool, or a new one. */
export function alloc_return_instance(u: UprobesState, utask: UprobeTask): ReturnInstance {
  const ri = utask.ri_pool.pop() ?? new ReturnInstance();
  if (ri.next !== null) u.m.fail("return_instance reused while still linked");
  ri.cons_cnt = 0;
  ri.serial++;
  return ri;
}

/** free_ret_instance: reuse at once unless the timer is walking the list right now (R12). */
function free_ret_instance(u: UprobesState, utask: UprobeTask, ri: ReturnInstance): void {
  if (utask.ri_seqcount.tryBegin() >= 0 || u.faults.riReuseDuringTimerWalk) {
    ri.next = null;
    utask.ri_pool.push(ri);
  }
  // else kfree_rcu: dropped untouched (the timer may still be walking through it)
}

/**
 * prepare_uretprobe, the first time the mm needs its [uprobes] page: create it (a generator:
 * mmap_write_lock may sleep), then go on as prepare_uretprobe does.
 */
export function* prepare_uretprobe_new_area(
  u: UprobesState,
  t: TaskStruct,
  uprobe: Uprobe,
  ri: ReturnInstance,
): Sub<void> {
  const area = yield* get_xol_area(u, t.mm);
  if (area === null) {
    free_ret_instance(u, t.utask!, ri);
    return;
  }
  if (prepare_uretprobe(u, t, uprobe, ri, area) && u.m.mustYield()) yield 0;
}

/**
 * prepare_uretprobe: hijack the return address and push a return instance, with the mm's
 * [uprobes] page already there. True when the instance was pushed: the caller then passes
 * the interleaving point this labels.
 */
export function prepare_uretprobe(
  u: UprobesState,
  t: TaskStruct,
  uprobe: Uprobe,
  ri: ReturnInstance,
  area: XolArea,
): boolean {
  const utask = t.utask!;
  if (utask.depth >= MAX_URETPROBE_DEPTH) {
    u.stats.depthOverflows++;
    free_ret_instance(u, utask, ri);
    return false;
  }
  // 6.12: the instance keeps the uprobe by reference, taken before the return is hijacked
  // (a dying uprobe gets no return probe): try_get_uprobe, since the hit itself holds no
  // reference. Before 6.12 the hit held one (lifetime=refcount) and this was get_uprobe.
  const plain = u.config.lifetime === "refcount";
  if (u.config.uretprobe === "refcount" && !try_get_uprobe(u, uprobe, plain)) {
    free_ret_instance(u, utask, ri);
    return false;
  }
  const regs = t.regs;
  const trampoline = area.vaddr;
  let orig_ret_vaddr = regs.ret;
  regs.ret = trampoline; // arch_uretprobe_hijack_return_addr
  const chained = orig_ret_vaddr === trampoline;
  cleanup_return_instances(u, utask, chained, regs.sp);
  if (chained) {
    const prev = utask.return_instances;
    if (prev === null) {
      if (u.config.uretprobe === "refcount") put_uprobe(u, uprobe);
      free_ret_instance(u, utask, ri); // "handle tail call" warning
      return false;
    }
    orig_ret_vaddr = prev.orig_ret_vaddr;
  }
  push_return_instance(u, t, uprobe, ri, orig_ret_vaddr, chained);
  u.m.label = "prepare_uretprobe";
  return true;
}

/** The new instance takes its lease (or reference) and goes on top of the task's stack. */
function push_return_instance(
  u: UprobesState,
  t: TaskStruct,
  uprobe: Uprobe,
  ri: ReturnInstance,
  orig_ret_vaddr: number,
  chained: boolean,
): void {
  const utask = t.utask!;
  const h = ri.hprobe;
  h.uprobe = uprobe;
  h.leaseReleased = false;
  if (u.config.uretprobe === "srcu-lease") {
    h.srcu_idx = u.uretprobes_srcu.readLock();
    h.state = HprobeState.Leased;
  } else {
    h.state = HprobeState.Stable;
    h.leaseReleased = true;
  }
  ri.func = t.regs.ip;
  ri.stack = t.regs.sp;
  ri.orig_ret_vaddr = orig_ret_vaddr;
  ri.chained = chained;
  utask.depth++;
  ri.next = utask.return_instances;
  utask.return_instances = ri; // rcu_assign_pointer
  if (u.config.uretprobe === "srcu-lease") arm_ri_timer(u, t);
}

/** Which x86 liveness test applies (enum rp_check). */
enum RpCheck {
  /** A new call: SP was just decremented by `call`, so a live frame is strictly above it. */
  Call = 0,
  /** A chained (tail) call reuses the caller's frame: equal SP is alive. */
  ChainCall = 1,
  /** A return through the trampoline: equal SP is alive. */
  Ret = 2,
}

/** arch_uretprobe_is_alive (arch/x86/kernel/uprobes.c). */
function arch_uretprobe_is_alive(ri: ReturnInstance, ctx: RpCheck, sp: number): boolean {
  return ctx === RpCheck.Call ? sp < ri.stack : sp <= ri.stack;
}

/** Abandoned frames (longjmp): drop the instances that are no longer alive at this SP. */
function cleanup_return_instances(u: UprobesState, utask: UprobeTask, chained: boolean, sp: number): void {
  const ctx = chained && !u.faults.uretprobeChainCallStrict ? RpCheck.ChainCall : RpCheck.Call;
  let ri = utask.return_instances;
  while (ri !== null && !arch_uretprobe_is_alive(ri, ctx, sp)) {
    const next = ri.next;
    utask.return_instances = next; // unlinked before it is freed
    utask.depth--;
    hprobe_finalize(u, ri.hprobe, hprobe_consume(ri.hprobe));
    free_ret_instance(u, utask, ri);
    ri = next;
  }
}

/** mod_timer(ri_timer, now + 100ms): every new instance postpones all of the task's leases. */
function arm_ri_timer(u: UprobesState, t: TaskStruct): void {
  const m = u.m;
  const utask = t.utask!;
  utask.ri_timer_expires = m.now() + RI_TIMER_PERIOD_NS;
  if (!utask.ri_timer_queued) queue_ri_timer(u, t, utask.ri_timer_expires);
}

function queue_ri_timer(u: UprobesState, t: TaskStruct, at: number): void {
  const utask = t.utask!;
  utask.ri_timer_queued = true;
  u.m.addTimer(at, () => {
    utask.ri_timer_queued = false;
    if (utask.ri_timer_expires === 0 || t.utask !== utask) return;
    // A later mod_timer moved the expiry: wait until then.
    if (utask.ri_timer_expires > at) return queue_ri_timer(u, t, utask.ri_timer_expires);
    utask.ri_timer_expires = 0;
    u.m.raiseIrq(ri_timer_cpu(u.m, t.task.cpu), at, `ri_timer(${t.tid})`, () => ri_timer(u, utask));
  });
}

/**
 * The CPU that expires the ri_timer. mod_timer queued it on the owner's CPU; if that CPU is
 * idle when it expires (the owner blocked inside the instrumented call), another CPU runs it,
 * as timer migration (kernel/time/timer_migration.c) expires the global timers of idle CPUs.
 * The walk can then race with the owner waking up and returning through the trampoline on its
 * own CPU (R11); on the owner's busy CPU the softirq would run between two of its steps.
 */
function ri_timer_cpu(m: Machine, home: Cpu): number {
  const idle = home.current === null && home.runq.length === 0 && home.irq.length === 0;
  return idle && m.cpus.length > 1 ? (home.id + 1) % m.cpus.length : home.id;
}

/** ri_timer (softirq, maybe on another CPU): convert every lease of the task. */
function* ri_timer(u: UprobesState, utask: UprobeTask): Sub<void> {
  const m = u.m;
  const idx = u.uretprobes_srcu.readLock();
  u.rcu.readLock();
  utask.ri_seqcount.writeBegin();
  m.label = "ri_timer: walk";
  if (m.mustYield()) yield 0;
  for (let ri = utask.return_instances; ri !== null; ri = ri.next) {
    const serial = ri.serial;
    const seen = ri.hprobe.state;
    const seenUprobe = ri.hprobe.uprobe;
    m.label = "ri_timer: read hprobe state";
    if (m.mustYield()) yield 0;
    if (ri.serial !== serial) m.fail("R12: ri_timer saw a return instance re-initialised for another call");
    hprobe_expire(u, ri.hprobe, false, seen, seenUprobe);
  }
  utask.ri_seqcount.writeEnd();
  u.rcu.readUnlock();
  u.uretprobes_srcu.readUnlock(idx);
}

function releaseLease(u: UprobesState, h: Hprobe): void {
  if (h.leaseReleased) u.m.fail("R11: an SRCU lease released twice");
  h.leaseReleased = true;
  u.uretprobes_srcu.readUnlock(h.srcu_idx);
}

/**
 * hprobe_expire: LEASED -> STABLE (got a reference) or GONE, decided by a cmpxchg so that
 * exactly one of {timer, owner} releases the lease. `seen`/`seenUprobe` are what the caller
 * read before (the timer reads in one step and acts in the next, so the owner can race it).
 */
export function hprobe_expire(
  u: UprobesState,
  h: Hprobe,
  get: boolean,
  seen: HprobeState = h.state,
  seenUprobe: Uprobe | null = h.uprobe,
): Uprobe | null {
  const uprobe = seenUprobe;
  if (uprobe === null || seen === HprobeState.Gone || seen === HprobeState.Consumed) return null;
  if (seen === HprobeState.Stable) {
    if (get) get_uprobe(u, uprobe);
    return uprobe;
  }
  const got = try_get_uprobe(u, uprobe);
  const won = u.faults.hprobeNoCmpxchg || h.state === HprobeState.Leased;
  if (won) {
    h.state = got ? HprobeState.Stable : HprobeState.Gone;
    releaseLease(u, h);
    u.stats.leasesExpired++;
    if (got && get) get_uprobe(u, uprobe);
    return got ? uprobe : null;
  }
  if (got && !get) put_uprobe(u, uprobe); // the owner won; our pointer stays valid in our SRCU section
  return uprobe;
}

/** hprobe_consume: the owner takes the instance over (xchg to CONSUMED). */
export function hprobe_consume(h: Hprobe): HprobeState {
  const old = h.state;
  h.state = HprobeState.Consumed;
  return old;
}

/** hprobe_finalize: release what the consumed state held. */
export function hprobe_finalize(u: UprobesState, h: Hprobe, old: HprobeState): void {
  if (old === HprobeState.Leased) releaseLease(u, h);
  else if (old === HprobeState.Stable && h.uprobe !== null) put_uprobe(u, h.uprobe);
  h.uprobe = null;
}

/**
 * uprobe_handle_trampoline: the task returned through the trampoline. Pop each chain of
 * return instances (several when a longjmp abandoned frames), run the return consumers of
 * every live one, and send the task back to the original return address.
 *
 * A resumable plain function (sim/machine.ts, PENDING): its interleaving points are before
 * each return consumer and at the end; register_rwsem (the pre-6.12 designs) is a generator
 * it hands over in `t.swbp.sub`. The task's own frame (`t.swbp.tramp`) keeps its place.
 */
export function uprobe_handle_trampoline(u: UprobesState, t: TaskStruct): undefined | Pending {
  const m = u.m;
  const w = t.swbp.tramp;
  if (w.phase === TrampolinePhase.Begin) {
    // returnTrap is the return as calibrated, through the uretprobe syscall (the 2024 figures'
    // kernels had it); the entry (a syscall, or a trap with uretprobe_entry=int3) is charged before.
    m.cost(m.profile.returnTrap - m.profile.syscall);
    const utask = t.utask;
    if (utask === null || utask.return_instances === null) {
      return m.fail(`uretprobe trampoline hit by tid ${t.tid} with no pending return instance (SIGILL)`);
    }
    w.phase = TrampolinePhase.NextChain;
  }
  while (w.phase < TrampolinePhase.Leave) {
    if (w.phase === TrampolinePhase.NextChain) next_ret_chain(t, w);
    else if (w.phase === TrampolinePhase.Instance) {
      pop_return_instance(u, t, w);
      if (t.swbp.sub !== null) return PENDING; // register_rwsem first
    } else if (w.phase === TrampolinePhase.Release) release_return_instance(u, t, w);
    else if (handle_uretprobe_chain(u, t, w) === PENDING) return PENDING;
  }
  if (w.phase === TrampolinePhase.Leave) {
    m.label = "uprobe_handle_trampoline";
    w.phase = TrampolinePhase.End;
    if (m.mustYield()) return PENDING;
  }
  w.phase = TrampolinePhase.Begin;
  return undefined;
}

/** The chain on top of the task's stack: where it ends, whether its frame is still alive. */
function next_ret_chain(t: TaskStruct, w: TrampolineWalk): void {
  const ri = t.utask!.return_instances;
  if (ri === null) {
    w.phase = TrampolinePhase.Leave;
    return;
  }
  w.next_chain = find_next_ret_chain(ri);
  w.valid = w.next_chain === null || arch_uretprobe_is_alive(w.next_chain, RpCheck.Ret, t.regs.sp);
  t.regs.ip = ri.orig_ret_vaddr;
  w.ri = ri;
  w.phase = TrampolinePhase.Instance;
}

/** Unlink the chain's next instance and take its hprobe over; its consumers run if it is live. */
function pop_return_instance(u: UprobesState, t: TaskStruct, w: TrampolineWalk): void {
  const ri = w.ri;
  if (ri === w.next_chain || ri === null) {
    w.ri = null;
    w.next_chain = null;
    w.phase = w.valid ? TrampolinePhase.Leave : TrampolinePhase.NextChain;
    return;
  }
  const utask = t.utask!;
  w.next = ri.next;
  utask.return_instances = w.next;
  utask.depth--;
  w.uprobe = ri.hprobe.uprobe;
  w.old = hprobe_consume(ri.hprobe);
  w.phase = TrampolinePhase.Release;
  if (w.valid && w.old !== HprobeState.Gone && w.uprobe !== null) {
    u.stats.uretprobeHits++;
    w.phase = TrampolinePhase.Snapshot;
    consumers_read_lock(u, t, w);
  }
}

/** hprobe_finalize and free_ret_instance for the handled instance; on to the next. */
function release_return_instance(u: UprobesState, t: TaskStruct, w: TrampolineWalk): void {
  const ri = w.ri!;
  hprobe_finalize(u, ri.hprobe, w.old);
  free_ret_instance(u, t.utask!, ri);
  w.ri = w.next;
  w.next = null;
  w.uprobe = null;
  w.phase = TrampolinePhase.Instance;
}

/**
 * find_next_ret_chain: the first instance after the chain `ri` starts. A chained instance
 * shares its return address with the next (older) one, so the walk follows each instance's
 * own flag.
 */
function find_next_ret_chain(ri: ReturnInstance): ReturnInstance | null {
  let cur: ReturnInstance | null = ri;
  let chained: boolean;
  do {
    chained = cur.chained;
    cur = cur.next;
  } while (chained && cur !== null);
  return cur;
}

/**
 * handle_uretprobe_chain: run the return handlers of the uprobe's current consumers (the
 * read section is entered). PENDING at the interleaving point before each consumer.
 */
function handle_uretprobe_chain(u: UprobesState, t: TaskStruct, w: TrampolineWalk): undefined | Pending {
  const m = u.m;
  const uprobe = w.uprobe!;
  if (w.phase === TrampolinePhase.Snapshot) {
    uprobe.line.read(m);
    checkLive(u, uprobe, "handle_uretprobe_chain"); // the walk reads uprobe->consumers (R4, R11)
    w.list = uprobe.consumers;
    w.i = 0;
    w.cursor = 0;
    w.phase = TrampolinePhase.Next;
  }
  for (; w.i < w.list.length; w.i++) {
    const uc = w.list[w.i];
    if (uc.ret_handler === null) continue;
    if (w.phase === TrampolinePhase.Next) {
      m.label = "handle_uretprobe_chain: next consumer";
      w.phase = TrampolinePhase.Call;
      if (m.mustYield()) return PENDING;
    }
    w.phase = TrampolinePhase.Next;
    call_ret_consumer(u, t, w, uc);
  }
  consumers_read_unlock(u, uprobe, w.idx);
  w.list = NO_CONSUMERS;
  w.phase = TrampolinePhase.Release;
  // No timing yield before the release: free_ret_instance's put_uprobe follows up_read at
  // once, while the core still holds the line (compare handle_swbp's, after the emulation).
  return undefined;
}

const NO_CONSUMERS: readonly UprobeConsumer[] = [];

/** One return consumer: a session consumer only if its entry handler asked for the return. */
function call_ret_consumer(u: UprobesState, t: TaskStruct, w: TrampolineWalk, uc: UprobeConsumer): void {
  if (uc.state === ConsumerState.Freed) {
    u.m.fail(`R9: ret_handler of consumer ${uc.id} called after its unregister and a sync returned`);
  }
  const ri = w.ri!;
  let data = t.swbp.noCookie;
  if (uc.handler !== null) {
    while (w.cursor < ri.cons_cnt && ri.consumers[w.cursor].id < uc.id) w.cursor++;
    let found = -1;
    for (let k = 0; k < ri.cons_cnt; k++) if (ri.consumers[k].id === uc.id) found = k;
    if (found < 0) return;
    data = ri.consumers[found].cookie;
  }
  uc.ret_handler!(uc, ri.func, t.regs, data);
}

/**
 * The return-side walk's protection, as the entry side's: an SRCU or RCU Tasks Trace read
 * section, or (before 6.12) register_rwsem, whose downRead goes to `t.swbp.sub`.
 */
function consumers_read_lock(u: UprobesState, t: TaskStruct, w: TrampolineWalk): void {
  const c = u.config.consumers;
  w.idx = 0;
  if (c === "tasks-trace") u.tasks_trace.readLock();
  else if (c === "srcu") w.idx = u.uprobes_srcu.readLock();
  else t.swbp.sub = w.uprobe!.register_rwsem.downRead();
}

function consumers_read_unlock(u: UprobesState, uprobe: Uprobe, idx: number): void {
  const c = u.config.consumers;
  if (c === "tasks-trace") u.tasks_trace.readUnlock();
  else if (c === "srcu") u.uprobes_srcu.readUnlock(idx);
  else uprobe.register_rwsem.upRead();
}
