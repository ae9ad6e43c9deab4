import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  cardDecider,
  caseDecider,
  classifyCase,
  customerDecider,
  DomainError,
  routeCase,
  ValidationFailed,
  type CaseCategory,
  type CaseChannel,
  type CaseCommand,
  type CaseEvent,
  type CasePriority,
  type OpenCase,
  type OpenedCase,
  type SettableCaseStatus,
  type SurveyChannel,
} from '@cards/domain';
import type { Position, RecordedEvent } from '@cards/event-store';
import { AggregateRunner } from '../shared/aggregate-runner';
import { CLOCK, type Clock } from '../shared/clock';
import type { CommandContext } from '../shared/command-context';
import { deterministicUuid } from '../shared/deterministic-id';
import { cardStream, caseStream, customerStream } from '../shared/streams';
import { CaseRouter } from './case-router';
import { CASE_SETTINGS, deadlineAfter, type CaseSettings } from './case-settings';

/** What a case command answers: the case after it, its revision and the position of the last event. */
export interface CaseOutcome {
  readonly caseId: string;
  readonly state: OpenedCase;
  readonly newEvents: readonly CaseEvent[];
  readonly revision: bigint;
  readonly position: Position;
  readonly replayed: boolean;
}

/** The number the customer is told: "CS-" and the first 8 hex digits of the case id, upper case. */
export function caseNumberOf(caseId: string): string {
  return `CS-${caseId.replace(/-/g, '').slice(0, 8).toUpperCase()}`;
}

/** When a recorded event happened (imported history keeps its own time in the metadata). */
export function occurredAtOf(event: RecordedEvent): string {
  const at = event.metadata.occurredAt;
  return typeof at === 'string' ? at : event.recordedAt.toISOString();
}

/** Runs one command on a case's stream. */
@Injectable()
export class CaseCommandExecutor {
  constructor(private readonly runner: AggregateRunner) {}

  async execute(caseId: string, ctx: CommandContext, makeCommand: (state: OpenedCase, now: string) => CaseCommand): Promise<CaseOutcome> {
    const result = await this.runner.execute(caseStream(caseId), caseDecider, ctx, (state, now) => {
      if (!state.exists) throw new DomainError('not_found', 'CASE_NOT_FOUND', `No case with id ${caseId}`, { caseId });
      return makeCommand(state, now);
    });
    if (!result.state.exists) throw new Error(`Case ${caseId} does not exist after a command`);
    return { caseId, state: result.state, newEvents: result.newEvents, revision: result.revision, position: result.position, replayed: result.replayed };
  }
}

export interface OpenCaseInput {
  readonly channel: CaseChannel;
  readonly customerId?: string;
  readonly cardId?: string;
  readonly description: string;
  readonly category?: CaseCategory;
  readonly priority: CasePriority;
}

export class OpenCaseCommand extends Command<CaseOutcome> {
  constructor(readonly input: OpenCaseInput, readonly ctx: CommandContext) {
    super();
  }
}

/**
 * Opens a case: checks the customer and card it is about, proposes a category (the classification rules, on the
 * description and the card's recent events), routes it (a team by the rules, an agent by the team's strategy) and
 * sets its service-level deadlines. The case is decided once before routing, so a refused case moves no
 * round-robin pointer.
 */
