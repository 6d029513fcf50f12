/**
 * `uaddr("name")`: the address of a symbol of the probe's target binary, resolved once when
 * the script loads (bpftrace resolves it at load time too), never per hit. The front end
 * does not know the workload; whoever does hands in a resolver.
 */
import type { AttachPoint, CallExpr } from "./ast.js";
import type { DiagnosticSink } from "./diagnostics.js";
import { ERROR_TYPE, type IntBits, intType, pointerTo, type Type } from "./types.js";

/** A symbol as found in a target binary: its run-time address and size in bytes. */
export interface UserSymbol {
  address: number;
  size: number;
}

/** Finds `name` in the binary an attach point targets; a string is the error to report. */
export type UserSymbolResolver = (ap: AttachPoint, name: string) => UserSymbol | string;

const POINTEE_BITS = new Map<number, IntBits>([
  [1, 8],
  [2, 16],
  [4, 32],
]);

const UPROBE_PROVIDERS = new Set(["uprobe", "uretprobe"]);

/**
 * The type of a `uaddr()` call, with the address recorded on the call. The pointee is the
 * signed integer of the symbol's size (8 bytes for any other size), as bpftrace types it.
 * Without a resolver (a parse-only look at the script) the call is typed but left unresolved.
 */
export function checkUaddr(
  e: CallExpr,
  aps: readonly AttachPoint[],
  resolve: UserSymbolResolver | null,
  sink: DiagnosticSink,
): Type {
  const arg = e.args[0];
  if (e.args.length !== 1 || arg?.kind !== "string") {
    sink.error(`uaddr() takes one string literal, the symbol's name (${e.args.length} provided)`, e.span);
    return ERROR_TYPE;
  }
  if (!aps.every((ap) => UPROBE_PROVIDERS.has(ap.provider))) {
    sink.error("uaddr() can only be used in uprobe and uretprobe probes", e.span);
    return ERROR_TYPE;
  }
  if (resolve === null) return pointerTo(intType(64, true));
  let found: UserSymbol | null = null;
  for (const ap of aps) {
    const r = resolve(ap, arg.value);
    if (typeof r === "string") {
      sink.error(r, e.span);
      return ERROR_TYPE;
    }
    if (found !== null && found.address !== r.address) {
      sink.error(
        `uaddr("${arg.value}") needs one target binary: the probe's attach points name several`,
        e.span,
      );
      return ERROR_TYPE;
    }
    found = r;
  }
  e.address = found!.address;
  return pointerTo(intType(POINTEE_BITS.get(found!.size) ?? 64, true));
}
