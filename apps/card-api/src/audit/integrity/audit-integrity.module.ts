import { Module } from '@nestjs/common';
import { AuditCheckpointsModule, AuditVerifications, CardApplicationModule } from '@cards/application';
import { AuditCheckpointsController } from './checkpoints.controller';
import { AuditPublicKeyController } from './public-key.controller';
import { AuditVerificationsController } from './verifications.controller';

/**
 * Checkpoints and full verification: GET /v1/audit/public-key, POST /v1/audit/checkpoints, POST and GET
 * /v1/audit/verifications. The checkpoint loop comes with AuditCheckpointsModule (it runs only where the projections
 * run). One AuditVerifications per app, so at most one verification runs per process.
 */
@Module({
  // CardApplicationModule: the IdempotencyStore of the controllers' Idempotency-Key handling.
  imports: [AuditCheckpointsModule, CardApplicationModule],
  controllers: [AuditPublicKeyController, AuditCheckpointsController, AuditVerificationsController],
  providers: [AuditVerifications],
})
export class AuditIntegrityModule {}
