import { createHash } from 'node:crypto';
import {
  ACTIVATION_CHANNELS,
  DISPUTE_OUTCOMES,
  DISPUTE_REASONS,
  ID_TYPES,
  ISSUE_CHANNELS,
  LOCALES,
  LONE_SURROGATE_REASON,
  loneSurrogatePath,
  NOTIFICATION_CHANNELS,
  PRODUCTS,
  VERIFICATION_METHODS,
  type ActivationChannel,
  type FieldViolation,
} from '@cards/domain';
import type { ActivateCardInput } from '../activate-card/activate-card.command';
import type { OpenDisputeInput } from '../disputes/open-dispute.command';
import type { ResolveDisputeInput } from '../disputes/resolve-dispute.command';
import type { IssueCardInput } from '../issue-card/issue-card.command';
import type { RegisterCustomerInput } from '../register-customer/register-customer.command';
import { parseInstant } from '../reports/report-range';
import { ReportParameterError } from '../reports/report-parameter-error';
import { canonicalJson } from '../shared/canonical-json';
import type { CardStatusChange } from '../suspend-reinstate-cancel/card-status-change.command';
import type { VerifyIdentityInput } from '../verify-identity/verify-identity.command';

/**
 * One line of an import file: a command in the API's own shape, plus `command`, the ids it acts on (chosen by
 * the file) and `occurredAt`. This checks the shape (types, enums, required fields, no unknown fields); the
 * domain then checks the meaning, exactly as for a request to the API.
 */
export const IMPORT_COMMANDS = [
  'RegisterCustomer',
  'IssueCard',
  'VerifyIdentity',
  'LinkCard',
  'ActivateCard',
  'OpenDispute',
  'ResolveDispute',
  'SuspendCard',
  'ReinstateCard',
  'CancelCard',
] as const;
export type ImportCommandName = (typeof IMPORT_COMMANDS)[number];

export type ImportLine = { readonly occurredAt: string } & (
  | { readonly command: 'RegisterCustomer'; readonly input: RegisterCustomerInput & { readonly customerId: string } }
  | { readonly command: 'IssueCard'; readonly input: IssueCardInput & { readonly cardId: string } }
  | { readonly command: 'VerifyIdentity'; readonly cardId: string; readonly input: VerifyIdentityInput }
  | { readonly command: 'LinkCard'; readonly cardId: string; readonly accountId: string }
  | { readonly command: 'ActivateCard'; readonly cardId: string; readonly input: ActivateCardInput }
  | { readonly command: 'OpenDispute'; readonly cardId: string; readonly input: OpenDisputeInput & { readonly disputeId: string } }
  | { readonly command: 'ResolveDispute'; readonly cardId: string; readonly disputeId: string; readonly input: ResolveDisputeInput }
  | { readonly command: CardStatusChange; readonly cardId: string; readonly reason?: string }
);

export type LineRefusalCode = 'MALFORMED_JSON' | 'UNKNOWN_COMMAND' | 'VALIDATION_FAILED';

export type LineCheck =
  | {
      readonly ok: true;
      readonly line: ImportLine;
      /** Idempotency key of the line: the same line imported again is recognised and writes nothing. */
      readonly idempotencyKey: string;
    }
  | {
      readonly ok: false;
      readonly command: ImportCommandName | null;
      readonly code: LineRefusalCode;
      readonly reason: string;
      readonly errors?: readonly FieldViolation[];
    };

export interface LineCheckContext {
  /** Lines may not happen after this instant. */
  readonly now: Date;
  /** The keyed fingerprint of a card number's digits (PanFingerprinter.fingerprint). */
  readonly fingerprint: (digits: string) => string;
}

// ---- the schema: a small rule per field ----

type Rule =
  | { readonly type: 'uuid' }
  | { readonly type: 'text'; readonly min: number; readonly max: number; readonly pattern?: RegExp; readonly patternReason?: string }
  | { readonly type: 'oneOf'; readonly values: readonly string[] }
  | { readonly type: 'number'; readonly min: number; readonly max: number }
  | { readonly type: 'listOf'; readonly values: readonly string[] }
  | { readonly type: 'object'; readonly shape: Shape }
  | { readonly type: 'refused'; readonly reason: string };

interface Field {
  readonly rule: Rule;
  readonly required: boolean;
}
type Shape = Readonly<Record<string, Field>>;

