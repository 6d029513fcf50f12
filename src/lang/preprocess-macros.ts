/**
 * The C preprocessor's macros: the table `#define` and `#undef` edit, the scanner that cuts a
 * line into preprocessing tokens, and expansion as C specifies it. Every token remembers the
 * macros whose expansion produced it (its "hide set"), and a macro is never expanded again
 * inside its own expansion, so `#define A A + 1` and mutual recursion terminate as in clang.
 * Growth without recursion (each macro doubling the one before) is stopped by a token cap.
 */

export type PpTokenKind = "id" | "number" | "string" | "space" | "comment" | "punct";

export interface PpToken {
  kind: PpTokenKind;
  text: string;
  /** Macros this token came out of: they do not expand again inside it. */
  hide?: ReadonlySet<string>;
}

export interface MacroDef {
  name: string;
  /** Null for an object-like macro; the parameter names of a function-like one. */
  params: string[] | null;
  /** `...` as the last parameter: the rest of the arguments are __VA_ARGS__. */
  variadic: boolean;
  body: PpToken[];
}

/** Expansion stops with a located error past this many tokens made from one line. */
export const MAX_EXPANDED_TOKENS = 100_000;

/** A problem with a macro use; the caller knows where the line is. */
export class ExpansionError extends Error {}

// One alternative per kind; a block comment may be left open at the end of the line.
const TOKEN_RE =
  /(\s+)|(\/\/.*|\/\*[\s\S]*?(?:\*\/|$))|("(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?)|([A-Za-z_][A-Za-z0-9_]*)|(\.?\d(?:[eEpP][+-]|[\w.])*)|(##|->|[\s\S])/y;

/** Cuts text into preprocessing tokens; an unterminated block comment is one comment token. */
export function scanTokens(text: string): PpToken[] {
  const out: PpToken[] = [];
  TOKEN_RE.lastIndex = 0;
  for (let m = TOKEN_RE.exec(text); m !== null && m[0] !== ""; m = TOKEN_RE.exec(text)) {
    out.push({ kind: kindOf(m), text: m[0] });
  }
  return out;
}

function kindOf(m: RegExpExecArray): PpTokenKind {
  if (m[1] !== undefined) return "space";
  if (m[2] !== undefined) return "comment";
  if (m[3] !== undefined) return "string";
  if (m[4] !== undefined) return "id";
  if (m[5] !== undefined) return "number";
  return "punct";
}

function isBlank(t: PpToken): boolean {
  return t.kind === "space" || t.kind === "comment";
}

/** The index of the next token that is not blank, from `i` on (tokens.length if none). */
export function nextSolid(tokens: readonly PpToken[], i: number): number {
  while (i < tokens.length && isBlank(tokens[i]!)) i++;
  return i;
}

function withHide(t: PpToken, hide: ReadonlySet<string>): PpToken {
  return { kind: t.kind, text: t.text, hide };
}

function union(a: ReadonlySet<string> | undefined, name: string): ReadonlySet<string> {
  const s = new Set(a);
  s.add(name);
  return s;
}

/** The arguments of a function-like macro use: token lists, and the index of its `)`. */
interface MacroArgs {
  args: PpToken[][];
  close: number;
}

function collectArgs(tokens: readonly PpToken[], open: number, name: string): MacroArgs {
  const args: PpToken[][] = [[]];
  let depth = 0;
  for (let i = open + 1; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === "punct" && t.text === ")" && depth === 0) return { args, close: i };
    if (t.kind === "punct" && t.text === "," && depth === 0) {
      args.push([]);
      continue;
    }
    if (t.kind === "punct" && t.text === "(") depth++;
    if (t.kind === "punct" && t.text === ")") depth--;
    args[args.length - 1]!.push(t);
  }
  throw new ExpansionError(
    `the arguments of macro ${name} do not end on this line: macro arguments spanning lines are not supported by probelab`,
  );
}

function trimBlank(tokens: PpToken[]): PpToken[] {
  let start = 0;
  let end = tokens.length;
  while (start < end && isBlank(tokens[start]!)) start++;
  while (end > start && isBlank(tokens[end - 1]!)) end--;
  return tokens.slice(start, end);
}

function stringify(tokens: PpToken[]): PpToken {
  const text = trimBlank(tokens)
    .map((t) => (isBlank(t) ? " " : t.text))
    .join("");
  return { kind: "string", text: `"${text.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"` };
}

/** The macro table and expansion against it. */
export class MacroTable {
  private readonly defs = new Map<string, MacroDef>();
  /** Tokens made while expanding the current line; reset per line. */
  private made = 0;

  define(def: MacroDef): void {
    this.defs.set(def.name, def);
  }

  undefine(name: string): void {
    this.defs.delete(name);
  }

  has(name: string): boolean {
    return this.defs.has(name);
  }

  get(name: string): MacroDef | undefined {
    return this.defs.get(name);
  }

  /** Whether `tokens[i]` starts a macro use (a function-like name needs a `(` next). */
  startsUse(tokens: readonly PpToken[], i: number): boolean {
    const t = tokens[i]!;
    if (t.kind !== "id" || t.hide?.has(t.text)) return false;
    const def = this.defs.get(t.text);
    if (def === undefined) return false;
    if (def.params === null) return true;
    const next = tokens[nextSolid(tokens, i + 1)];
    return next !== undefined && next.kind === "punct" && next.text === "(";
  }

