import { Inject } from '@nestjs/common';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { READ_STORE, type ReadDocument, type ReadStore } from '@cards/read-store';
import { LookupHasher, type LookupKind } from '@cards/security';
import { CUSTOMER_LOOKUP_FIELDS, CUSTOMERS, type CustomerSummaryDocument } from './customers.projection';

/** A customer as lists and lookups show them: masked, never in clear, and without the lookup hashes. */
export type CustomerListItem = Omit<CustomerSummaryDocument, '_id' | 'phoneHash' | 'idNumberHash' | 'emailHash' | 'updatedAt'>;

/** More customers than this sharing one phone number or id number is not a lookup any more. */
export const MAX_LOOKUP_MATCHES = 50;

export class FindCustomersQuery extends Query<{ items: CustomerListItem[] }> {
  constructor(readonly kind: LookupKind, readonly value: string) {
    super();
  }
}

export function toCustomerListItem(doc: ReadDocument): CustomerListItem {
  const { _id, phoneHash: _p, idNumberHash: _i, emailHash: _e, updatedAt: _u, ...item } = doc as unknown as CustomerSummaryDocument;
  return item;
}

/**
 * Finds customers by the exact phone number, id number or e-mail address a customer gives on the phone: the value
 * is hashed with the lookup key and matched against the hashes in the customers read model, so the value itself
 * is never stored nor compared in clear. Newest registration first.
 */
@QueryHandler(FindCustomersQuery)
export class FindCustomersHandler implements IQueryHandler<FindCustomersQuery, { items: CustomerListItem[] }> {
  constructor(@Inject(READ_STORE) private readonly readStore: ReadStore, private readonly lookup: LookupHasher) {}

  async execute({ kind, value }: FindCustomersQuery): Promise<{ items: CustomerListItem[] }> {
    const hash = this.lookup.hashOrNull(kind, value);
    if (hash === null) return { items: [] };
    const docs = await this.readStore.find(CUSTOMERS, {
      filter: { [CUSTOMER_LOOKUP_FIELDS[kind]]: hash },
      sort: [{ field: 'registeredAt', direction: 'desc' }],
      limit: MAX_LOOKUP_MATCHES,
    });
    return { items: docs.map(toCustomerListItem) };
  }
}
