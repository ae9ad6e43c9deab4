import { DomainError, ValidationFailed } from '../shared/domain-error';
import { fold } from '../shared/decider';
import { DeciderSpecification } from '../testing/decider-spec';
import { customerDecider } from './customer.decider';
import type { ChangeContactDetails, CustomerEvent, CustomerRegistered, DecideIdentityCorrection, RegisterCustomer, RequestIdentityCorrection, VerifyCustomerIdentity } from './customer.types';

const NOW = '2025-06-01T09:00:00.000Z';
const CUSTOMER_ID = 'c3f5a3a0-1f0e-4a4b-8c55-0c0a3c1d2e11';

function registerCustomer(overrides: Partial<RegisterCustomer> = {}): RegisterCustomer {
  return {
    type: 'RegisterCustomer',
    customerId: CUSTOMER_ID,
    name: '张三',
    idType: 'CN_RESIDENT_ID',
    idNumber: '11010519491231002X',
    phone: '13800138000',
    now: NOW,
    ...overrides,
  };
}

const registered: CustomerRegistered = {
  type: 'CustomerRegistered',
  data: {
    customerId: CUSTOMER_ID,
    name: '张三',
    idType: 'CN_RESIDENT_ID',
    idNumber: '11010519491231002X',
    phone: '+8613800138000',
    preferredChannels: ['SMS'],
    locale: 'zh-CN',
    timeZone: 'Asia/Shanghai',
    registeredAt: NOW,
  },
};

const spec = DeciderSpecification.for(customerDecider);

function violationsOf(command: RegisterCustomer): Array<{ field: string; reason: string }> {
  const error = spec.given([]).when(command).thenThrows('VALIDATION_FAILED');
  expect(error).toBeInstanceOf(ValidationFailed);
  expect(error.kind).toBe('invalid');
  return [...(error as ValidationFailed).violations];
}

