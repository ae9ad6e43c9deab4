import { Module } from '@nestjs/common';
import { CardApplicationModule, MasterKeyRotations } from '@cards/application';
import { MasterKeyRotationsController } from './master-key-rotations.controller';

/**
 * POST and GET /v1/admin/pii/master-key-rotations: rotating the PII master key as a job. One MasterKeyRotations
 * per app, so at most one rotation runs per process. Its ports (PersonalDataCipher, EVENT_STORE, CLOCK) come from
 * the global infrastructure module.
 */
@Module({
  // CardApplicationModule: the IdempotencyStore of the controller's Idempotency-Key handling.
  imports: [CardApplicationModule],
  controllers: [MasterKeyRotationsController],
  providers: [MasterKeyRotations],
})
export class MasterKeyRotationsModule {}
