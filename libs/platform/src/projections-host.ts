import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { EVENT_STORE, type EventStore } from '@cards/event-store';
import { ProjectionRunner, READ_STORE, type Projection, type ProjectionStatus, type ReadStore } from '@cards/read-store';
import type { AppConfig } from './app-config';
import { APP_CONFIG, PROJECTIONS } from './infrastructure.module';

/**
 * Hosts the projection runner inside card-api (the embedded default: one process is the whole product).
 * With PROJECTIONS_IN_PROCESS=false the projections run elsewhere and this only reports on them.
 */
@Injectable()
export class ProjectionsHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Projections');
  readonly runner: ProjectionRunner;

  constructor(
    @Inject(EVENT_STORE) eventStore: EventStore,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PROJECTIONS) private readonly projections: readonly Projection[],
  ) {
    this.runner = new ProjectionRunner(eventStore, readStore, projections, {
      logger: {
        log: (message, context) => this.logger.log({ ...context, msg: message }),
        warn: (message, context) => this.logger.warn({ ...context, msg: message }),
        error: (message, context) => this.logger.error({ ...context, msg: message }),
      },
    });
  }

  get inProcess(): boolean {
    return this.config.projectionsInProcess;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.inProcess) {
      await this.readStore.ensureCollections(this.projections.flatMap((p) => p.collections));
      this.logger.log('PROJECTIONS_IN_PROCESS=false: projections run in card-projector');
      return;
    }
    await this.runner.start();
    this.logger.log(`Projections running in this process: ${this.projections.map((p) => p.name).join(', ')}`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.inProcess) await this.runner.stop();
  }

  status(): Promise<ProjectionStatus[]> {
    return this.runner.status();
  }
}
