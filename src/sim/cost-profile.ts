/**
 * The one cost profile of the simulated machine, in simulated nanoseconds.
 *
 * Every value is calibrated on single-CPU figures (docs/calibration.md: an
 * Intel Xeon Gold 6138 at 2.0 GHz, 2024); nothing here depends on the CPU count or on a
 * kernel design. Multi-CPU behaviour has to emerge from cache-line sharing alone: a
 * mechanism is slow at 64 CPUs only because it writes a line that other CPUs hold.
 */
export interface CostProfile {
  /** int3 trap into the kernel, through the notifier, up to handle_swbp (and back to user). */
  trap: number;
  /** Emulating the probed instruction in the kernel (nop, push): no second trap. */
  emulate: number;
  /** Out-of-line single-step: XOL slot copy, second trap, handle_singlestep fix-ups. */
  singleStep: number;
  /** Entering and leaving the kernel for a plain syscall. */
  syscall: number;
  /** Extra transfer time per transfer already queued on the line (coherence traffic under contention). */
  lineContention: number;
  /** Queued transfers beyond this many add no further contention (the penalty levels off). */
  lineContentionCap: number;
  /** Time each line transfer occupies its socket's interconnect (all lines share it, booked in simulated time). */
  interconnectSlot: number;
  /** A transfer from a CPU on the other socket costs this many times a local one. */
  crossSocket: number;
  /** A transfer between the two SMT threads of one core costs this fraction of a local one. */
  smtSiblingTransfer: number;
  /** How much longer a step takes while the other hardware thread of the core is busy too. */
  smtSlowdown: number;
  /** Machine topology (the calibration box: 2 sockets x 20 cores x 2 threads = 80 CPUs). */
  sockets: number;
  coresPerSocket: number;
  /** A load or store that hits this CPU's cache. */
  cacheHit: number;
  /** Moving a cache line from another CPU (or invalidating other copies before a write). */
  lineTransfer: number;
  /** Extra cost of a locked read-modify-write over a plain store (pipeline drain). */
  atomic: number;
  /** Switching tasks on a CPU (sleeping lock, blocking, time-slice end). */
  contextSwitch: number;
  /** One iteration of the user-space loop that calls the probed function (usermode-count). */
  userLoop: number;
  /** Running the consumer: a BPF program that bumps a per-CPU counter. */
  bpfProgram: number;
  /** Work done per tree node visited in an rb-tree or maple-tree walk. */
  treeNode: number;
  /** The uretprobe trampoline return trap, excluding the consumer walk. */
  returnTrap: number;
  /** Time-slice length before a CPU rotates its run queue. */
  timeSlice: number;
  /** Minimum latency of a classic RCU grace period. */
  rcuGracePeriod: number;
  /** Minimum latency of an SRCU grace period (per scan phase, the polling back-off). */
  srcuScanDelay: number;
  /** Minimum latency of an RCU Tasks Trace grace period (cut from ~980 ms to ~18 ms in 2020). */
  tasksTraceGracePeriod: number;
  /** Allocation from a slab cache (kmalloc/kmem_cache_alloc) on the slow path. */
  slabAlloc: number;
  /** A kprobe's int3 in kernel mode: do_int3, kprobe_int3_handler, stepping the saved instruction. */
  kprobeTrap: number;
  /** An optimised kprobe: the jump to its detour buffer and the register save/restore there. */
  kprobeJump: number;
  /** A kretprobe's return through the trampoline (rethook): finding the instance, the handler call. */
  kretprobeReturn: number;
}

/**
 * Calibrated defaults, fitted on single-CPU figures only (`probelab bench scaling`):
 * - uprobe-nop, today's kernel, 1 CPU: ~280 ns per hit (3.53-3.57 M/s) = userLoop + trap +
 *   emulate + the lookup's cache hits + bpfProgram; the same constants give the mid-2024
 *   baseline ~2.9 M/s (published 3.03) and the SRCU design ~3.2 M/s (published 3.28) because
 *   those paths add their own lock and refcount work, not because anything is tuned per design;
 * - uprobe-ret single-stepped: ~2.9x an emulated instruction's total (1.12 vs 3.23 M/s);
 * - syscall-count: ~70 ns per getpgid(); usermode-count: ~5 ns per iteration.
 * - lineTransfer 40 ns: a core-to-core line migration inside one Skylake-SP socket (published
 *   core-to-core latencies are 40-100 ns); crossSocket 2x for a UPI hop (published Skylake-SP
 *   core-to-core latencies: about 60-70 ns inside a socket, 120-140 ns across); an SMT sibling
 *   shares L1/L2 (0.2x), and its request joins a miss its core already has in flight.
 *   lineContention 0.1: each transfer already queued on a line adds 10% to the next one (snoop
 *   traffic, failed cmpxchg retries), up to lineContentionCap 8 queued: contended-atomic
 *   throughput on one line levels off rather than falling without bound as threads are added. interconnectSlot 25 ns: every transfer
 *   also takes a slot on its socket's mesh, which all lines share (~40 M transfers/s per
 *   socket), so many contended lines at once saturate it. cacheHit ~1 ns.
 * - smtSlowdown 1.8: two busy hyperthreads share a core, each getting ~55% of it; CPUs 40-79
 *   are the second threads of cores 0-39, as Linux numbers the 6138's 80 CPUs.
 * Multi-CPU curves are not fitted: they come out of these constants (see the issue notes).
 */
export const DEFAULT_COST_PROFILE: Readonly<CostProfile> = Object.freeze({
  trap: 205,
  emulate: 20,
  singleStep: 560,
  syscall: 70,
  cacheHit: 1,
  lineTransfer: 40,
  lineContention: 0.1,
  lineContentionCap: 8,
  interconnectSlot: 25,
  crossSocket: 2,
  smtSiblingTransfer: 0.2,
  smtSlowdown: 1.8,
  sockets: 2,
  coresPerSocket: 20,
  atomic: 8,
  contextSwitch: 1500,
  userLoop: 5,
  bpfProgram: 25,
  treeNode: 3,
  returnTrap: 150,
  timeSlice: 3_000_000,
  rcuGracePeriod: 1_000_000,
  srcuScanDelay: 20_000,
  tasksTraceGracePeriod: 18_000_000,
  slabAlloc: 40,
  kprobeTrap: 230,
  kprobeJump: 25,
  kretprobeReturn: 90,
});
