/**
 * Debug dumps of the AST (`-d ast`) and of the checked program (`-d typed`): one node per line,
 * scalar fields inline, child nodes indented under the field that holds them.
 */
import type { Span, TypedProgram } from "./ast.js";
import { type Type, typeName } from "./types.js";

type Node = { kind: string; span?: Span; type?: Type } & Record<string, unknown>;

function isNode(v: unknown): v is Node {
  return typeof v === "object" && v !== null && typeof (v as Node).kind === "string";
}

function scalar(v: unknown): string | null {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "bigint" || typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v) && v.every((x) => typeof x === "string"))
    return `[${v.map((x) => JSON.stringify(x)).join(", ")}]`;
  return null;
}

function spanText(s: Span): string {
  return s.endLine > s.line
    ? `@${s.line}:${s.col}-${s.endLine}:${s.endCol}`
    : `@${s.line}:${s.col}-${s.endCol}`;
}

const SKIP = new Set(["kind", "span", "type"]);

function dumpNode(node: Node, label: string, depth: number, typed: boolean, out: string[]): void {
  const parts = [`${"  ".repeat(depth)}${label}${node.kind}`];
  const children: [string, unknown][] = [];
  for (const [key, value] of Object.entries(node)) {
    if (SKIP.has(key) || value === undefined) continue;
    const text = scalar(value);
    if (text !== null) parts.push(`${key}=${text}`);
    else if (value !== null) children.push([key, value]);
  }
  if (typed && node.type && node.kind !== "typeRef") parts.push(`: ${typeName(node.type)}`);
  if (node.span) parts.push(spanText(node.span));
  out.push(parts.join(" "));
  for (const [key, value] of children) {
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        if (isNode(item)) dumpNode(item, `${key}[${i}]: `, depth + 1, typed, out);
        else dumpPlain(item, `${key}[${i}]`, depth + 1, typed, out);
      });
    } else if (isNode(value)) {
      dumpNode(value, `${key}: `, depth + 1, typed, out);
    }
  }
}

/** Record fields ({ name, value, span }) are not nodes: print their name and the value node. */
function dumpPlain(item: unknown, label: string, depth: number, typed: boolean, out: string[]): void {
  if (typeof item !== "object" || item === null) return;
  const rec = item as { name?: string; value?: unknown };
  if (isNode(rec.value)) dumpNode(rec.value, `${label} ${rec.name}= `, depth, typed, out);
}

/** The AST (typed=false) or a TypedProgram with types, locals and maps (typed=true). */
export function dumpTree(root: object, typed: boolean): string {
  const out: string[] = [];
  if (!typed) {
    dumpNode(root as Node, "", 0, false, out);
    return `${out.join("\n")}\n`;
  }
  const program = root as TypedProgram;
  dumpNode(program.ast as unknown as Node, "", 0, true, out);
  out.push("maps:");
  for (const m of program.maps) {
    const key = m.keyType ? typeName(m.keyType) : "(scalar)";
    out.push(
      `  ${m.name} key=${key} value=${typeName(m.valueType)} kind=${m.kind} maxEntries=${m.maxEntries}`,
    );
  }
  for (const p of program.probes) {
    out.push(`probe[${p.probe.index}] locals:`);
    for (const l of p.locals) out.push(`  slot ${l.slot} ${l.name}: ${typeName(l.type)}`);
  }
  const c = program.config;
  out.push(
    `config: max_map_keys=${c.maxMapKeys} max_strlen=${c.maxStrlen} missing_probes=${c.missingProbes} print_maps_on_exit=${c.printMapsOnExit}`,
  );
  return `${out.join("\n")}\n`;
}
