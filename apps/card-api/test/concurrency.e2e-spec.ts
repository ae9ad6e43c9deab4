import type { Response } from 'supertest';
import { cardDecider, fold, isAllowed, type CardCommandType, type CardEvent, type CardState } from '@cards/domain';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '@cards/event-store';
import { removeDataDir, startTestApp, type TestApp } from './support/test-app';
import { activeDebitCard } from './support/lifecycle-steps';

jest.setTimeout(60_000);

const PROBLEM = /application\/problem\+json/;
const CONCURRENT = 64;

/** A command sent in the race, and what it appends when it is allowed. */
interface Sent {
  readonly index: number;
  readonly path: string;
  readonly command: CardCommandType;
  /** The event the command appends when it goes through. */
  readonly event: string;
  /** The If-Match header sent with it, if any. */
  readonly ifMatch?: string;
}

const SUSPEND = { path: 'suspend', command: 'SuspendCard', event: 'CardSuspended', body: { reason: 'Reported lost' } } as const;
const REINSTATE = { path: 'reinstate', command: 'ReinstateCard', event: 'CardReinstated', body: { reason: 'Found again' } } as const;
const CANCEL = { path: 'cancel', command: 'CancelCard', event: 'CardCancelled', body: { reason: 'Customer request' } } as const;
const DISPUTE = {
  path: 'disputes',
  command: 'OpenDispute',
  event: 'CardDisputed',
  body: { reason: 'UNRECOGNIZED_ACTIVATION', description: 'Customer does not recognise the activation' },
} as const;
const ACTIVATE = { path: 'activate', command: 'ActivateCard', event: 'CardActivated', body: { channel: 'APP' } } as const;
const LINK = { path: 'link', command: 'LinkCard', event: 'CardLinked', body: { accountId: 'ACC-RACE' } } as const;
type Kind = typeof SUSPEND | typeof REINSTATE | typeof CANCEL | typeof DISPUTE | typeof ACTIVATE | typeof LINK;

/** Fires every request at once (real HTTP, one connection each) and waits for all the answers. */
async function race(t: TestApp, cardId: string, plan: readonly { kind: Kind; ifMatch?: string }[]): Promise<{ sent: Sent; res: Response }[]> {
  return Promise.all(
    plan.map(async ({ kind, ifMatch }, index) => {
      const body = kind === ACTIVATE ? { ...ACTIVATE.body } : kind.body;
      let req = t.http().post(`/v1/cards/${cardId}/${kind.path}`);
      if (ifMatch !== undefined) req = req.set('If-Match', ifMatch);
      const res = await req.send(body);
      return { sent: { index, path: kind.path, command: kind.command, event: kind.event, ...(ifMatch !== undefined && { ifMatch }) }, res };
    }),
  );
}

/** The card as its stream folds, with the status it had before each event. */
function replay(events: readonly RecordedEvent[]): { final: CardState; statusBefore: string[] } {
  const statusBefore: string[] = [];
  let state: CardState = cardDecider.initialState;
  for (const event of events) {
    statusBefore.push(state.exists ? state.status : 'NONE');
    state = cardDecider.evolve(state, { type: event.type, data: event.data } as unknown as CardEvent);
  }
  return { final: state, statusBefore };
}

const COMMAND_OF_EVENT: Record<string, CardCommandType> = {
  CardSuspended: 'SuspendCard',
  CardReinstated: 'ReinstateCard',
  CardCancelled: 'CancelCard',
  CardDisputed: 'OpenDispute',
};

/**
 * What every race must end with, whatever the interleaving: no 5xx, every refusal a 409 or 412 problem, each
 * success's event in the stream exactly once at the revision it answered, nothing in the stream that no success
 * answered for, revisions contiguous, every event allowed by the lifecycle in the status before it, and the card's
 * view equal to the stream folded by the domain's evolve.
 */
