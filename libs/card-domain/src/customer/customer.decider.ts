import type { Decider } from '../shared/decider';
import { DomainError, ValidationFailed, type FieldViolation } from '../shared/domain-error';
import { withoutUndefined } from '../shared/without-undefined';
import { validateBirthDate } from '../values/birth-date';
import { validateEmail } from '../values/email';
import { validatePassportNumber } from '../values/passport-number';
import { normalizePhone } from '../values/phone';
import { validateResidentId } from '../values/resident-id';
import { DEFAULT_CUSTOMER_TIME_ZONE, validateTimeZone } from '../values/time-zone';
import {
  ID_TYPES,
  LOCALES,
  NOTIFICATION_CHANNELS,
  type ChangeContactDetails,
  type CustomerCommand,
  type CustomerEvent,
  type CustomerRegistered,
  type CustomerState,
  type NotificationChannel,
  type PostalAddress,
  type DecideIdentityCorrection,
  type RegisterCustomer,
  type RequestIdentityCorrection,
  type VerifyCustomerIdentity,
} from './customer.types';
import { REVIEW_DECISIONS } from '../card/card.types';
import { idNumbersMatch } from '../values/id-number';
import { namesMatch } from '../values/person-name';
import { assessIdentity } from '../card/identity-assessment';

const NAME_MAX_LENGTH = 100;
const DEFAULT_CHANNELS: readonly NotificationChannel[] = ['SMS'];
const DEFAULT_LOCALE = 'zh-CN';

/** Commands arrive from JSON: a field the type calls a string may still be anything. */
function trimmed(value: unknown): string {
  return typeof value === 'string' ? value.trim() : '';
}

/** Length in characters as people count them (a name in CJK Extension B is one character, not two). */
function characterCount(text: string): number {
  return [...text].length;
}

function includes<T extends string>(allowed: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value);
}

interface AddressRule {
  readonly field: keyof PostalAddress;
  readonly required: boolean;
  readonly maxLength: number;
}
const ADDRESS_RULES: readonly AddressRule[] = [
  { field: 'line1', required: true, maxLength: 200 },
  { field: 'line2', required: false, maxLength: 200 },
  { field: 'city', required: true, maxLength: 100 },
  { field: 'province', required: false, maxLength: 100 },
  { field: 'postalCode', required: false, maxLength: 20 },
];

function checkAddress(address: PostalAddress, violations: FieldViolation[]): PostalAddress {
  // From JSON an address may be null or a string: refused like any other bad field, not read into (a TypeError, a 500).
  if (typeof address !== 'object' || address === null || Array.isArray(address)) {
    violations.push({ field: 'address', reason: 'must be an object with line1, city and country (line2, province and postalCode optional)' });
    return address;
  }
  const normalised: Record<string, string> = {};
  for (const rule of ADDRESS_RULES) {
    const value = trimmed(address[rule.field]);
    if (value.length === 0) {
      if (rule.required) violations.push({ field: `address.${rule.field}`, reason: 'is required' });
    } else if (characterCount(value) > rule.maxLength) {
      violations.push({ field: `address.${rule.field}`, reason: `must be at most ${rule.maxLength} characters` });
    } else {
      normalised[rule.field] = value;
    }
  }
  const country = trimmed(address.country).toUpperCase();
  if (!/^[A-Z]{2}$/.test(country)) {
    violations.push({ field: 'address.country', reason: 'must be an ISO 3166-1 alpha-2 code such as CN' });
  }
  return { ...normalised, country } as PostalAddress;
}

function checkChannels(channels: readonly unknown[] | undefined, violations: FieldViolation[]): NotificationChannel[] {
  if (channels === undefined) return [...DEFAULT_CHANNELS];
  if (!Array.isArray(channels) || channels.length === 0) {
    violations.push({ field: 'preferredChannels', reason: 'must name at least one channel' });
    return [];
  }
  if (!channels.every((channel) => includes(NOTIFICATION_CHANNELS, channel))) {
    violations.push({ field: 'preferredChannels', reason: `may only contain ${NOTIFICATION_CHANNELS.join(', ')}` });
    return [];
  }
  if (new Set(channels).size !== channels.length) {
    violations.push({ field: 'preferredChannels', reason: 'must not name a channel twice' });
    return [];
  }
  return [...(channels as NotificationChannel[])];
}

/** The zone as recorded, or undefined when it is invalid (the violation is added). */
function checkTimeZone(timeZone: unknown, violations: FieldViolation[]): string | undefined {
  const checked = validateTimeZone(trimmed(timeZone));
  if (checked.ok) return checked.value;
  violations.push({ field: 'timeZone', reason: checked.reason });
  return undefined;
}