@CommandHandler(OpenCaseCommand)
@Injectable()
export class OpenCaseHandler implements ICommandHandler<OpenCaseCommand, CaseOutcome> {
  constructor(
    private readonly runner: AggregateRunner,
    private readonly cases: CaseCommandExecutor,
    private readonly router: CaseRouter,
    @Inject(CASE_SETTINGS) private readonly settings: CaseSettings,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ input, ctx }: OpenCaseCommand): Promise<CaseOutcome> {
    const caseId = ctx.idempotencyKey === undefined ? randomUUID() : deterministicUuid('case', ctx.idempotencyKey);
    const existing = await this.runner.load(caseStream(caseId), caseDecider);
    if (existing.state.exists) {
      // A retry under the same Idempotency-Key: the runner answers it from the events already written.
      return this.cases.execute(caseId, ctx, () => {
        throw new DomainError('conflict', 'CASE_ALREADY_OPENED', 'This case exists already', { caseId });
      });
    }

    let customerId = input.customerId;
    let cardEvents: RecordedEvent[] = [];
    if (input.cardId !== undefined) {
      const card = await this.runner.load(cardStream(input.cardId), cardDecider);
      if (!card.state.exists) throw new DomainError('not_found', 'CARD_NOT_FOUND', `No card with id ${input.cardId}`, { cardId: input.cardId });
      if (customerId !== undefined && card.state.customerId !== customerId) {
        throw new ValidationFailed([{ field: 'cardId', reason: 'is a card of another customer' }]);
      }
      customerId = card.state.customerId;
      cardEvents = [...card.events];
    }
    if (customerId !== undefined) {
      const customer = await this.runner.load(customerStream(customerId), customerDecider);
      if (!customer.state.exists) throw new DomainError('not_found', 'CUSTOMER_NOT_FOUND', `No customer with id ${customerId}`, { customerId });
      if (customer.state.personalDataErasedAt !== undefined) {
        throw new DomainError('conflict', 'CUSTOMER_PERSONAL_DATA_ERASED', 'This customer\'s personal data was erased: a case about them cannot be opened', { customerId });
      }
    }

    const now = this.clock.now().toISOString();
    const proposed = classifyCase(
      { description: typeof input.description === 'string' ? input.description : '', cardEvents: cardEvents.map((e) => ({ type: e.type, occurredAt: occurredAtOf(e) })), now },
      this.settings.classification,
    );
    const command = (at: string, routing: OpenCase['routing']): OpenCase => {
      const levels = this.settings.serviceLevels[input.priority] ?? this.settings.serviceLevels.MEDIUM;
      return {
        type: 'OpenCase',
        caseId,
        caseNumber: caseNumberOf(caseId),
        channel: input.channel,
        ...(customerId !== undefined && { customerId }),
        ...(input.cardId !== undefined && { cardId: input.cardId }),
        description: input.description,
        priority: input.priority,
        ...(input.category !== undefined && { category: input.category }),
        ...(proposed !== null && { proposed }),
        routing,
        firstResponseDueAt: deadlineAfter(at, levels.firstResponse),
        resolutionDueAt: deadlineAfter(at, levels.resolution),
        openedBy: ctx.actor.id,
        now: at,
      };
    };
    const category = input.category ?? proposed?.category ?? 'OTHER';
    const facts = { category, priority: input.priority, channel: input.channel };
    // Refuse a bad case before it takes a turn of the team's round-robin.
    caseDecider.decide(command(now, { ...routeCase(facts, this.settings.routing), assignee: null }), caseDecider.initialState);
    const routing = await this.router.route(caseId, facts, now);
    const result = await this.runner.execute(caseStream(caseId), caseDecider, ctx, (_state, at) => command(at, routing));
    if (!result.state.exists) throw new Error(`Case ${caseId} does not exist after it was opened`);
    return { caseId, state: result.state, newEvents: result.newEvents, revision: result.revision, position: result.position, replayed: result.replayed };
  }
}

export class AssignCaseCommand extends Command<CaseOutcome> {
  constructor(readonly caseId: string, readonly input: { readonly assignee: string; readonly team?: string }, readonly ctx: CommandContext) {
    super();
  }
}

/**
 * An agent takes a case nobody holds (assignee "me" or their own id); a supervisor assigns or reassigns any case,
 * to any agent and team. The team must be one of the routing file's.
 */
@CommandHandler(AssignCaseCommand)
@Injectable()
export class AssignCaseHandler implements ICommandHandler<AssignCaseCommand, CaseOutcome> {
  constructor(private readonly cases: CaseCommandExecutor, @Inject(CASE_SETTINGS) private readonly settings: CaseSettings) {}

  execute({ caseId, input, ctx }: AssignCaseCommand): Promise<CaseOutcome> {
    const supervisor = ctx.actor.role === 'supervisor';
    const assignee = input.assignee === 'me' ? ctx.actor.id : input.assignee;
    if (input.team !== undefined && this.settings.routing.teams[input.team] === undefined) {
      throw new ValidationFailed([{ field: 'team', reason: `must be one of the teams: ${Object.keys(this.settings.routing.teams).join(', ')}` }]);
    }
    if (!supervisor && (assignee !== ctx.actor.id || input.team !== undefined)) {
      throw new DomainError('forbidden', 'ASSIGNMENT_NEEDS_SUPERVISOR', 'An agent may take a case for themselves; assigning it to someone else or another team is for a supervisor', {
        caseId,
      });
    }
    return this.cases.execute(caseId, ctx, (_state, now) => ({
      type: 'AssignCase',
      assignee,
      ...(input.team !== undefined && { team: input.team }),
      assignedBy: ctx.actor.id,
      mayReassign: supervisor,
      now,
    }));
  }
}

export class CommentOnCaseCommand extends Command<CaseOutcome> {
  constructor(readonly caseId: string, readonly text: string, readonly ctx: CommandContext) {
    super();
  }
}

