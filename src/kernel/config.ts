/**
 * Kernel designs as configuration. The uprobes stack went through several designs between
 * 2023 and 2025; each is a combination of switches, so they can be compared in one run
 * (kernel-model.md 6.3). A profile names a combination; `--switch key=value` changes one
 * switch of it. Fault switches (kernel/faults.ts) are separate: they remove a safety check.
 */

export interface KernelConfig {
  /** How handler_chain and handle_uretprobe_chain protect the consumer list walk. */
  consumers: "rwsem" | "srcu" | "tasks-trace";
  /** Whether a hit takes a reference on the uprobe (refcount) or relies on the read section (rcu). */
  lifetime: "refcount" | "rcu";
  /** uprobes_tree lookup: under uprobes_treelock (an rwlock, or the June-2024 RFC's percpu rwsem), or lockless. */
  tree: "locked" | "percpu-rwsem" | "lockless";
  /** VMA-to-inode resolution: mmap_read_lock on every hit, or speculative first. */
  vma_lookup: "locked" | "speculative";
  /** trace_uprobe's hit counter: one shared nhit++, or per-CPU counters summed on read. */
  nhit: "shared" | "percpu";
  /** What keeps a uprobe alive for a pending return instance. */
  uretprobe: "refcount" | "srcu-lease";
  /** Detach: a synchronize per probe, one sync per batch, or the proposed batch API. */
  unregister: "sync-per-probe" | "batched" | "batch-api";
  /** How an UPROBE_HANDLER_REMOVE decision is re-checked (register_seq was proposed, not merged). */
  remove_recheck: "filter-chain" | "register-seq";
  /** Per-VMA lock form: vm_lock rwsem + detached flag (6.4-6.14) or the vm_refcnt (6.15+). */
  vma_lock: "rwsem" | "refcount";
  /** VMA slab: freed after an RCU grace period, or SLAB_TYPESAFE_BY_RCU (6.15+). */
  vma_slab: "rcu-free" | "typesafe-by-rcu";
  /** mm_lock_seq: bumped only at unlock (6.4-6.13) or a seqcount odd while write-locked (6.14+). */
  mm_lock_seq: "inc-on-unlock" | "seqcount";
  /** /proc/pid/maps reader: under mmap_read_lock, or under per-VMA locks (6.17). */
  maps_reader: "mmap-lock" | "per-vma";
  /** unapply_uprobe (UPROBE_HANDLER_REMOVE): mmap_read_lock (to 6.17) or mmap_write_lock (6.18). */
  unapply_lock: "read" | "write";
  /** A kprobe hit: the int3 trap, or the jump of an optimised kprobe (CONFIG_OPTPROBES). */
  kprobes: "int3" | "optimized";
  /** How the x86-64 uretprobe trampoline enters the kernel: an int3 trap, or the uretprobe syscall (6.11). */
  uretprobe_entry: "int3" | "syscall";
  /** x86-64 probes on a 5-byte NOP: always trap, or become a call into [uprobes-trampoline] after the first hit (6.18). */
  uprobe_optimize: "off" | "nop5";
}

export type SwitchName = keyof KernelConfig;

interface SwitchInfo {
  values: readonly string[];
  help: string;
}

