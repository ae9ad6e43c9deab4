import { Injectable } from '@nestjs/common';
import type { JsonObject } from '@cards/event-store';
import { PersonalDataCipher } from '@cards/security';
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
    const fields = PERSONAL_FIELDS[event.type];
    const subject = customerOf(streamId);
    if (!fields || !subject) return event.data as JsonObject;
    return (await this.cipher.encryptFields(subject, event.data as Record<string, unknown>, fields)) as unknown as JsonObject;
  }

  async decode(streamId: string, type: string, data: JsonObject): Promise<object> {
    const fields = PERSONAL_FIELDS[type];
    const subject = customerOf(streamId);
    if (!fields || !subject) return data;
    return this.cipher.decryptFields(subject, data as Record<string, unknown>, fields);
  }
}

function customerOf(streamId: string): string | null {
  return streamId.startsWith('customer-') ? streamId.slice('customer-'.length) : null;
}