function registerCustomer(command: RegisterCustomer): CustomerRegistered[] {
  const violations: FieldViolation[] = [];

  const name = trimmed(command.name);
  if (name.length === 0) violations.push({ field: 'name', reason: 'is required' });
  else if (characterCount(name) > NAME_MAX_LENGTH) {
    violations.push({ field: 'name', reason: `must be at most ${NAME_MAX_LENGTH} characters` });
  }

  let idNumber = '';
  let idBirthDate: string | undefined;
  if (!includes(ID_TYPES, command.idType)) {
    violations.push({ field: 'idType', reason: `must be one of ${ID_TYPES.join(', ')}` });
  } else {
    if (command.idType === 'CN_RESIDENT_ID') {
      const checked = validateResidentId(trimmed(command.idNumber), command.now);
      if (checked.ok) {
        idNumber = checked.value;
        idBirthDate = checked.birthDate;
      } else violations.push({ field: 'idNumber', reason: checked.reason });
    } else {
      const checked = validatePassportNumber(trimmed(command.idNumber));
      if (checked.ok) idNumber = checked.value;
      else violations.push({ field: 'idNumber', reason: checked.reason });
    }
  }

  const phone = normalizePhone(trimmed(command.phone));
  if (!phone.ok) violations.push({ field: 'phone', reason: phone.reason });

  let email: string | undefined;
  if (command.email !== undefined) {
    const checked = validateEmail(trimmed(command.email));
    if (checked.ok) email = checked.value;
    else violations.push({ field: 'email', reason: checked.reason });
  }

  const address = command.address === undefined ? undefined : checkAddress(command.address, violations);

  let birthDate: string | undefined;
  if (command.birthDate !== undefined) {
    const checked = validateBirthDate(trimmed(command.birthDate), command.now);
    if (!checked.ok) violations.push({ field: 'birthDate', reason: checked.reason });
    else if (idBirthDate !== undefined && checked.value !== idBirthDate) {
      violations.push({ field: 'birthDate', reason: 'does not agree with the birth date in the resident id number (characters 7–14)' });
    } else birthDate = checked.value;
  }

  const preferredChannels = checkChannels(command.preferredChannels, violations);
  // A preference the notifier could never honour is better refused now than discovered at the first message.
  if (preferredChannels.includes('EMAIL') && command.email === undefined) {
    violations.push({ field: 'email', reason: 'is required when EMAIL is a preferred channel' });
  }

  if (command.locale !== undefined && !includes(LOCALES, command.locale)) {
    violations.push({ field: 'locale', reason: `must be one of ${LOCALES.join(', ')}` });
  }

  const timeZone = command.timeZone === undefined ? DEFAULT_CUSTOMER_TIME_ZONE : checkTimeZone(command.timeZone, violations);

  if (violations.length > 0) throw new ValidationFailed(violations);

  return [
    {
      type: 'CustomerRegistered',
      data: withoutUndefined({
        customerId: command.customerId,
        name,
        idType: command.idType,
        idNumber,
        phone: phone.ok ? phone.value : '',
        email,
        address,
        birthDate,
        preferredChannels,
        locale: command.locale ?? DEFAULT_LOCALE,
        timeZone,
        registeredAt: command.now,
      }),
    },
  ];
}

/** What personal fields read once the customer's data key is destroyed. */
export const ERASED = '[erased]';

type RegisteredCustomer = Extract<CustomerState, { exists: true }>;

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

