import { Module } from '@nestjs/common';
import { CardApplicationModule, CaseServiceLevelsModule } from '@cards/application';
import { CaseReadsController } from './case-reads.controller';
import { CaseWorkController } from './case-work.controller';
import { CaseSurveysController } from './case-surveys.controller';
import { AgentAvailabilityController } from './agent-availability.controller';
import { CasesReportController } from './cases-report.controller';
import { OpenCaseController } from './open-case.controller';

/** Customer service cases (docs/cases.md): opening, work on them, lists and workload; the service-level check where the projections run. */
@Module({
  imports: [CardApplicationModule, CaseServiceLevelsModule],
  // The reads before the work: /v1/cases/workload is not a case id.
  controllers: [OpenCaseController, AgentAvailabilityController, CaseReadsController, CaseWorkController, CasesReportController, CaseSurveysController],
})
export class CasesModule {}
