/**
 * The `config = { ... }` block: known keys, value kinds, defaults. Unknown keys are errors, as
 * in bpftrace (`bad_config: not a known configuration option`).
 */
import type { ConfigEntry, ResolvedConfig } from "./ast.js";
import type { DiagnosticSink } from "./diagnostics.js";
import { own } from "./own.js";
import { didYouMean } from "./suggest.js";
import { STACK_MODES } from "./types.js";

type ValueKind = "int" | "bool" | "string";

/** Every key bpftrace knows, with the kind of value it takes; probelab acts on four of them. */
const KNOWN_KEYS: Record<string, ValueKind> = {
  cache_user_symbols: "string",
  cpp_demangle: "bool",
  lazy_symbolication: "bool",
  license: "string",
  log_size: "int",
  max_bpf_progs: "int",
  max_cat_bytes: "int",
  max_map_keys: "int",
  max_probes: "int",
  max_strlen: "int",
  on_stack_limit: "int",
  perf_rb_pages: "int",
  stack_mode: "string",
  str_trunc_trailer: "string",
  missing_probes: "string",
  print_maps_on_exit: "bool",
  show_debug_info: "bool",
  use_blazesym: "bool",
};

/**
 * Keys only a BPFTRACE_* environment variable sets, never a config block. dummy_ts_map names a
 * scalar map tseries() reads its clock from instead of the time (bpftrace's test hook).
 */
const ENV_ONLY_KEYS: Record<string, ValueKind> = { dummy_ts_map: "string" };

/** The kind of value `key` takes, or undefined when it is not a key `entry`'s origin may set. */
function keyKind(entry: ConfigEntry): ValueKind | undefined {
  if (entry.key.startsWith("unstable_")) return "string";
  return own(KNOWN_KEYS, entry.key) ?? (entry.span === undefined ? own(ENV_ONLY_KEYS, entry.key) : undefined);
}

const MISSING_PROBES = ["error", "warn", "ignore"] as const;

/** The licenses the kernel lets a BPF program that calls GPL-only helpers declare. */
const LICENSES: readonly string[] = [
  "Dual MIT/GPL",
  "Dual BSD/GPL",
  "Dual MPL/GPL",
  "GPL and additional rights",
  "GPL v2",
  "GPL",
];

/**
 * The ceiling on max_map_keys. bpftrace accepts any u32, but here every key lives in this
 * process's memory (a count() key at 4 CPUs is about 1.4 KB), so a million keys per map is
 * the most a session may ask for.
 */
export const MAX_MAP_KEYS_CEILING = 1 << 20;

export const DEFAULT_CONFIG: ResolvedConfig = {
  maxMapKeys: 4096,
  maxProbes: 1024,
  maxStrlen: 1024,
  missingProbes: "error",
  printMapsOnExit: true,
  other: {},
};

function kindOf(value: ConfigEntry["value"]): ValueKind {
  if (typeof value === "bigint") return "int";
  if (typeof value === "boolean") return "bool";
  return "string";
}

/** Booleans may also be written 0/1. */
function asBool(value: ConfigEntry["value"]): boolean | null {
  if (typeof value === "boolean") return value;
  if (value === 0n || value === 1n) return value === 1n;
  return null;
}

export function checkConfig(entries: ConfigEntry[], sink: DiagnosticSink): ResolvedConfig {
  const config: ResolvedConfig = { ...DEFAULT_CONFIG, other: {} };
  for (const entry of entries) {
    const kind = keyKind(entry);
    if (kind === undefined) {
      sink.error(
        `${entry.key}: not a known configuration option`,
        entry.span,
        didYouMean(entry.key, Object.keys(KNOWN_KEYS)),
      );
      continue;
    }
    if (kind === "bool") {
      const b = asBool(entry.value);
      if (b === null) {
        sink.error(`${entry.key}: expects a boolean (true or false)`, entry.span);
        continue;
      }
      if (entry.key === "print_maps_on_exit") config.printMapsOnExit = b;
      else config.other[entry.key] = b;
      continue;
    }
    if (kindOf(entry.value) !== kind) {
      sink.error(`${entry.key}: expects ${kind === "int" ? "an integer" : "a string"}`, entry.span);
      continue;
    }
    applyEntry(config, entry, sink);
  }
  return config;
}