async function expectConsistent(t: TestApp, cardId: string, startRevision: number, answers: { sent: Sent; res: Response }[]): Promise<{ successes: { sent: Sent; res: Response }[]; events: RecordedEvent[] }> {
  for (const { sent, res } of answers) {
    expect({ sent, status: res.status }).toEqual({ sent, status: expect.any(Number) });
    expect(res.status).toBeLessThan(500);
    if (res.status >= 400) {
      expect({ sent, refusedWith: [409, 412].includes(res.status) ? 'a 409 or a 412' : res.status }).toEqual({ sent, refusedWith: 'a 409 or a 412' });
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.body).toMatchObject({ status: res.status, title: expect.any(String), detail: expect.any(String), type: expect.any(String) });
      expect(['TRANSITION_NOT_ALLOWED', 'PRECONDITION_FAILED', 'CONCURRENT_MODIFICATION']).toContain(res.body.code);
      if (res.status === 412) expect(res.body.code).toBe('PRECONDITION_FAILED');
    } else {
      expect([200, 201]).toContain(res.status);
    }
  }

  const store = t.app.get<EventStore>(EVENT_STORE);
  const events = await store.readStream(`card-${cardId}`);
  // Revisions are contiguous from 0: nothing skipped, nothing doubled.
  expect(events.map((e) => Number(e.revision))).toEqual(events.map((_, i) => i));

  const successes = answers.filter((a) => a.res.status < 300);
  const successRevisions = successes.map((s) => Number(s.res.body.revision));
  // One event per success, each at the revision its answer named, and no event that no success answered for.
  expect(new Set(successRevisions).size).toBe(successes.length);
  expect(events.length).toBe(startRevision + 1 + successes.length);
  const { final, statusBefore } = replay(events);
  for (const { sent, res } of successes) {
    const event = events[Number(res.body.revision)];
    expect({ sent, event: event.type }).toEqual({ sent, event: sent.event });
    expect(event.position).toEqual(expect.objectContaining({ commit: BigInt(res.body.position) }));
    // The status the answer gave is the stream's, folded up to that event.
    const atThatEvent = replay(events.slice(0, Number(res.body.revision) + 1)).final;
    expect(res.body.status).toBe(atThatEvent.exists ? atThatEvent.status : 'NONE');
    if (sent.ifMatch !== undefined) expect(`"${Number(res.body.revision) - 1}"`).toBe(sent.ifMatch);
  }
  // Every event of the race was allowed by the lifecycle in the status the stream had before it.
  for (const event of events.slice(startRevision + 1)) {
    const command = COMMAND_OF_EVENT[event.type];
    expect({ event: event.type, revision: Number(event.revision), allowed: isAllowed(command, statusBefore[Number(event.revision)] as never) }).toEqual({
      event: event.type,
      revision: Number(event.revision),
      allowed: true,
    });
  }
  // Nothing follows a cancellation.
  const cancelled = events.findIndex((e) => e.type === 'CardCancelled');
  if (cancelled >= 0) expect(cancelled).toBe(events.length - 1);

  // The card's view is the stream folded by the domain.
  const view = await t.http().get(`/v1/cards/${cardId}`).expect(200);
  expect(view.headers.etag).toBe(`"${events.length - 1}"`);
  expect(view.body).toMatchObject({ status: final.exists ? final.status : 'NONE', revision: events.length - 1 });
  expect(fold(cardDecider, events.map((e) => ({ type: e.type, data: e.data }) as unknown as CardEvent))).toEqual(final);
  return { successes, events };
}