const required = (rule: Rule): Field => ({ rule, required: true });
const optional = (rule: Rule): Field => ({ rule, required: false });
const uuid: Rule = { type: 'uuid' };
const text = (min: number, max: number, pattern?: RegExp, patternReason?: string): Rule => ({
  type: 'text',
  min,
  max,
  ...(pattern && { pattern, patternReason }),
});
const oneOf = (values: readonly string[]): Rule => ({ type: 'oneOf', values });

const CARD_NUMBER = text(12, 30, /^[0-9][0-9 -]{10,28}[0-9]$/, 'must be 12 to 20 digits (spaces and dashes allowed between them)');
const POSSESSION_NOT_IMPORTED =
  'must be left out: possession was proven in the old system, and card numbers and CVV2s of activations are not imported';

const ADDRESS: Shape = {
  line1: required(text(1, 200)),
  line2: optional(text(0, 200)),
  city: required(text(1, 100)),
  province: optional(text(0, 100)),
  postalCode: optional(text(0, 20)),
  country: required(text(2, 2)),
};

/** The fields of each command besides `command` and `occurredAt`: the API's request bodies plus the ids. */
const SHAPES: Readonly<Record<ImportCommandName, Shape>> = {
  RegisterCustomer: {
    customerId: required(uuid),
    name: required(text(1, 100)),
    idType: required(oneOf(ID_TYPES)),
    idNumber: required(text(1, 40)),
    phone: required(text(1, 20)),
    email: optional(text(1, 254)),
    address: optional({ type: 'object', shape: ADDRESS }),
    preferredChannels: optional({ type: 'listOf', values: NOTIFICATION_CHANNELS }),
    locale: optional(oneOf(LOCALES)),
  },
  IssueCard: {
    cardId: required(uuid),
    customerId: required(uuid),
    product: required(oneOf(PRODUCTS)),
    cardNumber: required(CARD_NUMBER),
    expiry: optional(text(5, 5, /^(0[1-9]|1[0-2])\/\d{2}$/, 'must be MM/YY, e.g. 12/29')),
    channel: required(oneOf(ISSUE_CHANNELS)),
    branchId: optional(text(1, 64)),
  },
  VerifyIdentity: {
    cardId: required(uuid),
    method: required(oneOf(VERIFICATION_METHODS)),
    name: required(text(1, 100)),
    idNumber: required(text(1, 40)),
    matchScore: optional({ type: 'number', min: 0, max: 1 }),
  },
  LinkCard: {
    cardId: required(uuid),
    accountId: required(text(1, 64, /^[\w.:-]+$/, 'may contain letters, digits, "_", ".", ":" and "-" only')),
  },
  ActivateCard: {
    cardId: required(uuid),
    channel: required(oneOf(ACTIVATION_CHANNELS)),
    cardNumber: optional({ type: 'refused', reason: POSSESSION_NOT_IMPORTED }),
    cvv: optional({ type: 'refused', reason: POSSESSION_NOT_IMPORTED }),
  },
  OpenDispute: {
    cardId: required(uuid),
    disputeId: required(uuid),
    reason: required(oneOf(DISPUTE_REASONS)),
    description: required(text(1, 2000)),
  },
  ResolveDispute: {
    cardId: required(uuid),
    disputeId: required(uuid),
    outcome: required(oneOf(DISPUTE_OUTCOMES)),
    note: required(text(1, 2000)),
  },
  SuspendCard: { cardId: required(uuid), reason: required(text(1, 200)) },
  ReinstateCard: { cardId: required(uuid), reason: optional(text(1, 200)) },
  CancelCard: { cardId: required(uuid), reason: required(text(1, 200)) },
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_TIME_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

type JsonRecord = Record<string, unknown>;

function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Field names are echoed in reasons: only plain names, so that nothing a file put there is repeated. */
function nameOf(path: string, key: string): string {
  return /^[A-Za-z_][A-Za-z_-]{0,63}$/.test(key) ? path + key : `${path}(a field with an unexpected name)`;
}

function checkValue(rule: Rule, value: unknown, field: string, violations: FieldViolation[]): void {
  const fail = (reason: string) => violations.push({ field, reason });
  switch (rule.type) {
    case 'uuid':
      if (typeof value !== 'string' || !UUID.test(value)) fail('must be a UUID');
      return;
    case 'text': {
      if (typeof value !== 'string') return void fail('must be a string');
      const length = [...value].length;
      if (length < rule.min || length > rule.max) {
        fail(rule.min === rule.max ? `must be ${rule.min} characters long` : `must be ${rule.min} to ${rule.max} characters long`);
      } else if (rule.pattern && !rule.pattern.test(value)) fail(rule.patternReason ?? 'is malformed');
      return;
    }
    case 'oneOf':
      if (typeof value !== 'string' || !rule.values.includes(value)) fail(`must be one of ${rule.values.join(', ')}`);
      return;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value) || value < rule.min || value > rule.max) {
        fail(`must be a number from ${rule.min} to ${rule.max}`);
      }
      return;
    case 'listOf':
      if (!Array.isArray(value) || value.length === 0) fail('must be a non-empty array');
      else if (!value.every((item) => typeof item === 'string' && rule.values.includes(item))) {
        fail(`may only contain ${rule.values.join(', ')}`);
      } else if (new Set(value).size !== value.length) fail('must not name a value twice');
      return;
    case 'object':
      if (!isRecord(value)) fail('must be an object');
      else checkShape(rule.shape, value, `${field}.`, violations, []);
      return;
    case 'refused':
      fail(rule.reason);
      return;
  }
}