/** Every switch, its values and a one-line description (`--kernel help` prints these). */
export const SWITCHES: Readonly<Record<SwitchName, SwitchInfo>> = {
  consumers: {
    values: ["rwsem", "srcu", "tasks-trace"],
    help: "consumer list walks (entry and return): register_rwsem read per hit, uprobes_srcu, or RCU Tasks Trace",
  },
  lifetime: {
    values: ["refcount", "rcu"],
    help: "uprobe lifetime on the hit path: refcount taken per hit, or the read section alone",
  },
  tree: {
    values: ["locked", "percpu-rwsem", "lockless"],
    help: "uprobes_tree lookup under the uprobes_treelock rwlock, under a percpu rwsem (June 2024 RFC), or lockless with seqcount retry",
  },
  vma_lookup: {
    values: ["locked", "speculative"],
    help: "VMA-to-inode resolution: mmap_read_lock per hit, or speculative (mm_lock_seq) with locked fallback",
  },
  nhit: { values: ["shared", "percpu"], help: "trace_uprobe hit counter: shared nhit++ or per-CPU" },
  uretprobe: {
    values: ["refcount", "srcu-lease"],
    help: "return instance keeps its uprobe by refcount, or by an SRCU lease converted after 100 ms (ri_timer)",
  },
  unregister: {
    values: ["sync-per-probe", "batched", "batch-api"],
    help: "detach: synchronize per probe, N x unregister_nosync + one sync, or the proposed uprobe_unregister_batch",
  },
  remove_recheck: {
    values: ["filter-chain", "register-seq"],
    help: "UPROBE_HANDLER_REMOVE re-check: filter_chain under register_rwsem, or the unmerged register_seq",
  },
  vma_lock: {
    values: ["rwsem", "refcount"],
    help: "per-VMA lock: vm_lock rwsem + detached (6.4-6.14) or vm_refcnt (6.15+)",
  },
  vma_slab: {
    values: ["rcu-free", "typesafe-by-rcu"],
    help: "VMA objects freed after RCU, or reused at once (typesafe)",
  },
  mm_lock_seq: {
    values: ["inc-on-unlock", "seqcount"],
    help: "mm_lock_seq bumped at unlock only (<=6.13) or odd while write-locked (6.14+)",
  },
  maps_reader: {
    values: ["mmap-lock", "per-vma"],
    help: "/proc/pid/maps under mmap_read_lock, or per-VMA locks (6.17)",
  },
  unapply_lock: {
    values: ["read", "write"],
    help: "unapply_uprobe under mmap_read_lock (to 6.17) or mmap_write_lock (6.18, which moves mm_lock_seq)",
  },
  kprobes: {
    values: ["int3", "optimized"],
    help: "kprobe hits trap on an int3 breakpoint, or jump to an optimised probe's detour buffer (cheaper)",
  },
  uretprobe_entry: {
    values: ["int3", "syscall"],
    help: "the uretprobe trampoline traps on int3 (to 6.10), or makes the uretprobe syscall (6.11+, x86-64)",
  },
  uprobe_optimize: {
    values: ["off", "nop5"],
    help: "a probed 5-byte nop: stepped out of line on every hit, or emulated once and rewritten into a call to the per-mm [uprobes-trampoline] that makes the uprobe syscall (6.18)",
  },
};

interface Profile {
  help: string;
  config: KernelConfig;
}

const LATEST: KernelConfig = {
  consumers: "tasks-trace",
  lifetime: "rcu",
  tree: "lockless",
  vma_lookup: "speculative",
  nhit: "percpu",
  uretprobe: "srcu-lease",
  unregister: "batched",
  remove_recheck: "filter-chain",
  vma_lock: "refcount",
  vma_slab: "typesafe-by-rcu",
  mm_lock_seq: "seqcount",
  maps_reader: "per-vma",
  unapply_lock: "read",
  kprobes: "int3",
  uretprobe_entry: "syscall",
  uprobe_optimize: "off",
};

