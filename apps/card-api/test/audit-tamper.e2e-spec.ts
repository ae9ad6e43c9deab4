import { createHash, createPublicKey, randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { AuditCheckpointer, auditKeysFrom, type AuditVerification } from '@cards/application';
import {
  AUDIT_STREAM,
  checkCheckpoint,
  eventHash,
  signedBytes,
  SqliteEventStore,
  EVENT_STORE,
  type EventStore,
  type EventToAppend,
  type JsonObject,
  type SignedCheckpoint,
} from '@cards/event-store';
import { verifyAll } from '../../card-cli/src/verify-all';
import { createProjector, loadProjectorConfig } from '../../card-projector/src/projector.factory';
import { activeDebitCard } from './support/lifecycle-steps';
import { capturedOutput, listenOnLoopback, newDataDir, removeDataDir, startTestApp, TEST_JWT_SECRET, type TestApp } from './support/test-app';

const VERIFICATIONS = '/v1/audit/verifications';
const CHECKPOINTS = '/v1/audit/checkpoints';

/** Starts a verification through the API and follows it to its end. */
async function verifyThroughApi(t: TestApp, token: string): Promise<AuditVerification> {
  const started = await t.http(token).post(VERIFICATIONS).expect(202);
  expect(started.headers.location).toBe(`${VERIFICATIONS}/${started.body.verificationId}`);
  for (;;) {
    const res = await t.http(token).get(started.headers.location).expect(200);
    if (res.body.state !== 'running') return res.body as AuditVerification;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The problems of a verification as `CODE stream@revision`. */
const found = (v: AuditVerification): string[] => v.problems.map((p) => `${p.code} ${p.streamId}@${p.revision}`);

/** A copy of an untouched DATA_DIR, to tamper with on its own. */
function copyOf(dataDir: string): string {
  const copy = newDataDir();
  fs.cpSync(dataDir, copy, { recursive: true });
  return copy;
}

/** Opens DATA_DIR/events.db as an attacker would: straight through SQLite, behind the service's back. */
function tamper(dataDir: string, change: (db: Database.Database) => void): void {
  const db = new Database(path.join(dataDir, 'events.db'));
  try {
    db.transaction(() => change(db))();
  } finally {
    db.close();
  }
}

interface EventRow {
  position: number;
  revision: number;
  type: string;
  data: string;
  metadata: string;
}

const rowOf = (db: Database.Database, streamId: string, revision: number): EventRow =>
  db.prepare('SELECT position, revision, type, data, metadata FROM events WHERE stream_id = ? AND revision = ?').get(streamId, revision) as EventRow;

describe('audit: signed checkpoints and a full verification find every kind of tampering with the SQLite store', () => {
  const untouched = newDataDir();
  const streams: Record<'changed' | 'gap' | 'truncated' | 'deleted' | 'swapped', string> = { changed: '', gap: '', truncated: '', deleted: '', swapped: '' };
  let lastCheckpointRevision: number;
  let auditor: string;

  beforeAll(async () => {
    const t = await startTestApp(untouched);
    try {
      auditor = await t.token({ roles: ['auditor'], sub: 'auditor-7' });
      const admin = await t.token({ roles: ['admin'], sub: 'ops-1' });
      // Five active cards, and a first checkpoint over them (an auditor's request).
      const cards = [];
      for (let i = 0; i < 5; i++) cards.push(await activeDebitCard(t));
      [streams.changed, streams.gap, streams.truncated, streams.deleted, streams.swapped] = cards.map((c) => `card-${c.cardId}`);
      const first = await t.http(auditor).post(CHECKPOINTS).expect(201);
      expect(first.body).toMatchObject({ signed: true, checkpoint: 1, fromPosition: null, checkpointsSigned: 1, revision: 0 });

      // One card is suspended and reinstated (revisions 4 and 5), another card issued; an admin signs checkpoint 2.
      const truncated = cards[2].cardId;
      await t.http().post(`/v1/cards/${truncated}/suspend`).send({ reason: 'LOST' }).expect(200);
      await t.http().post(`/v1/cards/${truncated}/reinstate`).send({ reason: 'Found' }).expect(200);
      await activeDebitCard(t);
      const second = await t.http(admin).post(CHECKPOINTS).expect(201);
      expect(second.body).toMatchObject({ signed: true, checkpoint: 2, previousCheckpointHash: first.body.checkpointHash, fromPosition: first.body.upToPosition });
      expect(second.body.streams).toContainEqual(expect.objectContaining({ streamId: streams.truncated, revision: 5 }));
      lastCheckpointRevision = second.body.revision;

      const nothing = await t.http(auditor).post(CHECKPOINTS).expect(200);
      expect(nothing.body).toEqual({
        signed: false,
        message: `Nothing to sign: no event was written after checkpoint 2 (up to position ${second.body.upToPosition})`,
        latest: { checkpoint: 2, upToPosition: second.body.upToPosition, position: second.body.position },
      });

      // The published key verifies the checkpoints; anyone may read it.
      const key = await t.http(null).get('/v1/audit/public-key').expect(200);
      expect(key.body).toMatchObject({ algorithm: 'Ed25519', keyId: second.body.keyId, formerKeys: [] });
      expect(Buffer.from(key.body.publicKeyBase64, 'base64')).toHaveLength(32);
      const { signed: _signed, position: _position, revision: _revision, checkpointsSigned: _count, ...checkpoint } = second.body;
      expect(checkCheckpoint(checkpoint, [createPublicKey(key.body.publicKeyPem)])).toBeNull();

      const clean = await verifyThroughApi(t, auditor);
      expect(clean).toMatchObject({ state: 'succeeded', ok: true, checkpointsChecked: 2, problemCount: 0, startedBy: { id: 'auditor-7', role: 'auditor' } });
    } finally {
      await t.close();
    }
  });
  afterAll(() => removeDataDir(untouched));

  it('lets auditors and admins sign and verify, and nobody else', async () => {
    const t = await startTestApp(copyOf(untouched));
    try {
      for (const role of ['issuer', 'agent', 'analyst']) {
        const token = await t.token({ roles: [role] });
        await t.http(token).post(CHECKPOINTS).expect(403);
        await t.http(token).post(VERIFICATIONS).expect(403);
      }
      await t.http(null).post(VERIFICATIONS).expect(401);
      await t.http(auditor).get(`${VERIFICATIONS}/${randomUUID()}`).expect(404);
      await t.http(auditor).get(`${VERIFICATIONS}/not-a-uuid`).expect(400);
      // One at a time per instance: a second start while one runs is a 409 naming it.
      const running = await t.http(auditor).post(VERIFICATIONS).expect(202);
      const again = await t.http(auditor).post(VERIFICATIONS);
      if (again.status === 409) expect(again.body).toMatchObject({ code: 'AUDIT_VERIFICATION_RUNNING', verificationId: running.body.verificationId });
      else expect(again.status).toBe(202); // the first one had already finished: the store is small
    } finally {
      await t.close();
      removeDataDir(t.dataDir);
    }
  });

  /** Tampers with a fresh copy of the untouched DATA_DIR, restarts the service on it and verifies through the API. */
  async function verifyAfter(change: (db: Database.Database) => void): Promise<AuditVerification> {
    const dataDir = copyOf(untouched);
    tamper(dataDir, change);
    const t = await startTestApp(dataDir);
    try {
      const verification = await verifyThroughApi(t, auditor);
      expect(verification).toMatchObject({ state: 'succeeded', ok: false });
      expect(verification.problemCount).toBe(verification.problems.length);
      return verification;
    } finally {
      await t.close();
      removeDataDir(dataDir);
    }
  }

  it('finds one byte of an event\'s data changed: HASH_MISMATCH at that event', async () => {
    const verification = await verifyAfter((db) => {
      const row = rowOf(db, streams.changed, 1);
      const at = row.data.indexOf(':"') + 2; // the first character of the first text value
      const changed = `${row.data.slice(0, at)}${row.data[at] === 'X' ? 'Y' : 'X'}${row.data.slice(at + 1)}`;
      db.prepare('UPDATE events SET data = ? WHERE position = ?').run(changed, row.position);
    });
    expect(found(verification)).toEqual([`HASH_MISMATCH ${streams.changed}@1`]);
  });

  it('finds an event deleted in the middle of a stream: REVISION_GAP at it (and the checkpoint over it counts one more)', async () => {
    const verification = await verifyAfter((db) => {
      db.prepare('DELETE FROM events WHERE stream_id = ? AND revision = 1').run(streams.gap);
    });
    expect(found(verification)).toEqual([`REVISION_GAP ${streams.gap}@1`, `EVENT_COUNT_MISMATCH ${AUDIT_STREAM}@0`]);
  });

  it('finds the newest events of a stream deleted after a checkpoint signed them (streams table kept consistent): STREAM_TRUNCATED at the first one gone', async () => {
    const verification = await verifyAfter((db) => {
      db.prepare('DELETE FROM events WHERE stream_id = ? AND revision >= 4').run(streams.truncated);
    });
    expect(found(verification)).toEqual([`EVENT_COUNT_MISMATCH ${AUDIT_STREAM}@1`, `STREAM_TRUNCATED ${streams.truncated}@4`]);
    expect(verification.problems[1]).toMatchObject({ checkpoint: 2, message: `${streams.truncated}: the stream ends at revision 3, but checkpoint 2 signed its head at revision 5: revisions 4 to 5 were deleted` });
  });

  it('finds a whole stream deleted: STREAM_MISSING', async () => {
    const verification = await verifyAfter((db) => {
      db.prepare('DELETE FROM events WHERE stream_id = ?').run(streams.deleted);
    });
    expect(found(verification)).toEqual([`EVENT_COUNT_MISMATCH ${AUDIT_STREAM}@0`, `STREAM_MISSING ${streams.deleted}@3`]);
  });

  it('finds two events of a stream swapped: PREV_HASH_MISMATCH at the first of the two places', async () => {
    const verification = await verifyAfter((db) => {
      const [one, two] = [rowOf(db, streams.swapped, 1), rowOf(db, streams.swapped, 2)];
      const swap = db.prepare('UPDATE events SET type = ?, data = ?, metadata = ? WHERE position = ?');
      swap.run(two.type, two.data, two.metadata, one.position);
      swap.run(one.type, one.data, one.metadata, two.position);
    });
    expect(found(verification)).toEqual([`PREV_HASH_MISMATCH ${streams.swapped}@1`]);
  });

  it('finds a forged checkpoint (a signed head dropped, checkpointHash and the event\'s hash recomputed, the signature kept): BAD_SIGNATURE at it', async () => {
    const verification = await verifyAfter((db) => {
      const row = rowOf(db, AUDIT_STREAM, lastCheckpointRevision);
      const checkpoint = JSON.parse(row.data) as SignedCheckpoint;
      const forged = { ...checkpoint, streams: checkpoint.streams.filter((s) => s.streamId !== streams.truncated) };
      const data = { ...forged, checkpointHash: createHash('sha256').update(signedBytes(forged)).digest('hex') } as unknown as JsonObject;
      const metadata = JSON.parse(row.metadata) as JsonObject;
      metadata.hash = eventHash({ streamId: AUDIT_STREAM, revision: BigInt(row.revision), type: row.type, data, metadata });
      db.prepare('UPDATE events SET data = ?, metadata = ? WHERE position = ?').run(JSON.stringify(data), JSON.stringify(metadata), row.position);
    });
    expect(found(verification)).toEqual([`BAD_SIGNATURE ${AUDIT_STREAM}@${lastCheckpointRevision}`]);
    expect(verification.problems[0]).toMatchObject({ checkpoint: 2, message: expect.stringContaining('the Ed25519 signature does not verify') });
  });
});

describe('audit: a store of 100,000 events verifies clean through the API and card-cli verify --all', () => {
  const STREAMS = 1000;
  const EVENTS_PER_STREAM = 100;
  const signingKey = randomBytes(32).toString('hex');
  let t: TestApp;

  beforeAll(async () => {
    const dataDir = newDataDir();
    // Written straight through the store in large appends, a checkpoint signed after every 100 streams.
    const store = SqliteEventStore.open(path.join(dataDir, 'events.db'));
    try {
      const checkpointer = new AuditCheckpointer(store, auditKeysFrom(signingKey), { now: () => new Date() });
      for (let s = 0; s < STREAMS; s++) {
        const events: EventToAppend[] = Array.from({ length: EVENTS_PER_STREAM }, (_, i) => ({
          id: randomUUID(),
          type: 'LoadTestEventRecorded',
          data: { stream: s, sequence: i, note: 'x'.repeat(40) },
          metadata: { schemaVersion: 1, actor: { id: 'load-test', role: 'system' }, correlationId: 'load', causationId: 'load', occurredAt: new Date().toISOString() },
        }));
        await store.appendToStream(`load-${String(s).padStart(4, '0')}`, events, { expectedRevision: 'no_stream' });
        if ((s + 1) % 100 === 0) expect((await checkpointer.signNow()).signed).toBe(true);
      }
    } finally {
      await store.close();
    }
    // The projections stay out of it (they would replay the 100,000 events meanwhile): the loop with them.
    t = await startTestApp(dataDir, { AUDIT_SIGNING_KEY: signingKey, PROJECTIONS_IN_PROCESS: 'false' });
  }, 120_000);
  afterAll(async () => {
    await t.close();
    removeDataDir(t.dataDir);
  });

  it('through the API: every event, stream, checkpoint and signed head checked, no problem', async () => {
    const auditor = await t.token({ roles: ['auditor'] });
    const verification = await verifyThroughApi(t, auditor);
    expect(verification).toMatchObject({
      state: 'succeeded',
      ok: true,
      eventsChecked: STREAMS * EVENTS_PER_STREAM + 10,
      eventsTotal: STREAMS * EVENTS_PER_STREAM + 10,
      streamsChecked: STREAMS + 1,
      checkpointsChecked: 10,
      signedHeadsChecked: STREAMS,
      lastCheckpoint: 10,
      eventsAfterLastCheckpoint: 0,
      problemCount: 0,
    });
    // How fast is for the benchmark (npm run bench); here only that a rate is reported.
    expect(verification.eventsPerSecond).toBeGreaterThan(0);
  }, 180_000);

  it('through card-cli verify --all: a progress bar in events/s, a summary, exit code 0', async () => {
    const url = await listenOnLoopback(t);
    const progress = capturedOutput();
    const result = await verifyAll({ url, token: () => t.token({ roles: ['auditor'], sub: 'cli-auditor' }), pollMs: 200, progressOut: progress });
    expect(result.exitCode).toBe(0);
    // The first verification's record (audit-verifications) is checked too.
    expect(result.message).toMatch(/^Verification [0-9a-f-]{36} succeeded: 100011 events, 1002 streams, 10 checkpoints, 1000 signed heads checked up to position \d+, 0 problems, in [\d.]+ s \(\d+ events\/s in the service\)\.\nNo problem found/);
    expect(progress.text).toMatch(/100011\/100011 events, \d+ events\/s, 1002 streams, 10 checkpoints/);
  }, 180_000);
});

describe('audit: the service signs a checkpoint every AUDIT_CHECKPOINT_EVERY events, where the projections run', () => {
  /** The checkpoints in the store, with who signed them. */
  async function signed(store: EventStore): Promise<{ checkpoint: number; by: unknown }[]> {
    return (await store.readStream(AUDIT_STREAM)).map((e) => ({ checkpoint: Number(e.data.checkpoint), by: e.metadata.actor }));
  }
  async function eventually(check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('no checkpoint was signed in time');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('in card-api with the projections in process, and in card-projector when they run there', async () => {
    const inProcess = await startTestApp(newDataDir(), { AUDIT_CHECKPOINT_EVERY: '5' });
    try {
      await activeDebitCard(inProcess);
      const store = inProcess.app.get<EventStore>(EVENT_STORE);
      await eventually(async () => (await signed(store)).length > 0);
      expect((await signed(store))[0]).toEqual({ checkpoint: 1, by: { id: 'audit-checkpointer', role: 'system' } });
    } finally {
      await inProcess.close();
      removeDataDir(inProcess.dataDir);
    }

    const dataDir = newDataDir();
    const api = await startTestApp(dataDir, { AUDIT_CHECKPOINT_EVERY: '5', PROJECTIONS_IN_PROCESS: 'false' });
    try {
      await activeDebitCard(api);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const store = api.app.get<EventStore>(EVENT_STORE);
      expect(await signed(store)).toEqual([]);
      const projector = await createProjector(loadProjectorConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'warn', AUTH_JWT_SECRET: TEST_JWT_SECRET, AUDIT_CHECKPOINT_EVERY: '5' }));
      try {
        await eventually(async () => (await signed(store)).length > 0);
      } finally {
        await projector.close();
      }
      const verification = await verifyThroughApi(api, await api.token({ roles: ['admin'] }));
      expect(verification).toMatchObject({ ok: true, checkpointsChecked: 1, startedBy: { role: 'admin' } });
    } finally {
      await api.close();
      removeDataDir(dataDir);
    }
  }, 60_000);
});
