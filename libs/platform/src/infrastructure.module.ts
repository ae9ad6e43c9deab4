import * as path from 'node:path';
import { Global, Inject, Logger, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import {
  accessLogProjection,
  AUDIT_CHECKPOINT_SETTINGS,
  AUDIT_KEYS,
  AUDIT_PUBLIC_KEYS,
  auditKeysFrom,
  type AuditKeys,
  type AuditCheckpointSettings,
  auditHeadsProjection,
  reviewsProjection,
  notificationsProjection,
  numbersProjection,
  NUMBER_SETTINGS,
  CASE_SETTINGS,
  CASE_SURVEY_LINKS,
  CaseSurveyLinks,
  CASE_SERVICE_LEVEL_LOOP,
  casesProjection,
  CARD_POLICY,
  CLOCK,
  customersProjection,
  IDENTITY_PROVIDER,
  MAX_SIMS_PER_ID,
  PersonalDataEventCodec,
  READ_YOUR_WRITES_TIMEOUT_MS,
  STUCK_CARD_SLAS,
  systemClock,
  type CardPolicy,
} from '@cards/application';
import {
  ALL_PROJECTIONS,
  connectMongoReadStore,
  LeaseKeeper,
  PROJECTION_LEASE,
  READ_STORE,
  SqliteReadStore,
  type Projection,
  type ReadStore,
} from '@cards/read-store';
import { connectEventStoreDb, EVENT_STORE, SqliteEventStore, type EventStore } from '@cards/event-store';
import {
  CARD_VERIFICATION,
  connectMongoDataKeyStore,
  DATA_KEY_STORE,
  LookupHasher,
  MasterKeyRing,
  PanFingerprinter,
  PersonalDataCipher,
  SqliteDataKeyStore,
  VisaCvvCardVerification,
  type DataKeyStore,
} from '@cards/security';
import type { AppConfig } from './app-config';
import { identityProviderFor } from './identity/not-configured-identity-provider';

export const APP_CONFIG = Symbol('APP_CONFIG');

/** Every projection the service runs (Projection[]), in the order GET /v1/projections lists them. */
export const PROJECTIONS = Symbol('PROJECTIONS');

/** Describes where events live, for logs and start-up messages. */
export function describeEventStore(config: AppConfig): string {
  return config.eventStore.kind === 'sqlite'
    ? `sqlite at ${path.join(config.dataDir, 'events.db')}`
    : 'eventstoredb (EVENTSTORE_CONNECTION_STRING)';
}

// The EventStoreDB and MongoDB adapters are loaded only when configured (connect…): on the embedded SQLite stores
// their drivers would cost some 10 MiB of live heap and 13 MiB of resident memory for nothing (docs/performance.md).
function openEventStore(config: AppConfig): Promise<EventStore> | EventStore {
  if (config.eventStore.kind === 'eventstoredb') return connectEventStoreDb(config.eventStore.connectionString);
  return SqliteEventStore.open(path.join(config.dataDir, 'events.db'), { checkpointInBackground: true });
}

/** Describes where read models live, for logs and start-up messages. */
export function describeReadStore(config: AppConfig): string {
  return config.readStore.kind === 'sqlite' ? `sqlite at ${path.join(config.dataDir, 'read-models.db')}` : 'mongodb (MONGODB_URL)';
}

function openReadStore(config: AppConfig): Promise<ReadStore> | ReadStore {
  if (config.readStore.kind === 'mongodb') return connectMongoReadStore(config.readStore.url);
  return SqliteReadStore.open(path.join(config.dataDir, 'read-models.db'), { checkpointInBackground: true });
}

/** The projections lease of this process (docs/read-side.md, "One process runs them: the lease"). */
function projectionLease(config: AppConfig, readStore: ReadStore): LeaseKeeper {
  const logger = new Logger('ProjectionLease');
  return new LeaseKeeper(readStore, {
    ttlMs: config.projectionLeaseTtlMs,
    // The embedded SQLite file is shared only by processes of one machine: a dead holder's lease is taken at once.
    reclaimFromDeadLocalHolders: config.readStore.kind === 'sqlite',
    logger: {
      log: (message) => logger.log(message),
      warn: (message) => logger.warn(message),
      error: (message, error) => logger.error({ err: error, msg: message }),
    },
  });
}

/** Customers' data keys live apart from the events: their own SQLite file, or a MongoDB collection. */
function openDataKeyStore(config: AppConfig): Promise<DataKeyStore> | DataKeyStore {
  if (config.readStore.kind === 'mongodb') return connectMongoDataKeyStore(config.readStore.url);
  return SqliteDataKeyStore.open(path.join(config.dataDir, 'keys.db'));
}

/** The adapters behind the application's ports, chosen by configuration. One place decides them all. */
@Global()
@Module({})
export class InfrastructureModule implements OnApplicationShutdown {
  private readonly logger = new Logger(InfrastructureModule.name);

  constructor(
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(DATA_KEY_STORE) private readonly dataKeys: DataKeyStore,
    @Inject(PROJECTION_LEASE) private readonly lease: LeaseKeeper,
  ) {}

  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: InfrastructureModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: EVENT_STORE, useFactory: () => openEventStore(config) },
        { provide: READ_STORE, useFactory: () => openReadStore(config) },
        { provide: PROJECTION_LEASE, inject: [READ_STORE], useFactory: (readStore: ReadStore) => projectionLease(config, readStore) },
        { provide: READ_YOUR_WRITES_TIMEOUT_MS, useValue: config.readYourWritesTimeoutMs },
        { provide: STUCK_CARD_SLAS, useValue: config.stuckCardSlas },
        { provide: CLOCK, useValue: systemClock },
        {
          provide: CARD_POLICY,
          useValue: {
            identityScoreThresholds: config.identity.thresholds,
          } satisfies CardPolicy,
        },
        { provide: MAX_SIMS_PER_ID, useValue: config.maxSimsPerId },
        { provide: NUMBER_SETTINGS, useValue: config.numbers },
        { provide: CASE_SETTINGS, useValue: config.cases },
        {
          provide: CASE_SURVEY_LINKS,
          useValue: new CaseSurveyLinks(config.keys.piiLookupKey, config.cases.surveyLinkDays, config.cases.surveyPageUrl),
        },
        { provide: CASE_SERVICE_LEVEL_LOOP, useValue: config.projectionsInProcess },
        { provide: IDENTITY_PROVIDER, useFactory: () => identityProviderFor(config.identity.provider) },
        { provide: PanFingerprinter, useValue: new PanFingerprinter(config.keys.panFingerprintKey) },
        { provide: CARD_VERIFICATION, useValue: new VisaCvvCardVerification(config.keys.cardCvk) },
        { provide: DATA_KEY_STORE, useFactory: () => openDataKeyStore(config) },
        {
          provide: PersonalDataCipher,
          inject: [DATA_KEY_STORE],
          useFactory: (store: DataKeyStore) => new PersonalDataCipher({ store, ring: MasterKeyRing.parse(config.keys.piiMasterKey) }),
        },
        { provide: LookupHasher, useValue: new LookupHasher(config.keys.piiLookupKey) },
        { provide: AUDIT_KEYS, useValue: auditKeysFrom(config.keys.auditSigningKey, config.audit.formerPublicKeysPem) },
        { provide: AUDIT_PUBLIC_KEYS, inject: [AUDIT_KEYS], useFactory: (keys: AuditKeys) => keys.verificationKeys },
        {
          provide: AUDIT_CHECKPOINT_SETTINGS,
          useValue: { every: config.audit.checkpointEvery, runLoop: config.projectionsInProcess } satisfies AuditCheckpointSettings,
        },
        {
          provide: PROJECTIONS,
          inject: [PersonalDataCipher, LookupHasher],
          useFactory: (cipher: PersonalDataCipher, lookup: LookupHasher): Projection[] => [
            ...ALL_PROJECTIONS,
            customersProjection(new PersonalDataEventCodec(cipher), lookup),
            accessLogProjection,
            auditHeadsProjection,
            reviewsProjection,
            notificationsProjection,
            numbersProjection,
            casesProjection,
          ],
        },
      ],
      exports: [APP_CONFIG, EVENT_STORE, READ_STORE, PROJECTION_LEASE, READ_YOUR_WRITES_TIMEOUT_MS, STUCK_CARD_SLAS, CLOCK, CARD_POLICY, MAX_SIMS_PER_ID, NUMBER_SETTINGS, CASE_SETTINGS, CASE_SURVEY_LINKS, CASE_SERVICE_LEVEL_LOOP, IDENTITY_PROVIDER, PanFingerprinter, CARD_VERIFICATION, DATA_KEY_STORE, PersonalDataCipher, LookupHasher, PROJECTIONS, AUDIT_KEYS, AUDIT_PUBLIC_KEYS, AUDIT_CHECKPOINT_SETTINGS],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    // The work under the lease stopped in beforeApplicationShutdown; give the lease up before the store closes.
    await this.lease.stop();
    await this.readStore.close();
    await this.dataKeys.close();
    await this.eventStore.close();
    this.logger.log('Stores closed');
  }
}
