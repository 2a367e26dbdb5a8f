/** The entries of `o` whose value is not undefined (so a spread does not overwrite with undefined). */
export function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
