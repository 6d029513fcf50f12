/**
 * Shell-style wildcards as bpftrace accepts them in probe targets and function names:
 * `*` any run of characters, `?` one character, `[abc]` / `[a-z]` / `[!x]` a class.
 * Patterns are turned into anchored regular expressions with every other character escaped,
 * so nothing a user types is interpreted as regex syntax.
 */

export function hasWildcard(text: string): boolean {
  return /[*?[]/.test(text);
}

const cache = new Map<string, RegExp>();

export function globToRegExp(pattern: string): RegExp {
  const cached = cache.get(pattern);
  if (cached) return cached;
  let src = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") src += ".*";
    else if (c === "?") src += ".";
    else if (c === "[") {
      const close = pattern.indexOf("]", i + 2);
      if (close < 0) {
        src += "\\[";
        continue;
      }
      let body = pattern.slice(i + 1, close);
      const negate = body.startsWith("!") || body.startsWith("^");
      if (negate) body = body.slice(1);
      src += `[${negate ? "^" : ""}${body.replace(/[\\\]^]/g, "\\$&")}]`;
      i = close;
    } else src += c.replace(/[.+^${}()|\\/\]]/g, "\\$&");
  }
  const re = new RegExp(`^${src}$`, "s");
  cache.set(pattern, re);
  return re;
}

export function globMatch(pattern: string, text: string): boolean {
  return hasWildcard(pattern) ? globToRegExp(pattern).test(text) : pattern === text;
}
