/** A UTF-16 surrogate that is not half of a pair: JSON can carry one ("\ud800"), Unicode text cannot. */
const LONE_SURROGATE_CODE_UNITS = /(?:[\ud800-\udbff](?![\udc00-\udfff]))|(?:(?<![\ud800-\udbff])[\udc00-\udfff])/;

/**
 * The path ('name', 'address.city', 'preferredChannels[1]', or '' for the value itself) of the first string in a
 * JSON value, or of an object key, that holds a lone surrogate; null when there is none. Events are hashed over
 * their canonical JSON (RFC 8785), which has no representation for such text, so it must be refused at the edge
 * with a 400 rather than fail when it is appended.
 */
export function loneSurrogatePath(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return LONE_SURROGATE_CODE_UNITS.test(value) ? path : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = loneSurrogatePath(value[i], `${path}[${i}]`);
      if (found !== null) return found;
    }
    return null;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [key, member] of Object.entries(value)) {
      const memberPath = path === '' ? key : `${path}.${key}`;
      if (LONE_SURROGATE_CODE_UNITS.test(key)) return path === '' ? 'body' : path;
      const found = loneSurrogatePath(member, memberPath);
      if (found !== null) return found;
    }
  }
  return null;
}

export const LONE_SURROGATE_REASON = 'must be valid Unicode text: it holds a lone UTF-16 surrogate (\\ud800–\\udfff without its pair)';
