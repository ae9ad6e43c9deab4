import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER } from '@nestjs/core';
import type { DestinationStream } from 'pino';
import { AuditCheckpointsModule, CaseServiceLevelsModule } from '@cards/application';
import { NotificationReactorModule } from '@cards/notifications';
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
      // The audit checkpoint loop, the case service-level check, the notification reactor and the webhook relay run where the projections run.
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => ({ app: config })] }),
        structuredLogging(config, logDestination),
        InfrastructureModule.forRoot(config),
        AuditCheckpointsModule,
        CaseServiceLevelsModule,
        NotificationReactorModule,
      ],
      controllers: [HealthController, ProjectionsController],
      providers: [ProjectionsHost, { provide: APP_FILTER, useClass: ProblemDetailsFilter }],
    };
  }
}