describe(`${CONCURRENT} concurrent conflicting commands on one card`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
    removeDataDir(t.dataDir);
  });

  it('a mix of suspend, reinstate, cancel, dispute, activate and link, with and without If-Match: exactly what the lifecycle allows succeeds, the rest is 409 or 412', async () => {
    const card = await activeDebitCard(t);
    const etag = (await t.http().get(`/v1/cards/${card.cardId}`).expect(200)).headers.etag as string;
    expect(etag).toBe('"3"');
    const kinds: Kind[] = [SUSPEND, REINSTATE, CANCEL, DISPUTE, SUSPEND, REINSTATE, ACTIVATE, LINK];
    const plan = Array.from({ length: CONCURRENT }, (_, i) => ({
      kind: kinds[i % kinds.length],
      // A third with the current ETag, a few with a stale one, the rest without.
      ifMatch: i % 3 === 0 ? etag : i % 7 === 0 ? '"2"' : undefined,
    }));
    const answers = await race(t, card.cardId, plan);
    const { successes, events } = await expectConsistent(t, card.cardId, 3, answers);

    expect(successes.length).toBeGreaterThanOrEqual(1);
    // A stale If-Match never succeeds; the current one at most once, and only as the first write of the race.
    expect(answers.filter((a) => a.sent.ifMatch === '"2"').every((a) => a.res.status === 412)).toBe(true);
    const withEtag = successes.filter((s) => s.sent.ifMatch === etag);
    expect(withEtag.length).toBeLessThanOrEqual(1);
    if (withEtag.length === 1) expect(withEtag[0].res.body.revision).toBe(4);
    // Activate and link are never allowed on an active, suspended, disputed or cancelled card.
    expect(answers.filter((a) => a.sent.command === 'ActivateCard' || a.sent.command === 'LinkCard').every((a) => a.res.status === 409 || a.res.status === 412)).toBe(true);
    // A dispute blocks everything but its resolution, which nobody sent: nothing follows it either.
    const disputed = events.findIndex((e) => e.type === 'CardDisputed');
    if (disputed >= 0) expect(disputed).toBe(events.length - 1);
  });

  it(`${CONCURRENT} × suspend without If-Match: exactly one succeeds, the others are 409 TRANSITION_NOT_ALLOWED on the suspended card`, async () => {
    const card = await activeDebitCard(t);
    const answers = await race(t, card.cardId, Array.from({ length: CONCURRENT }, () => ({ kind: SUSPEND })));
    const { successes, events } = await expectConsistent(t, card.cardId, 3, answers);
    expect(successes).toHaveLength(1);
    expect(events.map((e) => e.type).slice(3)).toEqual(['CardActivated', 'CardSuspended']);
    const refusals = answers.filter((a) => a.res.status !== 200);
    expect(refusals).toHaveLength(CONCURRENT - 1);
    // Each lost its race (or read after the winner) and was decided again on the suspended card: a 409 naming it.
    for (const { res } of refusals) {
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ code: 'TRANSITION_NOT_ALLOWED', currentStatus: 'SUSPENDED', command: 'SuspendCard' });
    }
  });

  it(`${CONCURRENT} × suspend with the current If-Match: exactly one succeeds, the others are 412 naming the new revision`, async () => {
    const card = await activeDebitCard(t);
    const answers = await race(t, card.cardId, Array.from({ length: CONCURRENT }, () => ({ kind: SUSPEND, ifMatch: '"3"' })));
    const { successes } = await expectConsistent(t, card.cardId, 3, answers);
    expect(successes).toHaveLength(1);
    for (const { res } of answers.filter((a) => a.res.status !== 200)) {
      expect(res.status).toBe(412);
      expect(res.body).toMatchObject({ code: 'PRECONDITION_FAILED', expectedRevision: '3', currentRevision: '4' });
    }
  });

  it(`${CONCURRENT} × suspend and reinstate alternating without If-Match: each success is a valid step, the card ends suspended or active`, async () => {
    const card = await activeDebitCard(t);
    const answers = await race(t, card.cardId, Array.from({ length: CONCURRENT }, (_, i) => ({ kind: i % 2 === 0 ? SUSPEND : REINSTATE })));
    const { successes, events } = await expectConsistent(t, card.cardId, 3, answers);
    expect(successes.length).toBeGreaterThanOrEqual(1);
    // Suspensions and reinstatements alternate in the stream, starting with a suspension.
    events.slice(4).forEach((e, i) => expect(e.type).toBe(i % 2 === 0 ? 'CardSuspended' : 'CardReinstated'));
    expect(['SUSPENDED', 'ACTIVE']).toContain((await t.http().get(`/v1/cards/${card.cardId}`)).body.status);
  });
});
