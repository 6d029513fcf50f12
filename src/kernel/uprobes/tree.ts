/**
 * uprobes_tree: lookup, insertion, lifetime (kernel-model.md 2.1, 2.2).
 *
 * The rb-tree is modelled as a map plus its cost (a walk reads the tree's top line and
 * charges a node visit per level). What matters for correctness is kept: a lockless walk that
 * overlaps an insert or erase may miss a node that was there all along (a rotation artefact)
 * but never returns a wrong one; the uprobes_seqcount retry turns such a miss into a retry.
 */

import { traceable, UNTRACED } from "../../sim/ftrace.js";
import { PENDING, type Pending, type Sub } from "../../sim/machine.js";
import { ObjState } from "../../sim/slab.js";
import type { UprobeInode } from "./mm-api.js";
import { delayed_uprobe_remove } from "./ref-ctr.js";
import type { UprobesState } from "./state.js";
import { type TreeWalk, Uprobe, WalkPhase } from "./types.js";

const FN_FIND_UPROBE_RCU = traceable("find_uprobe_rcu", "struct uprobe *", [
  "struct inode *inode",
  "loff_t offset",
]);

/** Levels a walk visits: 1 + ceil(log2(n + 1)), which for an integer n is n's bit length. */
function treeDepth(u: UprobesState): number {
  return 1 + (32 - Math.clz32(u.tree.size));
}

/**
 * find_uprobe_rcu: lockless lookup inside the caller's read section; no reference taken.
 * A hit is always genuine; a miss is re-checked against uprobes_seqcount.
 *
 * A resumable plain function (sim/machine.ts, PENDING): its interleaving points are the
 * spin on an odd seqcount and the walk itself, where an insert or erase may overlap it; `w`
 * (the task's own) keeps its place between calls. `inode` and `offset` are read at the start.
 */
export function find_uprobe_rcu(
  u: UprobesState,
  inode: UprobeInode,
  offset: number,
  w: TreeWalk,
): Uprobe | null | Pending {
  const h = u.m.ftrace;
  if (w.phase === WalkPhase.Start && h.armed[FN_FIND_UPROBE_RCU] !== 0)
    w.traced = h.open(FN_FIND_UPROBE_RCU, inode.i_ino, offset);
  const found = walk_uprobes_tree(u, inode, offset, w);
  if (found === PENDING || w.traced === UNTRACED) return found;
  const token = w.traced;
  w.traced = UNTRACED;
  return h.exit(FN_FIND_UPROBE_RCU, token, found);
}

/** find_uprobe_rcu's body: passes over the tree until one is not overlapped by a writer. */
function walk_uprobes_tree(
  u: UprobesState,
  inode: UprobeInode,
  offset: number,
  w: TreeWalk,
): Uprobe | null | Pending {
  const m = u.m;
  if (w.phase === WalkPhase.Start) {
    w.ino = inode.i_ino;
    w.offset = offset;
    w.atStart = u.tree.get(w.ino, w.offset);
    w.phase = WalkPhase.Pass;
  }
  while (true) {
    if (w.phase === WalkPhase.Pass) {
      const seq = u.uprobes_seqcount.read();
      if ((seq & 1) === 1) {
        // read_seqcount_begin waits for the writer to finish its section
        m.label = "find_uprobe_rcu: seqcount odd, spin";
        m.cost(m.profile.cacheHit * 10);
        return PENDING;
      }
      w.seq = seq;
      u.treeLine.read(m);
      m.cost(m.profile.treeNode * treeDepth(u));
      m.label = "find_uprobe_rcu: walk";
      w.phase = WalkPhase.Read;
      if (m.mustYield()) return PENDING;
    }
    const found = walkResult(u, w);
    if (found !== undefined) {
      w.phase = WalkPhase.Start;
      w.atStart = undefined;
      return found;
    }
    w.phase = WalkPhase.Pass; // the seqcount moved: walk again
  }
}

