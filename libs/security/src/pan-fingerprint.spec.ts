import { createHmac, randomBytes } from 'node:crypto';
import { PanFingerprinter, maskPan } from './pan-fingerprint';

const KEY = 'a1'.repeat(32);
const OTHER_KEY = 'b2'.repeat(32);
const UUID_V8 = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('PanFingerprinter', () => {
  const fingerprinter = new PanFingerprinter(KEY);

  describe('fingerprint', () => {
    it('is 64 lowercase hex characters', () => {
      expect(fingerprinter.fingerprint('4123456789012345')).toMatch(/^[0-9a-f]{64}$/);
    });

    it('is HMAC-SHA256 of the digits under the hex-decoded key', () => {
      const expected = createHmac('sha256', Buffer.from(KEY, 'hex')).update('4123456789012345').digest('hex');
      expect(fingerprinter.fingerprint('4123456789012345')).toBe(expected);
    });

    it('is deterministic, also across instances', () => {
      expect(new PanFingerprinter(KEY).fingerprint('4123456789012345')).toBe(fingerprinter.fingerprint('4123456789012345'));
      expect(new PanFingerprinter(KEY.toUpperCase()).fingerprint('4123456789012345')).toBe(fingerprinter.fingerprint('4123456789012345'));
    });

    it('depends on the key and on the number', () => {
      const a = fingerprinter.fingerprint('4123456789012345');
      expect(new PanFingerprinter(OTHER_KEY).fingerprint('4123456789012345')).not.toBe(a);
      expect(fingerprinter.fingerprint('4123456789012346')).not.toBe(a);
    });

    it('refuses anything but digits, without repeating the input', () => {
      expect(() => fingerprinter.fingerprint('4123 4567 8901 2345')).toThrow(/digits/);
      expect(() => fingerprinter.fingerprint('')).toThrow(/digits/);
      expect(() => fingerprinter.fingerprint('4123 4567 8901 2345')).not.toThrow(/4123/);
    });
  });

  describe('deriveCardId', () => {
    it('is a UUID of version 8 and RFC 9562 variant', () => {
      for (let i = 0; i < 100; i++) {
        const digits = BigInt('0x' + randomBytes(8).toString('hex')).toString().padStart(16, '4').slice(0, 16);
        expect(fingerprinter.deriveCardId(digits)).toMatch(UUID_V8);
      }
    });

    it('is deterministic', () => {
      expect(fingerprinter.deriveCardId('4123456789012345')).toBe(new PanFingerprinter(KEY).deriveCardId('4123456789012345'));
    });

    it('differs per card number and per key', () => {
      const id = fingerprinter.deriveCardId('4123456789012345');
      expect(fingerprinter.deriveCardId('4123456789012346')).not.toBe(id);
      expect(new PanFingerprinter(OTHER_KEY).deriveCardId('4123456789012345')).not.toBe(id);
    });

    it('is not the fingerprint (domain-separated)', () => {
      const fp = fingerprinter.fingerprint('4123456789012345');
      expect(fingerprinter.deriveCardId('4123456789012345').replace(/-/g, '')).not.toBe(fp.slice(0, 32));
    });
  });

  it.each([
    ['too short', 'ab'.repeat(31), /at least 32 bytes/],
    ['odd length', 'a'.repeat(65), /even number of hexadecimal/],
    ['not hex', 'zz'.repeat(32), /hexadecimal/],
    ['empty', '', /hexadecimal/],
  ])('refuses a key that is %s', (_what, key, message) => {
    expect(() => new PanFingerprinter(key)).toThrow(message);
  });

  it('accepts a longer key', () => {
    expect(new PanFingerprinter('cd'.repeat(64)).fingerprint('4123456789012345')).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('maskPan', () => {
  it.each([
    ['4123456789012345', '412345******2345'],
    ['4123456789012345678', '412345*********5678'],
    ['412345678901', '412345**8901'],
    ['12345678', '****5678'],
    ['1234', '****'],
    ['4123-4567', '*********'],
    ['', ''],
  ])('%j → %j', (input, masked) => {
    expect(maskPan(input)).toBe(masked);
  });
});
