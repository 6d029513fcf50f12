/**
 * Reading a parsed YAML document field by field, with the field path and the source position
 * of every value at hand, so that any complaint names `file:line:col: a.b[2].c` and says why.
 * Parameter references (`${name}`) are substituted as scalars are read.
 */
import { type Document, isAlias, isMap, isScalar, isSeq, type LineCounter } from "yaml";
import { didYouMean, errorAt, type Where } from "./errors.js";
import { parseInteger } from "./units.js";

export type ParamValue = string | number;

export interface ReadContext {
  file: string;
  lines: LineCounter;
  doc: Document;
  params: ReadonlyMap<string, ParamValue>;
  /** The parameters given on the command line (`--set`), so a bad value is blamed on them. */
  setByUser?: ReadonlySet<string>;
  /** Nodes visited so far: bounds the work an alias-heavy file can cause. */
  visited: number;
  /** Resolved aliases (yaml's own resolve searches the whole document each time). */
  aliases?: Map<unknown, unknown>;
}

const MAX_DEPTH = 100;
const MAX_NODES = 200_000;
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export type Scalar = string | number | boolean | null;

export class Field {
  readonly node: unknown;

  constructor(
    readonly ctx: ReadContext,
    node: unknown,
    readonly path: string,
    /** Offset in the source of the closest thing we know (the value, or its key when empty). */
    readonly pos: number,
    readonly depth = 0,
  ) {
    // Aliases read as the node they name; depth and node count keep cycles and
    // "billion laughs" expansions bounded.
    this.node = isAlias(node) ? resolveAlias(ctx, node) : node;
    if (depth > MAX_DEPTH) this.fail(`nested more than ${MAX_DEPTH} levels deep`);
    if (++ctx.visited > MAX_NODES) this.fail(`the workload is too large (more than ${MAX_NODES} values)`);
  }

  where(): Where {
    const { line, col } = this.ctx.lines.linePos(this.pos);
    return { file: this.ctx.file, path: this.path, line, col };
  }

  fail(message: string): never {
    throw errorAt(this.where(), message);
  }

  get isMap(): boolean {
    return isMap(this.node);
  }

  get isSeq(): boolean {
    return isSeq(this.node);
  }

  /** True for a missing value, `~` or an empty `key:`. */
  get isNull(): boolean {
    return this.node === null || this.node === undefined || (isScalar(this.node) && this.node.value === null);
  }

  /** What kind of value this is, for messages ("a list", "a map", "the number 3"). */
  describe(): string {
    if (this.isMap) return "a map";
    if (this.isSeq) return "a list";
    if (this.isNull) return "nothing";
    const v = this.scalar();
    return (typeof v === "string" ? `the text "${v}"` : `${v}`) + this.parameterOrigin();
  }

