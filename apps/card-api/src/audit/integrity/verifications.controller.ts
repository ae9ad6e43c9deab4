import { Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AuditVerifications, type AuditVerification, type CommandContext } from '@cards/application';
import { RequestContext } from '../../http/request-context';
import { uuidParam } from '../../http/validation';
import { HonoursIdempotencyKey } from '../../http/idempotency.interceptor';

export const AUDIT_VERIFICATIONS_PATH = 'v1/audit/verifications';

const RUNNING_EXAMPLE: AuditVerification = {
  verificationId: '0c6d3f4e-1a2b-4c5d-8e9f-0a1b2c3d4e5f',
  state: 'running',
  ok: null,
  eventsChecked: 40_000,
  eventsTotal: 100_000,
  eventsTotalIsEstimate: true,
  streamsChecked: 9_500,
  checkpointsChecked: 39,
  signedHeadsChecked: 0,
  eventsPerSecond: 52_000,
  upToPosition: '100000',
  lastCheckpoint: null,
  eventsAfterLastCheckpoint: null,
  problemCount: 0,
  problems: [],
  problemCounts: {},
  startedAt: '2026-11-23T09:00:00.000Z',
  finishedAt: null,
  startedBy: { id: 'auditor-7', role: 'auditor' },
  error: null,
  message: "Verifying every stream's hash chain and every checkpoint of the log",
};

const FINISHED_EXAMPLE: AuditVerification = {
  ...RUNNING_EXAMPLE,
  state: 'succeeded',
  ok: false,
  eventsChecked: 100_000,
  eventsTotal: 100_000,
  eventsTotalIsEstimate: false,
  streamsChecked: 24_000,
  checkpointsChecked: 99,
  signedHeadsChecked: 23_990,
  lastCheckpoint: 99,
  eventsAfterLastCheckpoint: 310,
  problemCount: 1,
  problems: [
    {
      code: 'STREAM_TRUNCATED',
      streamId: 'card-3b9f3c52-8a1e-4d4b-9c2f-5e6a7b8c9d0e',
      revision: 5,
      checkpoint: 97,
      message: 'card-3b9f3c52-8a1e-4d4b-9c2f-5e6a7b8c9d0e: the stream ends at revision 4, but checkpoint 97 signed its head at revision 6: revisions 5 to 6 were deleted',
    },
  ],
  problemCounts: { STREAM_TRUNCATED: 1 },
  finishedAt: '2026-11-23T09:00:02.100Z',
  message: '1 problem found in 100000 events in 24000 streams and 99 checkpoints: STREAM_TRUNCATED 1. 310 events are after checkpoint 99, protected by their hash chains until the next one.',
};

@ApiTags('audit')
@Controller(AUDIT_VERIFICATIONS_PATH)
@HonoursIdempotencyKey()
export class AuditVerificationsController {
  constructor(private readonly verifications: AuditVerifications) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Verify the whole event store: every stream\'s hash chain, every checkpoint\'s signature, every signed head',
    description:
      'Starts a verification in this instance and answers at once; it walks the whole log in the background, in position ' +
      'order: follow it at the `Location` given. It checks each stream\'s hash chain, each checkpoint\'s Ed25519 signature, ' +
      'numbering, link to the previous one and event count, and finally that every stream still holds the head the last ' +
      'checkpoint naming it signed (which shows deleted newest events, or a deleted stream). `ok` is false when it found a ' +
      'problem; each problem names the stream, the revision and a code. Every finished run is recorded as an ' +
      '`AuditVerificationCompleted` event in the stream `audit-verifications`. No body.',
  })
  @ApiAcceptedResponse({
    description: 'The verification, started; `Location` is its URL',
    headers: { Location: { description: 'The verification\'s URL, to follow it', schema: { type: 'string' } } },
    schema: { example: RUNNING_EXAMPLE },
  })
  @ApiConflictResponse({ description: 'A verification is already running in this instance: `verificationId` names it (AUDIT_VERIFICATION_RUNNING)' })
  async start(@RequestContext() ctx: CommandContext, @Res({ passthrough: true }) reply: FastifyReply): Promise<AuditVerification> {
    const verification = await this.verifications.start(ctx);
    void reply.header('Location', `/${AUDIT_VERIFICATIONS_PATH}/${verification.verificationId}`);
    return verification;
  }

  @Get(':verificationId')
  @ApiOperation({ summary: 'One verification: its progress while it runs (events checked, events/s), its result and problems after' })
  @ApiParam({ name: 'verificationId', description: 'The id the POST answered (a UUID)' })
  @ApiOkResponse({ description: 'The verification as it is now', schema: { example: FINISHED_EXAMPLE } })
  @ApiNotFoundResponse({ description: 'No verification of that id in this instance (each keeps its own in memory, the last 20 finished ones)' })
  get(@Param('verificationId', uuidParam('verificationId')) verificationId: string): AuditVerification {
    return this.verifications.get(verificationId);
  }
}
