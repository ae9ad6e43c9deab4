import { Inject } from '@nestjs/common';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import type { CardStatus, IssueChannel, Product } from '@cards/domain';
import { CARDS, READ_STORE, type Filter, type FieldCondition, type ReadStore, type SortKey } from '@cards/read-store';
import { toCardListItem, type CardListItem } from '../read-side/card-list-item';
import { decodeCursor, queryFingerprint, toPage, type Page } from '../read-side/paging';

export const CARD_SORTS = ['-issuedAt', 'issuedAt', '-statusSince', 'statusSince'] as const;
export type CardSort = (typeof CARD_SORTS)[number];

export interface CardSearchCriteria {
  readonly customerId?: string;
  readonly status?: readonly CardStatus[];
  readonly product?: Product;
  readonly branchId?: string;
  readonly channel?: IssueChannel;
  readonly panLast4?: string;
  /** Inclusive lower bound on issuedAt (ISO-8601). */
  readonly issuedFrom?: string;
  /** Exclusive upper bound on issuedAt (ISO-8601). */
  readonly issuedTo?: string;
  readonly sort: CardSort;
  readonly limit: number;
  readonly cursor?: string;
}

export class SearchCardsQuery extends Query<Page<CardListItem>> {
  constructor(readonly criteria: CardSearchCriteria) {
    super();
  }
}

/** Card search over the `cards` read model, with keyset paging (no deep skips). */
@QueryHandler(SearchCardsQuery)
export class SearchCardsHandler implements IQueryHandler<SearchCardsQuery, Page<CardListItem>> {
  constructor(@Inject(READ_STORE) private readonly readStore: ReadStore) {}

  async execute({ criteria }: SearchCardsQuery): Promise<Page<CardListItem>> {
    const filter: Record<string, FieldCondition> = {};
    if (criteria.customerId) filter.customerId = criteria.customerId;
    if (criteria.status?.length) filter.status = criteria.status.length === 1 ? criteria.status[0] : { $in: [...criteria.status] };
    if (criteria.product) filter.product = criteria.product;
    if (criteria.branchId) filter.branchId = criteria.branchId;
    if (criteria.channel) filter.channel = criteria.channel;
    if (criteria.panLast4) filter.panLast4 = criteria.panLast4;
    if (criteria.issuedFrom || criteria.issuedTo) {
      filter.issuedAt = {
        ...(criteria.issuedFrom && { $gte: criteria.issuedFrom }),
        ...(criteria.issuedTo && { $lt: criteria.issuedTo }),
      };
    }
    const field = criteria.sort.replace(/^-/, '');
    const sort: SortKey[] = [{ field, direction: criteria.sort.startsWith('-') ? 'desc' : 'asc' }];
    const fingerprint = queryFingerprint({ filter, sort });
    const after = criteria.cursor ? decodeCursor(criteria.cursor, fingerprint, sort) : undefined;
    const docs = await this.readStore.find(CARDS, {
      filter: filter as Filter,
      sort,
      limit: criteria.limit + 1,
      ...(after && { after }),
    });
    return toPage(docs, criteria.limit, fingerprint, sort, toCardListItem);
  }
}
