import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { EVENT_STORE, type EventStore } from '@cards/event-store';
import { SqliteDataKeyStore } from '@cards/security';
import { rotateMasterKey } from '../../card-cli/src/rotate-master-key';
import { capturedOutput, filesUnder, listenOnLoopback, newDataDir, removeDataDir, startTestApp, type TestApp } from './support/test-app';
import { registerCustomer } from './support/lifecycle-steps';

const PATH = '/v1/admin/pii/master-key-rotations';
const K1_HEX = randomBytes(32).toString('hex');
const K2_HEX = randomBytes(32).toString('hex');
const K1 = `k1:${K1_HEX}`;
const K2 = `k2:${K2_HEX}`;
const NAMES = ['张三', '李四', '王五', '赵六', 'Zhang San'];

/** Counts the data keys in DATA_DIR/keys.db by master key, through the port (a second connection, as an operator's tool would). */
async function keysUnder(dataDir: string, ...masterKeyIds: string[]): Promise<Record<string, number>> {
  const store = SqliteDataKeyStore.open(path.join(dataDir, 'keys.db'));
  try {
    const counts: Record<string, number> = {};
    for (const id of masterKeyIds) counts[id] = await store.countWrappedUnder(id);
    return counts;
  } finally {
    await store.close();
  }
}

/** A stream's events as they are stored (data and metadata), to compare before and after. */
async function storedEvents(t: TestApp, streamId: string): Promise<unknown[]> {
  const events = await t.app.get<EventStore>(EVENT_STORE).readStream(streamId);
  return events.map(({ id, type, data, metadata }) => ({ id, type, data, metadata }));
}

async function namesOf(t: TestApp, customerIds: readonly string[]): Promise<string[]> {
  const names: string[] = [];
  for (const customerId of customerIds) names.push((await t.http().get(`/v1/customers/${customerId}`).expect(200)).body.name);
  return names;
}

