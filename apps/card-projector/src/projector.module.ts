import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { DestinationStream } from 'pino';
import { AuditCheckpointsModule } from '@cards/application';
import {
  HealthController,
  InfrastructureModule,
  ProblemDetailsFilter,
  ProjectionsController,
  ProjectionsHost,
  structuredLogging,
  type AppConfig,
} from '@cards/platform';

/** The projectors alone: no commands, no queries, only the runner and a window on it. */
@Module({})
export class ProjectorModule {
  static forRoot(config: AppConfig, logDestination?: DestinationStream): DynamicModule {
    return {
      module: ProjectorModule,
      // The audit checkpoint loop runs where the projections run.
      imports: [structuredLogging(config, logDestination), InfrastructureModule.forRoot(config), AuditCheckpointsModule],
      controllers: [HealthController, ProjectionsController],
      providers: [ProjectionsHost, { provide: APP_FILTER, useClass: ProblemDetailsFilter }],
    };
  }
}