  /** " (the value of ${workers}: --set workers=abc)" when the value is one parameter reference. */
  private parameterOrigin(): string {
    if (!isScalar(this.node) || typeof this.node.value !== "string") return "";
    const ref = /^\$\{([^}]*)\}$/.exec(this.node.value);
    if (!ref) return "";
    const name = ref[1]!.trim();
    const given = this.ctx.setByUser?.has(name) ? `: --set ${name}=${this.ctx.params.get(name)}` : "";
    return ` (the value of \${${name}}${given})`;
  }

  /** The scalar value with `${param}` references substituted. */
  scalar(): Scalar {
    if (!isScalar(this.node)) {
      if (this.node === null || this.node === undefined) return null;
      this.fail(`expected a single value, found ${this.isMap ? "a map" : "a list"}`);
    }
    const v = this.node.value;
    if (typeof v === "string") return substituteParams(v, this);
    if (typeof v === "number" || typeof v === "boolean" || v === null) return v;
    return this.fail("unsupported value");
  }

  /** The key/value pairs of a map; any key not in `allowed` is an error (with a suggestion). */
  entries(allowed: readonly string[], what = "this"): Map<string, Field> {
    if (!isMap(this.node)) this.fail(`expected a map with ${listKeys(allowed)}, found ${this.describe()}`);
    const out = new Map<string, Field>();
    for (const pair of this.node.items) {
      const keyNode = pair.key;
      const key = isScalar(keyNode) ? String(keyNode.value) : "";
      const keyPos = isScalar(keyNode) && keyNode.range ? keyNode.range[0] : this.pos;
      const child = this.child(pair.value, key, keyPos);
      if (!allowed.includes(key)) {
        child.failAtKey(keyPos, `unknown key "${key}" in ${what}${didYouMean(key, allowed)}`);
      }
      out.set(key, child);
    }
    return out;
  }

  /** Every pair of a map whose keys are free-form (e.g. binary paths); keys are substituted. */
  freeEntries(): [string, Field][] {
    if (!isMap(this.node)) this.fail(`expected a map, found ${this.describe()}`);
    return this.node.items.map((pair) => {
      const keyNode = pair.key;
      const keyPos = isScalar(keyNode) && keyNode.range ? keyNode.range[0] : this.pos;
      const raw = isScalar(keyNode) ? String(keyNode.value) : "";
      const key = substituteParams(raw, this.child(null, raw, keyPos));
      return [String(key), this.child(pair.value, String(key), keyPos)];
    });
  }

  items(): Field[] {
    if (!isSeq(this.node)) this.fail(`expected a list, found ${this.describe()}`);
    return this.node.items.map((item, i) => {
      const pos = nodeStart(item) ?? this.pos;
      return new Field(this.ctx, item, `${this.path}[${i}]`, pos, this.depth + 1);
    });
  }

  string(what = "a name"): string {
    const v = this.scalar();
    if (typeof v === "string" && v !== "") return v;
    if (typeof v === "number") return String(v);
    return this.fail(`expected ${what}, found ${this.describe()}`);
  }

  integer(min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.scalar();
    const n = typeof v === "number" || typeof v === "string" ? parseInteger(v) : undefined;
    if (n === undefined) this.fail(`expected an integer, found ${this.describe()}`);
    if (n < min || n > max) {
      this.fail(
        max === Number.MAX_SAFE_INTEGER ? `must be at least ${min}` : `must be between ${min} and ${max}`,
      );
    }
    return n;
  }

  boolean(): boolean {
    const v = this.scalar();
    if (typeof v !== "boolean") this.fail(`expected true or false, found ${this.describe()}`);
    return v;
  }

  private child(node: unknown, key: string, keyPos: number): Field {
    const pos = nodeStart(node) ?? keyPos;
    const seg = PLAIN_KEY.test(key) ? key : JSON.stringify(key);
    const path =
      this.path === "" ? seg : PLAIN_KEY.test(key) ? `${this.path}.${seg}` : `${this.path}[${seg}]`;
    return new Field(this.ctx, node, path, pos, this.depth + 1);
  }

  private failAtKey(keyPos: number, message: string): never {
    const { line, col } = this.ctx.lines.linePos(keyPos);
    throw errorAt({ file: this.ctx.file, path: this.path, line, col }, message);
  }
}

function resolveAlias(ctx: ReadContext, alias: unknown): unknown {
  ctx.aliases ??= new Map();
  let target = ctx.aliases.get(alias);
  if (target === undefined) {
    target = alias;
    for (let hops = 0; isAlias(target) && hops < MAX_DEPTH; hops++) target = target.resolve(ctx.doc);
    ctx.aliases.set(alias, target);
  }
  return target;
}

function nodeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? range[0] : undefined;
}

function listKeys(keys: readonly string[]): string {
  return keys.length === 1 ? `"${keys[0]}"` : `keys ${keys.map((k) => `"${k}"`).join(", ")}`;
}

/**
 * Replaces `${name}` references. A value that is exactly one reference takes the parameter's
 * own type (so `count: ${cpus}` is a number); references inside longer text are spliced in.
 */
export function substituteParams(text: string, at: Field): string | number {
  if (!text.includes("${")) return text;
  const whole = /^\$\{([^}]*)\}$/.exec(text);
  if (whole) return lookupParam(whole[1]!, at);
  let out = "";
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf("${", i);
    if (start < 0) {
      out += text.slice(i);
      break;
    }
    const end = text.indexOf("}", start);
    if (end < 0) at.fail(`unterminated parameter reference in "${text}" (write \${name})`);
    out += text.slice(i, start) + String(lookupParam(text.slice(start + 2, end), at));
    i = end + 1;
  }
  return out;
}

function lookupParam(name: string, at: Field): ParamValue {
  const value = at.ctx.params.get(name.trim());
  if (value === undefined) {
    const known = [...at.ctx.params.keys()];
    at.fail(`unknown parameter "${name}"${didYouMean(name, known)}; declare it under params:`);
  }
  return value;
}
