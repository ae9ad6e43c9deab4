import { randomUUID } from 'node:crypto';
import { appendNotices, type NoticeStory } from './support/notification-events';
import { freshResidentId, luhnCardNumber, nextSeed, removeDataDir, startTestApp, type TestApp } from './support/test-app';

/**
 * The reports, checked against figures this test computes itself from the history it imports: a few hundred
 * cards over weeks, left at every stage. The expected figures are computed here, from the test's own record of
 * what it wrote, never from the read models.
 */

const DAY = 86_400_000;
const HOUR = 3_600_000;
const PRODUCTS = ['DEBIT', 'CREDIT', 'LOYALTY', 'SIM'] as const;
const BRANCHES = ['BJ-001', 'SH-002', null] as const;

/** mulberry32: a small seeded PRNG, so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Truth {
  cardId: string;
  product: (typeof PRODUCTS)[number];
  branchId: string | null;
  status: string;
  statusSince: number;
  issuedAt: number;
  verifiedAt?: number;
  linkedAt?: number;
  activatedAt?: number;
  /** When its first activation confirmation went out. */
  notifiedAt?: number;
  cancelledAt?: number;
  failures: { at: number; reasons: string[] }[];
  disputes: { reason: string; openedAt: number; resolvedAt?: number; outcome?: string }[];
}

function generate(seed: number, cardCount: number, now: number): { lines: string[]; cards: Truth[]; from: number } {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const between = (min: number, max: number) => Math.round(min + random() * (max - min));
  const from = now - 90 * DAY;
  const lines: string[] = [];
  const cards: Truth[] = [];
  const write = (command: string, at: number, fields: Record<string, unknown>) =>
    lines.push(JSON.stringify({ command, occurredAt: new Date(at).toISOString(), ...fields }));

  let customerId = '';
  let idNumber = '';
  for (let i = 0; i < cardCount; i++) {
    if (i % 3 === 0) {
      customerId = randomUUID();
      idNumber = freshResidentId(); // one customer per id document
      write('RegisterCustomer', from, { customerId, name: '张三', idType: 'CN_RESIDENT_ID', idNumber, phone: '13800138000' });
    }
    const cardId = randomUUID();
    const product = pick(PRODUCTS);
    const branchId = pick(BRANCHES);
    let t = from + between(HOUR, 40 * DAY);
    const card: Truth = { cardId, product, branchId, status: 'ISSUED', statusSince: t, issuedAt: t, failures: [], disputes: [] };
    cards.push(card);
    const cardNumber = product === 'SIM' ? luhnCardNumber('898600', 20, nextSeed()) : luhnCardNumber('411111', 16, nextSeed());
    write('IssueCard', t, {
      customerId,
      cardId,
      product,
      cardNumber,
      ...(product === 'DEBIT' || product === 'CREDIT' ? { expiry: '12/30' } : {}),
      channel: 'BRANCH',
      ...(branchId && { branchId }),
    });
    const enter = (status: string, at: number) => {
      card.status = status;
      card.statusSince = at;
    };

    if (random() < 0.2) {
      t += between(10 * 60_000, 2 * DAY);
      write('VerifyIdentity', t, { cardId, method: 'ID_DOCUMENT', name: '李四', idNumber });
      card.failures.push({ at: t, reasons: ['NAME_MISMATCH'] });
    }
    if (random() < 0.85) {
      t += between(30 * 60_000, 3 * DAY);
      write('VerifyIdentity', t, { cardId, method: 'ID_DOCUMENT', name: '张三', idNumber });
      card.verifiedAt = t;
      enter('IDENTITY_VERIFIED', t);
      if (random() < 0.8) {
        t += between(HOUR, 5 * DAY);
        write('LinkCard', t, { cardId, accountId: `ACC-${i}` });
        card.linkedAt = t;
        enter('LINKED', t);
        if (random() < 0.7) {
          t += between(10 * 60_000, 7 * DAY);
          write('ActivateCard', t, { cardId, channel: 'APP' });
          card.activatedAt = t;
          enter('ACTIVE', t);
          if (random() < 0.15) {
            t += between(HOUR, 5 * DAY);
            const disputeId = randomUUID();
            const reason = pick(['FRAUD', 'NOT_RECEIVED', 'OTHER'] as const);
            write('OpenDispute', t, { cardId, disputeId, reason, description: 'Customer disputes it' });
            const dispute: Truth['disputes'][number] = { reason, openedAt: t };
            card.disputes.push(dispute);
            enter('DISPUTED', t);
            if (random() < 0.7) {
              t += between(HOUR, 10 * DAY);
              const outcome = random() < 0.5 ? 'UPHELD' : 'REJECTED';
              write('ResolveDispute', t, { cardId, disputeId, outcome, note: 'Investigated' });
              Object.assign(dispute, { resolvedAt: t, outcome });
              if (outcome === 'UPHELD') {
                card.cancelledAt = t;
                enter('CANCELLED', t);
              } else {
                enter('ACTIVE', t);
              }
            }
          }
        }
      }
    }
    if (card.status !== 'CANCELLED' && card.status !== 'DISPUTED' && card.status !== 'ACTIVE' && random() < 0.1) {
      t += between(HOUR, 3 * DAY);
      write('CancelCard', t, { cardId, reason: 'Customer request' });
      card.cancelledAt = t;
      enter('CANCELLED', t);
    }
  }
  return { lines, cards, from };
}

