import { Module } from '@nestjs/common';
import { AuditCheckpointLoop } from './audit-checkpoint-loop';
import { AuditCheckpointer } from './audit-checkpointer';

/**
 * Signed audit checkpoints: the checkpointer (signNow, for an auditor's request and for the loop) and the loop that
 * signs every AUDIT_CHECKPOINT_EVERY events where the projections run. Imported by card-api and card-projector; its
 * ports (EVENT_STORE, CLOCK, AUDIT_KEYS, AUDIT_CHECKPOINT_SETTINGS) come from the global infrastructure module.
 */
@Module({
  providers: [AuditCheckpointer, AuditCheckpointLoop],
  exports: [AuditCheckpointer],
})
export class AuditCheckpointsModule {}
