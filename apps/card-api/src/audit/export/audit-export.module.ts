import { Module } from '@nestjs/common';
import { AuditExport } from './audit-export';
import { AuditExportController } from './audit-export.controller';

/** GET /v1/audit/export (docs/audit.md). Its ports (EVENT_STORE, CLOCK) come from the global infrastructure module. */
@Module({
  controllers: [AuditExportController],
  providers: [AuditExport],
})
export class AuditExportModule {}
