/**
 * Probe resolution: an attach point as written (`uprobe:libc:mall*`) becomes the concrete
 * probes it names in the simulated process, the way bpftrace resolves against a real one.
 * Every matched function is one probe; missing targets and symbols get diagnostics at the
 * attach point, with near matches as hints.
 */
import type { AttachPoint, Diagnostic, UserSymbol } from "../lang/index.js";
import { editDistance } from "../lang/index.js";
import {
  type Binary,
  type BinarySymbol,
  bundledNames,
  findSymbol,
  globError,
  globMatch,
  hasWildcard,
  loadWorkload,
  matchSymbols,
  processBinaries,
  resolveTarget,
  shownTarget,
  symbolAtVaddr,
  type UsdtNote,
  type Workload,
} from "../process/index.js";

export interface ConcreteProbe {
  kind: "uprobe" | "uretprobe" | "usdt";
  binary: Binary;
  symbol: BinarySymbol;
  /** File offset of the probed instruction. */
  offset: number;
  /** usdt: the site's note (its operands and semaphore); a usdt probe is a uprobe at its nop. */
  note?: UsdtNote;
  /** What the `probe` builtin yields: the TARGET as written, the concrete function. */
  name: string;
  /** Function name (`func`). */
  func: string;
}

export interface Resolution {
  probes: ConcreteProbe[];
  diagnostics: Diagnostic[];
}

/** Resolve one uprobe/uretprobe attach point; `missing` is the script's missing_probes config. */
export function resolveAttachPoint(
  ap: AttachPoint,
  w: Workload,
  missing: "error" | "warn" | "ignore",
): Resolution {
  const kind = ap.provider === "uretprobe" ? "uretprobe" : "uprobe";
  const target = ap.target ?? "";
  const diagnostics: Diagnostic[] = [];
  const badGlob = globError(target) ?? globError(ap.func ?? "");
  if (badGlob !== null) {
    diagnostics.push({ severity: "error", message: badGlob, span: ap.span, hints: [] });
    return { probes: [], diagnostics };
  }
  const binaries = resolveTarget(w.binaries, w.process.cwd, target);
  if (binaries.length === 0) return noTargetFile("uprobe", ap, w, target);
  if (binaries.length > 1 && !hasWildcard(target)) {
    diagnostics.push({
      severity: "warning",
      message: `attaching to uprobe target file '${binaries[0].path}' but matched ${binaries.length} binaries`,
      span: ap.span,
      hints: [],
    });
    binaries.length = 1;
  }
  const probes: ConcreteProbe[] = [];
  for (const binary of binaries) {
    const shown = shownTarget(target, binary, w.process.cwd);
    for (const p of resolveInBinary(ap, kind, binary, shown, diagnostics)) probes.push(p);
  }
  if (probes.length === 0 && diagnostics.every((d) => d.severity !== "error")) {
    const what = `${target}:${ap.func ?? ""}`;
    if (missing !== "ignore") {
      diagnostics.push({
        severity: missing === "error" ? "error" : "warning",
        message:
          missing === "error"
            ? `No matches for ${kind} ${what}.`
            : `No matches for ${kind} ${what}. Skipping.`,
        span: ap.span,
        hints: nearFunctions(binaries, ap.func ?? ""),
      });
    }
  }
  return { probes, diagnostics };
}

/** A target that names no binary of the workload, with the nearest paths as hints. */
function noTargetFile(kind: "uprobe" | "usdt", ap: AttachPoint, w: Workload, target: string): Resolution {
  const message = `${kind} target file '${target}' does not exist or is not executable`;
  return {
    probes: [],
    diagnostics: [{ severity: "error", message, span: ap.span, hints: nearTargets(w, target) }],
  };
}

/**
 * `usdt:TARGET:PROVIDER:NAME`: every USDT site of the matching binaries whose provider and
 * name match (each may be a wildcard). Each site is one probe; a probe inlined in several
 * places has several sites.
 */
export function resolveUsdtAttachPoint(
  ap: AttachPoint,
  w: Workload,
  missing: "error" | "warn" | "ignore",
): Resolution {
  const target = ap.target ?? "*";
  const provider = ap.usdtProvider ?? "*";
  const name = ap.func ?? "*";
  const diagnostics: Diagnostic[] = [];
  const badGlob = globError(target) ?? globError(provider) ?? globError(name);
  if (badGlob !== null) {
    diagnostics.push({ severity: "error", message: badGlob, span: ap.span, hints: [] });
    return { probes: [], diagnostics };
  }
  const binaries = target === "*" ? processBinaries(w) : resolveTarget(w.binaries, w.process.cwd, target);
  if (binaries.length === 0) return noTargetFile("usdt", ap, w, target);
  const probes: ConcreteProbe[] = [];
  for (const binary of binaries) {
    const shown = shownTarget(target, binary, w.process.cwd);
    for (const note of binary.usdt) {
      if (!globMatch(provider, note.provider) || !globMatch(name, note.name)) continue;
      probes.push({
        kind: "usdt",
        binary,
        symbol: note.symbol,
        offset: note.offset,
        note,
        name: `usdt:${shown}:${note.provider}:${note.name}`,
        func: note.symbol.name,
      });
    }
  }
  if (probes.length === 0 && missing !== "ignore") {
    const sites = binaries.flatMap((b) => b.usdt.map((u) => `${u.provider}:${u.name}`));
    diagnostics.push({
      severity: missing === "error" ? "error" : "warning",
      message: `No matches for usdt ${target}:${provider}:${name}.${missing === "error" ? "" : " Skipping."}`,
      span: ap.span,
      hints:
        sites.length > 0
          ? [`its USDT sites: ${[...new Set(sites)].join(", ")}`]
          : [`'${target}' has no USDT sites`],
    });
  }
  return { probes, diagnostics };
}

