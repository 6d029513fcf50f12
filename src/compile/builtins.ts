/**
 * Builtin values (`pid`, `nsecs`, `arg0`, `func`...), read from the hit context. Register
 * values are raw u64: a negative number handed in by the session is its two's complement.
 */

import type { BuiltinExpr } from "../lang/ast.js";
import { taskStructAddress } from "../lang/kernel-structs.js";
import type { UstackType } from "../lang/types.js";
import { cast, type Int } from "../runtime/int64.js";
import { makeRecord } from "../runtime/values.js";
import type { HitContext } from "./context.js";
import { CompileError, type Eval, type ProbeEnv } from "./env.js";

/** A register as uint64 (fast when it already is a non-negative safe integer). */
export function u64(v: number | bigint): Int {
  return typeof v === "number" && v >= 0 ? v : cast(v, 64, false);
}

function argReader(i: number): Eval {
  return (ctx) => u64(ctx.args[i] ?? 0);
}

/** `probetype` from the probe name: provider part, `special` for begin/end. */
function probeTypeOf(probe: string): string {
  const colon = probe.indexOf(":");
  const provider = colon < 0 ? probe : probe.slice(0, colon);
  return provider === "begin" || provider === "end" ? "special" : provider;
}

/** The simulated kernel ticks at CONFIG_HZ=250. */
const NS_PER_JIFFY = 4_000_000;

/** The simulated machine's /etc/passwd knows root only; other users are named by uid. */
function userName(uid: number): string {
  return uid === 0 ? "root" : `uid${uid}`;
}

/** bpftrace's default stack depth (the kernel's perf_event_max_stack). */
const DEFAULT_STACK_LIMIT = 127;

/**
 * ustack / ustack(mode, limit) / kstack: frame addresses, named only when printed (bpftrace
 * symbolises in user space too). Kernel frames are the model's traceable functions.
 */
export function compileStack(env: ProbeEnv, t: UstackType): Eval {
  const limit = t.limit ?? DEFAULT_STACK_LIMIT;
  const symbols = env.script.symbols;
  if (t.kernel)
    return (ctx) => {
      symbols.useFrameSymbolizer(ctx.symbolizeFrame);
      return ctx.kstack(limit);
    };
  return (ctx) => {
    symbols.useFrameSymbolizer(ctx.symbolizeFrame);
    return ctx.ustack(limit);
  };
}

export function compileBuiltin(env: ProbeEnv, e: BuiltinExpr): Eval {
  switch (e.name) {
    case "pid":
      return (ctx) => ctx.pid;
    case "tid":
      return (ctx) => ctx.tid;
    case "ppid":
      return (ctx) => ctx.ppid;
    case "uid":
      return (ctx) => ctx.uid;
    case "gid":
      return (ctx) => ctx.gid;
    case "comm":
      // TASK_COMM_LEN is 16 bytes with the NUL.
      return (ctx) => (ctx.comm.length > 15 ? ctx.comm.slice(0, 15) : ctx.comm);
    case "pcomm":
      return (ctx) => (ctx.pcomm.length > 15 ? ctx.pcomm.slice(0, 15) : ctx.pcomm);
    case "nsecs":
      return (ctx) => ctx.nsecs;
    case "elapsed":
      return (ctx) => ctx.nsecs - ctx.startNs;
    case "cpu":
      return (ctx) => ctx.cpu;
    case "ncpus": {
      const n = env.script.ncpus;
      return () => n;
    }
    case "arg0":
      return argReader(0);
    case "arg1":
      return argReader(1);
    case "arg2":
      return argReader(2);
    case "arg3":
      return argReader(3);
    case "arg4":
      return argReader(4);
    case "arg5":
      return argReader(5);
    case "arg6":
      return argReader(6);
    case "arg7":
      return argReader(7);
    case "arg8":
      return argReader(8);
    case "arg9":
      return argReader(9);
    case "arg10":
      return argReader(10);
    case "arg11":
      return argReader(11);
    case "retval":
      return (ctx) => u64(ctx.retval);
    case "args": {
      // The whole record outlives the hit (printed, stored): copy the reused fields.
      const n = e.type.kind === "record" ? e.type.fields.length : 0;
      return (ctx) => makeRecord(ctx.fields.slice(0, n));
    }
    case "func": {
      // A kernel function's probe: the name (a ksym_t, as ksym() gives it).
      if (e.type.kind === "string") return (ctx) => ctx.func;
      // The value is the function's address (usym); remembering its name lets maps keyed
      // by `func` print names even after the traced process has gone.
      const symbols = env.script.symbols;
      return (ctx) => {
        symbols.note(ctx.funcAddr, ctx.func, ctx.symbolize);
        return ctx.funcAddr;
      };
    }
    case "probe":
      return (ctx) => ctx.probe;
    case "probetype": {
      let lastProbe = "";
      let lastType = "";
      return (ctx: HitContext) => {
        if (ctx.probe !== lastProbe) {
          lastProbe = ctx.probe;
          lastType = probeTypeOf(ctx.probe);
        }
        return lastType;
      };
    }
    case "ustack":
    case "kstack":
      return compileStack(env, e.type as UstackType);
    case "rand":
      return (ctx) => ctx.rand() >>> 0;
    case "usermode":
      // Uprobes fire in user mode, and begin/end run in user space too.
      return () => 1;
    case "numaid":
      return () => 0;
    case "cgroup":
      // Every simulated process lives in the root cgroup, whose cgroup v2 id is 1.
      return () => 1;
    case "jiffies":
      return (ctx) => Math.floor(ctx.nsecs / NS_PER_JIFFY);
    case "username": {
      let lastUid = 0;
      let lastName = userName(0);
      return (ctx: HitContext) => {
        if (ctx.uid !== lastUid) {
          lastUid = ctx.uid;
          lastName = userName(ctx.uid);
        }
        return lastName;
      };
    }
    case "curtask":
      return (ctx) => taskStructAddress(ctx.tid);
    case "ctx": {
      const addr = env.stack.contextAddress();
      return () => addr;
    }
    default:
      throw new CompileError(`builtin ${String((e as BuiltinExpr).name)} is not supported`, e.span);
  }
}
