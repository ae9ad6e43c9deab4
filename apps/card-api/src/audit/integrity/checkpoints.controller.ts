import { Controller, HttpCode, Post, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AuditCheckpointer, type CommandContext } from '@cards/application';
import { formatPosition, type SignedCheckpoint } from '@cards/event-store';
import { RequestContext } from '../../http/request-context';
import { HonoursIdempotencyKey } from '../../http/idempotency.interceptor';

/** 201: the checkpoint just signed (the last one, when several were), where its event is, how many were signed. */
export type CheckpointSigned = SignedCheckpoint & {
  readonly signed: true;
  /** The global position of its AuditCheckpointSigned event. */
  readonly position: string;
  /** The revision of that event in the stream audit-checkpoints. */
  readonly revision: number;
  /** Checkpoints signed by this request (more than one when more streams changed than one may name). */
  readonly checkpointsSigned: number;
};

/** 200: nothing was written since the last checkpoint. */
export interface NothingToSign {
  readonly signed: false;
  readonly message: string;
  /** The last checkpoint, if any. */
  readonly latest: { readonly checkpoint: number; readonly upToPosition: string; readonly position: string } | null;
}

const SIGNED_EXAMPLE = {
  signed: true,
  checkpoint: 42,
  previousCheckpointHash: '9b1c…',
  fromPosition: '41000',
  upToPosition: '42003',
  eventCount: 1003,
  streams: [{ streamId: 'card-3b9f3c52-8a1e-4d4b-9c2f-5e6a7b8c9d0e', revision: 4, hash: '5e0d…' }],
  signedAt: '2026-11-23T09:00:00.000Z',
  keyId: '3f9c2a7e5b1d4c8a',
  checkpointHash: 'c7a2…',
  signature: 'mB3…==',
  position: '42004',
  revision: 41,
  checkpointsSigned: 1,
};

@ApiTags('audit')
@Controller('v1/audit/checkpoints')
@HonoursIdempotencyKey()
export class AuditCheckpointsController {
  constructor(private readonly checkpointer: AuditCheckpointer) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Sign an audit checkpoint now, over everything written since the last one',
    description:
      'The service signs one by itself every AUDIT_CHECKPOINT_EVERY events; this signs one now, e.g. before an export or at ' +
      'the end of a day. A checkpoint holds the head (last revision and hash) of every stream changed since the previous ' +
      'checkpoint and that checkpoint\'s hash, signed with Ed25519 (GET /v1/audit/public-key), and is appended to the stream ' +
      '`audit-checkpoints` as an `AuditCheckpointSigned` event. No body.',
  })
  @ApiCreatedResponse({ description: 'Signed: the checkpoint, with the position and revision of its event', schema: { example: SIGNED_EXAMPLE } })
  @ApiOkResponse({
    description: 'Nothing was written since the last checkpoint: nothing signed',
    schema: { example: { signed: false, message: 'Nothing to sign: no event was written after checkpoint 42 (up to position 42003)', latest: { checkpoint: 42, upToPosition: '42003', position: '42004' } } },
  })
  async sign(@RequestContext() ctx: CommandContext, @Res({ passthrough: true }) reply: FastifyReply): Promise<CheckpointSigned | NothingToSign> {
    const outcome = await this.checkpointer.signNow(ctx);
    if (!outcome.signed) {
      void reply.status(200);
      const latest = outcome.latest;
      return {
        signed: false,
        message: outcome.message,
        latest: latest === null ? null : { checkpoint: latest.checkpoint.checkpoint, upToPosition: latest.checkpoint.upToPosition, position: formatPosition(latest.position) },
      };
    }
    const newest = outcome.checkpoints[outcome.checkpoints.length - 1];
    return {
      signed: true,
      ...newest.checkpoint,
      position: formatPosition(newest.position),
      revision: Number(newest.revision),
      checkpointsSigned: outcome.checkpoints.length,
    };
  }
}
