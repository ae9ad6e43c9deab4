import { Module } from '@nestjs/common';
import { MasterKeyRotations } from '@cards/application';
import { MasterKeyRotationsController } from './master-key-rotations.controller';

/**
 * POST and GET /v1/admin/pii/master-key-rotations: rotating the PII master key as a job. One MasterKeyRotations
 * per app, so at most one rotation runs per process. Its ports (PersonalDataCipher, EVENT_STORE, CLOCK) come from
 * the global infrastructure module.
 */
@Module({
  controllers: [MasterKeyRotationsController],
  providers: [MasterKeyRotations],
})
export class MasterKeyRotationsModule {}
