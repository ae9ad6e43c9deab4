import { createCipheriv, randomBytes, randomInt } from 'node:crypto';
import { CVV2_SERVICE_CODE, VisaCvvCardVerification, computeVisaCvv } from './visa-cvv';

const CVK = '0123456789ABCDEF' + 'FEDCBA9876543210';
const VECTOR = { cardNumber: '4123456789012345', expiryYymm: '8701', serviceCode: '101', cvk: CVK };

function randomDigits(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(randomInt(10));
  return s;
}

describe('computeVisaCvv', () => {
  it('gives the published test vector: 4123456789012345, 8701, 101 under 0123…EF/FEDC…10 → 561', () => {
    expect(computeVisaCvv(VECTOR)).toBe('561');
  });

  it('accepts the key in lower case', () => {
    expect(computeVisaCvv({ ...VECTOR, cvk: CVK.toLowerCase() })).toBe('561');
  });

  it.each([
    ['card number', { cardNumber: '4123456789012346' }],
    ['card number (first digit)', { cardNumber: '5123456789012345' }],
    ['expiry', { expiryYymm: '8702' }],
    ['expiry year', { expiryYymm: '8801' }],
    ['service code', { serviceCode: '201' }],
    ['service code (CVV2)', { serviceCode: '000' }],
    ['key A', { cvk: '0123456789ABCDED' + 'FEDCBA9876543210' }],
    ['key B', { cvk: '0123456789ABCDEF' + 'FEDCBA9876543212' }],
  ])('changes when one digit of the %s changes', (_what, change) => {
    expect(computeVisaCvv({ ...VECTOR, ...change })).not.toBe('561');
  });

  it('ignores the DES parity bits of the key (the low bit of each byte), as DES does', () => {
    expect(computeVisaCvv({ ...VECTOR, cvk: '0123456789ABCDEE' + 'FEDCBA9876543211' })).toBe('561');
  });

  it('is deterministic and always three digits', () => {
    for (let i = 0; i < 200; i++) {
      const input = {
        cardNumber: randomDigits(12 + randomInt(8)),
        expiryYymm: randomDigits(4),
        serviceCode: randomDigits(3),
        cvk: randomBytes(16).toString('hex'),
      };
      const cvv = computeVisaCvv(input);
      expect(cvv).toMatch(/^[0-9]{3}$/);
      expect(computeVisaCvv({ ...input })).toBe(cvv);
    }
  });

  it('agrees with the algorithm written with 2-key cipher names (des-ede-ecb), where OpenSSL offers them', () => {
    const ecb = (key: Buffer, block: Buffer): Buffer => {
      const c = createCipheriv('des-ede-ecb', key, null);
      c.setAutoPadding(false);
      return Buffer.concat([c.update(block), c.final()]);
    };
    try {
      ecb(Buffer.alloc(16), Buffer.alloc(8));
    } catch {
      return; // not offered by this OpenSSL build: nothing to compare with
    }
    for (let i = 0; i < 50; i++) {
      const cardNumber = randomDigits(16);
      const expiryYymm = randomDigits(4);
      const serviceCode = randomDigits(3);
      const cvk = randomBytes(16);
      const data = Buffer.from((cardNumber + expiryYymm + serviceCode).padEnd(32, '0'), 'hex');
      const a = cvk.subarray(0, 8);
      const r1 = ecb(Buffer.concat([a, a]), data.subarray(0, 8));
      const r2 = Buffer.from(r1.map((x, j) => x ^ data[8 + j]!));
      const hex = ecb(cvk, r2).toString('hex');
      const decimal = [...hex].filter((c) => /[0-9]/.test(c)).join('') +
        [...hex].filter((c) => /[a-f]/.test(c)).map((c) => String(parseInt(c, 16) - 10)).join('');
      expect(computeVisaCvv({ cardNumber, expiryYymm, serviceCode, cvk: cvk.toString('hex') })).toBe(decimal.slice(0, 3));
    }
  });

  it.each([
    ['cvk', { cvk: CVK.slice(0, 31) }, /cvk must be exactly 32 hexadecimal characters/],
    ['cvk', { cvk: CVK.slice(0, 31) + 'G' }, /cvk must be exactly 32 hexadecimal characters/],
    ['cardNumber', { cardNumber: '4123 4567 8901 2345' }, /cardNumber must contain digits only/],
    ['cardNumber', { cardNumber: '41234567890' }, /cardNumber must be 12 to 19 digits/],
    ['cardNumber', { cardNumber: '41234567890123456789' }, /cardNumber must be 12 to 19 digits/],
    ['expiryYymm', { expiryYymm: '870' }, /expiryYymm must be exactly 4 digits/],
    ['expiryYymm', { expiryYymm: '87-1' }, /expiryYymm must contain digits only/],
    ['serviceCode', { serviceCode: '1010' }, /serviceCode must be exactly 3 digits/],
  ])('rejects a malformed %s with a clear error', (_field, change, message) => {
    expect(() => computeVisaCvv({ ...VECTOR, ...change })).toThrow(message);
  });

  it('does not repeat the card number or the key in its errors', () => {
    const cardNumber = '4123456789012345X';
    let error: Error | undefined;
    try {
      computeVisaCvv({ ...VECTOR, cardNumber });
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).not.toContain('4123456789012345');
    const cvk = 'Z123456789ABCDEFFEDCBA9876543210';
    expect(() => computeVisaCvv({ ...VECTOR, cvk })).toThrow(/cvk must be/);
    expect(() => computeVisaCvv({ ...VECTOR, cvk })).not.toThrow(/123456789ABCDEF|FEDCBA/);
  });
});

