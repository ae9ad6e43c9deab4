import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IMPORT_COMMANDS, ImportHistory } from '@cards/application';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '@cards/event-store';
import { bearer, CUSTOMER, countEvents, filesUnder, freshResidentId, futureExpiry, luhnCardNumber, nextSeed, removeDataDir, startTestApp, type TestApp } from './support/test-app';
import { historyFile, type HistoryFile } from './support/history-file';
import { issueDebitCard, registerCustomer } from './support/lifecycle-steps';

const PROBLEM = /application\/problem\+json/;
const NDJSON = 'application/x-ndjson';

function importFile(t: TestApp, text: string, headers: Record<string, string> = {}) {
  return t.http().post('/v1/imports').set('content-type', NDJSON).set(headers).send(text);
}

function eventStoreOf(t: TestApp): EventStore {
  return t.app.get<symbol, EventStore>(EVENT_STORE, { strict: false });
}


async function eventsOf(store: EventStore, file: HistoryFile): Promise<RecordedEvent[]> {
  const streams = [...file.customerIds.map((id) => `customer-${id}`), ...file.cards.map((c) => `card-${c.cardId}`)];
  return (await Promise.all(streams.map((s) => store.readStream(s)))).flat();
}

/** The event's own time: the one `*At` field of its data. */
function timeOf(event: RecordedEvent): unknown {
  const fields = Object.keys(event.data).filter((k) => k.endsWith('At'));
  expect(fields).toHaveLength(1);
  return event.data[fields[0]];
}

const line = (fields: Record<string, unknown>): string => JSON.stringify(fields);

