import { Injectable } from '@nestjs/common';
import type { JsonObject } from '@cards/event-store';
import { CASE_TEXT_FIELDS } from '@cards/domain';
import { PersonalDataCipher, PersonalDataErasedError, isEncryptedField, ERASED } from '@cards/security';
import type { DomainEventShape, EventCodec } from './event-codec';

/** Which events carry personal data, and in which fields (encrypted under the customer's own data key). */
const PERSONAL_FIELDS: Readonly<Record<string, readonly string[]>> = {
  CustomerRegistered: ['name', 'idNumber', 'phone', 'email', 'address', 'birthDate'],
  CustomerContactDetailsChanged: ['phone', 'email', 'address'],
  CustomerPhoneChangeRequested: ['phone'],
  CustomerPhoneChanged: ['phone'],
  CustomerIdentityCorrectionRequested: ['name', 'idNumber'],
  CustomerIdentityCorrected: ['name', 'idNumber'],
};

/**
 * Encrypts the personal fields of customer events before they are appended and decrypts them after they are
 * read. A customer whose data key was destroyed (erasure) reads as '[erased]': the events stay, the data is gone.
 */
@Injectable()
export class PersonalDataEventCodec implements EventCodec {
  constructor(private readonly cipher: PersonalDataCipher) {}

  async encode(streamId: string, event: DomainEventShape): Promise<JsonObject> {
    if (streamId.startsWith('case-')) return this.encodeCaseTexts(streamId, event);
    const fields = PERSONAL_FIELDS[event.type];
    const subject = customerOf(streamId);
    if (!fields || !subject) return event.data as JsonObject;
    return (await this.cipher.encryptFields(subject, event.data as Record<string, unknown>, fields)) as unknown as JsonObject;
  }

  async decode(streamId: string, type: string, data: JsonObject): Promise<object> {
    if (streamId.startsWith('case-')) return this.decodeCaseTexts(streamId, type, data);
    const fields = PERSONAL_FIELDS[type];
    const subject = customerOf(streamId);
    if (!fields || !subject) return data;
    return this.cipher.decryptFields(subject, data as Record<string, unknown>, fields);
  }

  private async encodeCaseTexts(streamId: string, event: DomainEventShape): Promise<JsonObject> {
    const fields = CASE_TEXT_FIELDS[event.type as keyof typeof CASE_TEXT_FIELDS];
    const data = event.data as Record<string, unknown>;
    if (!fields) return data as JsonObject;
    const subject = caseTextSubject(streamId, data);
    try {
      return (await this.cipher.encryptFields(subject, data, fields)) as unknown as JsonObject;
    } catch (error) {
      if (!(error instanceof PersonalDataErasedError)) throw error;
      const kept: Record<string, unknown> = { ...data };
      for (const field of fields) if (typeof kept[field] === 'string') kept[field] = ERASED;
      return kept as JsonObject;
    }
  }

  private async decodeCaseTexts(streamId: string, type: string, data: JsonObject): Promise<object> {
    const fields = CASE_TEXT_FIELDS[type as keyof typeof CASE_TEXT_FIELDS];
    if (!fields) return data;
    const encrypted = fields.filter((field) => isEncryptedField(data[field]));
    return this.cipher.decryptFields(caseTextSubject(streamId, data), data as Record<string, unknown>, encrypted);
  }
}

/**
 * Case texts (description, comments, resolution, reopen reason, survey comment: free text people write, docs/cases.md)
 * are encrypted under the case's customer's data key, so erasing the customer erases them too; a case on no customer
 * has a data key of its own (subject `case-<caseId>`). Once the customer is erased, a new text is not kept at all.
 */
function caseTextSubject(streamId: string, data: Record<string, unknown>): string {
  return typeof data.customerId === 'string' ? data.customerId : streamId;
}

function customerOf(streamId: string): string | null {
  return streamId.startsWith('customer-') ? streamId.slice('customer-'.length) : null;
}
