import { Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { MasterKeyRotations, type CommandContext, type MasterKeyRotation } from '@cards/application';
import { RequestContext } from '../../http/request-context';
import { uuidParam } from '../../http/validation';
import { HonoursIdempotencyKey } from '../../http/idempotency.interceptor';

export const MASTER_KEY_ROTATIONS_PATH = 'v1/admin/pii/master-key-rotations';

const ROTATION_EXAMPLE: MasterKeyRotation = {
  rotationId: '5b0e7c1a-2f4d-4e8b-9a3c-1d2e3f4a5b6c',
  state: 'running',
  fromMasterKeyIds: ['k1'],
  toMasterKeyId: 'k2',
  total: 120_000,
  rewrapped: 45_500,
  skipped: 0,
  failed: 0,
  failures: [],
  remaining: null,
  startedAt: '2026-11-23T09:00:00.000Z',
  finishedAt: null,
  startedBy: { id: 'ops-1', role: 'admin' },
  error: null,
  message: "Rewrapping 120000 data keys from 'k1' to 'k2'",
};

const FINISHED_EXAMPLE: MasterKeyRotation = {
  ...ROTATION_EXAMPLE,
  state: 'succeeded',
  rewrapped: 120_000,
  remaining: 0,
  finishedAt: '2026-11-23T09:04:10.000Z',
  message:
    "Rewrapped 120000 of 120000 data keys from 'k1' to 'k2' (0 skipped, 0 failed). No data key is left under 'k1': once every " +
    "instance runs with 'k2' first, remove 'k1' from PII_MASTER_KEY and restart.",
};

@ApiTags('admin')
@Controller(MASTER_KEY_ROTATIONS_PATH)
@HonoursIdempotencyKey()
export class MasterKeyRotationsController {
  constructor(private readonly rotations: MasterKeyRotations) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Rotate the PII master key: rewrap every data key still under an older key of PII_MASTER_KEY',
    description:
      'Starts a rotation in this instance and answers once the keys to rewrap are counted (`total`); the rewrapping goes on in ' +
      'the background: follow it at the `Location` given. Events are never rewritten (they hold data-key ciphertext only). ' +
      'Before: put the new key first in PII_MASTER_KEY, keeping the old one, and restart every instance. After: when ' +
      '`state` is "succeeded" with `failed` 0 and `remaining` 0, the old key can leave PII_MASTER_KEY. With only one key ' +
      'in PII_MASTER_KEY there is nothing to do: the answer is a rotation that already succeeded, with `total` 0 and a ' +
      '`message` saying so. Safe to run again at any time; every finished rotation is recorded as a ' +
      '`PersonalDataMasterKeyRotated` event in the stream `pii-master-key-rotations`. No body.',
  })
  @ApiAcceptedResponse({
    description: 'The rotation, started (or already finished when there was nothing to do); `Location` is its URL',
    headers: { Location: { description: 'The rotation\'s URL, to follow it', schema: { type: 'string' } } },
    schema: { example: ROTATION_EXAMPLE },
  })
  @ApiConflictResponse({ description: 'A rotation is already running in this instance: `rotationId` names it (MASTER_KEY_ROTATION_RUNNING)' })
  async start(@RequestContext() ctx: CommandContext, @Res({ passthrough: true }) reply: FastifyReply): Promise<MasterKeyRotation> {
    const rotation = await this.rotations.start(ctx);
    void reply.header('Location', `/${MASTER_KEY_ROTATIONS_PATH}/${rotation.rotationId}`);
    return rotation;
  }

  @Get(':rotationId')
  @ApiOperation({ summary: 'One master key rotation: its state and counts (rewrapped out of total), while it runs and after' })
  @ApiParam({ name: 'rotationId', description: 'The id the POST answered (a UUID)' })
  @ApiOkResponse({ description: 'The rotation as it is now', schema: { example: FINISHED_EXAMPLE } })
  @ApiNotFoundResponse({
    description: 'No rotation of that id in this instance (each instance keeps its own rotations in memory, the last 20 finished ones)',
  })
  get(@Param('rotationId', uuidParam('rotationId')) rotationId: string): MasterKeyRotation {
    return this.rotations.get(rotationId);
  }
}
