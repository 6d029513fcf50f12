/**
 * `getopt(name[, default[, description]])`: the script's named options, given after `--` on the
 * command line as `--name` or `--name=value`. They are fixed before any probe runs, so each
 * call becomes a literal of its default's type between macro expansion and checking. Options
 * nobody asks for, values of the wrong type and `--help` are errors, worded as bpftrace's.
 */
import type * as A from "./ast.js";
import type { DiagnosticSink } from "./diagnostics.js";
import { literalExpr, U64_MAX } from "./literals.js";
import { type AnyNode, rewriteChildren } from "./macros.js";

/** `--name` (value true) or `--name=value`, as split from the command line. */
export type NamedOptions = ReadonlyMap<string, string | true>;

/** Splits script arguments: `--name[=value]` words are named options, the rest positional. */
export function splitScriptArgs(args: readonly string[]): {
  positional: string[];
  named: Map<string, string | true>;
} {
  const positional: string[] = [];
  const named = new Map<string, string | true>();
  for (const a of args) {
    if (!a.startsWith("--") || a.length === 2) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    if (eq < 0) named.set(a.slice(2), true);
    else named.set(a.slice(2, eq), a.slice(eq + 1));
  }
  return { positional, named };
}

interface Requested {
  name: string;
  description: string;
}

type OptionValue = bigint | string | boolean;

function parseInteger(text: string): bigint | null {
  if (!/^-?(0x[0-9a-fA-F]+|\d+)$/.test(text)) return null;
  const v = text.startsWith("-") ? -BigInt(text.slice(1)) : BigInt(text);
  return v > U64_MAX || v < -(1n << 63n) ? null : v;
}

function parseBool(text: string | true): boolean | null {
  if (text === true) return true;
  const t = text.toLowerCase();
  if (t === "true" || t === "1") return true;
  if (t === "false" || t === "0") return false;
  return null;
}

/** The option's value as its default's kind, or an error message. */
function parseGiven(given: string | true, def: OptionValue): OptionValue | string {
  if (typeof def === "boolean") return parseBool(given) ?? `invalid boolean (value: ${given})`;
  if (given === true) return typeof def === "string" ? "" : `invalid integer (value: ${given})`;
  if (typeof def === "string") return given;
  return parseInteger(given) ?? `invalid integer (value: ${given})`;
}

/** The default argument as a value, or null when it is not a literal. */
function defaultOf(call: A.CallExpr): OptionValue | null {
  const d = call.args[1];
  if (d === undefined) return false;
  if (d.kind === "int" || d.kind === "bool" || d.kind === "string") return d.value;
  if (d.kind === "unary" && d.op === "-" && d.operand.kind === "int") return -d.operand.value;
  return null;
}

export function substituteGetopt(program: A.Program, named: NamedOptions, sink: DiagnosticSink): void {
  const requested: Requested[] = [];
  const visit = (n: AnyNode): AnyNode | undefined => {
    if (n.kind !== "call" || (n as unknown as A.CallExpr).name !== "getopt") return undefined;
    const call = n as unknown as A.CallExpr;
    const name = call.args[0];
    const description = call.args[2];
    const def = defaultOf(call);
    if (
      name?.kind !== "string" ||
      def === null ||
      call.args.length > 3 ||
      (description && description.kind !== "string")
    ) {
      sink.error(
        "getopt() takes an option name, a literal default (integer, bool or string) and a description, all literals",
        call.span,
      );
      return undefined;
    }
    if (!requested.some((r) => r.name === name.value)) {
      requested.push({
        name: name.value,
        description: description?.kind === "string" ? description.value : "",
      });
    }
    const given = named.get(name.value);
    if (given === undefined) return literalExpr(def, call.span) as unknown as AnyNode;
    const v = parseGiven(given, def);
    if (typeof v === "string" && typeof def !== "string") {
      sink.error(`program command line option --${name.value} ${v}`);
      return literalExpr(def, call.span) as unknown as AnyNode;
    }
    return literalExpr(v, call.span) as unknown as AnyNode;
  };
  for (const probe of program.probes) rewriteChildren(probe, visit);
  reportUnexpected(named, requested, sink);
}

/** Options given but never asked for, and `--help`, which lists the ones there are. */
function reportUnexpected(named: NamedOptions, requested: Requested[], sink: DiagnosticSink): void {
  const unexpected = [...named.keys()].filter((k) => !requested.some((r) => r.name === k));
  if (unexpected.length === 0) return;
  const help = unexpected.includes("help");
  let hint = "no custom program options defined.";
  if (requested.length > 0) {
    const listed = requested.map((r) => `--${r.name}${help && r.description ? `: ${r.description}` : ""}`);
    hint = `expected program options:${help ? `\n${listed.join("\n")}` : ` ${listed.join(": ")}`}`;
  }
  const others = unexpected.filter((k) => k !== "help");
  const message =
    others.length > 0
      ? `unexpected program command line options: ${others.map((k) => `--${k}`).join(", ")}`
      : "--help: the script's program options are listed below";
  sink.error(message, undefined, [hint]);
}
