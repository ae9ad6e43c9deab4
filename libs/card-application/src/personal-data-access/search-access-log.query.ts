import { Inject } from '@nestjs/common';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { READ_STORE, type FieldCondition, type Filter, type ReadStore, type SortKey } from '@cards/read-store';
import { decodeCursor, queryFingerprint, toPage, type Page } from '../read-side/paging';
import { ACCESS_LOG, type PersonalDataAccessDocument } from './access-log.projection';

export interface AccessLogCriteria {
  readonly customerId?: string;
  /** The reader's subject (`sub` of their token). */
  readonly by?: string;
  readonly role?: string;
  /** Inclusive lower bound on `at` (ISO-8601). */
  readonly from?: string;
  /** Exclusive upper bound on `at` (ISO-8601). */
  readonly to?: string;
  readonly limit: number;
  readonly cursor?: string;
}

export type AccessLogEntry = Omit<PersonalDataAccessDocument, '_id'> & { readonly id: string };

export class SearchAccessLogQuery extends Query<Page<AccessLogEntry>> {
  constructor(readonly criteria: AccessLogCriteria) {
    super();
  }
}

const SORT: readonly SortKey[] = [{ field: 'at', direction: 'desc' }];

/** The access log across customers, newest first: who read whose personal data in clear, when and why. */
@QueryHandler(SearchAccessLogQuery)
export class SearchAccessLogHandler implements IQueryHandler<SearchAccessLogQuery, Page<AccessLogEntry>> {
  constructor(@Inject(READ_STORE) private readonly readStore: ReadStore) {}

  async execute({ criteria }: SearchAccessLogQuery): Promise<Page<AccessLogEntry>> {
    const filter: Record<string, FieldCondition> = {};
    if (criteria.customerId) filter.customerId = criteria.customerId;
    if (criteria.by) filter.by = criteria.by;
    if (criteria.role) filter.role = criteria.role;
    if (criteria.from || criteria.to) filter.at = { ...(criteria.from && { $gte: criteria.from }), ...(criteria.to && { $lt: criteria.to }) };
    const fingerprint = queryFingerprint({ filter, sort: SORT });
    const after = criteria.cursor ? decodeCursor(criteria.cursor, fingerprint, SORT) : undefined;
    const docs = await this.readStore.find(ACCESS_LOG, { filter: filter as Filter, sort: SORT, limit: criteria.limit + 1, ...(after && { after }) });
    return toPage(docs, criteria.limit, fingerprint, SORT, (doc) => {
      const { _id, ...entry } = doc as unknown as PersonalDataAccessDocument;
      return { id: _id, ...entry };
    });
  }
}
