/**
 * RFC 8785 JSON Canonicalization Scheme (JCS): one exact text for a JSON value, so that its hash does not depend
 * on who serialised it (member order, whitespace, number spelling).
 *
 * - objects: members sorted by their names compared as arrays of UTF-16 code units (not code points, not
 *   locale), members whose value is `undefined` left out (as JSON.stringify does);
 * - no whitespace anywhere;
 * - strings (names and values) escaped as ECMAScript's JSON.stringify escapes them: `\"`, `\\`, `\b \f \n \r \t`,
 *   other controls below U+0020 as `\u00xx` in lower case, everything else as is;
 * - numbers as ECMAScript's Number-to-String (JSON.stringify of a finite number; -0 becomes "0").
 *
 * Anything JSON cannot hold without loss is a TypeError rather than silently changed: NaN and ±Infinity, bigint,
 * functions, symbols, `undefined` at the top level or inside an array, strings with lone surrogates (RFC 8785
 * §3.2.2.2 requires valid Unicode), and objects other than plain objects and arrays (a Date, a Map, a class
 * instance: JSON.stringify would turn them into something else, or into nothing).
 */
export function canonicalize(value: unknown): string {
  const text = canonicalTextOfStoredForm(value);
  if (text !== undefined) return text;
  const parts: string[] = [];
  write(value, parts, new Set<object>(), ROOT);
  return parts.join('');
}

/**
 * canonicalize(value) when the value is already in the form JSON.parse gives (JSON.parse(JSON.stringify(value)) is
 * a deep copy of it), else undefined: plain objects and arrays, strings without surrogate code units, finite numbers
 * other than -0, booleans and null; no `undefined`, no other kind of value, at most 64 levels deep. A caller that
 * gets a text can use the value as stored without that round trip (chainEvents).
 */
export function canonicalTextOfStoredForm(value: unknown): string | undefined {
  const text = storedFormText(value, 0);
  return text === undefined || hasSurrogates(text) ? undefined : text;
}

/**
 * canonicalMembers(record) when every member's value is in the form JSON.parse gives (canonicalTextOfStoredForm),
 * else undefined.
 */
export function canonicalMembersOfStoredForm(record: Record<string, unknown>): CanonicalMember[] | undefined {
  if (!isPlainObject(record)) return undefined;
  // The default sort compares strings by UTF-16 code units: RFC 8785's order.
  const names = Object.keys(record).sort();
  const members: CanonicalMember[] = [];
  let all = '';
  for (const name of names) {
    const text = storedFormText(record[name], 1);
    if (text === undefined) return undefined;
    const member = `${JSON.stringify(name)}:${text}`;
    members.push({ name, text: member });
    all += member;
  }
  return hasSurrogates(all) ? undefined : members;
}

/**
 * The members of a plain object as canonicalize() writes them, in its order: each `"name":value` text, without the
 * braces and commas around them. `'{' + members.join(',') + '}'` is `canonicalize(record)`; a member can be added
 * or left out without canonicalising the others again (the hash chain leaves out, then adds, the `hash` member).
 */
export function canonicalMembers(record: Record<string, unknown>): CanonicalMember[] {
  if (!isPlainObject(record)) throw new TypeError('canonicalize: $ is not a plain JSON object');
  const names = memberNames(record);
  const ancestors = new Set<object>([record]);
  return names.map((name) => {
    const parts = [serialiseString(name, ROOT, ' (a member name)'), ':'];
    write(record[name], parts, ancestors, at(ROOT, name));
    return { name, text: parts.join('') };
  });
}

export interface CanonicalMember {
  readonly name: string;
  /** `"name":value` in canonical form. */
  readonly text: string;
}

/** Orders strings as RFC 8785 orders member names (by UTF-16 code units). */
export function compareMemberNames(a: string, b: string): number {
  return compareUtf16(a, b);
}

/**
 * Where a value sits, for error messages only: a chain of steps, turned into `$.a.b[2]` when something is wrong
 * (building that text for every member of every event would cost more than the canonicalisation itself).
 */
interface Path {
  readonly parent: Path | null;
  /** A member name, or an array index. */
  readonly key: string | number;
}
const ROOT: Path = { parent: null, key: '$' };
const at = (parent: Path, key: string | number): Path => ({ parent, key });
function pathText(path: Path): string {
  const steps: string[] = [];
  for (let p: Path | null = path; p !== null; p = p.parent) {
    steps.push(p.parent === null ? String(p.key) : typeof p.key === 'number' ? `[${p.key}]` : `.${p.key}`);
  }
  return steps.reverse().join('');
}

/** Any surrogate half: only strings holding one need the exact (slower) check for a lone one. */
const ANY_SURROGATE = /[\uD800-\uDFFF]/;
/** A surrogate half that is not part of a pair. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Whether a text the fast path wrote holds a surrogate code unit (JSON.stringify leaves a pair as it is) or the
 * escape JSON.stringify writes for a lone one (`\ud800`…; a string holding a backslash followed by `ud` gives a
 * false alarm, which merely sends it the exact way). Strings are checked once, in the whole text, not one by one.
 */