describe('rotating the PII master key: card-cli against the running card-api, restarts on the same DATA_DIR', () => {
  const dataDir = newDataDir();
  afterAll(() => removeDataDir(dataDir));

  it('moves every data key from k1 to k2 without touching the events, records who did it, and lets k1 go', async () => {
    // 1. One key in the ring: customers' data keys are wrapped under k1; a rotation has nothing to do.
    const first = await startTestApp(dataDir, { PII_MASTER_KEY: K1 });
    const customers: string[] = [];
    let eventsBefore: unknown[];
    try {
      for (const name of NAMES) customers.push(await registerCustomer(first, { name }));
      const admin = await first.token({ roles: ['admin'], sub: 'key-custodian' });
      const nothing = await first.http(admin).post(PATH).expect(202);
      expect(nothing.body).toMatchObject({ state: 'succeeded', fromMasterKeyIds: [], toMasterKeyId: 'k1', total: 0, rewrapped: 0 });
      expect(nothing.body.message).toMatch(/holds only the master key 'k1'.*nothing to do/);
      expect(nothing.headers.location).toBe(`${PATH}/${nothing.body.rotationId}`);
      eventsBefore = await storedEvents(first, `customer-${customers[0]}`);
      expect(JSON.stringify(eventsBefore)).not.toContain(NAMES[0]);
    } finally {
      await first.close();
    }
    expect(await keysUnder(dataDir, 'k1', 'k2')).toEqual({ k1: NAMES.length, k2: 0 });

    // 2. The new key first, the old one kept: everything still reads, new keys are wrapped under k2.
    const second = await startTestApp(dataDir, { PII_MASTER_KEY: `${K2},${K1}` });
    try {
      customers.push(await registerCustomer(second, { name: '孙七' }));
      expect(await keysUnder(dataDir, 'k1', 'k2')).toEqual({ k1: NAMES.length, k2: 1 });

      // Only admins may rotate or look at a rotation.
      for (const role of ['issuer', 'agent', 'analyst', 'auditor']) {
        const token = await second.token({ roles: [role], sub: `${role}-1` });
        const start = await second.http(token).post(PATH);
        expect(start.status).toBe(403);
        expect(start.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(start.body).toMatchObject({ code: 'ROLE_NOT_ALLOWED', allowedRoles: ['admin'] });
        expect((await second.http(token).get(`${PATH}/${randomUUID()}`)).status).toBe(403);
      }
      expect(await keysUnder(dataDir, 'k1')).toEqual({ k1: NAMES.length });

      // 3. The rotation, through card-cli over HTTP with an admin token.
      const url = await listenOnLoopback(second);
      const progress = capturedOutput();
      const result = await rotateMasterKey({ url, token: () => second.token({ roles: ['admin'], sub: 'key-custodian' }), pollMs: 20, progressOut: progress });

      expect(result.exitCode).toBe(0);
      expect(result.message).toMatch(
        new RegExp(`^Master key rotation [0-9a-f-]{36} succeeded: ${NAMES.length} of ${NAMES.length} data keys rewrapped under 'k2', 0 skipped, 0 failed, 0 left under older keys`),
      );
      expect(result.message).toMatch(/remove 'k1' from PII_MASTER_KEY/);
      expect(progress.text).toMatch(new RegExp(`${NAMES.length}/${NAMES.length} keys, \\d+ keys/s`));
      expect(await keysUnder(dataDir, 'k1', 'k2')).toEqual({ k1: 0, k2: NAMES.length + 1 });
      expect(await namesOf(second, customers)).toEqual([...NAMES, '孙七']);
      // The events were not rewritten.
      expect(await storedEvents(second, `customer-${customers[0]}`)).toEqual(eventsBefore);

      // The job stays readable, and the rotation is recorded: who, when, the counts.
      const rotationId = /rotation ([0-9a-f-]{36})/.exec(result.message)![1];
      const job = (await second.http(await second.token({ roles: ['admin'] })).get(`${PATH}/${rotationId}`).expect(200)).body;
      expect(job).toMatchObject({ rotationId, state: 'succeeded', fromMasterKeyIds: ['k1'], toMasterKeyId: 'k2', total: 5, rewrapped: 5, skipped: 0, failed: 0, remaining: 0, error: null });
      expect(job.startedBy).toEqual({ id: 'key-custodian', role: 'admin' });
      const recorded = await second.app.get<EventStore>(EVENT_STORE).readStream('pii-master-key-rotations');
      expect(recorded.map((e) => e.type)).toEqual(['PersonalDataMasterKeyRotated', 'PersonalDataMasterKeyRotated']);
      expect(recorded[1].data).toMatchObject({
        rotationId,
        outcome: 'succeeded',
        fromMasterKeyIds: ['k1'],
        toMasterKeyId: 'k2',
        total: 5,
        rewrapped: 5,
        skipped: 0,
        failed: 0,
        startedAt: job.startedAt,
        finishedAt: job.finishedAt,
      });
      expect(recorded[1].metadata).toMatchObject({
        schemaVersion: 1,
        actor: { id: 'key-custodian', role: 'admin' },
        correlationId: expect.any(String),
        causationId: expect.any(String),
        occurredAt: job.finishedAt,
      });
      expect(recorded[0].metadata.actor).toEqual({ id: 'key-custodian', role: 'admin' });

      // Run again: nothing left. An unknown id is a 404 problem.
      const admin = await second.token({ roles: ['admin'] });
      const again = await second.http(admin).post(PATH).expect(202);
      expect(again.body).toMatchObject({ fromMasterKeyIds: ['k1'], total: 0 });
      const missing = await second.http(admin).get(`${PATH}/${randomUUID()}`);
      expect(missing.status).toBe(404);
      expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(missing.body).toMatchObject({ status: 404, code: 'MASTER_KEY_ROTATION_NOT_FOUND' });
      expect((await second.http(admin).get(`${PATH}/not-a-uuid`)).status).toBe(400);
    } finally {
      await second.close();
    }

    // 4. The old key removed: everything still reads in clear.
    const third = await startTestApp(dataDir, { PII_MASTER_KEY: K2 });
    try {
      expect(await namesOf(third, customers)).toEqual([...NAMES, '孙七']);
    } finally {
      await third.close();
    }

    // No master key, in any form (hex either case, raw bytes, base64), anywhere in DATA_DIR or the logs.
    const traces = [K1_HEX, K2_HEX].flatMap((hex) => {
      const raw = Buffer.from(hex, 'hex');
      return [Buffer.from(hex), Buffer.from(hex.toUpperCase()), raw, Buffer.from(raw.toString('base64'))];
    });
    for (const file of filesUnder(dataDir)) {
      const bytes = fs.readFileSync(file);
      expect({ file, holdsAMasterKey: traces.some((trace) => bytes.includes(trace)) }).toEqual({ file, holdsAMasterKey: false });
    }
  });
});