/**
 * The notices of the activated cards, as the notification reactor would record them (it ignores imported history,
 * so the test writes them itself): most cards get their activation confirmation by SMS (some after a failed
 * attempt), some also by e-mail later, some never (given up); disputed cards get a dispute notice. Only the first
 * activation confirmation sent sets the card's notifiedAt. A PRNG of its own, so the history above stays the same.
 */
function notices(seed: number, cards: Truth[]): NoticeStory[] {
  const random = prng(seed);
  const between = (min: number, max: number) => Math.round(min + random() * (max - min));
  const stories: NoticeStory[] = [];
  for (const card of cards) {
    if (card.activatedAt === undefined) continue;
    const about = { customerId: randomUUID(), cardId: card.cardId, requestedAt: card.activatedAt };
    const roll = random();
    if (roll < 0.7) {
      const failedAt = random() < 0.2 ? [card.activatedAt + between(1_000, 10_000)] : [];
      const sentAt = (failedAt[0] ?? card.activatedAt) + between(500, failedAt.length ? 120_000 : 30_000);
      stories.push({ ...about, templateId: 'activation-confirmation', channel: 'SMS', failedAt, sentAt });
      card.notifiedAt = sentAt;
      if (random() < 0.3) stories.push({ ...about, templateId: 'activation-confirmation', channel: 'EMAIL', sentAt: sentAt + between(1_000, 60_000) });
    } else if (roll < 0.8) {
      const failedAt = [1, 2, 3].map((n) => card.activatedAt! + n * 60_000);
      stories.push({ ...about, templateId: 'activation-confirmation', channel: 'SMS', failedAt, abandoned: { reason: 'MAX_ATTEMPTS', at: failedAt[2] } });
    }
    for (const dispute of card.disputes) {
      stories.push({ ...about, requestedAt: dispute.openedAt, templateId: 'dispute-opened', channel: 'SMS', sentAt: dispute.openedAt + between(500, 5_000) });
    }
  }
  return stories;
}

/** Nearest rank, written out again here rather than imported, so the test does not check the code with itself. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p * sorted.length) / 100) - 1)];
}

/** The local date in Shanghai (UTC+8 all year, no daylight saving). */
const shanghaiDay = (ms: number) => new Date(ms + 8 * HOUR).toISOString().slice(0, 10);

