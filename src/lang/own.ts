/**
 * Table lookups keyed by user text. A plain `table[key]` would find inherited properties
 * (`table["constructor"]` is Object's constructor), so user-chosen keys go through here.
 */
export function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