/** The named designs, oldest first. `latest` is the default. */
export const PROFILES: Readonly<Record<string, Profile>> = {
  baseline: {
    help: "v6.9: register_rwsem consumer walks, uprobes_treelock, refcount per hit, mmap_read_lock per hit, shared nhit",
    config: {
      ...LATEST,
      consumers: "rwsem",
      lifetime: "refcount",
      tree: "locked",
      vma_lookup: "locked",
      nhit: "shared",
      uretprobe: "refcount",
      unregister: "sync-per-probe",
      vma_lock: "rwsem",
      vma_slab: "rcu-free",
      mm_lock_seq: "inc-on-unlock",
      maps_reader: "mmap-lock",
    },
  },
  srcu: {
    help: "Aug 2024 posting (not merged): uprobes_srcu for the hot path and the free, lockless tree, mmap_lock per hit",
    config: {
      ...LATEST,
      consumers: "srcu",
      lifetime: "rcu",
      tree: "lockless",
      vma_lookup: "locked",
      nhit: "shared",
      uretprobe: "refcount",
      unregister: "batched",
      vma_lock: "rwsem",
      vma_slab: "rcu-free",
      mm_lock_seq: "inc-on-unlock",
      maps_reader: "mmap-lock",
    },
  },
  "tasks-trace": {
    help: "v6.12: RCU Tasks Trace hot path and free, lockless tree, refcounted uretprobes, nosync/sync; mmap_lock per hit",
    config: {
      ...LATEST,
      consumers: "tasks-trace",
      vma_lookup: "locked",
      nhit: "shared",
      uretprobe: "refcount",
      vma_lock: "rwsem",
      vma_slab: "rcu-free",
      mm_lock_seq: "inc-on-unlock",
      maps_reader: "mmap-lock",
    },
  },
  speculative: {
    help: "v6.14: speculative VMA-to-inode resolution on the mm_lock_seq seqcount, SRCU uretprobe leases (6.13)",
    config: { ...LATEST, vma_lock: "rwsem", vma_slab: "rcu-free", maps_reader: "mmap-lock" },
  },
  latest: {
    help: "v6.17 (default): adds the 6.15 VMA refcount and typesafe VMA reuse, and the 6.17 per-VMA maps reader",
    config: LATEST,
  },
  optimized: {
    help: "v6.18: nop5 probes become calls into [uprobes-trampoline] (uprobe syscall); unapply_uprobe under mmap_write_lock",
    config: { ...LATEST, unapply_lock: "write", uprobe_optimize: "nop5" },
  },
};

export const DEFAULT_PROFILE = "latest";

export class ConfigError extends Error {}

/** Resolve a profile name plus `key=value` overrides into a configuration. */
export function resolveKernelConfig(profile: string, switches: readonly string[] = []): KernelConfig {
  // Own names only: `constructor` or `toString` are no profiles.
  const base = Object.hasOwn(PROFILES, profile) ? PROFILES[profile] : undefined;
  if (base === undefined) {
    throw new ConfigError(
      `unknown kernel profile "${profile}" (known: ${Object.keys(PROFILES).join(", ")}; try --kernel help)`,
    );
  }
  const config: KernelConfig = { ...base.config };
  for (const s of switches) applySwitch(config, s);
  checkKernelConfig(config);
  return config;
}

/**
 * Reject combinations no kernel had, where the model would guard nothing: a hit that takes
 * no reference, or walks the tree locklessly, must run inside an RCU-like read section.
 */
export function checkKernelConfig(config: KernelConfig): void {
  const guarded = config.consumers === "srcu" || config.consumers === "tasks-trace";
  if (!guarded && config.lifetime === "rcu") {
    throw new ConfigError(
      `lifetime=rcu needs consumers=srcu or consumers=tasks-trace (with consumers=${config.consumers} nothing keeps a uprobe alive during a hit)`,
    );
  }
  if (!guarded && config.tree === "lockless") {
    throw new ConfigError(
      `tree=lockless needs consumers=srcu or consumers=tasks-trace (with consumers=${config.consumers} nothing protects the walk)`,
    );
  }
}

function applySwitch(config: KernelConfig, text: string): void {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new ConfigError(`--switch takes key=value, got "${text}"`);
  const key = text.slice(0, eq).trim().replaceAll("-", "_");
  const value = text.slice(eq + 1).trim();
  if (!Object.hasOwn(SWITCHES, key)) {
    throw new ConfigError(`unknown switch "${key}" (known: ${Object.keys(SWITCHES).join(", ")})`);
  }
  const info = SWITCHES[key as SwitchName];
  if (!info.values.includes(value)) {
    throw new ConfigError(`switch ${key} takes ${info.values.join("|")}, got "${value}"`);
  }
  (config as unknown as Record<string, string>)[key] = value;
}

/** The text `--kernel help` prints. */
export function kernelHelp(): string {
  const lines = ["Kernel profiles (--kernel NAME):"];
  for (const [name, p] of Object.entries(PROFILES)) {
    lines.push(`  ${name.padEnd(12)} ${p.help}${name === DEFAULT_PROFILE ? " [default]" : ""}`);
  }
  lines.push("", "Switches (--switch key=value, repeatable; changes one switch of the profile):");
  for (const [name, s] of Object.entries(SWITCHES)) {
    lines.push(`  ${name}=${s.values.join("|")}`, `      ${s.help}`);
  }
  return lines.join("\n");
}