describe('importing history: POST /v1/imports', () => {
  let t: TestApp;
  let store: EventStore;
  beforeAll(async () => {
    t = await startTestApp();
    store = eventStoreOf(t);
  });
  afterAll(async () => {
    await t.close();
    removeDataDir(t.dataDir);
  });

  describe('given a file covering every command, from March 2025', () => {
    let file: HistoryFile;
    let report: Record<string, unknown> & { position: string; importId: string };
    beforeAll(async () => {
      file = historyFile('2025-03-03T01:00:00.000Z');
      const migrationBot = await t.token({ sub: 'migration-bot', roles: ['admin'] });
      const res = await importFile(t, file.text, { Authorization: bearer(migrationBot), 'X-Correlation-Id': 'crm-migration-1' });
      expect(res.status).toBe(200);
      report = res.body;
    });

    it('applies every line, in file order, through the same rules as the API', async () => {
      expect(new Set(file.lines.map((l) => JSON.parse(l).command))).toEqual(new Set(IMPORT_COMMANDS));
      expect(report).toEqual({
        importId: 'crm-migration-1',
        lines: file.lines.length,
        applied: file.lines.length,
        alreadyImported: 0,
        failed: [],
        eventsWritten: file.eventCount,
        position: expect.stringMatching(/^\d+$/),
      });
      for (const card of file.cards) {
        const res = await t.http().get(`/v1/cards/${card.cardId}`).expect(200);
        expect(res.body).toMatchObject({ cardId: card.cardId, customerId: card.customerId, product: card.product, status: card.status });
      }
      const upheld = await t.http().get(`/v1/cards/${file.cards[1].cardId}`).expect(200);
      expect(upheld.body).toMatchObject({ status: 'CANCELLED', cancellationReason: 'DISPUTE_UPHELD' });
      const customer = await t.http().get(`/v1/customers/${file.customerIds[0]}`).expect(200);
      expect(customer.body).toMatchObject({ name: '张三', registeredAt: file.times[0] });
    });

    it('its events keep the file\'s time in their own time fields and say they were imported; the store recorded them now', async () => {
      const events = await eventsOf(store, file);
      expect(events).toHaveLength(file.eventCount);
      expect(new Set(events.map((e) => e.type))).toEqual(
        new Set([
          'CustomerRegistered', 'CardIssued', 'IdentityVerified', 'IdentityVerificationFailed', 'CardLinked', 'CardActivated',
          'CardSuspended', 'CardReinstated', 'CardDisputed', 'DisputeResolved', 'CardCancelled',
        ]),
      );
      const startedAt = Date.now() - 60_000;
      for (const event of events) {
        expect(timeOf(event)).toBe(event.metadata.occurredAt);
        expect(event.metadata).toMatchObject({
          imported: true,
          actor: { id: 'migration-bot', role: 'admin' },
          correlationId: 'crm-migration-1',
          idempotencyKey: expect.stringMatching(/^import:[0-9a-f]{64}$/),
        });
        expect(event.recordedAt.getTime()).toBeGreaterThan(startedAt);
      }
      expect([...new Set(events.map((e) => e.metadata.occurredAt))].sort()).toEqual(file.times);
      const issued = events.filter((e) => e.type === 'CardIssued').map((e) => e.data.issuedAt);
      expect(issued.sort()).toEqual(file.cards.map((c) => c.issuedAt).sort());
    });

    it('the cards read model shows them as imported, issued when the file says', async () => {
      const res = await t.http().get('/v1/cards').query({ customerId: file.customerIds[0], minPosition: report.position }).expect(200);
      const mine = file.cards.filter((c) => c.customerId === file.customerIds[0]);
      expect(res.body.items).toHaveLength(mine.length);
      for (const card of mine) {
        expect(res.body.items).toContainEqual(
          expect.objectContaining({ cardId: card.cardId, imported: true, issuedAt: card.issuedAt, status: card.status }),
        );
      }
    });

    it('the reports count them by when they happened', async () => {
      const res = await t
        .http()
        .get('/v1/reports/activations')
        .query({ from: '2025-03-01', to: '2025-04-01', groupBy: 'product', minPosition: report.position })
        .expect(200);
      expect(res.body.totals).toEqual({ issued: 9, verified: 7, linked: 7, activated: 6, disputed: 4, cancelled: 5 });
      const now = await t.http().get('/v1/reports/activations').query({ groupBy: 'product', minPosition: report.position }).expect(200);
      expect(now.body.totals.issued).toBe(0);
    });

    it('importing the same file again writes nothing and reports every line as already imported', async () => {
      const before = await countEvents(store);
      const someoneElse = await t.token({ sub: 'someone-else', roles: ['admin'] });
      const again = await importFile(t, file.text, { Authorization: bearer(someoneElse), 'X-Correlation-Id': 'crm-migration-2' }).expect(200);
      expect(again.body).toEqual({
        importId: 'crm-migration-2',
        lines: file.lines.length,
        applied: 0,
        alreadyImported: file.lines.length,
        failed: [],
        eventsWritten: 0,
        position: report.position,
      });
      expect(await countEvents(store)).toBe(before);
    });
  });

  it('reports a bad line by its number and reason, and applies the others', async () => {
    const customerId = randomUUID();
    const cardId = randomUUID();
    const badNumber = luhnCardNumber('411111', 16, nextSeed()).replace(/\d$/, (d) => String((Number(d) + 1) % 10));
    const idNumber = freshResidentId();
    const lines = [
      line({ command: 'RegisterCustomer', occurredAt: '2024-05-01T08:00:00Z', customerId, ...CUSTOMER, idNumber }),
      line({ command: 'IssueCard', occurredAt: '2024-05-01T09:00:00Z', cardId, customerId, product: 'DEBIT', cardNumber: luhnCardNumber('411111', 16, nextSeed()), expiry: '12/26', channel: 'BRANCH' }),
      '',
      line({ command: 'FlyCard', occurredAt: '2024-05-01T10:00:00Z', cardId }),
      line({ command: 'SuspendCard', occurredAt: '2099-01-01T00:00:00Z', cardId, reason: 'LOST' }),
      line({ command: 'ActivateCard', occurredAt: '2024-05-01T11:00:00Z', cardId, channel: 'APP' }),
      line({ command: 'IssueCard', occurredAt: '2024-05-01T12:00:00Z', cardId: randomUUID(), customerId, product: 'DEBIT', cardNumber: badNumber, expiry: '12/26', channel: 'BRANCH' }),
      `{"command":"LinkCard","cardId":"${cardId}","accountId":`,
      line({ command: 'VerifyIdentity', occurredAt: '2024-05-02T09:00:00Z', cardId, method: 'ID_DOCUMENT', name: CUSTOMER.name, idNumber }),
      line({ command: 'SuspendCard', occurredAt: '2024-05-02T08:00:00Z', cardId, reason: 'LOST' }),
      line({ command: 'LinkCard', occurredAt: '2024-05-03T09:00:00Z', cardId, accountId: 'ACC-9' }),
      line({ command: 'OpenDispute', occurredAt: '2024-05-03T10:00:00Z', cardId: randomUUID(), disputeId: randomUUID(), reason: 'FRAUD', description: 'x' }),
    ];
    const res = await importFile(t, lines.join('\n')).expect(200);
    expect(res.body).toMatchObject({ lines: 11, applied: 4, alreadyImported: 0, eventsWritten: 4 });
    expect(res.body.failed).toEqual([
      { line: 4, command: null, code: 'UNKNOWN_COMMAND', reason: expect.stringMatching(/^command: must be one of/), errors: [expect.objectContaining({ field: 'command' })] },
      { line: 5, command: 'SuspendCard', code: 'VALIDATION_FAILED', reason: 'occurredAt: must not be in the future', errors: [{ field: 'occurredAt', reason: 'must not be in the future' }] },
      expect.objectContaining({ line: 6, command: 'ActivateCard', code: 'TRANSITION_NOT_ALLOWED', reason: expect.stringMatching(/not allowed while the card is ISSUED/) }),
      { line: 7, command: 'IssueCard', code: 'VALIDATION_FAILED', reason: expect.stringMatching(/Luhn/), errors: [{ field: 'cardNumber', reason: expect.stringMatching(/Luhn/) }] },
      { line: 8, command: null, code: 'MALFORMED_JSON', reason: expect.any(String) },
      { line: 10, command: 'SuspendCard', code: 'OCCURRED_BEFORE_LAST_EVENT', reason: expect.stringMatching(/before the last event of this card/) },
      { line: 12, command: 'OpenDispute', code: 'CARD_NOT_FOUND', reason: expect.any(String) },
    ]);
    expect(JSON.stringify(res.body)).not.toContain(badNumber);
    const card = await t.http().get(`/v1/cards/${cardId}`).expect(200);
    expect(card.body).toMatchObject({ status: 'LINKED', revision: 2 });
  });

  it('numbers lines from X-Import-First-Line, so a file sent in chunks is reported by its own line numbers', async () => {
    const cardId = randomUUID();
    const chunk = ['', line({ command: 'LinkCard', occurredAt: '2024-01-01T00:00:00Z', cardId, accountId: 'A-1' })].join('\n');
    const res = await importFile(t, chunk, { 'X-Import-First-Line': '501' }).expect(200);
    expect(res.body.failed).toEqual([expect.objectContaining({ line: 502, code: 'CARD_NOT_FOUND' })]);

    // A chunk beyond the 64 KiB every other body is limited to is fine: 70 000 blank lines, then one command.
    const big = await importFile(t, `${'\n'.repeat(70_000)}${line({ command: 'LinkCard', occurredAt: '2024-01-01T00:00:00Z', cardId, accountId: 'A-1' })}`).expect(200);
    expect(big.body.failed).toEqual([expect.objectContaining({ line: 70_001 })]);

    for (const bad of ['0', '-3', 'first', '1.5']) {
      const refused = await importFile(t, chunk, { 'X-Import-First-Line': bad });
      expect(refused.status).toBe(400);
      expect(refused.body.errors).toEqual([{ field: 'X-Import-First-Line', reason: expect.any(String) }]);
    }
  });

  describe('a card number is issued once, whether by the API or by an import', () => {
    const issueLine = (cardId: string, customerId: string, cardNumber: string, occurredAt = '2024-02-01T09:00:00Z') =>
      line({ command: 'IssueCard', occurredAt, cardId, customerId, product: 'DEBIT', cardNumber, expiry: '12/26', channel: 'BRANCH' });

    it('a number imported under the file\'s card id cannot be issued again through the API (409)', async () => {
      const customerId = await registerCustomer(t);
      const cardNumber = luhnCardNumber('411111', 16, nextSeed());
      const cardId = randomUUID();
      const imported = await importFile(t, issueLine(cardId, customerId, cardNumber)).expect(200);
      expect(imported.body).toMatchObject({ applied: 1, failed: [] });
      const res = await t.http().post('/v1/cards').send({ customerId, product: 'DEBIT', cardNumber, expiry: futureExpiry(), channel: 'BRANCH' });
      expect(res.status).toBe(409);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.body.code).toBe('CARD_NUMBER_ALREADY_ISSUED');
      // …while the imported line itself is still recognised as imported.
      expect((await importFile(t, issueLine(cardId, customerId, cardNumber)).expect(200)).body).toMatchObject({ alreadyImported: 1, failed: [] });
    });

    it('a number issued through the API cannot be imported under another card id', async () => {
      const card = await issueDebitCard(t);
      const fileCardId = randomUUID();
      const res = await importFile(t, issueLine(fileCardId, card.customerId, card.cardNumber)).expect(200);
      expect(res.body.failed).toEqual([
        { line: 1, command: 'IssueCard', code: 'CARD_NUMBER_ALREADY_ISSUED', reason: 'This card number has already been issued' },
      ]);
      await t.http().get(`/v1/cards/${fileCardId}`).expect(404);
    });

    it('nor twice in one file under two card ids', async () => {
      const customerId = await registerCustomer(t);
      const cardNumber = luhnCardNumber('411111', 16, nextSeed());
      const [first, second] = [randomUUID(), randomUUID()];
      const res = await importFile(t, [issueLine(first, customerId, cardNumber), issueLine(second, customerId, cardNumber, '2024-02-02T09:00:00Z')].join('\n')).expect(200);
      expect(res.body).toMatchObject({ applied: 1, failed: [{ line: 2, code: 'CARD_NUMBER_ALREADY_ISSUED' }] });
      await t.http().get(`/v1/cards/${first}`).expect(200);
      await t.http().get(`/v1/cards/${second}`).expect(404);
      // Nor can a file give another number an id already in use.
      const reused = await importFile(t, issueLine(first, customerId, luhnCardNumber('411111', 16, nextSeed()), '2024-02-03T09:00:00Z')).expect(200);
      expect(reused.body.failed).toEqual([{ line: 1, command: 'IssueCard', code: 'CARD_ID_IN_USE', reason: 'Another card already has this card id' }]);
    });

    it('an issue refused for another reason does not hold the number', async () => {
      const cardNumber = luhnCardNumber('411111', 16, nextSeed());
      const unknownCustomer = await importFile(t, issueLine(randomUUID(), randomUUID(), cardNumber)).expect(200);
      expect(unknownCustomer.body.failed).toEqual([expect.objectContaining({ code: 'CUSTOMER_NOT_FOUND' })]);
      const customerId = await registerCustomer(t);
      await t.http().post('/v1/cards').send({ customerId, product: 'DEBIT', cardNumber, expiry: futureExpiry(), channel: 'BRANCH' }).expect(201);
    });
  });

  it('the HTTP API still chooses its own ids and checks possession itself', async () => {
    const customerId = await registerCustomer(t);
    const cardNumber = luhnCardNumber('411111', 16, nextSeed());
    const issue = await t.http().post('/v1/cards').send({ customerId, cardId: randomUUID(), product: 'DEBIT', cardNumber, expiry: futureExpiry(), channel: 'BRANCH' });
    expect(issue.status).toBe(400);
    expect(issue.body.errors).toEqual([expect.objectContaining({ field: 'cardId' })]);
    const register = await t.http().post('/v1/customers').send({ ...CUSTOMER, customerId: randomUUID() });
    expect(register.status).toBe(400);
    const card = await issueDebitCard(t);
    const activate = await t.http().post(`/v1/cards/${card.cardId}/activate`).send({ channel: 'APP', possessionCheckedElsewhere: true });
    expect(activate.status).toBe(400);
    expect(activate.body.errors).toEqual([expect.objectContaining({ field: 'possessionCheckedElsewhere' })]);
  });

  it('documents itself in OpenAPI with an example file that imports cleanly', async () => {
    const doc = await t.http().get('/docs/openapi.json').expect(200);
    const operation = doc.body.paths['/v1/imports'].post;
    expect(Object.keys(operation.requestBody.content)).toEqual(['application/x-ndjson', 'application/jsonl']);
    const example = operation.requestBody.content['application/x-ndjson'].schema.example as string;
    const res = await importFile(t, example).expect(200);
    expect(res.body).toMatchObject({ lines: 3, applied: 3, failed: [] });
  });

  it('takes JSON Lines only, not empty, up to 20 MiB, as problem+json errors', async () => {
    const json = await t.http().post('/v1/imports').send({ command: 'RegisterCustomer' });
    expect(json.status).toBe(415);
    expect(json.headers['content-type']).toMatch(PROBLEM);
    expect(json.body.detail).toMatch(/application\/x-ndjson/);
    const empty = await importFile(t, '');
    expect(empty.status).toBe(400);
    expect(empty.body.errors).toEqual([{ field: 'body', reason: expect.stringMatching(/empty/) }]);
    const jsonl = await t.http().post('/v1/imports').set('content-type', 'application/jsonl').send('\n\n').expect(200);
    expect(jsonl.body).toMatchObject({ lines: 0, applied: 0, failed: [] });
    const tooBig = await importFile(t, '\n'.repeat(20 * 1024 * 1024 + 1));
    expect(tooBig.status).toBe(413);
    expect(tooBig.headers['content-type']).toMatch(PROBLEM);
    expect(tooBig.body).toMatchObject({ status: 413, code: 'BODY_TOO_LARGE' });
  });
});

