import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsISO8601, IsOptional, Min } from 'class-validator';
import { AuditHistory, type AuditedKind } from '@cards/application';
import { InvalidRequestError } from '@cards/platform';
import { uuidParam } from '../../http/validation';

export class AsOfQuery {
  @ApiPropertyOptional({ example: 3, description: 'Replay up to and including this revision' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  asOfRevision?: number;

  @ApiPropertyOptional({
    example: '2026-11-23T09:00:00Z',
    description: 'Replay what the service had recorded at this instant (ISO-8601): the store\'s recording time, not the events\' business time, so imported history appears when it was imported',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  asOf?: string;
}

const EVENT_EXAMPLE = {
  revision: 0,
  position: '17',
  id: '5b0e8f4e-3b9a-4d7e-8d1c-2f7a9c1e4b10',
  type: 'CardIssued',
  data: { customerId: '8f0c2b1e-5d5e-4a4f-9f43-7c1f0e9a7b21', product: 'DEBIT', panBin: '411111', panLast4: '1111' },
  metadata: {
    schemaVersion: 1,
    actor: { id: 'branch-app', role: 'issuer' },
    correlationId: 'c1',
    causationId: 'r1',
    occurredAt: '2026-11-23T09:00:00.000Z',
    prevHash: '0'.repeat(64),
    hash: '3f6c…',
  },
  recordedAt: '2026-11-23T09:00:00.004Z',
};

/** One controller for both kinds of aggregate: /v1/audit/cards/{id}/… and /v1/audit/customers/{id}/…. */
function auditController(kind: AuditedKind, path: 'cards' | 'customers', param: 'cardId' | 'customerId') {
  @ApiTags('audit')
  @Controller(`v1/audit/${path}/:${param}`)
  class AuditHistoryController {
    constructor(readonly history: AuditHistory) {}

    @Get('events')
    @ApiOkResponse({
      description: 'Every event of the stream exactly as stored (data as stored: personal data stays encrypted, so each hash recomputes), with its revision, global position, full metadata (actor, role, channel, correlation and causation ids, occurredAt, schemaVersion, prevHash, hash) and recordedAt',
      schema: { example: { streamId: `${kind}-…`, events: [EVENT_EXAMPLE] } },
    })
    @ApiNotFoundResponse({ description: `No such ${kind}` })
    events(@Param(param, uuidParam(param)) id: string) {
      return this.history.events(kind, id);
    }

    @Get('state')
    @ApiOkResponse({
      description: `The ${kind}'s state replayed up to asOfRevision or asOf (or now), and the events that made it.${kind === 'customer' ? ' Personal data is masked.' : ''} existed: false when it did not exist yet at that point.`,
    })
    @ApiBadRequestResponse({ description: 'asOfRevision or asOf malformed' })
    @ApiNotFoundResponse({ description: `No such ${kind}` })
    state(@Param(param, uuidParam(param)) id: string, @Query() query: AsOfQuery) {
      if (query.asOfRevision !== undefined && query.asOf !== undefined) {
        throw new InvalidRequestError([{ field: 'asOf', reason: 'give asOfRevision or asOf, not both' }]);
      }
      return this.history.stateAt(kind, id, {
        ...(query.asOfRevision !== undefined && { revision: query.asOfRevision }),
        ...(query.asOf !== undefined && { at: query.asOf }),
      });
    }

    @Get('verification')
    @ApiOkResponse({
      description: '{ ok, eventsChecked, firstBadRevision?, problem?, checkpoint, eventsAfterCheckpoint }: the stream\'s hash chain, and the head the latest signed checkpoint holds for it',
      schema: { example: { streamId: `${kind}-…`, ok: true, eventsChecked: 5, checkpoint: { checkpoint: 3, revision: 4, ok: true }, eventsAfterCheckpoint: 0 } },
    })
    @ApiNotFoundResponse({ description: `No such ${kind}` })
    verification(@Param(param, uuidParam(param)) id: string) {
      return this.history.verify(kind, id);
    }
  }
  Object.defineProperty(AuditHistoryController, 'name', { value: `Audit${kind === 'card' ? 'Card' : 'Customer'}HistoryController` });
  return AuditHistoryController;
}

export const AuditCardHistoryController = auditController('card', 'cards', 'cardId');
export const AuditCustomerHistoryController = auditController('customer', 'customers', 'customerId');
