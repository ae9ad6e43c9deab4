/**
 * Events are stored as JSON, where an `undefined` value silently disappears on one side and not the other.
 * Building event data through this keeps absent optional fields absent, so an event equals its stored copy.
 */
export function withoutUndefined<T extends object>(value: T): T {
  const result: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (field !== undefined) result[key] = field;
  }
  return result as T;
}

/**
 * The same object without the named keys (used by `evolve` to clear fields that no longer apply): its other own
 * enumerable fields, in their order. Copied field by field rather than spread and `delete`d: a `delete` turns the
 * object into a slow dictionary, which every later spread of the state (each event of a fold) then pays for.
 */
export function without<T extends object, K extends keyof T>(value: T, ...keys: readonly K[]): Omit<T, K> {
  const result: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (!(keys as readonly PropertyKey[]).includes(key)) result[key] = (value as Record<string, unknown>)[key];
  }
  return result as Omit<T, K>;
}
