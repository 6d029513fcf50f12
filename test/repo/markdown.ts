/** Reading the parts of markdown text the repo tests check. */

/** The text of every inline code span (`like this`) in a piece of markdown. */
export function codeSpans(markdown: string): string[] {
  return [...markdown.matchAll(/`([^`\n]+)`/g)].map((match) => match[1]!);
}

/** Whether `word` occurs as a whole word inside some code span. */
export function inCodeSpan(spans: readonly string[], word: string): boolean {
  const pattern = new RegExp(`(^|[^A-Za-z0-9_])${word}($|[^A-Za-z0-9_])`);
  return spans.some((span) => pattern.test(span));
}
