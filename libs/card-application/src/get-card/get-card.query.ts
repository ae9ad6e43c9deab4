import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { allowedCommands, cardDecider, DomainError, type CardCommandType, type IssuedCardState } from '@cards/domain';
import { AggregateRunner } from '../shared/aggregate-runner';
import { cardStream } from '../shared/streams';

export interface CardView {
  readonly card: IssuedCardState;
  readonly revision: bigint;
  readonly allowedCommands: CardCommandType[];
}

/** A card's current state, folded from its stream: right the moment a command returns. */
export class GetCardQuery extends Query<CardView> {
  constructor(readonly cardId: string) {
    super();
  }
}

@QueryHandler(GetCardQuery)
export class GetCardHandler implements IQueryHandler<GetCardQuery, CardView> {
  constructor(private readonly runner: AggregateRunner) {}

  async execute({ cardId }: GetCardQuery): Promise<CardView> {
    const { state, revision } = await this.runner.load(cardStream(cardId), cardDecider);
    if (!state.exists || revision === null) {
      throw new DomainError('not_found', 'CARD_NOT_FOUND', `No card with id ${cardId}`, { cardId });
    }
    return { card: state, revision, allowedCommands: allowedCommands(state.status) };
  }
}