function changeContactDetails(command: ChangeContactDetails, state: RegisteredCustomer): CustomerEvent[] {
  if (state.personalDataErasedAt !== undefined) {
    throw new DomainError(
      'conflict',
      'CUSTOMER_PERSONAL_DATA_ERASED',
      'This customer\'s personal data was erased: there are no contact details to change',
      { customerId: state.customerId, erasedAt: state.personalDataErasedAt },
    );
  }
  const given = ['phone', 'email', 'address', 'preferredChannels', 'locale', 'timeZone'].filter(
    (field) => (command as unknown as Record<string, unknown>)[field] !== undefined,
  );
  if (given.length === 0) {
    throw new ValidationFailed([{ field: 'body', reason: 'must give at least one of phone, email, address, preferredChannels, locale, timeZone' }]);
  }
  const violations: FieldViolation[] = [];

  let phone: string | undefined;
  if (command.phone !== undefined) {
    const checked = normalizePhone(trimmed(command.phone));
    if (checked.ok) phone = checked.value;
    else violations.push({ field: 'phone', reason: checked.reason });
  }
  let email: string | undefined;
  if (command.email !== undefined) {
    const checked = validateEmail(trimmed(command.email));
    if (checked.ok) email = checked.value;
    else violations.push({ field: 'email', reason: checked.reason });
  }
  const address = command.address === undefined ? undefined : checkAddress(command.address, violations);
  const preferredChannels = command.preferredChannels === undefined ? undefined : checkChannels(command.preferredChannels, violations);
  if (command.locale !== undefined && !includes(LOCALES, command.locale)) {
    violations.push({ field: 'locale', reason: `must be one of ${LOCALES.join(', ')}` });
  }
  const timeZone = command.timeZone === undefined ? undefined : checkTimeZone(command.timeZone, violations);
  const channelsAfter = preferredChannels ?? state.preferredChannels;
  if (channelsAfter.includes('EMAIL') && (email ?? state.email) === undefined) {
    violations.push({ field: 'email', reason: 'is required when EMAIL is a preferred channel' });
  }
  if (violations.length > 0) throw new ValidationFailed(violations);

  // Only what really changes is recorded; asking for the details the customer already has records nothing.
  const changed = withoutUndefined({
    email: email !== undefined && email !== state.email ? email : undefined,
    address: address !== undefined && !sameJson(address, state.address) ? address : undefined,
    preferredChannels: preferredChannels !== undefined && !sameJson(preferredChannels, state.preferredChannels) ? preferredChannels : undefined,
    locale: command.locale !== undefined && command.locale !== state.locale ? command.locale : undefined,
    timeZone: timeZone !== undefined && timeZone !== state.timeZone ? timeZone : undefined,
  });
  const events: CustomerEvent[] = [];
  if (Object.keys(changed).length > 0) events.push({ type: 'CustomerContactDetailsChanged', data: { ...changed, changedAt: command.now } });
  // A new phone number waits for the customer to prove who they are again: a stolen session must not be able
  // to redirect the SMS codes and notices of someone else's cards.
  if (phone !== undefined && phone !== state.phone && phone !== state.pendingPhone) {
    events.push({ type: 'CustomerPhoneChangeRequested', data: { phone, requestedAt: command.now } });
  }
  return events;
}

function refuseIfErased(state: RegisteredCustomer, what: string): void {
  if (state.personalDataErasedAt !== undefined) {
    throw new DomainError('conflict', 'CUSTOMER_PERSONAL_DATA_ERASED', `This customer's personal data was erased: ${what}`, {
      customerId: state.customerId,
      erasedAt: state.personalDataErasedAt,
    });
  }
}

const CORRECTION_REASON_LENGTH = { min: 10, max: 500 };

function requestIdentityCorrection(command: RequestIdentityCorrection, state: RegisteredCustomer): CustomerEvent[] {
  refuseIfErased(state, 'there is nothing to correct');
  if (state.openCorrection !== undefined) {
    throw new DomainError('conflict', 'CORRECTION_ALREADY_OPEN', 'A correction of this customer\'s identity is already waiting for its review', {
      reviewId: state.openCorrection.reviewId,
    });
  }
  const violations: FieldViolation[] = [];
  if (command.name === undefined && command.idNumber === undefined) {
    violations.push({ field: 'body', reason: 'must give the corrected name, id number, or both' });
  }
  let name: string | undefined;
  if (command.name !== undefined) {
    name = trimmed(command.name);
    if (name.length === 0) violations.push({ field: 'name', reason: 'is required' });
    else if (characterCount(name) > NAME_MAX_LENGTH) violations.push({ field: 'name', reason: `must be at most ${NAME_MAX_LENGTH} characters` });
    else if (namesMatch(name, state.name)) violations.push({ field: 'name', reason: 'is the name the customer already has' });
  }
  let idNumber: string | undefined;
  if (command.idNumber !== undefined) {
    const checked = state.idType === 'CN_RESIDENT_ID' ? validateResidentId(trimmed(command.idNumber), command.now) : validatePassportNumber(trimmed(command.idNumber));
    if (!checked.ok) violations.push({ field: 'idNumber', reason: checked.reason });
    else if (idNumbersMatch(checked.value, state.idNumber)) violations.push({ field: 'idNumber', reason: 'is the id number the customer already has' });
    else idNumber = checked.value;
  }
  const reason = trimmed(command.reason);
  if (characterCount(reason) < CORRECTION_REASON_LENGTH.min || characterCount(reason) > CORRECTION_REASON_LENGTH.max) {
    violations.push({
      field: 'reason',
      reason: `must be ${CORRECTION_REASON_LENGTH.min} to ${CORRECTION_REASON_LENGTH.max} characters: why, and on what evidence`,
    });
  }
  if (violations.length > 0) throw new ValidationFailed(violations);
  return [
    {
      type: 'CustomerIdentityCorrectionRequested',
      data: withoutUndefined({ reviewId: command.reviewId, name, idNumber, reason, requestedBy: command.requestedBy, requestedAt: command.now }),
    },
  ];
}