@CommandHandler(CommentOnCaseCommand)
@Injectable()
export class CommentOnCaseHandler implements ICommandHandler<CommentOnCaseCommand, CaseOutcome> {
  constructor(private readonly cases: CaseCommandExecutor) {}

  execute({ caseId, text, ctx }: CommentOnCaseCommand): Promise<CaseOutcome> {
    return this.cases.execute(caseId, ctx, (_state, now) => ({ type: 'CommentOnCase', text, by: ctx.actor.id, now }));
  }
}

export class ChangeCaseStatusCommand extends Command<CaseOutcome> {
  constructor(readonly caseId: string, readonly status: SettableCaseStatus, readonly ctx: CommandContext) {
    super();
  }
}

@CommandHandler(ChangeCaseStatusCommand)
@Injectable()
export class ChangeCaseStatusHandler implements ICommandHandler<ChangeCaseStatusCommand, CaseOutcome> {
  constructor(private readonly cases: CaseCommandExecutor) {}

  execute({ caseId, status, ctx }: ChangeCaseStatusCommand): Promise<CaseOutcome> {
    return this.cases.execute(caseId, ctx, (_state, now) => ({ type: 'ChangeCaseStatus', status, by: ctx.actor.id, now }));
  }
}

export class ResolveCaseCommand extends Command<CaseOutcome> {
  constructor(readonly caseId: string, readonly resolution: string, readonly ctx: CommandContext) {
    super();
  }
}

@CommandHandler(ResolveCaseCommand)
@Injectable()
export class ResolveCaseHandler implements ICommandHandler<ResolveCaseCommand, CaseOutcome> {
  constructor(private readonly cases: CaseCommandExecutor) {}

  execute({ caseId, resolution, ctx }: ResolveCaseCommand): Promise<CaseOutcome> {
    return this.cases.execute(caseId, ctx, (_state, now) => ({ type: 'ResolveCase', resolution, by: ctx.actor.id, now }));
  }
}

export class ReopenCaseCommand extends Command<CaseOutcome> {
  constructor(readonly caseId: string, readonly reason: string, readonly ctx: CommandContext) {
    super();
  }
}

@CommandHandler(ReopenCaseCommand)
@Injectable()
export class ReopenCaseHandler implements ICommandHandler<ReopenCaseCommand, CaseOutcome> {
  constructor(private readonly cases: CaseCommandExecutor, @Inject(CASE_SETTINGS) private readonly settings: CaseSettings) {}

  execute({ caseId, reason, ctx }: ReopenCaseCommand): Promise<CaseOutcome> {
    return this.cases.execute(caseId, ctx, (state, now) => ({
      type: 'ReopenCase',
      reason,
      by: ctx.actor.id,
      reopenDays: this.settings.reopenDays,
      resolutionDueAt: deadlineAfter(now, this.settings.serviceLevels[state.priority].resolution),
      now,
    }));
  }
}

export class CorrectCaseCategoryCommand extends Command<CaseOutcome> {
  constructor(readonly caseId: string, readonly category: CaseCategory, readonly ctx: CommandContext) {
    super();
  }
}

@CommandHandler(CorrectCaseCategoryCommand)
@Injectable()
export class CorrectCaseCategoryHandler implements ICommandHandler<CorrectCaseCategoryCommand, CaseOutcome> {
  constructor(private readonly cases: CaseCommandExecutor) {}

  execute({ caseId, category, ctx }: CorrectCaseCategoryCommand): Promise<CaseOutcome> {
    return this.cases.execute(caseId, ctx, (_state, now) => ({ type: 'CorrectCaseCategory', category, by: ctx.actor.id, now }));
  }
}

export class AnswerCaseSurveyCommand extends Command<CaseOutcome> {
  constructor(
    readonly caseId: string,
    readonly input: { readonly score: number; readonly comment?: string },
    readonly via: SurveyChannel,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(AnswerCaseSurveyCommand)
@Injectable()
export class AnswerCaseSurveyHandler implements ICommandHandler<AnswerCaseSurveyCommand, CaseOutcome> {
  constructor(private readonly cases: CaseCommandExecutor) {}

  execute({ caseId, input, via, ctx }: AnswerCaseSurveyCommand): Promise<CaseOutcome> {
    return this.cases.execute(caseId, ctx, (_state, now) => ({
      type: 'AnswerCaseSurvey',
      score: input.score,
      ...(input.comment !== undefined && { comment: input.comment }),
      via,
      by: ctx.actor.id,
      now,
    }));
  }
}
