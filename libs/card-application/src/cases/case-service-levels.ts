import { Inject, Injectable, Logger, Module, Optional, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { DomainError, type ServiceLevel } from '@cards/domain';
import { PROJECTION_LEASE, READ_STORE, runUnderLease, type Filter, type LeasedWorkHandle, type LeaseKeeper, type ReadStore } from '@cards/read-store';
import { AggregateRunner } from '../shared/aggregate-runner';
import { CLOCK, type Clock } from '../shared/clock';
import type { CommandContext } from '../shared/command-context';
import { EVENT_CODEC } from '../shared/event-codec';
import { PersonalDataEventCodec } from '../shared/personal-data-codec';
import { CaseCommandExecutor } from './case-commands';
import { CASE_SETTINGS, type CaseSettings } from './case-settings';
import { CASES, type CaseDocument } from './cases.projection';

/** Whether this process runs the periodic check (where the projections run: PROJECTIONS_IN_PROCESS, card-projector). */
export const CASE_SERVICE_LEVEL_LOOP = Symbol('CASE_SERVICE_LEVEL_LOOP');

/** At most this many escalations per check; the next check takes the rest. */
const BATCH = 200;

export interface ServiceLevelCheckResult {
  readonly checkedAt: string;
  readonly escalated: { readonly caseId: string; readonly breach: ServiceLevel }[];
}

/**
 * Escalates the open cases past a service-level deadline (docs/cases.md, "Service levels"). The candidates come from
 * the `cases` read model (open, deadline passed, not yet escalated for it); each is then decided on the case's own
 * stream with the clock's `now`, which checks the breach again, so a read model that trails the log can only delay
 * an escalation, never make a wrong one. The escalation's Idempotency-Key is derived from the case, the level and the
 * deadline: two processes checking at once write it once.
 */
@Injectable()
export class CaseServiceLevelCheck {
  private readonly logger = new Logger(CaseServiceLevelCheck.name);

  constructor(
    private readonly cases: CaseCommandExecutor,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(CASE_SETTINGS) private readonly settings: CaseSettings,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async checkOnce(): Promise<ServiceLevelCheckResult> {
    const now = this.clock.now().toISOString();
    const escalated: ServiceLevelCheckResult['escalated'] = [];
    const candidates: { doc: CaseDocument; breach: ServiceLevel }[] = [];
    const firstResponse: Filter = { open: true, firstRespondedAt: null, firstResponseBreached: false, firstResponseDueAt: { $lt: now } };
    const resolution: Filter = { open: true, resolutionBreached: false, resolutionDueAt: { $lt: now } };
    for (const doc of await this.readStore.find(CASES, { filter: firstResponse, sort: [{ field: 'firstResponseDueAt', direction: 'asc' }], limit: BATCH })) {
      candidates.push({ doc: doc as unknown as CaseDocument, breach: 'FIRST_RESPONSE' });
    }
    for (const doc of await this.readStore.find(CASES, { filter: resolution, sort: [{ field: 'resolutionDueAt', direction: 'asc' }], limit: BATCH })) {
      candidates.push({ doc: doc as unknown as CaseDocument, breach: 'RESOLUTION' });
    }
    for (const { doc, breach } of candidates) {
      const dueAt = breach === 'FIRST_RESPONSE' ? doc.firstResponseDueAt : doc.resolutionDueAt;
      const toTeam = this.settings.routing.teams[doc.team]?.escalateTo ?? null;
      try {
        const outcome = await this.cases.execute(doc.caseId, systemContext(`service-level:${doc.caseId}:${breach}:${dueAt}`), () => ({
          type: 'EscalateCase',
          breach,
          toTeam,
          now,
        }));
        if (!outcome.replayed) escalated.push({ caseId: doc.caseId, breach });
      } catch (error) {
        // Escalated meanwhile, answered, resolved: the stream knows better than the read model. Nothing to do.
        if (error instanceof DomainError && (error.kind === 'conflict' || error.kind === 'not_found')) continue;
        throw error;
      }
    }
    if (escalated.length > 0) this.logger.log({ escalated: escalated.length }, `Escalated ${escalated.length} case(s) past a service level`);
    return { checkedAt: now, escalated };
  }
}

function systemContext(idempotencyKey: string): CommandContext {
  return { actor: { id: 'service-level-check', role: 'system' }, correlationId: idempotencyKey, causationId: 'service-level-check', idempotencyKey };
}

/**
 * Runs checkOnce every CASE_SLA_CHECK_MS where the projections run, while that process holds the projections lease;
 * a failure is logged and the next check goes on.
 */
@Injectable()
export class CaseServiceLevelLoop implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(CaseServiceLevelLoop.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = true;
  private work: LeasedWorkHandle | undefined;

  constructor(
    private readonly check: CaseServiceLevelCheck,
    @Inject(CASE_SETTINGS) private readonly settings: CaseSettings,
    @Inject(CASE_SERVICE_LEVEL_LOOP) private readonly runLoop: boolean,
    @Optional() @Inject(PROJECTION_LEASE) private readonly lease?: LeaseKeeper,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.runLoop) return;
    this.work = runUnderLease(this.lease, {
      name: 'case service levels',
      start: () => {
        if (!this.stopped) return;
        this.stopped = false;
        this.schedule();
        this.logger.log(`Checking the service levels of open cases every ${this.settings.serviceLevelCheckMs} ms in this process`);
      },
      stop: () => this.stop(),
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await (this.work?.close() ?? this.stop());
  }

  /** Stops scheduling checks and waits for the one under way. */
  private async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.check
        .checkOnce()
        .catch((error: unknown) => this.logger.warn({ err: error }, `Case service levels: ${(error as Error).message ?? String(error)}`))
        .finally(() => this.schedule());
    }, this.settings.serviceLevelCheckMs);
    this.timer.unref();
  }
}

/**
 * The service-level check and its loop, for card-api and card-projector; its ports (EVENT_STORE, READ_STORE, CLOCK,
 * CASE_SETTINGS, CASE_SERVICE_LEVEL_LOOP, PersonalDataCipher) come from the global infrastructure module.
 */
@Module({
  providers: [{ provide: EVENT_CODEC, useClass: PersonalDataEventCodec }, AggregateRunner, CaseCommandExecutor, CaseServiceLevelCheck, CaseServiceLevelLoop],
  exports: [CaseServiceLevelCheck],
})
export class CaseServiceLevelsModule {}