function decideIdentityCorrection(command: DecideIdentityCorrection, state: RegisteredCustomer): CustomerEvent[] {
  const open = state.openCorrection;
  if (open === undefined || open.reviewId !== command.reviewId) {
    throw new DomainError('not_found', 'REVIEW_NOT_FOUND', 'This customer has no open correction with this review id', { reviewId: command.reviewId });
  }
  const violations: FieldViolation[] = [];
  if (!(REVIEW_DECISIONS as readonly string[]).includes(command.decision)) {
    violations.push({ field: 'decision', reason: `must be one of ${REVIEW_DECISIONS.join(', ')}` });
  }
  const note = trimmed(command.note);
  if (note.length === 0) violations.push({ field: 'note', reason: 'is required' });
  if (violations.length > 0) throw new ValidationFailed(violations);
  if (open.requestedBy === command.decidedBy) {
    throw new DomainError('forbidden', 'REVIEWER_MUST_DIFFER', 'The review must be decided by someone other than who asked for it', {
      reviewId: open.reviewId,
      requestedBy: open.requestedBy,
    });
  }
  refuseIfErased(state, 'there is nothing to correct');
  const decided: CustomerEvent = {
    type: 'CustomerIdentityCorrectionDecided',
    data: { reviewId: open.reviewId, decision: command.decision, note, decidedBy: command.decidedBy, decidedAt: command.now },
  };
  if (command.decision === 'REJECT') return [decided];
  return [
    decided,
    { type: 'CustomerIdentityCorrected', data: withoutUndefined({ reviewId: open.reviewId, name: open.name, idNumber: open.idNumber, correctedAt: command.now }) },
  ];
}

function verifyCustomerIdentity(command: VerifyCustomerIdentity, state: RegisteredCustomer): CustomerEvent[] {
  if (state.personalDataErasedAt !== undefined) {
    throw new DomainError('conflict', 'CUSTOMER_PERSONAL_DATA_ERASED', 'This customer\'s personal data was erased: there is nothing to verify against', {
      customerId: state.customerId,
    });
  }
  const assessment = assessIdentity({
    type: 'VerifyIdentity',
    method: command.method,
    presented: command.presented,
    registered: { name: state.name, idType: state.idType, idNumber: state.idNumber, ...(state.birthDate !== undefined && { birthDate: state.birthDate }) },
    ...(command.biometric !== undefined && { biometric: command.biometric }),
    ...(command.attestedBy !== undefined && { attestedBy: command.attestedBy }),
    thresholds: command.thresholds,
    reviewId: '',
    requestedBy: command.requestedBy,
    now: command.now,
  });
  const at = command.now;
  switch (assessment.kind) {
    case 'unavailable':
      return [{ type: 'CustomerIdentityVerificationUnavailable', data: { method: command.method, reason: assessment.unavailableReason, at } }];
    case 'verified': {
      const events: CustomerEvent[] = [
        {
          type: 'CustomerIdentityVerified',
          data: withoutUndefined({ method: command.method, matchScore: assessment.score, providerReference: assessment.providerReference, attestedBy: assessment.attestedBy, verifiedAt: at }),
        },
      ];
      if (state.pendingPhone !== undefined) events.push({ type: 'CustomerPhoneChanged', data: { phone: state.pendingPhone, changedAt: at } });
      return events;
    }
    // A customer's own re-verification has no review: what would go to a person for a card fails here, with the
    // difference as its reason, and the customer can try another method.
    case 'review':
    case 'failed': {
      const reasons =
        assessment.kind === 'failed'
          ? assessment.reasons
          : assessment.reviewReasons.map((reason) => (reason === 'SCORE_IN_REVIEW_BAND' ? 'LOW_MATCH_SCORE' : 'BIRTH_DATE_MISMATCH'));
      return [{ type: 'CustomerIdentityVerificationFailed', data: withoutUndefined({ method: command.method, reasons, matchScore: assessment.score, failedAt: at }) }];
    }
  }
}

