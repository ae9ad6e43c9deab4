import { validateCardNumber } from './card-number';
import { luhnValid } from './luhn';

describe('luhnValid', () => {
  it.each(['4111111111111111', '5500000000000004', '378282246310005', '8986001234567890120'])('accepts %s', (digits) => {
    expect(luhnValid(digits)).toBe(true);
  });

  it.each(['4111111111111112', '5500000000000005', '1', '', '4111 1111 1111 1111', 'abc'])('rejects %p', (digits) => {
    expect(luhnValid(digits)).toBe(false);
  });
});

describe('validateCardNumber', () => {
  it('keeps the BIN and the last four digits of a valid number', () => {
    expect(validateCardNumber('4111111111111111', 'DEBIT')).toEqual({
      ok: true,
      digits: '4111111111111111',
      bin: '411111',
      last4: '1111',
    });
  });

  it('strips spaces and dashes', () => {
    expect(validateCardNumber(' 4111 1111-1111-1111 ', 'CREDIT')).toMatchObject({ ok: true, digits: '4111111111111111' });
  });

  it('says the Luhn check digit is wrong', () => {
    expect(validateCardNumber('4111111111111112', 'DEBIT')).toEqual({
      ok: false,
      reason: 'fails the Luhn check (check digit is wrong)',
    });
  });

  it('accepts the shortest payment card number (12 digits)', () => {
    expect(validateCardNumber('411111111117', 'LOYALTY')).toMatchObject({ ok: true, last4: '1117' });
  });

  it.each([
    ['41111111116', 'DEBIT', /12 to 19 digits/],
    ['89860012345678901238', 'DEBIT', /12 to 19 digits/],
    ['4111111111111111', 'SIM', /ICCID of 19 to 20 digits/],
    ['4111x11111111111', 'DEBIT', /only digits/],
    ['  ', 'DEBIT', /required/],
  ] as const)('rejects %p for %s', (raw, product, reason) => {
    const result = validateCardNumber(raw, product);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it.each(['8986001234567890120', '89860012345678901238'])('accepts the ICCID %s of a SIM', (iccid) => {
    expect(validateCardNumber(iccid, 'SIM')).toMatchObject({ ok: true, digits: iccid, bin: '898600' });
  });

  it('checks an ICCID with Luhn as well', () => {
    expect(validateCardNumber('89860012345678901239', 'SIM')).toMatchObject({ ok: false, reason: expect.stringMatching(/Luhn/) });
  });

  it('never echoes the number back in a reason', () => {
    const result = validateCardNumber('4111111111111112', 'DEBIT');
    expect(JSON.stringify(result)).not.toContain('411111');
  });
});
