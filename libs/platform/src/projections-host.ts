import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { EVENT_STORE, type EventStore } from '@cards/event-store';
import {
  PROJECTION_LEASE,
  ProjectionRunner,
  READ_STORE,
  type LeasedWorkHandle,
  type LeaseKeeper,
  type LeaseStatus,
  type Projection,
  type ProjectionStatus,
  type ReadStore,
} from '@cards/read-store';
import type { AppConfig } from './app-config';
import { APP_CONFIG, PROJECTIONS } from './infrastructure.module';

/**
 * Hosts the projection runner inside card-api (the embedded default: one process is the whole product) or
 * card-projector. With PROJECTIONS_IN_PROCESS=false the projections run elsewhere and this only reports on them.
 *
 * The runner runs only while this process holds the projections lease (LeaseKeeper, PROJECTION_LEASE_TTL_MS); so do
 * the notification reactor, the webhook relay and the audit and case loops, registered with the same keeper. A second
 * process started on the same stores waits on standby, and takes over when the holder stops or dies.
 */
@Injectable()
export class ProjectionsHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Projections');
  readonly runner: ProjectionRunner;
  private work: LeasedWorkHandle | undefined;

  constructor(
    @Inject(EVENT_STORE) eventStore: EventStore,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PROJECTIONS) private readonly projections: readonly Projection[],
    @Inject(PROJECTION_LEASE) readonly lease: LeaseKeeper,
  ) {
    this.runner = new ProjectionRunner(eventStore, readStore, projections, {
      logger: {
        log: (message, context) => this.logger.log({ ...context, msg: message }),
        warn: (message, context) => this.logger.warn({ ...context, msg: message }),
        error: (message, context) => this.logger.error({ ...context, msg: message }),
      },
      // A last check before each commit: a process that lost the lease writes nothing more, even mid-batch.
      mayCommit: () => lease.holds(),
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
    this.work = this.lease.register({
      name: 'projections',
      start: async () => {
        await this.runner.start();
        this.logger.log(`Projections running in this process: ${this.projections.map((p) => p.name).join(', ')}`);
      },
      stop: () => this.runner.stop(),
    });
    await this.lease.start();
    if (!this.runner.running) {
      // On standby the queries still read the read models: their collections and indexes must exist.
      await this.readStore.ensureCollections(this.projections.flatMap((p) => p.collections));
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.work?.close();
  }

  /** Whether this process competes for the lease but another holds it. */
  get standby(): boolean {
    return this.inProcess && !this.runner.running;
  }

  async status(): Promise<ProjectionStatus[]> {
    const items = await this.runner.status();
    return this.standby ? items.map((item) => ({ ...item, state: 'standby' as const, eventsPerSecond: 0, error: null })) : items;
  }

  /** The projections lease as the store has it, and this process's part in it. */
  leaseStatus(): Promise<LeaseStatus> {
    return this.lease.status();
  }
}