describe('reports equal figures computed independently from an imported history', () => {
  let t: TestApp;
  const now = Date.now();
  const { lines, cards, from } = generate(20261123, 360, now);
  const stories = notices(20261124, cards);
  const range = { from: new Date(from - DAY).toISOString(), to: new Date(now).toISOString() };
  let position = '0';

  beforeAll(async () => {
    t = await startTestApp(undefined, { LOG_LEVEL: 'warn' });
    for (let start = 0; start < lines.length; start += 500) {
      const chunk = lines.slice(start, start + 500);
      const res = await t
        .http()
        .post('/v1/imports')
        .set('content-type', 'application/x-ndjson')
        .set('X-Import-First-Line', String(start + 1))
        .send(`${chunk.join('\n')}\n`);
      expect(res.status).toBe(200);
      expect(res.body.failed).toEqual([]);
      if (res.body.position) position = res.body.position;
    }
    position = await appendNotices(t, stories);
  }, 120_000);
  afterAll(async () => {
    await t.close();
    removeDataDir(t.dataDir);
  });

  const report = async (path: string, query: Record<string, string> = {}) =>
    (await t.http().get(`/v1/reports/${path}`).query({ ...range, minPosition: position, limit: 200, ...query }).expect(200)).body;

  it('imported a history with cards left at every stage', () => {
    const statuses = new Set(cards.map((c) => c.status));
    expect([...statuses].sort()).toEqual(['ACTIVE', 'CANCELLED', 'DISPUTED', 'IDENTITY_VERIFIED', 'ISSUED', 'LINKED']);
  });

  it('funnel: reached, conversions and drop-offs per stage', async () => {
    const reached = [
      cards.length,
      cards.filter((c) => c.verifiedAt).length,
      cards.filter((c) => c.linkedAt).length,
      cards.filter((c) => c.activatedAt).length,
      cards.filter((c) => c.notifiedAt).length,
    ];
    expect(reached[4]).toBeGreaterThan(0);
    expect(reached[4]).toBeLessThan(reached[3]);
    const body = await report('funnel');
    expect(body.cohort).toBe(cards.length);
    expect(body.items.map((s: { stage: string; reached: number }) => [s.stage, s.reached])).toEqual([
      ['ISSUED', reached[0]],
      ['IDENTITY_VERIFIED', reached[1]],
      ['LINKED', reached[2]],
      ['ACTIVE', reached[3]],
      ['NOTIFIED', reached[4]],
    ]);
    for (let i = 1; i < 5; i++) {
      expect(body.items[i].conversionFromPrevious).toBeCloseTo(reached[i] / reached[i - 1], 4);
      expect(body.items[i].conversionFromIssue).toBeCloseTo(reached[i] / reached[0], 4);
      expect(body.items[i - 1].droppedAfter.total).toBe(reached[i - 1] - reached[i]);
    }
    const verifiedNotLinkedCancelled = cards.filter((c) => c.verifiedAt && !c.linkedAt && c.cancelledAt).length;
    expect(body.items[1].droppedAfter.cancelled).toBe(verifiedNotLinkedCancelled);
  });

  it('funnel for one product', async () => {
    const debit = cards.filter((c) => c.product === 'DEBIT');
    const body = await report('funnel', { product: 'DEBIT' });
    expect(body.items.map((s: { reached: number }) => s.reached)).toEqual([
      debit.length,
      debit.filter((c) => c.verifiedAt).length,
      debit.filter((c) => c.linkedAt).length,
      debit.filter((c) => c.activatedAt).length,
      debit.filter((c) => c.notifiedAt).length,
    ]);
  });

  it('stage durations: count, mean, p50, p90, p95 and max per step, exactly', async () => {
    const steps: [string, (c: Truth) => [number | undefined, number | undefined]][] = [
      ['ISSUED→IDENTITY_VERIFIED', (c) => [c.issuedAt, c.verifiedAt]],
      ['IDENTITY_VERIFIED→LINKED', (c) => [c.verifiedAt, c.linkedAt]],
      ['LINKED→ACTIVE', (c) => [c.linkedAt, c.activatedAt]],
      ['ACTIVE→NOTIFIED', (c) => [c.activatedAt, c.notifiedAt]],
      ['ISSUED→ACTIVE', (c) => [c.issuedAt, c.activatedAt]],
    ];
    const body = await report('stage-durations');
    for (const [step, times] of steps) {
      const seconds = cards.map(times).filter(([a, b]) => a !== undefined && b !== undefined).map(([a, b]) => ((b as number) - (a as number)) / 1000);
      const row = body.items.find((r: { step: string }) => r.step === step);
      expect(row).toMatchObject({
        count: seconds.length,
        p50: percentile(seconds, 50),
        p90: percentile(seconds, 90),
        p95: percentile(seconds, 95),
        maxSeconds: Math.max(...seconds),
      });
      expect(row.meanSeconds).toBeCloseTo(seconds.reduce((a, b) => a + b, 0) / seconds.length, 2);
    }
  });

  it('bottlenecks: steps ranked by p90 wait, each with a finding', async () => {
    const p90 = (a: (c: Truth) => number | undefined, b: (c: Truth) => number | undefined) =>
      percentile(cards.filter((c) => a(c) !== undefined && b(c) !== undefined).map((c) => ((b(c) as number) - (a(c) as number)) / 1000), 90);
    const expected = [
      ['ISSUED→IDENTITY_VERIFIED', p90((c) => c.issuedAt, (c) => c.verifiedAt)],
      ['IDENTITY_VERIFIED→LINKED', p90((c) => c.verifiedAt, (c) => c.linkedAt)],
      ['LINKED→ACTIVE', p90((c) => c.linkedAt, (c) => c.activatedAt)],
      ['ACTIVE→NOTIFIED', p90((c) => c.activatedAt, (c) => c.notifiedAt)],
    ].sort((x, y) => (y[1] as number) - (x[1] as number));
    const body = await report('bottlenecks');
    expect(body.items.map((r: { step: string }) => r.step)).toEqual(expected.map((e) => e[0]));
    expect(body.items[0].finding).toMatch(/^\S+→\S+: p90 [\d.]+ (seconds|minutes|hours|days)/);
    expect(body.byDropOff).toHaveLength(4);
    const notified = body.byDropOff.find((r: { step: string }) => r.step === 'ACTIVE→NOTIFIED');
    expect(notified).toMatchObject({ reachedFrom: cards.filter((c) => c.activatedAt).length, reachedTo: cards.filter((c) => c.notifiedAt).length });
    expect(notified.finding).toMatch(/^ACTIVE→NOTIFIED: p90 [\d.]+ (seconds|minutes), [\d.]+% of active cards never got their activation notice \(yet\)/);
  });

  it('notifications: sent, abandoned and failed notices, and their delivery latency, per channel and template', async () => {
    const body = await report('notifications');
    const expected = (mine: NoticeStory[]) => {
      const latencies = mine.filter((s) => s.sentAt !== undefined).map((s) => (s.sentAt as number) - (s.sendAt ?? s.requestedAt));
      return {
        requested: mine.length,
        sent: latencies.length,
        pending: 0,
        abandoned: mine.filter((s) => s.abandoned).length,
        failedAttempts: mine.reduce((sum, s) => sum + (s.failedAt?.length ?? 0), 0),
        withFailures: mine.filter((s) => (s.failedAt?.length ?? 0) > 0).length,
        abandonedByReason: { MAX_ATTEMPTS: mine.filter((s) => s.abandoned).length, PERMANENT_FAILURE: 0, NO_RECIPIENT: 0 },
        latency: expect.objectContaining({ count: latencies.length, p50Ms: percentile(latencies, 50), p95Ms: percentile(latencies, 95) }),
      };
    };
    const keys = [
      ['SMS', 'activation-confirmation'],
      ['SMS', 'dispute-opened'],
      ['EMAIL', 'activation-confirmation'],
    ] as const;
    expect(body.items).toEqual(keys.map(([channel, templateId]) => ({ channel, templateId, ...expected(stories.filter((s) => s.channel === channel && s.templateId === templateId)) })));
    expect(body.totals.overall).toEqual(expected(stories));
  });

  it('activations per local day in Asia/Shanghai', async () => {
    const expected = new Map<string, Record<string, number>>();
    const count = (ms: number | undefined, field: string) => {
      if (ms === undefined) return;
      const day = shanghaiDay(ms);
      const row = expected.get(day) ?? { issued: 0, verified: 0, linked: 0, activated: 0, disputed: 0, cancelled: 0 };
      row[field]++;
      expected.set(day, row);
    };
    for (const c of cards) {
      count(c.issuedAt, 'issued');
      count(c.verifiedAt, 'verified');
      count(c.linkedAt, 'linked');
      count(c.activatedAt, 'activated');
      count(c.cancelledAt, 'cancelled');
      for (const d of c.disputes) count(d.openedAt, 'disputed');
    }
    const body = await report('activations', { groupBy: 'day', tz: 'Asia/Shanghai' });
    const rows: { group: string }[] = [...body.items];
    let cursor = body.nextCursor;
    while (cursor) {
      const next = await report('activations', { groupBy: 'day', tz: 'Asia/Shanghai', cursor });
      rows.push(...next.items);
      cursor = next.nextCursor;
    }
    const actual = new Map(
      rows.map((row) => {
        const { group, start, ...counts } = row as { group: string; start: unknown } & Record<string, unknown>;
        void start;
        return [group, counts];
      }),
    );
    expect(actual).toEqual(expected);
  });

  it('activations per product', async () => {
    const body = await report('activations', { groupBy: 'product' });
    for (const product of PRODUCTS) {
      const mine = cards.filter((c) => c.product === product);
      const row = body.items.find((r: { group: string }) => r.group === product);
      expect(row).toMatchObject({
        issued: mine.length,
        activated: mine.filter((c) => c.activatedAt).length,
        cancelled: mine.filter((c) => c.cancelledAt).length,
      });
    }
  });

  it('stuck: cards linked more than two days ago and still waiting, oldest first', async () => {
    const expected = cards
      .filter((c) => c.status === 'LINKED' && now - c.statusSince > 2 * DAY)
      .sort((a, b) => a.statusSince - b.statusSince || a.cardId.localeCompare(b.cardId))
      .map((c) => c.cardId);
    expect(expected.length).toBeGreaterThan(3);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await t
        .http()
        .get('/v1/reports/stuck')
        .query({ stage: 'LINKED', olderThan: 'P2D', limit: 3, minPosition: position, ...(cursor && { cursor }) })
        .expect(200);
      seen.push(...res.body.items.map((i: { cardId: string }) => i.cardId));
      cursor = res.body.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(expected);
  });

  it('verification failures by reason', async () => {
    const failures = cards.flatMap((c) => c.failures);
    const body = await report('verification-failures');
    expect(body.total).toBe(failures.length);
    expect(body.byReason.NAME_MISMATCH).toBe(failures.length);
  });

  it('disputes by reason and outcome, with time to resolve', async () => {
    const disputes = cards.flatMap((c) => c.disputes);
    const resolved = disputes.filter((d) => d.resolvedAt !== undefined).map((d) => ((d.resolvedAt as number) - d.openedAt) / 1000);
    const body = await report('disputes');
    expect(body.total).toBe(disputes.length);
    expect(body.open).toBe(disputes.filter((d) => !d.outcome).length);
    expect(body.byOutcome).toEqual({
      UPHELD: disputes.filter((d) => d.outcome === 'UPHELD').length,
      REJECTED: disputes.filter((d) => d.outcome === 'REJECTED').length,
      OPEN: disputes.filter((d) => !d.outcome).length,
    });
    expect(body.byReason.FRAUD).toBe(disputes.filter((d) => d.reason === 'FRAUD').length);
    expect(body.timeToResolve).toMatchObject({ count: resolved.length, p50: percentile(resolved, 50), maxSeconds: Math.max(...resolved) });
  });

  it('card search agrees with the history on how many cards are in each status', async () => {
    for (const status of ['ACTIVE', 'LINKED', 'CANCELLED']) {
      let total = 0;
      let cursor: string | undefined;
      do {
        const res = await t.http().get('/v1/cards').query({ status, limit: 200, minPosition: position, ...(cursor && { cursor }) }).expect(200);
        total += res.body.items.length;
        cursor = res.body.nextCursor ?? undefined;
      } while (cursor);
      expect({ status, total }).toEqual({ status, total: cards.filter((c) => c.status === status).length });
    }
  });
});
