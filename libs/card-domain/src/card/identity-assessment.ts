import { ValidationFailed, type FieldViolation } from '../shared/domain-error';
import { birthDatesMatch } from '../values/birth-date';
import { idNumbersMatch } from '../values/id-number';
import { mrzNameMatches, parseTd3Mrz } from '../values/mrz';
import { namesMatch } from '../values/person-name';
import { checkResidentIdDocument } from '../values/resident-id';
import {
  VERIFICATION_METHODS,
  type BiometricMethod,
  type ReviewReason,
  type VerificationFailureReason,
  type VerifyIdentity,
} from './card.types';

/** What one verification attempt comes to, before it becomes events. */
export type IdentityAssessment =
  | { readonly kind: 'verified'; readonly score?: number; readonly providerReference?: string; readonly attestedBy?: string }
  | { readonly kind: 'failed'; readonly reasons: VerificationFailureReason[]; readonly score?: number; readonly providerReference?: string }
  | { readonly kind: 'review'; readonly reviewReasons: ReviewReason[]; readonly score?: number; readonly providerReference?: string }
  | { readonly kind: 'unavailable'; readonly unavailableReason: string; readonly score?: undefined; readonly providerReference?: undefined };

const text = (value: unknown): string => (typeof value === 'string' ? value.trim() : '');
const isBiometric = (method: string): method is BiometricMethod => method === 'FACE' || method === 'FINGERPRINT';

/** Refuses what cannot be assessed at all (400), naming each field. */
function checkInputs(command: VerifyIdentity): void {
  const violations: FieldViolation[] = [];
  const { method, presented } = command;
  if (!(VERIFICATION_METHODS as readonly string[]).includes(method)) {
    violations.push({ field: 'method', reason: `must be one of ${VERIFICATION_METHODS.join(', ')}` });
  }
  if (method === 'ID_DOCUMENT' || method === 'BRANCH_STAFF') {
    if (text(presented.name) === '') violations.push({ field: 'name', reason: `is required for ${method} verification` });
    if (text(presented.idNumber) === '') violations.push({ field: 'idNumber', reason: `is required for ${method} verification` });
  }
  if (method === 'BRANCH_STAFF' && text(command.attestedBy) === '') {
    violations.push({ field: 'staffId', reason: 'is required: the member of staff who saw the original document' });
  }
  if (presented.birthDate !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(text(presented.birthDate))) {
    violations.push({ field: 'birthDate', reason: 'must be a date, YYYY-MM-DD' });
  }
  if (presented.mrz !== undefined && command.registered.idType !== 'PASSPORT') {
    violations.push({ field: 'mrz', reason: 'is read from passports only: this customer registered another id type' });
  }
  if (isBiometric(method)) {
    const result = command.biometric;
    if (result === undefined) violations.push({ field: 'sample', reason: `is required for ${method} verification` });
    else if (result.outcome === 'SCORED' && (typeof result.score !== 'number' || !Number.isFinite(result.score) || result.score < 0 || result.score > 1)) {
      violations.push({ field: 'matchScore', reason: 'must be a number from 0 to 1' });
    }
  }
  if (violations.length > 0) throw new ValidationFailed(violations);
}

/** The birth date a document shows: as printed, else read from a resident id's digits or the MRZ. */
function documentChecks(command: VerifyIdentity, failures: VerificationFailureReason[]): { birthDate?: string } {
  const { presented, registered, now } = command;
  let birthDate = text(presented.birthDate) || undefined;
  if (registered.idType === 'CN_RESIDENT_ID') {
    const id = checkResidentIdDocument(text(presented.idNumber), now);
    if (!id.ok) failures.push(id.code);
    else birthDate ??= id.birthDate;
  }
  if (registered.idType === 'PASSPORT' && presented.mrz !== undefined) {
    const mrz = parseTd3Mrz(presented.mrz, now);
    if (!mrz.ok) {
      failures.push(mrz.code);
    } else {
      if (!idNumbersMatch(mrz.documentNumber, text(presented.idNumber)) || !mrzNameMatches(text(presented.name), mrz.surname, mrz.givenNames)) {
        failures.push('MRZ_MISMATCH');
      }
      if (birthDate !== undefined && !birthDatesMatch(birthDate, mrz.birthDate)) failures.push('MRZ_MISMATCH');
      birthDate ??= mrz.birthDate;
    }
  }
  return birthDate === undefined ? {} : { birthDate };
}

/** The birth date the registry holds: registered with the customer, else read from a resident id's digits. */
function registeredBirthDate(command: VerifyIdentity): string | undefined {
  if (command.registered.birthDate !== undefined) return command.registered.birthDate;
  if (command.registered.idType !== 'CN_RESIDENT_ID') return undefined;
  const id = checkResidentIdDocument(command.registered.idNumber, command.now);
  return id.ok ? id.birthDate : undefined;
}

/**
 * Compares what the customer presented with what they registered, by the rules of the method (docs/identity.md):
 * a reason code for each failed check; some differences go to a person (review) rather than failing outright;
 * a provider that could not answer is not the customer's failure.
 */
export function assessIdentity(command: VerifyIdentity): IdentityAssessment {
  checkInputs(command);
  const { method, presented, registered } = command;
  const failures: VerificationFailureReason[] = [];
  const review: ReviewReason[] = [];
  let score: number | undefined;
  let providerReference: string | undefined;

  if (isBiometric(method)) {
    const result = command.biometric!;
    if (result.outcome === 'UNAVAILABLE') return { kind: 'unavailable', unavailableReason: result.reason };
    score = result.score;
    providerReference = result.providerReference;
    const thresholds = command.thresholds[method];
    if (score < thresholds.review) failures.push('LOW_MATCH_SCORE');
    else if (score < thresholds.pass) review.push('SCORE_IN_REVIEW_BAND');
  }

  const nameGiven = text(presented.name) !== '';
  const idGiven = text(presented.idNumber) !== '';
  if (nameGiven && !namesMatch(text(presented.name), registered.name)) failures.push('NAME_MISMATCH');
  if (idGiven && !idNumbersMatch(text(presented.idNumber), registered.idNumber)) failures.push('ID_NUMBER_MISMATCH');

  if (method === 'ID_DOCUMENT' || method === 'BRANCH_STAFF') {
    const document = documentChecks(command, failures);
    const registeredDate = registeredBirthDate(command);
    if (document.birthDate !== undefined && registeredDate !== undefined && !birthDatesMatch(document.birthDate, registeredDate)) {
      // The same name and number with another birth date is more often a typo in a record than an impostor.
      if (failures.length === 0) review.push('BIRTH_DATE_MISMATCH');
      else failures.push('BIRTH_DATE_MISMATCH');
    }
  }

  const reasons = [...new Set(failures)];
  const scored = { ...(score !== undefined && { score }), ...(providerReference !== undefined && { providerReference }) };
  if (reasons.length > 0) return { kind: 'failed', reasons, ...scored };
  if (review.length > 0) return { kind: 'review', reviewReasons: review, ...scored };
  return { kind: 'verified', ...scored, ...(method === 'BRANCH_STAFF' && { attestedBy: text(command.attestedBy) }) };
}