/**
 * `uaddr("name")` at a uprobe's attach point: a global variable or function of the one binary
 * the target names, at its run-time address (the binary's load address plus the symbol's
 * file offset: the text mapping starts at file offset 0).
 */
export function resolveUserSymbol(ap: AttachPoint, w: Workload, name: string): UserSymbol | string {
  const target = ap.target ?? "";
  const binaries = resolveTarget(w.binaries, w.process.cwd, target);
  if (binaries.length !== 1) {
    return binaries.length === 0
      ? `uaddr("${name}"): uprobe target file '${target}' does not exist`
      : `uaddr("${name}") needs one target binary: '${target}' names ${binaries.length}`;
  }
  const binary = binaries[0]!;
  const found = binary.data.find((d) => d.name === name) ?? findSymbol(binary, name);
  if (found === undefined) return `Could not resolve symbol: ${binary.path}:${name}`;
  return { address: w.process.placement[binary.index]! + found.offset, size: found.size };
}

function resolveInBinary(
  ap: AttachPoint,
  kind: "uprobe" | "uretprobe",
  binary: Binary,
  target: string,
  diagnostics: Diagnostic[],
): ConcreteProbe[] {
  const prefix = `${kind}:${target}:`;
  if (ap.address !== undefined) {
    // As bpftrace: the address is a virtual address of the file; the symbol holding it and
    // the distance into it give the file offset the uprobe goes at.
    const addr = Number(ap.address);
    const symbol = symbolAtVaddr(binary, addr);
    const into = symbol === undefined ? 0 : addr - symbol.vaddr;
    const problem =
      symbol === undefined
        ? `Could not resolve address: ${binary.path}:0x${addr.toString(16)}`
        : kind === "uretprobe" && into !== 0
          ? `uretprobes cannot be attached at function offset. (address resolved to: ${symbol.name}+${into})`
          : undefined;
    if (problem !== undefined || symbol === undefined) {
      diagnostics.push({ severity: "error", message: problem ?? "", span: ap.span, hints: [] });
      return [];
    }
    const offset = symbol.offset + into;
    return [{ kind, binary, symbol, offset, name: `${prefix}${symbol.name}`, func: symbol.name }];
  }
  const extra = ap.offset === undefined ? 0 : Number(ap.offset);
  const out: ConcreteProbe[] = [];
  for (const symbol of matchSymbols(binary, ap.func ?? "")) {
    if (extra >= symbol.size) {
      diagnostics.push({
        severity: "error",
        message: "Offset outside the function bounds",
        span: ap.span,
        hints: [],
      });
      continue;
    }
    const name = extra === 0 ? `${prefix}${symbol.name}` : `${prefix}${symbol.name}+${extra}`;
    out.push({ kind, binary, symbol, offset: symbol.offset + extra, name, func: symbol.name });
  }
  return out;
}

function nearTargets(w: Workload, target: string): string[] {
  const base = target.split("/").pop() ?? target;
  // A library named short (`libc`) is compared with the short names: `libcc` means `libc`.
  const short = !target.includes("/");
  const nameOf = (b: Binary) => (short ? libraryStem(b.basename) : b.path);
  const near = w.binaries.filter(
    (b) =>
      editDistance(b.basename, base) <= 3 ||
      b.basename.startsWith(base) ||
      editDistance(libraryStem(b.basename), base) <= 2,
  );
  if (near.length > 0) return near.slice(0, 3).map((b) => `did you mean '${nameOf(b)}'?`);
  const elsewhere = workloadsWith(target, w.name);
  const hints = [`the ${w.name} workload's binaries: ${w.binaries.map((b) => b.path).join(", ")}`];
  if (elsewhere.length > 0) hints.push(`${elsewhere.map((n) => `-w ${n}`).join(" or ")} has '${target}'`);
  return hints;
}

/** `libc.so.6` -> `libc`: the short name a uprobe target may use. */
function libraryStem(basename: string): string {
  return basename.replace(/\.so(\.[0-9.]*)?$/, "");
}

/** Bundled workloads (other than the one running) that have `target` (only read on this error path). */
function workloadsWith(target: string, running: string): string[] {
  if (hasWildcard(target)) return [];
  return bundledNames().filter((name) => {
    if (name === running) return false;
    const other = loadWorkload(name, { cpus: 1, seed: 1 });
    return other.name !== running && resolveTarget(other.binaries, other.process.cwd, target).length > 0;
  });
}

function nearFunctions(binaries: Binary[], func: string): string[] {
  const listing = binaries.map((b) => `probelab list 'uprobe:${b.path}:*' lists its functions`);
  if (hasWildcard(func)) return listing.slice(0, 1);
  const names = binaries.flatMap((b) => b.symbols.map((s) => s.name));
  const near = names
    .map((n) => ({ n, d: editDistance(n, func) }))
    .filter((x) => x.d <= Math.max(2, Math.floor(func.length / 3)))
    .sort((a, b) => a.d - b.d || (a.n < b.n ? -1 : 1));
  if (near.length === 0) return listing.slice(0, 1);
  return near.slice(0, 3).map((x) => `did you mean '${x.n}'?`);
}