  /**
   * Expands the macro use at `tokens[i]` (startsUse said yes) and everything its result
   * invokes. Returns the tokens and the index just past the use.
   */
  expandUse(tokens: readonly PpToken[], i: number): { tokens: PpToken[]; end: number } {
    this.made = 0;
    const work = tokens.slice(i);
    const { replaced, consumed } = this.replaceOne(work, 0);
    // Rescan the replacement with what followed it, as C does, but report only what the use
    // itself covers: a function-like name the result leaves at its end may take arguments
    // after it only within the result.
    const out = this.expandTokens(replaced);
    return { tokens: out, end: i + consumed };
  }

  /** Fully expands a token list (a #if expression). */
  expand(tokens: readonly PpToken[]): PpToken[] {
    this.made = 0;
    return this.expandTokens(tokens);
  }

  private expandTokens(tokens: readonly PpToken[]): PpToken[] {
    const work = tokens.slice();
    const out: PpToken[] = [];
    let i = 0;
    while (i < work.length) {
      if (!this.startsUse(work, i)) {
        out.push(work[i]!);
        i++;
        continue;
      }
      const { replaced, consumed } = this.replaceOne(work, i);
      work.splice(i, consumed, ...replaced);
    }
    return out;
  }

  /** One step: the use at `work[i]` replaced by its body, arguments substituted. */
  private replaceOne(work: readonly PpToken[], i: number): { replaced: PpToken[]; consumed: number } {
    const t = work[i]!;
    const def = this.defs.get(t.text)!;
    const hide = union(t.hide, def.name);
    if (def.params === null) {
      return { replaced: this.count(def.body.map((b) => withHide(b, hide))), consumed: 1 };
    }
    const open = nextSolid(work, i + 1);
    const { args, close } = collectArgs(work, open, def.name);
    const bound = this.bindArgs(def, args);
    const body = this.substitute(def, bound).map((b) => withHide(b, hide));
    return { replaced: this.count(body), consumed: close - i + 1 };
  }

  private count(tokens: PpToken[]): PpToken[] {
    this.made += tokens.length;
    if (this.made > MAX_EXPANDED_TOKENS) {
      throw new ExpansionError(
        `macro expansion made more than ${MAX_EXPANDED_TOKENS} tokens: a macro that grows without end?`,
      );
    }
    return tokens;
  }

  /** Parameter name → its argument's tokens (`()` is no argument for a macro of no parameters). */
  private bindArgs(def: MacroDef, args: PpToken[][]): Map<string, PpToken[]> {
    const params = def.params!;
    const given = args.length === 1 && trimBlank(args[0]!).length === 0 && params.length === 0 ? [] : args;
    const fixed = def.variadic ? params.length - 1 : params.length;
    const countOk = def.variadic ? given.length >= fixed : given.length === fixed;
    if (!countOk) {
      throw new ExpansionError(
        `macro ${def.name} takes ${fixed}${def.variadic ? " or more" : ""} argument${fixed === 1 ? "" : "s"}, ${given.length} given`,
      );
    }
    const bound = new Map<string, PpToken[]>();
    for (let p = 0; p < fixed; p++) bound.set(params[p]!, given[p]!);
    if (def.variadic) {
      const rest: PpToken[] = [];
      given.slice(fixed).forEach((arg, k) => {
        if (k > 0) rest.push({ kind: "punct", text: "," });
        rest.push(...arg);
      });
      bound.set("__VA_ARGS__", rest);
    }
    return bound;
  }

  /** The body with `#param` stringified, `a ## b` pasted and other parameters expanded. */
  private substitute(def: MacroDef, bound: Map<string, PpToken[]>): PpToken[] {
    const out: PpToken[] = [];
    const body = def.body;
    for (let k = 0; k < body.length; k++) {
      const t = body[k]!;
      const param = t.kind === "id" ? bound.get(t.text) : undefined;
      if (t.kind === "punct" && t.text === "#") {
        const arg = body[nextSolid(body, k + 1)];
        const argTokens = arg?.kind === "id" ? bound.get(arg.text) : undefined;
        if (argTokens !== undefined) {
          out.push(stringify(argTokens));
          k = nextSolid(body, k + 1);
          continue;
        }
      }
      if (t.kind === "punct" && t.text === "##") {
        k = this.paste(out, body, k, bound);
        continue;
      }
      const pastedNext = body[nextSolid(body, k + 1)]?.text === "##";
      if (param !== undefined) out.push(...(pastedNext ? trimBlank(param) : this.expandTokens(param)));
      else out.push(t);
    }
    return out;
  }

  /** `left ## right`: the last token made and the next one become one token. */
  private paste(out: PpToken[], body: PpToken[], k: number, bound: Map<string, PpToken[]>): number {
    while (out.length > 0 && isBlank(out[out.length - 1]!)) out.pop();
    const r = nextSolid(body, k + 1);
    const right = body[r];
    if (right === undefined) return k;
    const rightTokens =
      right.kind === "id" && bound.has(right.text) ? trimBlank(bound.get(right.text)!) : [right];
    const left = out.pop();
    const joined = (left?.text ?? "") + (rightTokens[0]?.text ?? "");
    out.push(...scanTokens(joined), ...rightTokens.slice(1));
    return r;
  }
}