export const customerDecider: Decider<CustomerCommand, CustomerEvent, CustomerState> = {
  initialState: { exists: false },

  decide(command, state) {
    switch (command.type) {
      case 'RegisterCustomer':
        if (state.exists) {
          throw new DomainError(
            'conflict',
            'CUSTOMER_ALREADY_REGISTERED',
            'This customer is already registered',
            { customerId: state.customerId },
          );
        }
        return registerCustomer(command);
      case 'ChangeContactDetails':
        if (!state.exists) {
          throw new DomainError('not_found', 'CUSTOMER_NOT_FOUND', 'No such customer');
        }
        return changeContactDetails(command, state);
      case 'VerifyCustomerIdentity':
        if (!state.exists) {
          throw new DomainError('not_found', 'CUSTOMER_NOT_FOUND', 'No such customer');
        }
        return verifyCustomerIdentity(command, state);
      case 'RequestIdentityCorrection':
        if (!state.exists) throw new DomainError('not_found', 'CUSTOMER_NOT_FOUND', 'No such customer');
        return requestIdentityCorrection(command, state);
      case 'DecideIdentityCorrection':
        if (!state.exists) throw new DomainError('not_found', 'CUSTOMER_NOT_FOUND', 'No such customer');
        return decideIdentityCorrection(command, state);
      case 'EraseCustomerPersonalData': {
        if (!state.exists) {
          throw new DomainError('not_found', 'CUSTOMER_NOT_FOUND', 'No such customer');
        }
        const reason = trimmed(command.reason);
        if (reason.length === 0 || reason.length > 200) {
          throw new ValidationFailed([{ field: 'reason', reason: 'must be 1 to 200 characters (say why, without personal data)' }]);
        }
        // Erasing twice changes nothing: the key is already gone and the first record stands.
        if (state.personalDataErasedAt !== undefined) return [];
        return [{ type: 'CustomerPersonalDataErased', data: { reason, erasedAt: command.now } }];
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'CustomerRegistered':
        // Registrations recorded before time zones were have none: the default applies.
        return { exists: true, ...event.data, preferredChannels: [...event.data.preferredChannels], timeZone: event.data.timeZone ?? DEFAULT_CUSTOMER_TIME_ZONE };
      case 'CustomerContactDetailsChanged': {
        if (!state.exists) return state;
        const { changedAt, ...changed } = event.data;
        return {
          ...state,
          ...changed,
          ...(changed.preferredChannels && { preferredChannels: [...changed.preferredChannels] }),
          contactDetailsChangedAt: changedAt,
        };
      }
      case 'CustomerPhoneChangeRequested':
        return state.exists ? { ...state, pendingPhone: event.data.phone, pendingPhoneSince: event.data.requestedAt } : state;
      case 'CustomerIdentityVerified':
        return state.exists ? { ...state, identityVerifiedAt: event.data.verifiedAt } : state;
      case 'CustomerIdentityCorrectionRequested':
        return state.exists
          ? {
              ...state,
              openCorrection: withoutUndefined({ reviewId: event.data.reviewId, name: event.data.name, idNumber: event.data.idNumber, requestedBy: event.data.requestedBy }),
            }
          : state;
      case 'CustomerIdentityCorrectionDecided': {
        if (!state.exists) return state;
        const { openCorrection: _open, ...rest } = state;
        return rest;
      }
      case 'CustomerIdentityCorrected':
        return state.exists
          ? { ...state, ...(event.data.name !== undefined && { name: event.data.name }), ...(event.data.idNumber !== undefined && { idNumber: event.data.idNumber }) }
          : state;
      case 'CustomerPhoneChanged': {
        if (!state.exists) return state;
        const { pendingPhone: _pending, pendingPhoneSince: _since, ...rest } = state;
        return { ...rest, phone: event.data.phone, contactDetailsChangedAt: event.data.changedAt };
      }
      case 'CustomerPersonalDataErased': {
        if (!state.exists) return state;
        const { address: _address, birthDate: _birthDate, email, pendingPhone: _pending, pendingPhoneSince: _since, openCorrection: _correction, ...kept } = state;
        return {
          ...kept,
          name: ERASED,
          idNumber: ERASED,
          phone: ERASED,
          ...(email !== undefined && { email: ERASED }),
          personalDataErasedAt: event.data.erasedAt,
        };
      }
      default:
        // An event type this version does not know yet changes nothing it knows about.
        return state;
    }
  },
};