describe('customerDecider', () => {
  describe('RegisterCustomer on a new customer', () => {
    it('registers with the defaults: SMS, zh-CN, Asia/Shanghai; and no keys for absent optional fields', () => {
      spec.given([]).when(registerCustomer()).then([registered]);
    });

    it('normalises the id number, phone, email and address', () => {
      spec
        .given([])
        .when(
          registerCustomer({
            name: '  Zhang San ',
            idNumber: '11010519491231002x',
            phone: '138-0013-8000',
            email: 'Zhang.San@Example.COM',
            address: { line1: ' 1 Chang’an Avenue ', city: 'Beijing', country: 'cn', postalCode: '  ' },
            preferredChannels: ['EMAIL', 'SMS'],
            locale: 'en',
          }),
        )
        .then([
          {
            type: 'CustomerRegistered',
            data: {
              customerId: CUSTOMER_ID,
              name: 'Zhang San',
              idType: 'CN_RESIDENT_ID',
              idNumber: '11010519491231002X',
              phone: '+8613800138000',
              email: 'Zhang.San@example.com',
              address: { line1: '1 Chang’an Avenue', city: 'Beijing', country: 'CN' },
              preferredChannels: ['EMAIL', 'SMS'],
              locale: 'en',
              timeZone: 'Asia/Shanghai',
              registeredAt: NOW,
            },
          },
        ]);
    });

    it('accepts a passport number', () => {
      const [event] = spec
        .given([])
        .when(registerCustomer({ idType: 'PASSPORT', idNumber: 'e 1234 5678', name: 'John Smith', phone: '+447911123456' }))
        .then([
          {
            type: 'CustomerRegistered',
            data: { ...registered.data, idType: 'PASSPORT', idNumber: 'E12345678', name: 'John Smith', phone: '+447911123456' },
          },
        ]);
      expect(JSON.parse(JSON.stringify(event))).toEqual(event);
    });

    it('lists every invalid field in one error', () => {
      const violations = violationsOf(
        registerCustomer({
          name: '   ',
          idNumber: '110105194912310021',
          phone: '12345',
          email: 'no-at-sign',
          address: { line1: '', city: ' ', country: 'China' },
          preferredChannels: [],
          locale: 'fr' as never,
        }),
      );
      expect(violations.map((v) => v.field)).toEqual([
        'name',
        'idNumber',
        'phone',
        'email',
        'address.line1',
        'address.city',
        'address.country',
        'preferredChannels',
        'locale',
      ]);
      expect(violations.find((v) => v.field === 'idNumber')?.reason).toBe('check character is wrong');
    });

    it.each([
      ['a name over 100 characters', { name: '张'.repeat(101) }, 'name', 'must be at most 100 characters'],
      ['an impossible birth date', { idNumber: '110105194902300012' }, 'idNumber', 'birth date (characters 7–14) is not a real date'],
      ['a short passport number', { idType: 'PASSPORT', idNumber: 'E12' }, 'idNumber', 'must be 5 to 20 letters or digits'],
      ['an unknown id type', { idType: 'DRIVING_LICENCE' }, 'idType', 'must be one of CN_RESIDENT_ID, PASSPORT'],
      ['a duplicated channel', { preferredChannels: ['SMS', 'SMS'] }, 'preferredChannels', 'must not name a channel twice'],
      ['an unknown channel', { preferredChannels: ['PIGEON'] }, 'preferredChannels', 'may only contain SMS, EMAIL'],
      ['EMAIL without an address', { preferredChannels: ['EMAIL'] }, 'email', 'is required when EMAIL is a preferred channel'],
    ] as const)('rejects %s', (_case, overrides, field, reason) => {
      expect(violationsOf(registerCustomer(overrides as Partial<RegisterCustomer>))).toEqual([{ field, reason }]);
    });

    it('a name of 100 characters is fine', () => {
      expect(customerDecider.decide(registerCustomer({ name: '张'.repeat(100) }), customerDecider.initialState)).toHaveLength(1);
    });
  });

  describe('RegisterCustomer on a registered customer', () => {
    it('is a conflict, whatever the command holds', () => {
      const error = spec.given([registered]).when(registerCustomer({ phone: 'not a phone' })).thenThrows('CUSTOMER_ALREADY_REGISTERED');
      expect(error.kind).toBe('conflict');
      expect(error).toBeInstanceOf(DomainError);
    });
  });

  describe('evolve', () => {
    it('holds what was registered', () => {
      expect(fold(customerDecider, [registered])).toEqual({ exists: true, ...registered.data });
    });

    it('ignores event types it does not know', () => {
      const state = fold(customerDecider, [registered]);
      expect(customerDecider.evolve(state, { type: 'CustomerMoved', data: {} } as never)).toBe(state);
    });
  });
});

describe('customer decider: erasing personal data', () => {
  const registered = customerDecider.decide(
    { type: 'RegisterCustomer', customerId: 'c-1', name: '张三', idType: 'CN_RESIDENT_ID', idNumber: '11010519491231002X', phone: '13800138000', email: 'z@example.com', address: { line1: 'x', city: 'y', country: 'CN' }, now: '2026-01-01T00:00:00.000Z' },
    customerDecider.initialState,
  );
  const given = (events: Parameters<typeof customerDecider.evolve>[1][]) => events.reduce(customerDecider.evolve, customerDecider.initialState);

  it('given a registered customer, when erased, then CustomerPersonalDataErased with the reason and time', () => {
    const events = customerDecider.decide({ type: 'EraseCustomerPersonalData', reason: ' PIPL request #42 ', now: '2026-02-01T00:00:00.000Z' }, given(registered));
    expect(events).toEqual([{ type: 'CustomerPersonalDataErased', data: { reason: 'PIPL request #42', erasedAt: '2026-02-01T00:00:00.000Z' } }]);
    const state = given([...registered, ...events]);
    expect(state).toMatchObject({ exists: true, name: '[erased]', idNumber: '[erased]', phone: '[erased]', email: '[erased]', personalDataErasedAt: '2026-02-01T00:00:00.000Z' });
    expect(state).not.toHaveProperty('address');
  });

  it('given an erased customer, when erased again, then nothing new happens', () => {
    const erased = [...registered, { type: 'CustomerPersonalDataErased' as const, data: { reason: 'r', erasedAt: '2026-02-01T00:00:00.000Z' } }];
    expect(customerDecider.decide({ type: 'EraseCustomerPersonalData', reason: 'again', now: '2026-03-01T00:00:00.000Z' }, given(erased))).toEqual([]);
  });

  it('refuses an unknown customer and a missing reason', () => {
    expect(() => customerDecider.decide({ type: 'EraseCustomerPersonalData', reason: 'r', now: '2026-02-01T00:00:00.000Z' }, customerDecider.initialState)).toThrow(
      expect.objectContaining({ code: 'CUSTOMER_NOT_FOUND' }),
    );
    expect(() => customerDecider.decide({ type: 'EraseCustomerPersonalData', reason: '  ', now: '2026-02-01T00:00:00.000Z' }, given(registered))).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
  });
});