function applyEntry(config: ResolvedConfig, entry: ConfigEntry, sink: DiagnosticSink): void {
  const v = entry.value;
  switch (entry.key) {
    case "max_map_keys":
    case "max_strlen": {
      const n = v as bigint;
      if (n < 1n || n > 0xffffffffn) {
        sink.error(`${entry.key}: must be between 1 and 4294967295`, entry.span);
        return;
      }
      if (entry.key === "max_strlen") config.maxStrlen = Number(n);
      else if (n <= BigInt(MAX_MAP_KEYS_CEILING)) config.maxMapKeys = Number(n);
      else {
        sink.error(
          `max_map_keys: at most ${MAX_MAP_KEYS_CEILING} in probelab (every key is kept in memory; ${n} keys would not fit)`,
          entry.span,
        );
      }
      return;
    }
    case "max_probes": {
      const n = v as bigint;
      if (n < 1n || n > 0xffffffffn) {
        sink.error("max_probes: must be between 1 and 4294967295", entry.span);
        return;
      }
      config.maxProbes = Number(n);
      return;
    }
    case "stack_mode":
      if (!(STACK_MODES as readonly string[]).includes(v as string)) {
        sink.error(`stack_mode: expects ${STACK_MODES.join(", ")}`, entry.span);
        return;
      }
      config.other[entry.key] = v;
      return;
    case "license":
      if (!LICENSES.includes(v as string)) {
        sink.error(
          `Invalid value for license. Found: ${v}. Valid values: ${LICENSES.join(", ")}`,
          entry.span,
        );
        return;
      }
      config.other[entry.key] = v;
      return;
    case "missing_probes":
      if (!(MISSING_PROBES as readonly string[]).includes(v as string)) {
        sink.error(`missing_probes: expects error, warn or ignore`, entry.span);
        return;
      }
      config.missingProbes = v as ResolvedConfig["missingProbes"];
      return;
    default:
      config.other[entry.key] = v;
  }
}

/**
 * Config entries from `BPFTRACE_KEY=value` environment variables, for known keys. They are
 * applied after the script's config block, so they take precedence, as in bpftrace.
 */
export function configFromEnv(env: Readonly<Record<string, string | undefined>>): ConfigEntry[] {
  const entries: ConfigEntry[] = [];
  for (const [name, text] of Object.entries(env)) {
    if (!name.startsWith("BPFTRACE_") || text === undefined) continue;
    const key = name.slice("BPFTRACE_".length).toLowerCase();
    const kind = own(KNOWN_KEYS, key) ?? own(ENV_ONLY_KEYS, key);
    if (kind === undefined) continue;
    let value: ConfigEntry["value"] = text;
    if (kind === "int" && /^\d+$/.test(text)) value = BigInt(text);
    if (kind === "bool" && (text === "true" || text === "false")) value = text === "true";
    if (kind === "bool" && (text === "1" || text === "0")) value = text === "1";
    entries.push({ kind: "config", key, value });
  }
  return entries;
}

/** What `config().key` reads for keys the script did not set: bpftrace's defaults. */
const READ_DEFAULTS: Record<string, bigint | string | boolean> = {
  cpp_demangle: true,
  lazy_symbolication: false,
  license: "GPL",
  log_size: 1000000n,
  max_bpf_progs: 1024n,
  max_cat_bytes: 10240n,
  on_stack_limit: 32n,
  perf_rb_pages: 64n,
  stack_mode: "bpftrace",
  str_trunc_trailer: "..",
  print_maps_on_exit: true,
  show_debug_info: false,
  use_blazesym: false,
};

/** The value `config().key` reads at compile time, or undefined for a key bpftrace does not know. */
export function configValue(config: ResolvedConfig, key: string): bigint | string | boolean | undefined {
  switch (key) {
    case "max_map_keys":
      return BigInt(config.maxMapKeys);
    case "max_probes":
      return BigInt(config.maxProbes);
    case "max_strlen":
      return BigInt(config.maxStrlen);
    case "missing_probes":
      return config.missingProbes;
    case "print_maps_on_exit":
      return config.printMapsOnExit;
  }
  return own(config.other, key) ?? own(READ_DEFAULTS, key);
}

/** The keys `config()` has, for "did you mean" hints. */
export const CONFIG_KEYS: readonly string[] = Object.keys(KNOWN_KEYS);
