import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { EVENT_STORE, GENESIS_HASH, eventHash, parsePosition, type EventStore, type JsonObject } from '@cards/event-store';
import { READ_STORE, waitForProjections, type ReadStore } from '@cards/read-store';
import { removeDataDir, startTestApp, type TestApp } from './support/test-app';
import { activeDebitCard, idNumberOf } from './support/lifecycle-steps';

/** Asks the service to sign a checkpoint now (the auditor's on-demand checkpoint), and waits for the audit-heads index. */
async function signCheckpointNow(t: TestApp, auditor: string): Promise<void> {
  const signed = await t.http(auditor).post('/v1/audit/checkpoints').expect(201);
  expect(await waitForProjections(t.app.get<ReadStore>(READ_STORE), parsePosition(signed.body.position), ['audit-heads'], 10_000)).toBe(true);
}

describe('audit: replay any card or customer, see its events as stored, verify its chain', () => {
  let t: TestApp;
  let auditor: string;
  let cardId: string;
  let customerId: string;
  beforeAll(async () => {
    t = await startTestApp();
    auditor = await t.token({ roles: ['auditor'], sub: 'auditor-1' });
    const card = await activeDebitCard(t);
    cardId = card.cardId;
    customerId = card.customerId;
  });
  afterAll(async () => {
    await t.close();
    removeDataDir(t.dataDir);
  });

  it('gives every event of a card exactly as stored: revision, position, type, data, full metadata with its hashes', async () => {
    const res = await t.http(auditor).get(`/v1/audit/cards/${cardId}/events`).expect(200);
    expect(res.body.streamId).toBe(`card-${cardId}`);
    const events = res.body.events as { revision: number; position: string; type: string; data: JsonObject; metadata: JsonObject; recordedAt: string }[];
    expect(events.map((e) => e.type)).toEqual(['CardIssued', 'IdentityVerified', 'CardLinked', 'CardActivated']);
    expect(events.map((e) => e.revision)).toEqual([0, 1, 2, 3]);
    for (const [i, e] of events.entries()) {
      expect(e.metadata).toMatchObject({
        schemaVersion: 1,
        actor: { id: expect.any(String), role: 'issuer' },
        correlationId: expect.any(String),
        causationId: expect.any(String),
        occurredAt: expect.any(String),
        prevHash: i === 0 ? GENESIS_HASH : events[i - 1].metadata.hash,
      });
      expect(e.position).toMatch(/^\d+$/);
      expect(Date.parse(e.recordedAt)).not.toBeNaN();
      // The auditor can recompute each hash from what they were given.
      expect(eventHash({ streamId: res.body.streamId, revision: BigInt(e.revision), type: e.type, data: e.data, metadata: e.metadata })).toBe(e.metadata.hash);
    }
  });

  it('replays a card to any revision or instant, with the events that made it', async () => {
    const atRevision1 = await t.http(auditor).get(`/v1/audit/cards/${cardId}/state`).query({ asOfRevision: 1 }).expect(200);
    expect(atRevision1.body).toMatchObject({ existed: true, revision: 1, state: { status: 'IDENTITY_VERIFIED' }, asOf: { revision: 1, at: null } });
    expect(atRevision1.body.events.map((e: { type: string }) => e.type)).toEqual(['CardIssued', 'IdentityVerified']);

    const all = (await t.http(auditor).get(`/v1/audit/cards/${cardId}/events`).expect(200)).body.events;
    const atLink = await t.http(auditor).get(`/v1/audit/cards/${cardId}/state`).query({ asOf: all[2].recordedAt }).expect(200);
    expect(atLink.body).toMatchObject({ revision: 2, state: { status: 'LINKED' } });
    const now = await t.http(auditor).get(`/v1/audit/cards/${cardId}/state`).expect(200);
    expect(now.body).toMatchObject({ revision: 3, state: { status: 'ACTIVE' } });
    const before = await t.http(auditor).get(`/v1/audit/cards/${cardId}/state`).query({ asOf: '2000-01-01T00:00:00Z' }).expect(200);
    expect(before.body).toMatchObject({ existed: false, revision: null, state: null, events: [] });
  });

  it('shows a customer\'s events with personal data encrypted as stored, and their replayed state masked', async () => {
    const events = (await t.http(auditor).get(`/v1/audit/customers/${customerId}/events`).expect(200)).body.events;
    expect(events[0].type).toBe('CustomerRegistered');
    expect(events[0].data.name).toMatchObject({ enc: 'v1' });
    const state = await t.http(auditor).get(`/v1/audit/customers/${customerId}/state`).query({ asOfRevision: 0 }).expect(200);
    // Masked as '110105********002X' is: region and last four kept (each customer has an id number of its own).
    const idNumber = idNumberOf(customerId);
    expect(state.body.state).toMatchObject({ customerId, name: '张*', idNumber: `${idNumber.slice(0, 6)}********${idNumber.slice(-4)}`, phone: '138****8000' });
    expect(JSON.stringify(state.body)).not.toContain('张三');
  });

  it('answers 400 for a bad or double asOf, 404 for an unknown id, 403 to anyone but an auditor', async () => {
    const base = `/v1/audit/cards/${cardId}/state`;
    expect((await t.http(auditor).get(base).query({ asOfRevision: -1 }).expect(400)).body.errors[0].field).toBe('asOfRevision');
    expect((await t.http(auditor).get(base).query({ asOf: 'yesterday' }).expect(400)).body.errors[0].field).toBe('asOf');
    expect((await t.http(auditor).get(base).query({ asOf: '2026-01-01T00:00:00Z', asOfRevision: 1 }).expect(400)).body.errors[0].field).toBe('asOf');
    expect((await t.http(auditor).get(`/v1/audit/cards/${randomUUID()}/events`).expect(404)).body.code).toBe('CARD_NOT_FOUND');
    expect((await t.http(auditor).get(`/v1/audit/customers/${randomUUID()}/verification`).expect(404)).body.code).toBe('CUSTOMER_NOT_FOUND');
    for (const role of ['issuer', 'agent', 'analyst', 'admin']) {
      await t.http(await t.token({ roles: [role] })).get(`/v1/audit/cards/${cardId}/events`).expect(403);
    }
  });

  it('verifies a chain, then against a signed checkpoint, and names the revision where a store was tampered with', async () => {
    const first = await t.http(auditor).get(`/v1/audit/cards/${cardId}/verification`).expect(200);
    expect(first.body).toEqual({ streamId: `card-${cardId}`, ok: true, eventsChecked: 4, checkpoint: null, eventsAfterCheckpoint: 4 });

    await signCheckpointNow(t, auditor);
    const covered = await t.http(auditor).get(`/v1/audit/cards/${cardId}/verification`).expect(200);
    expect(covered.body).toEqual({ streamId: `card-${cardId}`, ok: true, eventsChecked: 4, checkpoint: { checkpoint: 1, revision: 3, ok: true }, eventsAfterCheckpoint: 0 });

    // Behind the service's back: drop the card's newest event, and change
    // one byte of the customer's registration.
    await t.close();
    const db = new Database(path.join(t.dataDir, 'events.db'));
    db.prepare('DELETE FROM events WHERE stream_id = ? AND revision = 3').run(`card-${cardId}`);
    db.prepare("UPDATE events SET data = replace(data, '\"CN_RESIDENT_ID\"', '\"CN_RESIDENT_IE\"') WHERE stream_id = ? AND revision = 0").run(`customer-${customerId}`);
    db.close();
    t = await startTestApp(t.dataDir);
    auditor = await t.token({ roles: ['auditor'], sub: 'auditor-1' });

    const truncated = await t.http(auditor).get(`/v1/audit/cards/${cardId}/verification`).expect(200);
    expect(truncated.body).toMatchObject({ ok: false, eventsChecked: 3, firstBadRevision: 3, problem: { code: 'STREAM_TRUNCATED' }, checkpoint: { checkpoint: 1, revision: 3, ok: false } });
    const changed = await t.http(auditor).get(`/v1/audit/customers/${customerId}/verification`).expect(200);
    expect(changed.body).toMatchObject({ ok: false, firstBadRevision: 0, problem: { code: 'HASH_MISMATCH' } });
  });
});