/** The end of a pass: the node it reached, a checked miss (null), or undefined to walk again. */
function walkResult(u: UprobesState, w: TreeWalk): Uprobe | null | undefined {
  const m = u.m;
  const found = u.tree.get(w.ino, w.offset) ?? null;
  // A walk that overlapped a rotation may have been steered away from the node.
  const overlapped = u.uprobes_seqcount.sequence !== w.seq;
  const missed = overlapped && found !== null && m.rng.below(2) === 0;
  if (found !== null && !missed) {
    checkLive(u, found, "find_uprobe_rcu");
    return found;
  }
  if (u.faults.treeSkipSeqRetry || !u.uprobes_seqcount.retry(w.seq)) {
    const atStart = w.atStart;
    if (atStart !== undefined && u.tree.get(w.ino, w.offset) === atStart) {
      m.fail(`R5: lockless lookup missed ${atStart.describe()}, present for the whole lookup`);
    }
    return null;
  }
  return undefined;
}

/** find_uprobe under uprobes_treelock (pre-6.12 hot path): takes a reference. */
export function* find_uprobe_locked(u: UprobesState, inode: UprobeInode, offset: number): Sub<Uprobe | null> {
  const m = u.m;
  yield* u.treelock.downRead();
  u.treeLine.read(m);
  m.cost(m.profile.treeNode * treeDepth(u));
  const found = u.tree.get(inode.i_ino, offset) ?? null;
  // __find_uprobe took get_uprobe (refcount_inc): the tree's own reference keeps it alive.
  const got = found !== null && try_get_uprobe(u, found, true);
  u.treelock.upRead();
  m.label = "find_uprobe: treelock";
  if (m.mustYield()) yield 0;
  return got ? found : null;
}

/**
 * try_get_uprobe (refcount_inc_not_zero, a cmpxchg loop). `plain`: where the kernel of that
 * design took get_uprobe (refcount_inc, one locked add) on a uprobe it knew alive.
 */
export function try_get_uprobe(u: UprobesState, uprobe: Uprobe, plain = false): boolean {
  checkLive(u, uprobe, "try_get_uprobe");
  return uprobe.ref.incNotZero(plain);
}

export function get_uprobe(u: UprobesState, uprobe: Uprobe): void {
  checkLive(u, uprobe, "get_uprobe");
  uprobe.ref.inc();
}

/** put_uprobe: the last reference queues the deferred free. */
export function put_uprobe(u: UprobesState, uprobe: Uprobe): void {
  checkLive(u, uprobe, "put_uprobe");
  if (uprobe.ref.decAndTest()) uprobe_free_deferred(u, uprobe);
}

/** A freed uprobe's memory is poisoned: touching it is a use-after-free (R4). */
export function checkLive(u: UprobesState, uprobe: Uprobe, where: string): void {
  if (uprobe.objState === ObjState.Poisoned) {
    u.m.fail(`use-after-free: ${where} touched freed uprobe ${uprobe.describe()}`);
  }
}

/**
 * alloc_uprobe + insert_uprobe: returns a uprobe in the tree on which the caller owns one
 * reference (either the new one, or an existing live one with an extra reference).
 */
export function* alloc_uprobe(
  u: UprobesState,
  inode: UprobeInode,
  offset: number,
  ref_ctr_offset: number,
): Sub<Uprobe | "EINVAL"> {
  const m = u.m;
  const fresh = new Uprobe(m, inode, offset, ref_ctr_offset);
  m.cost(m.profile.slabAlloc);
  const uprobe = yield* insert_uprobe(u, fresh);
  if (uprobe !== fresh && uprobe.ref_ctr_offset !== ref_ctr_offset) {
    put_uprobe(u, uprobe);
    return "EINVAL";
  }
  return uprobe;
}