describe('customer decider: changing contact details', () => {
  const LATER = '2026-03-01T10:00:00.000Z';
  const change = (fields: Omit<ChangeContactDetails, 'type' | 'now'>): ChangeContactDetails => ({ type: 'ChangeContactDetails', now: LATER, ...fields });

  it('given a registered customer, when the phone changes, then the new number waits for a new identity verification', () => {
    const events = spec
      .given([registered])
      .when(change({ phone: '139 0013 9000', preferredChannels: ['SMS'], email: undefined }))
      .then([{ type: 'CustomerPhoneChangeRequested', data: { phone: '+8613900139000', requestedAt: LATER } }]);
    expect(fold(customerDecider, [registered, ...events])).toMatchObject({ phone: '+8613800138000', pendingPhone: '+8613900139000', pendingPhoneSince: LATER });
  });

  it('given a registered customer, when e-mail, address, channels and locale change, then the state holds them', () => {
    const state = spec
      .given([registered])
      .when(change({ email: ' Li.Si@Example.com ', address: { line1: ' 1 Main St ', city: 'Shanghai', country: 'cn' }, preferredChannels: ['EMAIL', 'SMS'], locale: 'en' }))
      .thenState();
    expect(state).toMatchObject({
      exists: true,
      phone: '+8613800138000',
      email: 'Li.Si@example.com',
      address: { line1: '1 Main St', city: 'Shanghai', country: 'CN' },
      preferredChannels: ['EMAIL', 'SMS'],
      locale: 'en',
      contactDetailsChangedAt: LATER,
    });
  });

  it('given a registered customer, when nothing would change, then nothing is recorded', () => {
    spec.given([registered]).when(change({ phone: '+86 138 0013 8000', locale: 'zh-CN' })).then([]);
  });

  it('refuses an empty change, bad fields (each named) and EMAIL without an address', () => {
    spec.given([registered]).when(change({})).thenThrows('VALIDATION_FAILED');
    const error = spec.given([registered]).when(change({ phone: '12345', email: 'not-an-address', locale: 'fr' as never })).thenThrows('VALIDATION_FAILED');
    expect((error as ValidationFailed).violations.map((v) => v.field).sort()).toEqual(['email', 'locale', 'phone']);
    const noEmail = spec.given([registered]).when(change({ preferredChannels: ['EMAIL'] })).thenThrows('VALIDATION_FAILED');
    expect((noEmail as ValidationFailed).violations).toEqual([{ field: 'email', reason: 'is required when EMAIL is a preferred channel' }]);
  });

  it('refuses an unknown customer (404) and an erased one (409)', () => {
    spec.given([]).when(change({ phone: '13900139000' })).thenThrows('CUSTOMER_NOT_FOUND');
    spec
      .given([registered, { type: 'CustomerPersonalDataErased', data: { reason: 'PIPL', erasedAt: NOW } }])
      .when(change({ phone: '13900139000' }))
      .thenThrows('CUSTOMER_PERSONAL_DATA_ERASED');
  });
});

