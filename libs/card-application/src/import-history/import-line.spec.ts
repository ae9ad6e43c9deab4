import { checkImportLine, IMPORT_COMMANDS, type LineCheck } from './import-line';

const now = new Date('2026-01-15T10:00:00.000Z');
const context = { now, fingerprint: (digits: string) => `fp(${digits.length})` };
const CARD_ID = '3b9f3c52-8a1e-4d4b-9c2f-5e6a7b8c9d0e';
const CUSTOMER_ID = '8f0c2b1e-5d5e-4a4f-9f43-7c1f0e9a7b21';
const DISPUTE_ID = '0d6c3f0a-2b7e-4c1d-9a8f-3e2d1c0b9a87';
const PAN = '4111111111111111';

const check = (line: Record<string, unknown> | string): LineCheck =>
  checkImportLine(typeof line === 'string' ? line : JSON.stringify(line), context);

function refused(result: LineCheck) {
  if (result.ok) throw new Error('expected the line to be refused');
  return result;
}

/** One valid line of each command. */
const VALID: Record<(typeof IMPORT_COMMANDS)[number], Record<string, unknown>> = {
  RegisterCustomer: {
    customerId: CUSTOMER_ID,
    name: '张三',
    idType: 'CN_RESIDENT_ID',
    idNumber: '11010519491231002X',
    phone: '13800138000',
    email: 'zhang.san@example.com',
    address: { line1: '建国门内大街 1 号', city: '北京', country: 'CN' },
    preferredChannels: ['SMS', 'EMAIL'],
    locale: 'zh-CN',
  },
  IssueCard: { cardId: CARD_ID, customerId: CUSTOMER_ID, product: 'DEBIT', cardNumber: PAN, expiry: '12/27', channel: 'BRANCH', branchId: 'BJ-001' },
  VerifyIdentity: { cardId: CARD_ID, method: 'FACE', name: '张三', idNumber: '11010519491231002X', matchScore: 0.93 },
  LinkCard: { cardId: CARD_ID, accountId: 'ACC-1001' },
  ActivateCard: { cardId: CARD_ID, channel: 'APP' },
  OpenDispute: { cardId: CARD_ID, disputeId: DISPUTE_ID, reason: 'FRAUD', description: 'Not me' },
  ResolveDispute: { cardId: CARD_ID, disputeId: DISPUTE_ID, outcome: 'UPHELD', note: 'Confirmed' },
  SuspendCard: { cardId: CARD_ID, reason: 'LOST' },
  ReinstateCard: { cardId: CARD_ID },
  CancelCard: { cardId: CARD_ID, reason: 'Customer request' },
};

