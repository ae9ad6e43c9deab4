import { validateEmail } from './email';
import { normalizePhone } from './phone';

describe('normalizePhone', () => {
  it.each([
    ['13800138000', '+8613800138000'],
    ['138-0013-8000', '+8613800138000'],
    ['138 0013 8000', '+8613800138000'],
    ['+86 138 0013 8000', '+8613800138000'],
    ['+447911123456', '+447911123456'],
    ['+1 415-555-2671', '+14155552671'],
  ])('normalises %p to %s', (raw, e164) => {
    expect(normalizePhone(raw)).toEqual({ ok: true, value: e164 });
  });

  it.each(['12345', '12800138000', '1380013800', '+0123456789', '+1234567', '+1234567890123456', '8613800138000x', '(138)00138000'])(
    'rejects %p',
    (raw) => {
      expect(normalizePhone(raw)).toEqual({ ok: false, reason: expect.stringMatching(/E\.164/) });
    },
  );

  it('says an empty number is required', () => {
    expect(normalizePhone('  ')).toEqual({ ok: false, reason: 'is required' });
  });
});

describe('validateEmail', () => {
  it('lower-cases the domain and keeps the local part', () => {
    expect(validateEmail(' Zhang.San@Example.COM ')).toEqual({ ok: true, value: 'Zhang.San@example.com' });
  });

  it.each([
    ['zhang.san', 'must contain exactly one @'],
    ['a@b@example.com', 'must contain exactly one @'],
    ['@example.com', 'needs a name before the @'],
    ['zhang@localhost', 'needs a domain such as example.com after the @'],
    ['zhang@example.', 'needs a domain such as example.com after the @'],
    ['zhang@.example.com', 'needs a domain such as example.com after the @'],
    ['zhang@example..com', 'needs a domain such as example.com after the @'],
    ['zhang san@example.com', 'must not contain spaces'],
    ['', 'is required'],
    [`${'a'.repeat(250)}@x.cn`, 'must be at most 254 characters'],
  ])('rejects %p', (raw, reason) => {
    expect(validateEmail(raw)).toEqual({ ok: false, reason });
  });
});
