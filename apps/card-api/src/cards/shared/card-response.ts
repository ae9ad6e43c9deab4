import type { FastifyReply } from 'fastify';
import type { CardCommandOutcome } from '@cards/application';
import { formatPosition } from '@cards/event-store';
import { etagOf } from '../../http/request-context';

export interface CardCommandResponse {
  readonly cardId: string;
  readonly status: string;
  readonly revision: number;
  /** Global position of the last event written, as a string (it can exceed 2^53 on EventStoreDB). */
  readonly position: string;
}

/** Every card command answers with where the card now stands, and its ETag for the next If-Match. */
export function cardCommandResponse(outcome: CardCommandOutcome, reply: FastifyReply): CardCommandResponse {
  void reply.header('ETag', etagOf(outcome.revision));
  return {
    cardId: outcome.cardId,
    status: outcome.card.status,
    revision: Number(outcome.revision),
    position: formatPosition(outcome.position),
  };
}

export const CARD_RESPONSE_EXAMPLE = {
  cardId: '3b9f3c52-8a1e-8d4b-9c2f-5e6a7b8c9d0e',
  status: 'LINKED',
  revision: 3,
  position: '42',
};
