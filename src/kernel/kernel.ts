/**
 * One simulated kernel: the machine, the uprobes state and the mm subsystem wired to it
 * through the uprobes hooks (mm calls uprobe_mmap & co. exactly where the kernel does).
 */
import type { CostProfile } from "../sim/cost-profile.js";
import { Machine, type MachineOptions, type Policy } from "../sim/machine.js";
import type { KernelConfig } from "./config.js";
import { MntNamespace } from "./fs/namespace.js";
import { KernelMemory } from "./kmem.js";
import { KprobesState } from "./kprobes/kprobes.js";
import type { MmHooks } from "./mm/hooks.js";
import { type MmSubsystem, mmSubsystemOf } from "./mm/mm-struct.js";
import { TracepointState } from "./tracepoints.js";
import {
  uprobe_clear_state,
  uprobe_dup_mmap,
  uprobe_end_dup_mmap,
  uprobe_mmap,
  uprobe_munmap,
  uprobe_start_dup_mmap,
} from "./uprobes/mmap.js";
import { UprobesState } from "./uprobes/state.js";

export interface KernelOptions {
  cpus: number;
  seed: number;
  config: KernelConfig;
  policy?: Policy;
  faults?: readonly string[];
  traceSteps?: number;
  profile?: CostProfile;
  /** PCT: number of priority change points and the expected length of the run in steps. */
  pctDepth?: number;
  pctSteps?: number;
  /** Exploration hooks of the machine (src/race): a step observer and a schedule chooser. */
  observer?: MachineOptions["observer"];
  chooser?: MachineOptions["chooser"];
}

export class Kernel {
  readonly m: Machine;
  readonly u: UprobesState;
  readonly mm: MmSubsystem;
  /** kprobe_table and kretprobe instances: probes on the model's own functions. */
  readonly kprobes: KprobesState;
  /** The static tracepoints' handlers (sched, syscalls). */
  readonly tracepoints: TracepointState;
  /** Memory of the objects the model lays out byte by byte (dentries, mounts, fs_structs). */
  readonly kmem = new KernelMemory();
  /** The mount namespace and dcache every task's fs_struct points into. */
  readonly ns = new MntNamespace(this.kmem);
  /** The per-CPU process_counts: processes forked on each CPU (copy_process counts new thread groups). */
  readonly process_counts: Float64Array;

  constructor(
    readonly opts: KernelOptions,
    readonly profileName = "latest",
  ) {
    this.m = new Machine({
      cpus: opts.cpus,
      seed: opts.seed,
      policy: opts.policy,
      faults: opts.faults,
      traceSteps: opts.traceSteps,
      profile: opts.profile,
      pctDepth: opts.pctDepth,
      pctSteps: opts.pctSteps,
      observer: opts.observer,
      chooser: opts.chooser,
    });
    this.process_counts = new Float64Array(opts.cpus);
    this.u = new UprobesState(this.m, opts.config);
    this.kprobes = new KprobesState(this.m, opts.config);
    this.tracepoints = new TracepointState(this.m);
    const u = this.u;
    const hooks: MmHooks = {
      uprobe_mmap: (vma) => uprobe_mmap(u, vma),
      uprobe_munmap: (vma, start, end) => uprobe_munmap(u, vma, start, end),
      uprobe_start_dup_mmap: () => uprobe_start_dup_mmap(u),
      uprobe_end_dup_mmap: () => uprobe_end_dup_mmap(u),
      uprobe_dup_mmap: (oldmm, newmm) => uprobe_dup_mmap(u, oldmm, newmm),
      uprobe_clear_state: (mm) => uprobe_clear_state(u, mm),
    };
    this.mm = mmSubsystemOf(this.m, {
      vmaLock: opts.config.vma_lock,
      vmaSlab: opts.config.vma_slab,
      mmLockSeq: opts.config.mm_lock_seq,
      mapsReader: opts.config.maps_reader,
      rcu: u.rcu,
      hooks,
    });
  }

  get config(): KernelConfig {
    return this.opts.config;
  }
}
