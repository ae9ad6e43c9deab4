import { canonicalize } from './jcs';

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
});