describe('customer decider: verifying the customer\'s identity again (a phone change waits for it)', () => {
  const LATER = '2026-03-01T10:00:00.000Z';
  const THRESHOLDS = { FACE: { pass: 0.8, review: 0.6 }, FINGERPRINT: { pass: 0.9, review: 0.75 } };
  const verify = (overrides: Partial<VerifyCustomerIdentity> = {}): VerifyCustomerIdentity => ({
    type: 'VerifyCustomerIdentity',
    method: 'ID_DOCUMENT',
    presented: { name: '张三', idNumber: '11010519491231002X' },
    thresholds: THRESHOLDS,
    requestedBy: 'agent-1',
    now: LATER,
    ...overrides,
  });
  const pending: CustomerEvent = { type: 'CustomerPhoneChangeRequested', data: { phone: '+8613900139000', requestedAt: NOW } };

  it('given a pending phone, when the identity is verified, then the new phone takes effect', () => {
    const events = spec
      .given([registered, pending])
      .when(verify())
      .then([
        { type: 'CustomerIdentityVerified', data: { method: 'ID_DOCUMENT', verifiedAt: LATER } },
        { type: 'CustomerPhoneChanged', data: { phone: '+8613900139000', changedAt: LATER } },
      ]);
    const state = fold(customerDecider, [registered, pending, ...events]);
    expect(state).toMatchObject({ phone: '+8613900139000', identityVerifiedAt: LATER });
    expect(state).not.toHaveProperty('pendingPhone');
  });

  it('given a pending phone, when the verification fails, then the old phone stays and the reasons are recorded', () => {
    spec
      .given([registered, pending])
      .when(verify({ presented: { name: '李四', idNumber: '11010519491231002X' } }))
      .then([{ type: 'CustomerIdentityVerificationFailed', data: { method: 'ID_DOCUMENT', reasons: ['NAME_MISMATCH'], failedAt: LATER } }]);
  });

  it('what would go to review for a card fails here; a provider that cannot answer is recorded as such', () => {
    spec
      .given([registered])
      .when(verify({ method: 'FACE', presented: {}, biometric: { outcome: 'SCORED', score: 0.7, providerReference: 'p' } }))
      .then([{ type: 'CustomerIdentityVerificationFailed', data: { method: 'FACE', reasons: ['LOW_MATCH_SCORE'], matchScore: 0.7, failedAt: LATER } }]);
    spec
      .given([registered])
      .when(verify({ method: 'FACE', presented: {}, biometric: { outcome: 'UNAVAILABLE', reason: 'TIMEOUT' } }))
      .then([{ type: 'CustomerIdentityVerificationUnavailable', data: { method: 'FACE', reason: 'TIMEOUT', at: LATER } }]);
  });

  it('refuses an unknown customer and an erased one', () => {
    spec.given([]).when(verify()).thenThrows('CUSTOMER_NOT_FOUND');
    spec.given([registered, { type: 'CustomerPersonalDataErased', data: { reason: 'PIPL', erasedAt: NOW } }]).when(verify()).thenThrows('CUSTOMER_PERSONAL_DATA_ERASED');
  });
});

