import { createSecretKey, randomBytes } from 'node:crypto';
import { keyedHash, normaliseForLookup } from './keyed-hash';
import { callingCodeOf, normalisePhone } from './phone-number';

const key = Buffer.from('a3'.repeat(32), 'hex');
const otherKey = Buffer.from('5c'.repeat(32), 'hex');

describe('keyedHash', () => {
  it('hashes the ways people write one phone number alike', () => {
    const expected = keyedHash(key, 'phone', '13800138000');
    for (const written of ['+86 138 0013 8000', '+8613800138000', '0086 138-0013-8000', '8613800138000', '１３８ ００１３ ８０００']) {
      expect(keyedHash(key, 'phone', written)).toBe(expected);
    }
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
    expect(keyedHash(key, 'phone', '13800138001')).not.toBe(expected);
  });

  it('hashes id numbers without spaces and in upper case', () => {
    expect(keyedHash(key, 'idNumber', '11010519491231002x')).toBe(keyedHash(key, 'idNumber', ' 110105 19491231 002X '));
    expect(keyedHash(key, 'idNumber', 'e12345678')).toBe(keyedHash(key, 'idNumber', 'E1234-5678'));
  });

  it('hashes e-mail addresses case-insensitively', () => {
    expect(keyedHash(key, 'email', 'Zhang.San@Example.com ')).toBe(keyedHash(key, 'email', 'zhang.san@example.com'));
  });

  it('separates kinds and keys', () => {
    const value = '13800138000';
    const phone = keyedHash(key, 'phone', value);
    expect(keyedHash(key, 'idNumber', value)).not.toBe(phone);
    expect(keyedHash(key, 'email', value)).not.toBe(keyedHash(key, 'idNumber', value));
    expect(keyedHash(otherKey, 'phone', value)).not.toBe(phone);
  });

  it('is stable (a read model holding hashes stays searchable across releases)', () => {
    expect(keyedHash(key, 'phone', '13800138000')).toBe(keyedHash(createSecretKey(key), 'phone', '+8613800138000'));
    // Pinned: HMAC-SHA256(key, '["pii-lookup","v1",<kind>,<normalised>]'). A change of the normalisation or the
    // encoding would silently break every lookup hash already stored in read models.
    expect(keyedHash(key, 'idNumber', '11010519491231002x')).toBe('73204d9530f5408604e2c867f4bc6d3f628752091d879acf19c44823c9102050');
    expect(keyedHash(key, 'phone', '138 0013 8000')).toBe('e212591d6129b993739bba826f5b3489cb2e43bb136db1dea6dabc239c149f17');
  });

  it('hashes a number it cannot read as E.164 as written, without separators', () => {
    expect(keyedHash(key, 'phone', '010-1234 5678')).toBe(keyedHash(key, 'phone', '01012345678'));
    expect(normaliseForLookup('phone', '010-1234 5678')).toBe('01012345678');
  });

  it('refuses short keys, unknown kinds and empty values', () => {
    expect(() => keyedHash(randomBytes(16), 'phone', '13800138000')).toThrow(/at least 32 bytes/);
    expect(() => keyedHash(key, 'name' as never, 'x')).toThrow(TypeError);
    expect(() => keyedHash(key, 'phone', ' - ')).toThrow(/empty/);
    expect(() => keyedHash(key, 'idNumber', '')).toThrow(/empty/);
    expect(() => keyedHash(key, 'phone', '[erased]')).toThrow(/erased/);
  });
});

describe('normalisePhone', () => {
  it.each([
    ['13800138000', '+8613800138000'],
    ['+86 (138) 0013-8000', '+8613800138000'],
    ['00447700900123', '+447700900123'],
    ['+1 415 555 0123', '+14155550123'],
    ['12800138000', null],
    ['010-12345678', null],
    ['+0123456', null],
    ['+12345', null],
    ['', null],
  ])('%s → %s', (written, e164) => {
    expect(normalisePhone(written)).toBe(e164);
  });

  it('finds the calling code', () => {
    expect(callingCodeOf('+14155550123')).toBe('1');
    expect(callingCodeOf('+79161234567')).toBe('7');
    expect(callingCodeOf('+8613800138000')).toBe('86');
    expect(callingCodeOf('+85291234567')).toBe('852');
    expect(callingCodeOf('+35312345678')).toBe('353');
  });
});
