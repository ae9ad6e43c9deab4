import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { canonicalize, canonicalMembers, canonicalMembersOfStoredForm, canonicalTextOfStoredForm } from './jcs';

/** The IEEE 754 double whose bits are `hex` (big-endian), as RFC 8785 Appendix B lists its test values. */
function double(hex: string): number {
  return Buffer.from(hex, 'hex').readDoubleBE(0);
}

describe('canonicalize (RFC 8785 JSON Canonicalization Scheme)', () => {
  describe('numbers: ECMAScript Number-to-String (RFC 8785 Appendix B)', () => {
    it.each([
      ['0000000000000000', '0'],
      ['8000000000000000', '0'], // minus zero
      ['0000000000000001', '5e-324'],
      ['8000000000000001', '-5e-324'],
      ['7fefffffffffffff', '1.7976931348623157e+308'],
      ['ffefffffffffffff', '-1.7976931348623157e+308'],
      ['4340000000000000', '9007199254740992'],
      ['c340000000000000', '-9007199254740992'],
      ['4430000000000000', '295147905179352830000'],
      ['44b52d02c7e14af5', '9.999999999999997e+22'],
      ['44b52d02c7e14af6', '1e+23'],
      ['44b52d02c7e14af7', '1.0000000000000001e+23'],
      ['444b1ae4d6e2ef4e', '999999999999999700000'],
      ['444b1ae4d6e2ef4f', '999999999999999900000'],
      ['444b1ae4d6e2ef50', '1e+21'],
      ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
      ['3eb0c6f7a0b5ed8d', '0.000001'],
      ['41b3de4355555553', '333333333.3333332'],
      ['41b3de4355555554', '333333333.33333325'],
      ['41b3de4355555555', '333333333.3333333'],
      ['41b3de4355555556', '333333333.3333334'],
      ['41b3de4355555557', '333333333.33333343'],
      ['becbf647612f3696', '-0.0000033333333333333333'],
      ['43143ff3c1cb0959', '1424953923781206.2'],
    ])('given the double %s, when canonicalised, then it is %s', (bits, expected) => {
      expect(canonicalize(double(bits))).toBe(expected);
    });

    it.each([
      ['7fffffffffffffff', 'NaN'],
      ['7ff0000000000000', 'Infinity'],
      ['fff0000000000000', '-Infinity'],
    ])('given the double %s (%s), when canonicalised, then it is refused with a TypeError', (bits) => {
      expect(() => canonicalize(double(bits))).toThrow(TypeError);
      expect(() => canonicalize({ amount: double(bits) })).toThrow(TypeError);
    });

    it('given -0 inside a structure, then it is written as 0', () => {
      expect(canonicalize({ a: [-0], b: -0 })).toBe('{"a":[0],"b":0}');
    });
  });

  describe('member order: by UTF-16 code units of the names (RFC 8785 §3.2.3)', () => {
    it('given the RFC sorting example, then the members come out as the RFC lists them', () => {
      const input = {
        '\u20ac': 'Euro Sign',
        '\r': 'Carriage Return',
        '\ufb33': 'Hebrew Letter Dalet With Dagesh',
        '1': 'One',
        '\ud83d\ude00': 'Emoji: Grinning Face',
        '\u0080': 'Control',
        '\u00f6': 'Latin Small Letter O With Diaeresis',
      };

      const text = canonicalize(input);

      expect(text).toBe(
        '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
          '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
      );
      // Code points would put U+FB33 before U+1F600; UTF-16 code units (0xFB33 > 0xD83D) put it after.
      expect(text.indexOf('\ufb33')).toBeGreaterThan(text.indexOf('\ud83d\ude00'));
    });

    it('sorts nested objects too, keeps array order, and leaves out undefined members', () => {
      expect(canonicalize({ b: { z: 1, a: [3, 1, 2] }, a: undefined, c: null, A: true })).toBe(
        '{"A":true,"b":{"a":[3,1,2],"z":1},"c":null}',
      );
    });

    it('compares names code unit by code unit, a shorter prefix first', () => {
      expect(canonicalize({ ab: 1, a: 2, B: 3, '': 4 })).toBe('{"":4,"B":3,"a":2,"ab":1}');
    });
  });

  describe('strings and literals (RFC 8785 §3.2.2)', () => {
    it('given the RFC example with numbers, escapes and literals, then it is written as the RFC shows', () => {
      // The RFC's input text, member order and number spellings as it gives them.
      const input = JSON.parse(String.raw`{
        "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
        "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
        "literals": [null, true, false]
      }`) as unknown;

      expect(canonicalize(input)).toBe(
        String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`,
      );
    });

    it('escapes only what JSON.stringify escapes: controls (lower-case hex), quote and backslash', () => {
      expect(canonicalize('\u0000\u0008\u0009\u000a\u000c\u000d\u001f "\\ /\u007f\u2028é')).toBe(
        '"\\u0000\\b\\t\\n\\f\\r\\u001f \\"\\\\ /\u007f\u2028é"',
      );
    });

    it('writes no whitespace', () => {
      expect(canonicalize({ list: [1, { x: 'a b' }], flag: false })).toBe('{"flag":false,"list":[1,{"x":"a b"}]}');
    });

    it('keeps surrogate pairs, and refuses lone surrogates in values and in names', () => {
      expect(canonicalize('\ud83d\ude00')).toBe('"\ud83d\ude00"');
      expect(() => canonicalize('\ud83d')).toThrow(TypeError);
      expect(() => canonicalize('x\ude00y')).toThrow(TypeError);
      expect(() => canonicalize(['\ude00\ud83d'])).toThrow(TypeError);
      expect(() => canonicalize({ ['\ud800']: 1 })).toThrow(TypeError);
    });
  });

  describe('values JSON cannot hold', () => {
    it.each([
      ['undefined at the top level', undefined],
      ['undefined in an array', [1, undefined]],
      ['a bigint', 1n],
      ['a bigint member', { amount: 10n }],
      ['a function', () => 1],
      ['a function member', { f: () => 1 }],
      ['a symbol', Symbol('s')],
      ['a symbol member', { s: Symbol('s') }],
      ['a Date', { at: new Date(0) }],
      ['a Map', new Map()],
    ])('given %s, then it throws a TypeError', (_description, value) => {
      expect(() => canonicalize(value)).toThrow(TypeError);
    });

    it('given a structure that contains itself, then it throws a TypeError', () => {
      const loop: Record<string, unknown> = {};
      loop.self = loop;
      expect(() => canonicalize(loop)).toThrow(TypeError);
    });

    it('accepts the same object twice when it is not its own ancestor', () => {
      const shared = { k: 1 };
      expect(canonicalize({ a: shared, b: [shared] })).toBe('{"a":{"k":1},"b":[{"k":1}]}');
    });

    it('accepts objects without a prototype', () => {
      const bare = Object.assign(Object.create(null) as Record<string, unknown>, { b: 1, a: 2 });
      expect(canonicalize(bare)).toBe('{"a":2,"b":1}');
    });
  });

  describe('the fast path, for values already in the form JSON.parse gives', () => {
    /** RFC 8785 written the plain way, for values JSON can hold: the oracle the fast path is held against. */
    const reference = (value: unknown): string => {
      if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
      if (typeof value === 'object' && value !== null) {
        const record = value as Record<string, unknown>;
        const names = Object.keys(record).filter((name) => record[name] !== undefined).sort();
        return `{${names.map((name) => `${JSON.stringify(name)}:${reference(record[name])}`).join(',')}}`;
      }
      return JSON.stringify(value);
    };
    /** JSON.parse gives it back as it is (no -0), and its text holds no surrogate nor a `\\ud` escape. */
    const inStoredFormWithoutSurrogates = (value: unknown): boolean => {
      const text = JSON.stringify(value);
      return !/[\uD800-\uDFFF]|\\ud/.test(text) && isDeepStrictEqual(JSON.parse(text), value);
    };
    const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit));

    it('given any JSON value, then canonicalize writes the reference text, and the fast path gives it or steps aside', () => {
      fc.assert(
        fc.property(fc.jsonValue(), (value) => {
          expect(canonicalize(value)).toBe(reference(value));
          const fast = canonicalTextOfStoredForm(value);
          if (fast !== undefined) {
            expect(fast).toBe(reference(value));
            // Only values JSON.parse would give back as they are (toStrictEqual tells -0 from 0).
            expect(JSON.parse(JSON.stringify(value))).toStrictEqual(value);
          }
        }),
        { numRuns: 500 },
      );
    });

    it('given JSON values of any text, then the fast path takes those without surrogates', () => {
      fc.assert(
        fc.property(fc.jsonValue({ maxDepth: 3 }).filter(inStoredFormWithoutSurrogates), (value) => {
          expect(canonicalTextOfStoredForm(value)).toBe(reference(value));
        }),
        { numRuns: 300 },
      );
    });

    it('given strings with a lone surrogate anywhere, then the fast path steps aside and canonicalize refuses them', () => {
      fc.assert(
        fc.property(fc.string(), loneSurrogate, fc.string(), fc.boolean(), (before, lone, after, asName) => {
          const text = `${before.replace(/[\uD800-\uDFFF]/g, '')}${lone}${after.replace(/[\uD800-\uDFFF]/g, '')}`;
          const value = asName ? { [text]: 1 } : { a: [text] };
          expect(canonicalTextOfStoredForm(value)).toBeUndefined();
          expect(() => canonicalize(value)).toThrow(/lone surrogate/);
        }),
        { numRuns: 200 },
      );
    });

    it.each([
      ['minus zero', -0, '0'],
      ['an undefined member', { a: 1, b: undefined }, '{"a":1}'],
      ['a surrogate pair', { s: 'smile \u{1F600}' }, '{"s":"smile \u{1F600}"}'],
      ['a member name with a surrogate pair, sorted by code units', { '\uffff': 1, '\u{1F600}': 2 }, '{"\u{1F600}":2,"\uffff":1}'],
      ['a backslash followed by "ud800"', { s: '\\ud800' }, '{"s":"\\\\ud800"}'],
      ['nesting 70 deep', JSON.parse(`${'['.repeat(70)}1${']'.repeat(70)}`) as unknown, `${'['.repeat(70)}1${']'.repeat(70)}`],
    ])('given %s, then the fast path steps aside and the exact path writes it', (_what, value, expected) => {
      expect(canonicalTextOfStoredForm(value)).toBeUndefined();
      expect(canonicalize(value)).toBe(expected);
    });

    it.each([
      ['undefined in an array', [1, undefined]],
      ['a hole in an array', [1, , 3]],
      ['NaN', { n: NaN }],
      ['a Date', { at: new Date(0) }],
      ['an object with toJSON', { v: { toJSON: () => 'x' } }],
      ['a class instance', { v: new (class Point { x = 1; })() }],
    ])('given %s, then the fast path steps aside and canonicalize refuses it as before', (_what, value) => {
      expect(canonicalTextOfStoredForm(value)).toBeUndefined();
      expect(() => canonicalize(value)).toThrow(TypeError);
    });

    it('given a structure that contains itself, then the fast path gives up at its depth and the exact path names the cycle', () => {
      const loop: Record<string, unknown> = { a: 1 };
      loop.self = loop;
      expect(canonicalTextOfStoredForm(loop)).toBeUndefined();
      expect(() => canonicalize(loop)).toThrow(/refers back to itself/);
    });

    it('given an object in stored form, then its members are the ones canonicalMembers writes; otherwise there are none', () => {
      const record = { zeta: [1, { b: true, a: null }], Alpha: 'x\n', alpha: 2.5 };
      expect(canonicalMembersOfStoredForm(record)).toEqual(canonicalMembers(record));
      expect(canonicalMembersOfStoredForm({ a: 1, b: undefined })).toBeUndefined();
      expect(canonicalMembersOfStoredForm({ a: 'smile \u{1F600}' })).toBeUndefined();
      expect(canonicalMembersOfStoredForm({ a: -0 })).toBeUndefined();
    });
  });
});