describe('customer decider: correcting a name or id number through a review', () => {
  const LATER = '2026-03-01T10:00:00.000Z';
  const request = (overrides: Partial<RequestIdentityCorrection> = {}): RequestIdentityCorrection => ({
    type: 'RequestIdentityCorrection',
    reviewId: 'rv-1',
    name: '张叁',
    reason: 'Registered with a typo; resident id card seen at the branch',
    requestedBy: 'clerk-1',
    now: LATER,
    ...overrides,
  });
  const decide = (overrides: Partial<DecideIdentityCorrection> = {}): DecideIdentityCorrection => ({
    type: 'DecideIdentityCorrection',
    reviewId: 'rv-1',
    decision: 'APPROVE',
    note: 'Checked the scan of the id card',
    decidedBy: 'reviewer-2',
    now: LATER,
    ...overrides,
  });
  const requested: CustomerEvent = {
    type: 'CustomerIdentityCorrectionRequested',
    data: { reviewId: 'rv-1', name: '张叁', reason: 'Registered with a typo; resident id card seen at the branch', requestedBy: 'clerk-1', requestedAt: LATER },
  };

  it('given a customer, when a correction is requested with a documented reason, then it waits for a review and nothing changes yet', () => {
    spec.given([registered]).when(request()).then([requested]);
    expect(fold(customerDecider, [registered, requested])).toMatchObject({ name: '张三', openCorrection: { reviewId: 'rv-1', name: '张叁', requestedBy: 'clerk-1' } });
  });

  it('given an open correction, when someone else approves it, then the name changes; a rejection changes nothing', () => {
    const approved = spec
      .given([registered, requested])
      .when(decide())
      .then([
        { type: 'CustomerIdentityCorrectionDecided', data: { reviewId: 'rv-1', decision: 'APPROVE', note: 'Checked the scan of the id card', decidedBy: 'reviewer-2', decidedAt: LATER } },
        { type: 'CustomerIdentityCorrected', data: { reviewId: 'rv-1', name: '张叁', correctedAt: LATER } },
      ]);
    const after = fold(customerDecider, [registered, requested, ...approved]);
    expect(after).toMatchObject({ name: '张叁', idNumber: '11010519491231002X' });
    expect(after).not.toHaveProperty('openCorrection');
    const rejected = customerDecider.decide(decide({ decision: 'REJECT' }), fold(customerDecider, [registered, requested]));
    expect(rejected.map((e) => e.type)).toEqual(['CustomerIdentityCorrectionDecided']);
    expect(fold(customerDecider, [registered, requested, ...rejected])).toMatchObject({ name: '张三' });
  });

  it('corrects an id number only to a valid one of the same type', () => {
    const events = customerDecider.decide(request({ name: undefined, idNumber: '110105194912310038' }), fold(customerDecider, [registered]));
    expect(events[0].data).toMatchObject({ idNumber: '110105194912310038' });
    expect(violationsIn(() => customerDecider.decide(request({ name: undefined, idNumber: '110105194912310030' }), fold(customerDecider, [registered])))).toEqual(['idNumber']);
  });

  it('refuses no change, a short reason, a second open correction, the requester deciding, and an unknown review', () => {
    expect(violationsIn(() => customerDecider.decide(request({ name: undefined }), fold(customerDecider, [registered])))).toEqual(['body']);
    expect(violationsIn(() => customerDecider.decide(request({ name: '张 三' }), fold(customerDecider, [registered])))).toEqual(['name']);
    expect(violationsIn(() => customerDecider.decide(request({ reason: 'typo' }), fold(customerDecider, [registered])))).toEqual(['reason']);
    spec.given([registered, requested]).when(request({ reviewId: 'rv-2' })).thenThrows('CORRECTION_ALREADY_OPEN');
    const own = spec.given([registered, requested]).when(decide({ decidedBy: 'clerk-1' })).thenThrows('REVIEWER_MUST_DIFFER');
    expect(own.kind).toBe('forbidden');
    spec.given([registered, requested]).when(decide({ reviewId: 'rv-9' })).thenThrows('REVIEW_NOT_FOUND');
  });
});

function violationsIn(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    return (error as ValidationFailed).violations.map((v) => v.field);
  }
  throw new Error('expected a ValidationFailed');
}

describe('customer decider: a birth date at registration', () => {
  const passport = (birthDate: string): RegisterCustomer => ({
    type: 'RegisterCustomer',
    customerId: 'c-p',
    name: 'Anna Maria Eriksson',
    idType: 'PASSPORT',
    idNumber: 'L898902C3',
    phone: '13800138000',
    birthDate,
    now: NOW,
  });

  it('given a passport holder, when registered with a birth date, then it is kept (to check documents against)', () => {
    const [event] = customerDecider.decide(passport('1974-08-12'), customerDecider.initialState);
    expect(event.data).toMatchObject({ idType: 'PASSPORT', birthDate: '1974-08-12' });
  });

  it('refuses a malformed birth date, and one that contradicts the resident id\'s digits', () => {
    expect(violationsIn(() => customerDecider.decide(passport('12/08/1974'), customerDecider.initialState))).toEqual(['birthDate']);
    const resident = { ...registerCustomer(), birthDate: '1950-01-01' };
    expect(violationsIn(() => customerDecider.decide(resident, customerDecider.initialState))).toEqual(['birthDate']);
    const agreeing = customerDecider.decide({ ...registerCustomer(), birthDate: '1949-12-31' }, customerDecider.initialState);
    expect(agreeing[0].data).toMatchObject({ birthDate: '1949-12-31' });
  });
});