function hasSurrogates(text: string): boolean {
  return ANY_SURROGATE.test(text) || text.includes('\\ud');
}

/** Deeper than this, the fast path gives up and the exact one (which tells a cycle from depth) takes over. */
const MAX_FAST_DEPTH = 64;

/**
 * The fast path of canonicalize, for values in the form JSON.parse gives (canonicalTextOfStoredForm): one string
 * built as it goes, no path kept for error messages and no set of ancestors (the depth bounds a cycle). Anything
 * else (a value canonicalize refuses, or accepts but JSON.parse would not give back as it is: `undefined` members,
 * -0) returns undefined, and canonicalize takes the exact path, which writes or refuses it as before. Strings are
 * written as they come: the callers look for surrogates once, in the whole text (hasSurrogates).
 */
function storedFormText(value: unknown, depth: number): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      // For a finite number JSON.stringify writes String(value); -0 would come back from JSON.parse as 0.
      return Number.isFinite(value) && !Object.is(value, -0) ? String(value) : undefined;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (depth >= MAX_FAST_DEPTH) return undefined;
      if (Array.isArray(value)) {
        let text = '[';
        for (let index = 0; index < value.length; index++) {
          const item = storedFormText(value[index], depth + 1);
          if (item === undefined) return undefined;
          text += index === 0 ? item : `,${item}`;
        }
        return `${text}]`;
      }
      if (!isPlainObject(value)) return undefined;
      const record = value as Record<string, unknown>;
      const names = Object.keys(record).sort();
      let text = '{';
      for (let index = 0; index < names.length; index++) {
        const name = names[index];
        const member = storedFormText(record[name], depth + 1);
        if (member === undefined) return undefined;
        text += `${index === 0 ? '' : ','}${JSON.stringify(name)}:${member}`;
      }
      return `${text}}`;
    }
    default:
      return undefined;
  }
}

function write(value: unknown, out: string[], ancestors: Set<object>, path: Path): void {
  switch (typeof value) {
    case 'string':
      out.push(serialiseString(value, path, ''));
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalize: ${pathText(path)} is ${String(value)}, which JSON cannot hold`);
      // JSON.stringify(-0) is "0", as RFC 8785 §3.2.2.3 requires.
      out.push(JSON.stringify(value));
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'object':
      if (value === null) {
        out.push('null');
        return;
      }
      writeContainer(value, out, ancestors, path);
      return;
    default:
      // undefined, bigint, function, symbol
      throw new TypeError(`canonicalize: ${pathText(path)} is a ${typeof value}, which JSON cannot hold`);
  }
}

function writeContainer(value: object, out: string[], ancestors: Set<object>, path: Path): void {
  if (ancestors.has(value)) throw new TypeError(`canonicalize: ${pathText(path)} refers back to itself`);
  ancestors.add(value);
  if (Array.isArray(value)) {
    out.push('[');
    for (let index = 0; index < value.length; index++) {
      if (index > 0) out.push(',');
      write(value[index], out, ancestors, at(path, index));
    }
    out.push(']');
  } else {
    if (!isPlainObject(value)) {
      const kind = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
      throw new TypeError(`canonicalize: ${pathText(path)} is a ${kind}, not a plain JSON object`);
    }
    const record = value as Record<string, unknown>;
    const names = memberNames(record);
    out.push('{');
    for (let index = 0; index < names.length; index++) {
      const name = names[index];
      if (index > 0) out.push(',');
      out.push(serialiseString(name, path, ' (a member name)'), ':');
      write(record[name], out, ancestors, at(path, name));
    }
    out.push('}');
  }
  ancestors.delete(value);
}

function serialiseString(value: string, path: Path, what: string): string {
  if (ANY_SURROGATE.test(value) && LONE_SURROGATE.test(value)) {
    throw new TypeError(`canonicalize: ${pathText(path)}${what} holds a lone surrogate, which is not valid Unicode`);
  }
  // For well-formed strings, JSON.stringify escapes exactly as RFC 8785 §3.2.2.2 prescribes.
  return JSON.stringify(value);
}

/**
 * An object literal or JSON.parse result (or Object.create(null)): its prototype is an Object.prototype, of
 * this realm or another (Jest runs tests in a vm context, Node's internals in the main one).
 */
export function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value) as object | null;
  return prototype === null || Object.getPrototypeOf(prototype) === null;
}

/** The names of the members canonicalize() writes, in its order: those whose value is not undefined, sorted. */
function memberNames(record: Record<string, unknown>): string[] {
  return Object.keys(record)
    .filter((name) => record[name] !== undefined)
    .sort(compareUtf16);
}

/** Orders strings by their UTF-16 code units, the order RFC 8785 §3.2.3 prescribes (what `<` on strings does). */
function compareUtf16(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
