/**
 * User-facing errors for workload files. A WorkloadError's message is the whole text the
 * user sees (file, line and column, the field path, why), so callers print `err.message`
 * and never a stack trace.
 */
export class WorkloadError extends Error {
  override name = "WorkloadError";
}

/** Where a value sits in a workload file: used to put file:line:col and the field path in front. */
export interface Where {
  file: string;
  /** Field path such as `process.threads[1].body[0].call`. */
  path: string;
  /** 1-based; 0 when the value did not come from the file (e.g. `--set`). */
  line: number;
  col: number;
}

export function formatWhere(where: Where): string {
  const loc = where.line > 0 ? `${where.file}:${where.line}:${where.col}` : where.file;
  return where.path === "" ? loc : `${loc}: ${where.path}`;
}

export function errorAt(where: Where, message: string): WorkloadError {
  return new WorkloadError(`${formatWhere(where)}: ${message}`);
}

/** Levenshtein distance, small inputs only (names in a workload). */
function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/**
 * The candidate a user most likely meant: a small edit away, or one that starts with what
 * was typed (`parse` → `parse_header`). Undefined when nothing is close enough.
 */
export function nearestName(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  const limit = Math.max(1, Math.floor(word.length / 3));
  for (const c of candidates) {
    if (c === word) continue;
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    const prefix = word.length >= 3 && (c.startsWith(word) || word.startsWith(c));
    const score = d <= limit ? d : prefix ? limit + 0.5 : Number.POSITIVE_INFINITY;
    if (score < bestScore) {
      bestScore = score;
      best = c;
    }
  }
  return best;
}

/** ` (did you mean "x"?)` or the empty string. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const near = nearestName(word, candidates);
  return near === undefined ? "" : ` (did you mean "${near}"?)`;
}
