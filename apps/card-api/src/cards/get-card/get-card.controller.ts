import { Controller, Get, Param, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CardNotificationsQuery, GetCardQuery } from '@cards/application';
import { MAX_ACTIVATION_ATTEMPTS } from '@cards/domain';
import { etagOf } from '../../http/request-context';
import { uuidParam } from '../../http/validation';

@ApiTags('cards')
@Controller('v1/cards')
export class GetCardController {
  constructor(private readonly queries: QueryBus) {}

  @Get(':cardId')
  @ApiOkResponse({
    description: 'The card\'s current state, folded from its stream (never from a read model), with its ETag; `notifications` (the notices sent about it) come from the notifications read model',
    schema: {
      example: {
        cardId: '3b9f3c52-8a1e-8d4b-9c2f-5e6a7b8c9d0e',
        customerId: '8f0c2b1e-5d5e-4a4f-9f43-7c1f0e9a7b21',
        status: 'ACTIVE',
        product: 'DEBIT',
        accountId: 'ACC-6222020000123456',
        panBin: '411111',
        panLast4: '1111',
        expiry: '12/29',
        failedActivationAttempts: 0,
        attemptsLeft: 3,
        revision: 3,
        allowedCommands: ['SuspendCard', 'CancelCard', 'OpenDispute'],
        timestamps: { issuedAt: '2026-11-23T09:00:00.000Z', activatedAt: '2026-11-23T09:05:00.000Z' },
        notifications: {
          notifiedAt: '2026-11-23T09:05:01.000Z',
          items: [
            {
              notificationId: '5d1c0a7e-2b3f-8c4d-9e5f-6a7b8c9d0e1f',
              templateId: 'activation-confirmation',
              channel: 'SMS',
              status: 'SENT',
              attempts: 1,
              requestedAt: '2026-11-23T09:05:00.100Z',
              sendAt: '2026-11-23T09:05:00.100Z',
              nextAttemptAt: null,
              sentAt: '2026-11-23T09:05:01.000Z',
              lastFailureReason: null,
              abandonedAt: null,
              abandonReason: null,
            },
          ],
        },
      },
    },
  })
  @ApiNotFoundResponse({ description: 'No such card' })
  async get(@Param('cardId', uuidParam('cardId')) cardId: string, @Res({ passthrough: true }) reply: FastifyReply) {
    const { card, revision, allowedCommands } = await this.queries.execute(new GetCardQuery(cardId));
    const notifications = await this.queries.execute(new CardNotificationsQuery(cardId));
    void reply.header('ETag', etagOf(revision));
    return {
      cardId: card.cardId,
      customerId: card.customerId,
      status: card.status,
      product: card.product,
      accountId: card.accountId ?? null,
      panBin: card.panBin,
      panLast4: card.panLast4,
      expiry: card.expiry ?? null,
      issueChannel: card.issueChannel,
      branchId: card.branchId ?? null,
      ...(card.product === 'SIM' && { msisdn: card.msisdn ?? null }),
      activationChannel: card.activationChannel ?? null,
      openDispute: card.openDispute
        ? { disputeId: card.openDispute.disputeId, reason: card.openDispute.reason, openedAt: card.openDispute.openedAt }
        : null,
      failedActivationAttempts: card.failedActivationAttempts,
      attemptsLeft: Math.max(0, MAX_ACTIVATION_ATTEMPTS - card.failedActivationAttempts),
      identityVerificationFailures: card.identityVerificationFailures,
      suspensionReason: card.suspensionReason ?? null,
      cancellationReason: card.cancellationReason ?? null,
      timestamps: card.timestamps,
      revision: Number(revision),
      allowedCommands,
      notifications,
    };
  }
}