describe('checking a line of an import file', () => {
  it.each(IMPORT_COMMANDS)('given a well-formed %s line, then it becomes that command at its own time', (command) => {
    const result = check({ command, occurredAt: '2025-03-01T17:30:00+08:00', ...VALID[command] });
    expect(result).toMatchObject({ ok: true, line: { command, occurredAt: '2025-03-01T09:30:00.000Z' } });
  });

  it('given an IssueCard line, then the handler input carries the file\'s card id and the number', () => {
    const result = check({ command: 'IssueCard', occurredAt: '2025-03-01T09:30:00Z', ...VALID.IssueCard });
    expect(result).toMatchObject({ ok: true, line: { input: { cardId: CARD_ID, cardNumber: PAN, product: 'DEBIT', expiry: '12/27' } } });
  });

  it('given an ActivateCard line, then possession counts as proven by the old system', () => {
    const result = check({ command: 'ActivateCard', occurredAt: '2025-03-01T09:30:00Z', ...VALID.ActivateCard });
    expect(result).toMatchObject({ ok: true, line: { cardId: CARD_ID, input: { channel: 'APP', possessionCheckedElsewhere: true } } });
  });

  it('given ids in upper case, then they are read in lower case (streams are named by them)', () => {
    const result = check({ command: 'LinkCard', occurredAt: '2025-03-01T09:30:00Z', cardId: CARD_ID.toUpperCase(), accountId: 'A-1' });
    expect(result).toMatchObject({ ok: true, line: { cardId: CARD_ID } });
  });

  describe('the idempotency key', () => {
    const line = { command: 'IssueCard', occurredAt: '2025-03-01T09:30:00Z', ...VALID.IssueCard };
    const keyOf = (l: Record<string, unknown> | string) => {
      const result = check(l);
      if (!result.ok) throw new Error(result.reason);
      return result.idempotencyKey;
    };

    it('is the same for the same line, whatever the order of its fields and its spacing', () => {
      const reordered = Object.fromEntries(Object.entries(line).reverse());
      expect(keyOf(JSON.stringify(reordered, null, 1).replace(/\n/g, ' '))).toBe(keyOf(line));
      expect(keyOf(line)).toMatch(/^import:[0-9a-f]{64}$/);
    });

    it('differs when anything that matters differs', () => {
      expect(keyOf({ ...line, occurredAt: '2025-03-01T09:30:01Z' })).not.toBe(keyOf(line));
      expect(keyOf({ ...line, branchId: 'SH-002' })).not.toBe(keyOf(line));
    });

    it('hashes the card number only through its keyed fingerprint, never the digits themselves', () => {
      const hashes: string[] = [];
      const spy = { now, fingerprint: (digits: string) => (hashes.push(digits), 'FP') };
      const a = checkImportLine(JSON.stringify(line), spy);
      const b = checkImportLine(JSON.stringify({ ...line, cardNumber: '4000056655665556' }), spy);
      expect(hashes).toEqual([PAN, '4000056655665556']);
      // Same fingerprint, same key: the digits themselves did not go into it.
      expect(a.ok && b.ok && a.idempotencyKey === b.idempotencyKey).toBe(true);
    });
  });

  describe('refusals name the field and never repeat its value', () => {
    it('malformed JSON', () => {
      const result = refused(check(`{"command":"IssueCard","cardNumber":${PAN}x`));
      expect(result).toMatchObject({ code: 'MALFORMED_JSON', command: null });
      expect(result.reason).not.toContain(PAN.slice(0, 8));
    });

    it('text with a lone UTF-16 surrogate, which no event can hold', () => {
      const result = refused(check('{"command":"SuspendCard","cardId":"c","reason":"lost \\ud800"}'));
      expect(result).toMatchObject({ code: 'VALIDATION_FAILED', command: 'SuspendCard', errors: [{ field: 'reason', reason: expect.stringMatching(/lone UTF-16 surrogate/) }] });
    });

    it('a line that is not an object', () => {
      expect(refused(check('[1,2]'))).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'line', reason: 'must be a JSON object' }] });
    });

    it('an unknown or missing command', () => {
      expect(refused(check({ command: 'FlyCard', occurredAt: '2025-01-01T00:00:00Z' }))).toMatchObject({ code: 'UNKNOWN_COMMAND', command: null });
      expect(refused(check({ occurredAt: '2025-01-01T00:00:00Z' })).reason).toMatch(/command: is required and must be one of RegisterCustomer/);
    });

    it.each([
      [undefined, 'is required'],
      ['2025-03-01', 'must be an ISO-8601 date-time'],
      ['2025-03-01T09:30:00', 'must be an ISO-8601 date-time'],
      ['2025-02-30T09:30:00Z', 'is not a real date'],
      ['2025-03-01T24:00:00Z', 'is not a real date'],
      ['2026-01-15T10:00:01Z', 'must not be in the future'],
      [1740821400000, 'must be an ISO-8601 date-time'],
    ])('occurredAt %p: %s', (occurredAt, reason) => {
      const result = refused(check({ command: 'SuspendCard', occurredAt, ...VALID.SuspendCard }));
      expect(result).toMatchObject({ code: 'VALIDATION_FAILED', command: 'SuspendCard' });
      expect(result.errors).toEqual([{ field: 'occurredAt', reason: expect.stringContaining(reason) }]);
    });

    it('accepts an occurredAt of exactly now', () => {
      expect(check({ command: 'SuspendCard', occurredAt: now.toISOString(), ...VALID.SuspendCard }).ok).toBe(true);
    });

    it('lists every bad field at once: types, enums, required fields, lengths, patterns, nested objects', () => {
      const result = refused(
        check({
          command: 'RegisterCustomer',
          occurredAt: '2025-03-01T09:30:00Z',
          customerId: 'customer-1',
          name: '',
          idType: 'DRIVING_LICENCE',
          phone: 13800138000,
          address: { line1: 'x', country: 'CHN', floor: 3 },
          preferredChannels: ['SMS', 'SMS'],
        }),
      );
      expect(result.errors).toEqual(
        expect.arrayContaining([
          { field: 'customerId', reason: 'must be a UUID' },
          { field: 'name', reason: 'must be 1 to 100 characters long' },
          { field: 'idType', reason: 'must be one of CN_RESIDENT_ID, PASSPORT' },
          { field: 'idNumber', reason: 'is required' },
          { field: 'phone', reason: 'must be a string' },
          { field: 'address.city', reason: 'is required' },
          { field: 'address.country', reason: 'must be 2 characters long' },
          { field: 'address.floor', reason: 'is not a known field' },
          { field: 'preferredChannels', reason: 'must not name a value twice' },
        ]),
      );
      expect(result.errors).toHaveLength(9);
    });

    it('refuses unknown fields, and the ids the API would choose itself are required from the file', () => {
      const result = refused(check({ command: 'OpenDispute', occurredAt: '2025-03-01T09:30:00Z', cardId: CARD_ID, reason: 'FRAUD', description: 'x', colour: 'red' }));
      expect(result.errors).toEqual([
        { field: 'disputeId', reason: 'is required' },
        { field: 'colour', reason: 'is not a known field' },
      ]);
    });

    it('does not repeat an unknown field\'s name when it could carry data', () => {
      const result = refused(check({ command: 'SuspendCard', occurredAt: '2025-03-01T09:30:00Z', ...VALID.SuspendCard, [PAN]: true }));
      expect(result.reason).not.toContain(PAN);
      expect(result.errors).toEqual([{ field: '(a field with an unexpected name)', reason: 'is not a known field' }]);
    });

    it('a card number of the wrong shape, and no card number or CVV2 on an activation', () => {
      expect(refused(check({ command: 'IssueCard', occurredAt: '2025-03-01T09:30:00Z', ...VALID.IssueCard, cardNumber: '4111-abc' })).errors).toEqual([
        { field: 'cardNumber', reason: 'must be 12 to 30 characters long' },
      ]);
      const activation = refused(check({ command: 'ActivateCard', occurredAt: '2025-03-01T09:30:00Z', ...VALID.ActivateCard, cardNumber: PAN, cvv: '123' }));
      expect(activation.errors?.map((e) => e.field)).toEqual(['cardNumber', 'cvv']);
      expect(activation.reason).not.toContain(PAN);
      expect(activation.reason).not.toContain('123');
    });

    it('a match score outside 0..1 and a malformed account id', () => {
      expect(refused(check({ command: 'VerifyIdentity', occurredAt: '2025-03-01T09:30:00Z', ...VALID.VerifyIdentity, matchScore: 1.5 })).errors).toEqual([
        { field: 'matchScore', reason: 'must be a number from 0 to 1' },
      ]);
      expect(refused(check({ command: 'LinkCard', occurredAt: '2025-03-01T09:30:00Z', cardId: CARD_ID, accountId: 'ACC 1' })).errors).toEqual([
        { field: 'accountId', reason: expect.stringMatching(/may contain letters/) },
      ]);
    });
  });
});
