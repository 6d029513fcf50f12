/**
 * The user stack of a simulated thread as a frame-pointer unwinder (bpf_get_stack with
 * BPF_F_USER_STACK) would find it: the executor keeps, per call depth, the entry address of
 * the function running there; a caller's frame is its return address, a call instruction
 * past that function's entry.
 */

/** A call site's return address: a few bytes into the caller. */
export const CALL_INSN_LEN = 5;

/** The thread's call nesting, kept up to date by the executor at every call and return. */
export interface UserStack {
  /** Entry address of the function at each depth (0 = outermost). */
  readonly fns: Float64Array;
  /** Functions currently active. */
  depth: number;
}

/**
 * Up to `limit` frames, innermost first: `ip` (where the probe fired), then the return
 * address into each caller. At a uretprobe the returned-from function is already off the
 * stack and `ip` is the return address into its caller, so the same walk applies.
 */
export function unwindUserStack(stack: UserStack | null, ip: number, limit: number): number[] {
  const frames = [ip];
  if (stack === null) return frames;
  for (let d = stack.depth - 2; d >= 0 && frames.length < limit; d--) {
    frames.push(stack.fns[d] + CALL_INSN_LEN);
  }
  return frames;
}
