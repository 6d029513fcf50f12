/**
 * Uretprobes (kernel-model.md 1.4, 2.12): hijacking the return address, return_instance
 * stacks, hprobe leases under uretprobes_srcu with the 100 ms ri_timer, and the trampoline.
 */
import type { Cpu, Machine, Sub } from "../../sim/machine.js";
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
  type Uprobe,
  type UprobeTask,
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

/** prepare_uretprobe: hijack the return address and push a return instance. */
export function* prepare_uretprobe(
  u: UprobesState,
  t: TaskStruct,
  uprobe: Uprobe,
  ri: ReturnInstance,
): Sub<void> {
  const m = u.m;
  const utask = t.utask!;
  const area = yield* get_xol_area(u, t.mm);
  if (area === null) {
    free_ret_instance(u, utask, ri);
    return;
  }
  if (utask.depth >= MAX_URETPROBE_DEPTH) {
    u.stats.depthOverflows++;
    free_ret_instance(u, utask, ri);
    return;
  }
  // 6.12: the instance keeps the uprobe by reference, taken before the return is hijacked
  // (a dying uprobe gets no return probe).
  if (u.config.uretprobe === "refcount" && !try_get_uprobe(u, uprobe)) {
    free_ret_instance(u, utask, ri);
    return;
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
      return;
    }
    orig_ret_vaddr = prev.orig_ret_vaddr;
  }
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
  ri.func = regs.ip;
  ri.stack = regs.sp;
  ri.orig_ret_vaddr = orig_ret_vaddr;
  ri.chained = chained;
  utask.depth++;
  ri.next = utask.return_instances;
  utask.return_instances = ri; // rcu_assign_pointer
  if (u.config.uretprobe === "srcu-lease") arm_ri_timer(u, t);
  m.label = "prepare_uretprobe";
  if (m.mustYield()) yield 0;
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

/** uprobe_handle_trampoline: the task returned through the trampoline. */
export function* uprobe_handle_trampoline(u: UprobesState, t: TaskStruct): Sub<void> {
  const m = u.m;
  const utask = t.utask;
  m.cost(m.profile.returnTrap - m.profile.trap);
  if (utask === null || utask.return_instances === null) {
    return m.fail(`uretprobe trampoline hit by tid ${t.tid} with no pending return instance (SIGILL)`);
  }
  const regs = t.regs;
  let valid = false;
  do {
    let ri: ReturnInstance | null = utask.return_instances;
    if (ri === null) break;
    const next_chain = find_next_ret_chain(ri);
    valid = next_chain === null || arch_uretprobe_is_alive(next_chain, RpCheck.Ret, regs.sp);
    regs.ip = ri.orig_ret_vaddr;
    while (ri !== next_chain && ri !== null) {
      const next: ReturnInstance | null = ri.next;
      utask.return_instances = next;
      utask.depth--;
      const h = ri.hprobe;
      const uprobe = h.uprobe;
      const old = hprobe_consume(h);
      if (valid && old !== HprobeState.Gone && uprobe !== null)
        yield* handle_uretprobe_chain(u, t, ri, uprobe);
      hprobe_finalize(u, h, old);
      free_ret_instance(u, utask, ri);
      ri = next;
    }
  } while (!valid);
  m.label = "uprobe_handle_trampoline";
  if (m.mustYield()) yield 0;
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

/** handle_uretprobe_chain: run the return handlers of the uprobe's current consumers. */
function* handle_uretprobe_chain(
  u: UprobesState,
  t: TaskStruct,
  ri: ReturnInstance,
  uprobe: Uprobe,
): Sub<void> {
  const m = u.m;
  u.stats.uretprobeHits++;
  const idx = yield* consumers_read_lock(u, uprobe);
  uprobe.line.read(m);
  checkLive(u, uprobe, "handle_uretprobe_chain"); // the walk reads uprobe->consumers (R4, R11)
  const list = uprobe.consumers;
  let cursor = 0;
  for (let i = 0; i < list.length; i++) {
    const uc = list[i];
    if (uc.ret_handler === null) continue;
    m.label = "handle_uretprobe_chain: next consumer";
    if (m.mustYield()) yield 0;
    if (uc.state === ConsumerState.Freed) {
      m.fail(`R9: ret_handler of consumer ${uc.id} called after its unregister and a sync returned`);
    }
    let data = t.swbp.noCookie;
    if (uc.handler !== null) {
      // session consumer: only if its entry handler asked for the return
      while (cursor < ri.cons_cnt && ri.consumers[cursor].id < uc.id) cursor++;
      let found = -1;
      for (let k = 0; k < ri.cons_cnt; k++) if (ri.consumers[k].id === uc.id) found = k;
      if (found < 0) continue;
      data = ri.consumers[found].cookie;
    }
    uc.ret_handler(uc, ri.func, t.regs, data);
  }
  consumers_read_unlock(u, uprobe, idx);
}

/** The return-side walk's protection, as the entry side's (a register_rwsem read before 6.12). */
function* consumers_read_lock(u: UprobesState, uprobe: Uprobe): Sub<number> {
  const c = u.config.consumers;
  if (c === "tasks-trace") u.tasks_trace.readLock();
  else if (c === "srcu") return u.uprobes_srcu.readLock();
  else yield* uprobe.register_rwsem.downRead();
  return 0;
}

function consumers_read_unlock(u: UprobesState, uprobe: Uprobe, idx: number): void {
  const c = u.config.consumers;
  if (c === "tasks-trace") u.tasks_trace.readUnlock();
  else if (c === "srcu") u.uprobes_srcu.readUnlock(idx);
  else uprobe.register_rwsem.upRead();
}