function* insert_uprobe(u: UprobesState, fresh: Uprobe): Sub<Uprobe> {
  const m = u.m;
  yield* u.treelock.downWrite();
  u.uprobes_seqcount.writeBegin();
  m.label = "insert_uprobe: write section";
  if (m.mustYield()) yield 0; // a lockless walk may overlap the rebalancing from here
  let result = fresh;
  const old = u.tree.get(fresh.inode.i_ino, fresh.offset);
  if (old !== undefined && try_get_uprobe(u, old)) {
    result = old;
  } else {
    if (old !== undefined) erase(u, old); // dying: evict it (its deferred free sees it inactive)
    link(u, fresh);
  }
  u.treeLine.write(m);
  u.uprobes_seqcount.writeEnd();
  u.treelock.upWrite();
  if (m.mustYield()) yield 0;
  return result;
}

function link(u: UprobesState, uprobe: Uprobe): void {
  u.tree.link(uprobe);
  uprobe.rb_linked = true;
}

/** rb_erase of `uprobe`; the fault erases whatever node holds its key, a newer uprobe's too (R7). */
function erase(u: UprobesState, uprobe: Uprobe): void {
  const { i_ino } = uprobe.inode;
  if (u.tree.get(i_ino, uprobe.offset) === uprobe || u.faults.freeEraseUnconditionally)
    u.tree.unlink(i_ino, uprobe.offset);
  uprobe.rb_linked = false;
}

/**
 * uprobe_free_deferred: a workqueue item erases the node (only if still linked: a newer
 * registration may have evicted it, R7), then frees the memory behind an SRCU grace period
 * and then an RCU Tasks Trace grace period.
 */
function uprobe_free_deferred(u: UprobesState, uprobe: Uprobe): void {
  const m = u.m;
  m.spawn(
    "kworker/uprobe_free",
    function* () {
      yield* u.treelock.downWrite();
      u.uprobes_seqcount.writeBegin();
      m.label = "uprobe_free_deferred: erase";
      if (m.mustYield()) yield 0;
      if (uprobe.rb_linked || u.faults.freeEraseUnconditionally) erase(u, uprobe);
      u.treeLine.write(m);
      u.uprobes_seqcount.writeEnd();
      u.treelock.upWrite();
      delayed_uprobe_remove(u, uprobe, null); // under delayed_uprobe_lock
      if (m.mustYield()) yield 0;
      const poison = () => {
        uprobe.objState = ObjState.Poisoned;
      };
      if (u.faults.freeSkipGp) poison();
      else free_after_readers(u, poison);
    },
    0,
  );
}

/**
 * The grace periods a free waits for: the domain the hit path reads (Tasks Trace since 6.12,
 * uprobes_srcu in the Aug-2024 posting; none before 6.12, when every hit held a reference
 * taken under uprobes_treelock and put_uprobe freed at once), after uretprobes_srcu when
 * pending return instances hold SRCU leases (6.13+).
 */
function free_after_readers(u: UprobesState, free: () => void): void {
  const c = u.config;
  let after = free;
  if (c.consumers === "tasks-trace") after = () => u.tasks_trace.call(free);
  else if (c.consumers === "srcu") after = () => u.uprobes_srcu.call(free);
  if (c.uretprobe === "srcu-lease") u.uretprobes_srcu.call(after);
  else after();
}

/** build_probe_list: live uprobes of `inode` in [min, max), each with a reference. */
export function* build_probe_list(
  u: UprobesState,
  inode: UprobeInode,
  min: number,
  max: number,
): Sub<Uprobe[]> {
  const list: Uprobe[] = [];
  const nodes = u.tree.ofInode(inode.i_ino);
  if (nodes === undefined || nodes.size === 0) return list;
  yield* u.treelock.downRead();
  for (const uprobe of nodes.values()) {
    if (uprobe.offset >= min && uprobe.offset < max && try_get_uprobe(u, uprobe)) list.push(uprobe);
  }
  u.treelock.upRead();
  if (u.m.mustYield()) yield 0;
  return list;
}

/** Any registered uprobe of `inode` inside [min, max)? (vma_has_uprobes) */
export function vma_has_uprobes(u: UprobesState, inode: UprobeInode, min: number, max: number): boolean {
  const nodes = u.tree.ofInode(inode.i_ino);
  if (nodes === undefined) return false;
  for (const uprobe of nodes.values()) if (uprobe.offset >= min && uprobe.offset < max) return true;
  return false;
}