describe('VisaCvvCardVerification', () => {
  const cardNumber = '4123456789012345';
  const expiryYymm = '8701';
  const verification = new VisaCvvCardVerification(CVK);
  const cvv2 = computeVisaCvv({ cardNumber, expiryYymm, serviceCode: '000', cvk: CVK });

  it('uses service code 000 for CVV2', () => {
    expect(CVV2_SERVICE_CODE).toBe('000');
    expect(verification.computeCvv2(cardNumber, expiryYymm)).toBe(cvv2);
  });

  it('accepts the right CVV2', async () => {
    await expect(verification.verifyCvv2({ cardNumber, expiryYymm, cvv: cvv2 })).resolves.toBe(true);
  });

  it('refuses a wrong CVV2', async () => {
    const wrong = String((Number(cvv2) + 1) % 1000).padStart(3, '0');
    await expect(verification.verifyCvv2({ cardNumber, expiryYymm, cvv: wrong })).resolves.toBe(false);
    // The CVV1 of the vector (service code 101) is not the CVV2.
    if (cvv2 !== '561') {
      await expect(verification.verifyCvv2({ cardNumber, expiryYymm, cvv: '561' })).resolves.toBe(false);
    }
  });

  it('refuses a CVV2 given with another expiry, or checked under another key', async () => {
    // Pick an expiry and a key under which this card's CVV2 differs (3 digits: about 1 in 1000 collide).
    const otherExpiry = ['8702', '8703', '8801'].find((e) => verification.computeCvv2(cardNumber, e) !== cvv2)!;
    await expect(verification.verifyCvv2({ cardNumber, expiryYymm: otherExpiry, cvv: cvv2 })).resolves.toBe(false);
    const other = ['0123456789ABCDEF' + 'FEDCBA9876543212', '0123456789ABCDED' + 'FEDCBA9876543210']
      .map((k) => new VisaCvvCardVerification(k))
      .find((v) => v.computeCvv2(cardNumber, expiryYymm) !== cvv2)!;
    await expect(other.verifyCvv2({ cardNumber, expiryYymm, cvv: cvv2 })).resolves.toBe(false);
  });

  it.each(['', cvv2.slice(0, 2), cvv2 + '0', ` ${cvv2}`, `${cvv2}\n`])('answers false, without throwing, for a CVV2 of the wrong length (%j)', async (cvv) => {
    await expect(verification.verifyCvv2({ cardNumber, expiryYymm, cvv })).resolves.toBe(false);
  });

  it('refuses an invalid key when constructed', () => {
    expect(() => new VisaCvvCardVerification('0123')).toThrow(/32 hexadecimal characters/);
  });
});