describe('importing history when the event store goes away', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
    removeDataDir(t.dataDir);
  });

  it('stops at the line it could not write and says so, instead of failing every line after it', async () => {
    const file = historyFile('2024-06-03T01:00:00.000Z');
    const store = eventStoreOf(t);
    async function* closingAfterThree(): AsyncGenerator<string> {
      for (const [index, text] of file.lines.entries()) {
        if (index === 3) await store.close();
        yield text;
      }
    }
    const report = await t.app.get(ImportHistory, { strict: false }).run(closingAfterThree(), { actor: { id: 'op', role: 'operator' }, importId: 'imp-1' });
    expect(report).toMatchObject({ lines: 3, applied: 3, failed: [], stoppedAt: { line: 4, code: 'EVENT_STORE_UNAVAILABLE' } });

    const res = await importFile(t, file.text);
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body).toMatchObject({ code: 'EVENT_STORE_UNAVAILABLE', stoppedAtLine: 1, report: { lines: 0, applied: 0, failed: [] } });
  });
});

describe('no card number from an import file is written to DATA_DIR or the logs', () => {
  let t: TestApp;
  let file: HistoryFile;
  let badNumber: string;
  beforeAll(async () => {
    t = await startTestApp(undefined, { LOG_LEVEL: 'trace' });
    file = historyFile('2024-09-02T01:00:00.000Z');
    badNumber = luhnCardNumber('411111', 16, nextSeed()).replace(/\d$/, (d) => String((Number(d) + 1) % 10));
    const refusedLine = line({ command: 'IssueCard', occurredAt: '2024-09-01T00:00:00Z', cardId: randomUUID(), customerId: file.customerIds[0], product: 'DEBIT', cardNumber: badNumber, expiry: '12/26', channel: 'BRANCH' });
    const res = await importFile(t, `${file.text}${refusedLine}\n`).expect(200);
    expect(res.body).toMatchObject({ applied: file.lines.length, failed: [{ line: file.lines.length + 1 }] });
    // Read models too: wait until the projections have caught up before looking at the files.
    await t.http().get('/v1/cards').query({ minPosition: res.body.position, limit: 1 }).expect(200);
    await t.close();
  });
  afterAll(() => removeDataDir(t.dataDir));


  it('no file holds one, as digits or in UTF-16', () => {
    const files = filesUnder(t.dataDir);
    expect(files.map((f) => path.basename(f))).toEqual(expect.arrayContaining(['events.db', 'read-models.db', 'card-api.log']));
    const numbers = [...file.cards.map((c) => c.cardNumber), badNumber];
    for (const name of files) {
      const bytes = fs.readFileSync(name);
      for (const number of numbers) {
        for (const needle of [Buffer.from(number, 'utf8'), Buffer.from(number, 'utf16le')]) {
          expect({ file: name, found: bytes.includes(needle) }).toEqual({ file: name, found: false });
        }
      }
    }
  });
});