describe('customer decider: the customer\'s time zone (for quiet hours of notifications)', () => {
  const LATER = '2026-03-01T10:00:00.000Z';
  const change = (fields: Omit<ChangeContactDetails, 'type' | 'now'>): ChangeContactDetails => ({ type: 'ChangeContactDetails', now: LATER, ...fields });

  it('given no customer, when registered without a time zone, then it is Asia/Shanghai', () => {
    const state = spec.given([]).when(registerCustomer()).thenState();
    expect(state).toMatchObject({ exists: true, timeZone: 'Asia/Shanghai' });
  });

  it('given no customer, when registered with a time zone, then it is recorded (surrounding spaces removed) and held', () => {
    spec
      .given([])
      .when(registerCustomer({ timeZone: ' Europe/London ' }))
      .then([{ type: 'CustomerRegistered', data: { ...registered.data, timeZone: 'Europe/London' } }]);
    expect(spec.given([]).when(registerCustomer({ timeZone: 'America/Port-au-Prince' })).thenState()).toMatchObject({ timeZone: 'America/Port-au-Prince' });
  });

  it.each([
    ['an unknown zone', 'Mars/Olympus_Mons', 'must be an IANA time zone name such as Asia/Shanghai'],
    ['a UTC offset', '+08:00', 'must be an IANA time zone name such as Asia/Shanghai'],
    ['an empty one', '  ', 'must be an IANA time zone name such as Asia/Shanghai'],
    ['one that is not a string', 8 as never, 'must be an IANA time zone name such as Asia/Shanghai'],
    ['one over 64 characters', `Europe/${'X'.repeat(60)}`, 'must be at most 64 characters'],
  ] as const)('given no customer, when registered with %s, then a violation names timeZone', (_case, timeZone, reason) => {
    const error = spec.given([]).when(registerCustomer({ timeZone })).thenThrows('VALIDATION_FAILED');
    expect(error.kind).toBe('invalid');
    expect((error as ValidationFailed).violations).toEqual([{ field: 'timeZone', reason }]);
  });

  it('given a registered customer, when only the time zone changes, then it counts as a change and the state holds it', () => {
    const events = spec
      .given([registered])
      .when(change({ timeZone: 'Europe/Berlin' }))
      .then([{ type: 'CustomerContactDetailsChanged', data: { timeZone: 'Europe/Berlin', changedAt: LATER } }]);
    expect(fold(customerDecider, [registered, ...events])).toMatchObject({ timeZone: 'Europe/Berlin', locale: 'zh-CN', contactDetailsChangedAt: LATER });
  });

  it('given a registered customer, when the time zone it already has is given, then nothing is recorded', () => {
    spec.given([registered]).when(change({ timeZone: 'Asia/Shanghai' })).then([]);
  });

  it('given a registered customer, when an invalid time zone is given, then a violation names timeZone; an empty change names it among the fields', () => {
    const error = spec.given([registered]).when(change({ timeZone: 'Asia/Atlantis', locale: 'en' })).thenThrows('VALIDATION_FAILED');
    expect((error as ValidationFailed).violations).toEqual([{ field: 'timeZone', reason: 'must be an IANA time zone name such as Asia/Shanghai' }]);
    const empty = spec.given([registered]).when(change({})).thenThrows('VALIDATION_FAILED');
    expect((empty as ValidationFailed).violations).toEqual([
      { field: 'body', reason: 'must give at least one of phone, email, address, preferredChannels, locale, timeZone' },
    ]);
  });

  it('given a registration recorded before time zones were (no timeZone in it), then the state reads Asia/Shanghai, until it changes', () => {
    const { timeZone: _none, ...oldData } = registered.data;
    const old: CustomerRegistered = { type: 'CustomerRegistered', data: oldData };
    expect(fold(customerDecider, [old])).toMatchObject({ exists: true, timeZone: 'Asia/Shanghai' });
    spec.given([old]).when(change({ timeZone: 'Asia/Shanghai' })).then([]);
    expect(spec.given([old]).when(change({ timeZone: 'Asia/Tokyo' })).thenState()).toMatchObject({ timeZone: 'Asia/Tokyo' });
  });

  it('given a customer whose personal data was erased, then the time zone (not personal data) is kept', () => {
    const moved: CustomerEvent = { type: 'CustomerContactDetailsChanged', data: { timeZone: 'Asia/Tokyo', changedAt: LATER } };
    const erased: CustomerEvent = { type: 'CustomerPersonalDataErased', data: { reason: 'PIPL', erasedAt: LATER } };
    expect(fold(customerDecider, [registered, moved, erased])).toMatchObject({ name: '[erased]', timeZone: 'Asia/Tokyo', personalDataErasedAt: LATER });
  });
});
