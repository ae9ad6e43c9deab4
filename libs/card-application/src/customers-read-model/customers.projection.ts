import { DEFAULT_CUSTOMER_TIME_ZONE, type CustomerEvent } from '@cards/domain';
import type { JsonObject, RecordedEvent } from '@cards/event-store';
import { idOfStream, type Projection, type ProjectionView, type WriteOp } from '@cards/read-store';
import { ERASED, maskEmail, maskIdNumber, maskName, maskPhone, type LookupHasher } from '@cards/security';
import type { EventCodec } from '../shared/event-codec';

export const CUSTOMERS = 'customers';

/**
 * One document per customer, for finding a customer and showing who they are without their personal data:
 * masked forms ('张*', '110105********002X', '138****5678') and keyed hashes for exact lookups. Once the
 * customer's data is erased the masked forms read '[erased]' and the hashes are gone.
 */
export interface CustomerSummaryDocument {
  readonly _id: string;
  readonly customerId: string;
  readonly name: string;
  readonly idType: string;
  readonly idNumber: string;
  readonly phone: string;
  /** A new phone number, masked, waiting for the customer to verify their identity again; null when none. */
  readonly pendingPhone: string | null;
  readonly email: string | null;
  readonly hasAddress: boolean;
  readonly preferredChannels: string[];
  readonly locale: string;
  /** IANA name (not personal data: shown in clear). */
  readonly timeZone: string;
  readonly registeredAt: string;
  readonly contactDetailsChangedAt: string | null;
  readonly personalDataErasedAt: string | null;
  /** HMAC-SHA256 under PII_LOOKUP_KEY of the normalised value (libs/security/src/pii/keyed-hash.ts); null when erased. */
  readonly phoneHash: string | null;
  readonly idNumberHash: string | null;
  readonly emailHash: string | null;
  readonly revision: number;
  readonly updatedAt: string;
}

/** The lookup fields: a read model's hash field per kind of value. */
export const CUSTOMER_LOOKUP_FIELDS = { phone: 'phoneHash', idNumber: 'idNumberHash', email: 'emailHash' } as const;

const newestFirst = (field: string) => [
  { field, direction: 'asc' as const },
  { field: 'registeredAt', direction: 'desc' as const },
];

/**
 * Built with the event codec (the personal fields arrive encrypted; it decrypts them, or gives '[erased]') and
 * the lookup hasher. Deterministic as a projection must be: a rebuild after an erasure gives the same documents
 * as the live run, because both end with the erased forms.
 */
export function customersProjection(codec: EventCodec, lookup: LookupHasher): Projection {
  return {
    name: 'customers',
    collections: [
      {
        name: CUSTOMERS,
        indexes: [newestFirst('phoneHash'), newestFirst('idNumberHash'), newestFirst('emailHash'), [{ field: 'registeredAt', direction: 'desc' }]],
      },
    ],

    async project(event: RecordedEvent, view: ProjectionView): Promise<WriteOp[]> {
      const customerId = idOfStream(event.streamId, 'customer');
      if (customerId === null) return [];
      const e = { type: event.type, data: await codec.decode(event.streamId, event.type, event.data) } as CustomerEvent;
      const touch = { revision: Number(event.revision), updatedAt: event.recordedAt.toISOString() };
      const upsert = (set: Partial<CustomerSummaryDocument>): WriteOp[] => [
        { kind: 'upsert', collection: CUSTOMERS, id: customerId, set: { ...set, ...touch } as unknown as JsonObject },
      ];
      switch (e.type) {
        case 'CustomerRegistered': {
          const d = e.data;
          return upsert({
            customerId,
            name: maskName(d.name),
            idType: d.idType,
            idNumber: maskIdNumber(d.idNumber),
            phone: maskPhone(d.phone),
            pendingPhone: null,
            email: d.email === undefined ? null : maskEmail(d.email),
            hasAddress: d.address !== undefined,
            preferredChannels: [...d.preferredChannels],
            locale: d.locale,
            // Registrations recorded before time zones were have none.
            timeZone: d.timeZone ?? DEFAULT_CUSTOMER_TIME_ZONE,
            registeredAt: d.registeredAt,
            contactDetailsChangedAt: null,
            personalDataErasedAt: null,
            phoneHash: lookup.hashOrNull('phone', d.phone),
            idNumberHash: lookup.hashOrNull('idNumber', d.idNumber),
            emailHash: lookup.hashOrNull('email', d.email),
          });
        }
        case 'CustomerContactDetailsChanged': {
          const current = (await view.get(CUSTOMERS, customerId)) as unknown as CustomerSummaryDocument | null;
          if (current === null) return [];
          const d = e.data;
          // After an erasure nothing personal comes back, even if a change recorded before it is replayed.
          const erased = current.personalDataErasedAt !== null;
          return upsert({
            ...(d.phone !== undefined && { phone: erased ? ERASED : maskPhone(d.phone), phoneHash: erased ? null : lookup.hashOrNull('phone', d.phone) }),
            ...(d.email !== undefined && { email: erased ? ERASED : maskEmail(d.email), emailHash: erased ? null : lookup.hashOrNull('email', d.email) }),
            ...(d.address !== undefined && { hasAddress: true }),
            ...(d.preferredChannels !== undefined && { preferredChannels: [...d.preferredChannels] }),
            ...(d.locale !== undefined && { locale: d.locale }),
            ...(d.timeZone !== undefined && { timeZone: d.timeZone }),
            contactDetailsChangedAt: d.changedAt,
          });
        }
        case 'CustomerPhoneChangeRequested': {
          const current = (await view.get(CUSTOMERS, customerId)) as unknown as CustomerSummaryDocument | null;
          if (current === null) return [];
          return upsert({ pendingPhone: current.personalDataErasedAt !== null ? null : maskPhone(e.data.phone) });
        }
        case 'CustomerPhoneChanged': {
          const current = (await view.get(CUSTOMERS, customerId)) as unknown as CustomerSummaryDocument | null;
          if (current === null) return [];
          const erased = current.personalDataErasedAt !== null;
          return upsert({
            phone: erased ? ERASED : maskPhone(e.data.phone),
            phoneHash: erased ? null : lookup.hashOrNull('phone', e.data.phone),
            pendingPhone: null,
            contactDetailsChangedAt: e.data.changedAt,
          });
        }
        case 'CustomerIdentityCorrected': {
          const current = (await view.get(CUSTOMERS, customerId)) as unknown as CustomerSummaryDocument | null;
          if (current === null || current.personalDataErasedAt !== null) return [];
          const d = e.data;
          return upsert({
            ...(d.name !== undefined && { name: maskName(d.name) }),
            ...(d.idNumber !== undefined && { idNumber: maskIdNumber(d.idNumber), idNumberHash: lookup.hashOrNull('idNumber', d.idNumber) }),
          });
        }
        case 'CustomerPersonalDataErased': {
          const current = (await view.get(CUSTOMERS, customerId)) as unknown as CustomerSummaryDocument | null;
          if (current === null) return [];
          return upsert({
            name: ERASED,
            idNumber: ERASED,
            phone: ERASED,
            pendingPhone: null,
            email: current.email === null ? null : ERASED,
            hasAddress: false,
            personalDataErasedAt: e.data.erasedAt,
            phoneHash: null,
            idNumberHash: null,
            emailHash: null,
          });
        }
        default:
          return [];
      }
    },
  };
}