function checkShape(shape: Shape, value: JsonRecord, path: string, violations: FieldViolation[], alsoAllowed: readonly string[]): void {
  for (const [key, field] of Object.entries(shape)) {
    const given = value[key];
    if (given === undefined || given === null) {
      if (field.required) violations.push({ field: path + key, reason: 'is required' });
    } else {
      checkValue(field.rule, given, path + key, violations);
    }
  }
  for (const key of Object.keys(value)) {
    if (!(key in shape) && !alsoAllowed.includes(key)) {
      violations.push({ field: nameOf(path, key), reason: 'is not a known field' });
    }
  }
}

/** ISO-8601 date-time with Z or an offset, a real calendar date and time, not in the future: as UTC ISO. */
function checkOccurredAt(value: unknown, now: Date, violations: FieldViolation[]): string {
  const fail = (reason: string) => {
    violations.push({ field: 'occurredAt', reason });
    return '';
  };
  if (value === undefined || value === null) return fail('is required');
  if (typeof value !== 'string' || !DATE_TIME_WITH_OFFSET.test(value)) {
    return fail('must be an ISO-8601 date-time with Z or an offset, e.g. 2024-03-01T09:30:00Z or 2024-03-01T17:30:00+08:00');
  }
  let ms: number;
  try {
    ms = parseInstant(value, 'occurredAt');
  } catch (error) {
    if (error instanceof ReportParameterError) return fail('is not a real date and time of day');
    throw error;
  }
  if (ms > now.getTime()) return fail('must not be in the future');
  return new Date(ms).toISOString();
}

function refusal(command: ImportCommandName | null, code: LineRefusalCode, errors: readonly FieldViolation[]): LineCheck {
  return { ok: false, command, code, reason: errors.map((e) => `${e.field}: ${e.reason}`).join('; '), errors };
}

/** Checks one line of an import file and turns it into the command it describes. Never echoes a value. */
export function checkImportLine(text: string, context: LineCheckContext): LineCheck {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text around the error, which may be a card number: say it plainly.
    return { ok: false, command: null, code: 'MALFORMED_JSON', reason: 'is not valid JSON: each line must be one JSON object' };
  }
  if (!isRecord(parsed)) return refusal(null, 'VALIDATION_FAILED', [{ field: 'line', reason: 'must be a JSON object' }]);
  const unstorable = loneSurrogatePath(parsed);
  if (unstorable !== null) {
    const named = typeof parsed.command === 'string' && (IMPORT_COMMANDS as readonly string[]).includes(parsed.command) ? (parsed.command as ImportCommandName) : null;
    return refusal(named, 'VALIDATION_FAILED', [{ field: unstorable, reason: LONE_SURROGATE_REASON }]);
  }

  const command = parsed.command;
  if (typeof command !== 'string' || !(IMPORT_COMMANDS as readonly string[]).includes(command)) {
    return refusal(null, 'UNKNOWN_COMMAND', [
      { field: 'command', reason: `${command === undefined ? 'is required and ' : ''}must be one of ${IMPORT_COMMANDS.join(', ')}` },
    ]);
  }
  const name = command as ImportCommandName;
  const violations: FieldViolation[] = [];
  const occurredAt = checkOccurredAt(parsed.occurredAt, context.now, violations);
  checkShape(SHAPES[name], parsed, '', violations, ['command', 'occurredAt']);
  if (violations.length > 0) return refusal(name, 'VALIDATION_FAILED', violations);

  const fields = normalisedIds(name, parsed);
  return {
    ok: true,
    line: toImportLine(name, occurredAt, fields),
    idempotencyKey: importKey({ ...fields, command: name, occurredAt }, context.fingerprint),
  };
}

/** Ids are UUIDs, and streams are named by them: one spelling (lower case) for each. */
function normalisedIds(command: ImportCommandName, fields: JsonRecord): JsonRecord {
  const result: JsonRecord = { ...fields };
  for (const [key, field] of Object.entries(SHAPES[command])) {
    if (field.rule.type === 'uuid' && typeof result[key] === 'string') result[key] = (result[key] as string).toLowerCase();
  }
  return result;
}

/**
 * `import:` + SHA-256 of the line's canonical JSON. The card number is replaced by its keyed fingerprint first:
 * the key is kept in every event's metadata, and a plain hash of a line whose other fields are all stored
 * (BIN, last 4, ids, time) could be reversed by trying the few numbers that fit.
 */
function importKey(fields: JsonRecord, fingerprint: (digits: string) => string): string {
  const identity = { ...fields };
  if (typeof identity.cardNumber === 'string') identity.cardNumber = `fingerprint:${fingerprint(identity.cardNumber.replace(/[\s-]/g, ''))}`;
  return `import:${createHash('sha256').update(canonicalJson(identity)).digest('hex')}`;
}

/** The checked fields as the handlers' inputs; absent optional fields stay absent. */
function toImportLine(command: ImportCommandName, occurredAt: string, f: JsonRecord): ImportLine {
  const str = (key: string) => f[key] as string;
  const opt = <T>(key: string): { [k: string]: T } => (f[key] === undefined || f[key] === null ? {} : { [key]: f[key] as T });
  switch (command) {
    case 'RegisterCustomer':
      return {
        command,
        occurredAt,
        input: {
          customerId: str('customerId'),
          name: str('name'),
          idType: str('idType') as RegisterCustomerInput['idType'],
          idNumber: str('idNumber'),
          phone: str('phone'),
          ...opt('email'),
          ...opt<RegisterCustomerInput['address']>('address'),
          ...opt<RegisterCustomerInput['preferredChannels']>('preferredChannels'),
          ...opt<RegisterCustomerInput['locale']>('locale'),
        },
      };
    case 'IssueCard':
      return {
        command,
        occurredAt,
        input: {
          cardId: str('cardId'),
          customerId: str('customerId'),
          product: str('product') as IssueCardInput['product'],
          cardNumber: str('cardNumber'),
          ...opt<string>('expiry'),
          channel: str('channel') as IssueCardInput['channel'],
          ...opt<string>('branchId'),
        },
      };
    case 'VerifyIdentity':
      return {
        command,
        occurredAt,
        cardId: str('cardId'),
        input: {
          method: str('method') as VerifyIdentityInput['method'],
          name: str('name'),
          idNumber: str('idNumber'),
          ...opt<number>('matchScore'),
        },
      };
    case 'LinkCard':
      return { command, occurredAt, cardId: str('cardId'), accountId: str('accountId') };
    case 'ActivateCard':
      return {
        command,
        occurredAt,
        cardId: str('cardId'),
        input: { channel: str('channel') as ActivationChannel, possessionCheckedElsewhere: true },
      };
    case 'OpenDispute':
      return {
        command,
        occurredAt,
        cardId: str('cardId'),
        input: { disputeId: str('disputeId'), reason: str('reason') as OpenDisputeInput['reason'], description: str('description') },
      };
    case 'ResolveDispute':
      return {
        command,
        occurredAt,
        cardId: str('cardId'),
        disputeId: str('disputeId'),
        input: { outcome: str('outcome') as ResolveDisputeInput['outcome'], note: str('note') },
      };
    case 'SuspendCard':
    case 'ReinstateCard':
    case 'CancelCard':
      return { command, occurredAt, cardId: str('cardId'), ...opt<string>('reason') };
  }
}
