import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { filesUnder, newDataDir, removeDataDir, startTestApp, type TestApp } from './support/test-app';
import { linkedDebitCard, registerCustomer, wrongCvv } from './support/lifecycle-steps';

const PROBLEM = /application\/problem\+json/;
/** Words only this test writes, to find them (or not) in DATA_DIR. */
const SECRET_WORDS = '客户的邮寄地址是幸福路七号 and her nickname Moonpie-7731';

/** A routing file with agents: two available in the activation team, round-robin. */
function routingFile(dir: string): string {
  const file = path.join(dir, 'routing.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      defaultTeam: 'desk',
      rules: [
        { id: 'complaints', categories: ['COMPLAINT'], team: 'complaints' },
        { id: 'activation', categories: ['ACTIVATION_FAILED', 'NOTIFICATION_NOT_RECEIVED'], team: 'activation' },
      ],
      teams: {
        desk: { strategy: 'ROUND_ROBIN', agents: [] },
        complaints: { strategy: 'LEAST_OPEN', agents: [{ id: 'agent-c', available: true }] },
        activation: {
          strategy: 'ROUND_ROBIN',
          agents: [
            { id: 'agent-a', available: true },
            { id: 'agent-away', available: false },
            { id: 'agent-b', available: true },
          ],
          escalateTo: 'activation-l2',
        },
        'activation-l2': { strategy: 'LEAST_OPEN', agents: [] },
      },
    }),
  );
  return file;
}

describe('customer service cases', () => {
  let t: TestApp;
  let agentA: string;
  let agentB: string;
  let supervisor: string;
  let customerId: string;
  let cardId: string;

  beforeAll(async () => {
    const dataDir = newDataDir();
    t = await startTestApp(dataDir, { CASE_ROUTING_FILE: routingFile(dataDir) });
    agentA = await t.token({ roles: ['agent'], sub: 'agent-a' });
    agentB = await t.token({ roles: ['agent'], sub: 'agent-b' });
    supervisor = await t.token({ roles: ['supervisor'], sub: 'sup-1' });
    const card = await linkedDebitCard(t);
    cardId = card.cardId;
    customerId = card.customerId;
    const refused = await t.http().post(`/v1/cards/${cardId}/activate`).send({ channel: 'APP', cardNumber: card.cardNumber, cvv: wrongCvv(card.cvv) });
    expect(refused.status).toBe(422);
  });
  afterAll(async () => {
    await t.close();
    removeDataDir(t.dataDir);
  });

  const open = (body: Record<string, unknown>, token = agentA) => t.http(token).post('/v1/cases').send({ channel: 'PHONE', priority: 'HIGH', ...body });

  it('classifies a case on a card by its recent failed activation, routes it round-robin among available agents, and shows the card\'s events', async () => {
    const first = await open({ cardId, description: `Customer calls about the card. ${SECRET_WORDS}` });
    expect(first.status).toBe(201);
    expect(first.headers.location).toBe(`/v1/cases/${first.body.caseId}`);
    expect(first.headers.etag).toBe('"1"');
    expect(first.body).toMatchObject({
      caseNumber: `CS-${first.body.caseId.replace(/-/g, '').slice(0, 8).toUpperCase()}`,
      status: 'ASSIGNED',
      category: 'ACTIVATION_FAILED',
      categorySource: 'RULE',
      proposedByRule: 'recent-failed-activation',
      team: 'activation',
      routingRule: 'activation',
      assignee: 'agent-a',
    });
    const second = await open({ cardId, description: '激活失败' });
    const third = await open({ cardId, description: '激活失败' });
    expect([second.body.assignee, third.body.assignee]).toEqual(['agent-b', 'agent-a']);

    const viewed = await t.http(agentA).get(`/v1/cases/${first.body.caseId}`).expect(200);
    expect(viewed.body).toMatchObject({ customerId, cardId, description: `Customer calls about the card. ${SECRET_WORDS}`, status: 'ASSIGNED', revision: 1 });
    expect(viewed.body.card).toMatchObject({ cardId, status: 'LINKED' });
    expect(viewed.body.card.recentEvents.map((e: { type: string }) => e.type)).toEqual(['CardIssued', 'IdentityVerified', 'CardLinked', 'ActivationAttemptFailed']);
    expect(viewed.body.card.recentEvents[3].facts).toEqual({ channel: 'APP', reason: 'CVV_MISMATCH', attempt: 1, attemptsLeft: 2 });
    // Reading a customer's case is a read of their personal data: it is in their access log.
    const log = await t.http().get(`/v1/customers/${customerId}/access-log`).expect(200);
    expect(log.body.items).toContainEqual(expect.objectContaining({ by: 'agent-a', role: 'agent', reason: `case ${first.body.caseNumber}` }));
  });

  it('takes the opener\'s category, sends what no rule routes to the default queue, and waits there when nobody is available', async () => {
    const res = await open({ customerId, description: 'A question about the fees', category: 'SUGGESTION', priority: 'LOW', channel: 'EMAIL' });
    expect(res.body).toMatchObject({ status: 'OPEN', category: 'SUGGESTION', categorySource: 'OPENER', team: 'desk', routingRule: null, assignee: null });
    const none = await open({ description: 'Hello there', priority: 'LOW' });
    expect(none.body).toMatchObject({ category: 'OTHER', categorySource: 'DEFAULT', proposedByRule: null });
    // The agent takes it from the queue.
    const taken = await t.http(agentB).post(`/v1/cases/${res.body.caseId}/assignment`).send({ assignee: 'me' }).expect(200);
    expect(taken.body).toMatchObject({ status: 'ASSIGNED', assignee: 'agent-b' });
  });

  it('works a case through its statuses to resolution, survey (once) and reopening, with the first response recorded', async () => {
    const opened = (await open({ cardId, description: '激活失败' })).body;
    const id = opened.caseId;
    const comment = await t.http(agentA).post(`/v1/cases/${id}/comments`).send({ text: `Called back. ${SECRET_WORDS}` });
    expect(comment.status).toBe(201);
    await t.http(agentA).post(`/v1/cases/${id}/status`).send({ status: 'IN_PROGRESS' }).expect(200);
    const waiting = await t.http(agentA).post(`/v1/cases/${id}/status`).set('If-Match', '"4"').send({ status: 'WAITING_CUSTOMER' });
    expect(waiting.status).toBe(200);
    expect(waiting.body).toMatchObject({ status: 'WAITING_CUSTOMER', revision: 5, allowedActions: ['REASSIGN', 'START', 'RESOLVE', 'COMMENT', 'CORRECT_CATEGORY', 'ESCALATE'] });

    const stale = await t.http(agentA).post(`/v1/cases/${id}/status`).set('If-Match', '"4"').send({ status: 'IN_PROGRESS' });
    expect(stale.status).toBe(412);
    await t.http(agentA).post(`/v1/cases/${id}/status`).send({ status: 'IN_PROGRESS' }).expect(200);

    const early = await t.http(agentA).post(`/v1/cases/${id}/survey`).send({ score: 5 });
    expect(early.status).toBe(409);
    expect(early.headers['content-type']).toMatch(PROBLEM);
    expect(early.body).toMatchObject({ code: 'CASE_TRANSITION_NOT_ALLOWED', status: 409, currentStatus: 'IN_PROGRESS', allowedActions: expect.arrayContaining(['RESOLVE']) });

    await t.http(agentA).post(`/v1/cases/${id}/resolution`).send({ resolution: 'Reset the attempts' }).expect(200);
    await t.http(agentA).post(`/v1/cases/${id}/survey`).send({ score: 4, comment: '很好' }).expect(201);
    const again = await t.http(agentB).post(`/v1/cases/${id}/survey`).send({ score: 1 });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('SURVEY_ALREADY_ANSWERED');

    const reopened = await t.http(agentA).post(`/v1/cases/${id}/reopen`).send({ reason: 'Still failing' });
    expect(reopened.body).toMatchObject({ status: 'IN_PROGRESS' });
    const corrected = await t.http(agentA).post(`/v1/cases/${id}/category`).send({ category: 'NOTIFICATION_NOT_RECEIVED' }).expect(200);
    expect(corrected.body.category).toBe('NOTIFICATION_NOT_RECEIVED');

    const view = (await t.http(agentA).get(`/v1/cases/${id}`).expect(200)).body;
    expect(view).toMatchObject({
      status: 'IN_PROGRESS',
      reopenCount: 1,
      category: 'NOTIFICATION_NOT_RECEIVED',
      proposedCategory: 'ACTIVATION_FAILED',
      proposedByRule: 'recent-failed-activation',
      survey: { score: 4, comment: '很好', via: 'AGENT' },
      resolution: 'Reset the attempts',
      comments: [{ text: `Called back. ${SECRET_WORDS}`, by: 'agent-a' }],
    });
    expect(view.firstRespondedAt).toEqual(expect.any(String));

    const holder = opened.assignee === 'agent-a' ? agentA : agentB;
    const listed = await t.http(holder).get('/v1/cases').query({ assignee: 'me', status: 'IN_PROGRESS', category: 'NOTIFICATION_NOT_RECEIVED', minPosition: corrected.body.position }).expect(200);
    expect(listed.body.items).toEqual([
      expect.objectContaining({ caseId: id, assignee: opened.assignee, status: 'IN_PROGRESS', correctedFrom: 'ACTIVATION_FAILED', proposedByRule: 'recent-failed-activation', surveyScore: 4, reopenCount: 1 }),
    ]);
    expect(JSON.stringify(listed.body)).not.toContain('Called back');
  });

  it('lets only a supervisor reassign a held case, or assign to someone else', async () => {
    const opened = (await open({ cardId, description: '激活失败' })).body;
    const held = opened.assignee === 'agent-a' ? agentB : agentA;
    const refused = await t.http(held).post(`/v1/cases/${opened.caseId}/assignment`).send({ assignee: 'me' });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'REASSIGNMENT_NEEDS_SUPERVISOR', assignee: opened.assignee });
    const other = await t.http(held).post(`/v1/cases/${opened.caseId}/assignment`).send({ assignee: 'agent-z' });
    expect(other.body.code).toBe('ASSIGNMENT_NEEDS_SUPERVISOR');
    const moved = await t.http(supervisor).post(`/v1/cases/${opened.caseId}/assignment`).send({ assignee: 'agent-z', team: 'activation-l2' }).expect(200);
    expect(moved.body).toMatchObject({ assignee: 'agent-z', team: 'activation-l2', status: 'ASSIGNED' });
    const badTeam = await t.http(supervisor).post(`/v1/cases/${opened.caseId}/assignment`).send({ assignee: 'agent-z', team: 'nowhere' });
    expect(badTeam.status).toBe(400);
    expect(badTeam.body.errors ?? badTeam.body.violations).toEqual([expect.objectContaining({ field: 'team' })]);

    const workload = await t.http(supervisor).get('/v1/cases/workload').query({ minPosition: moved.body.position }).expect(200);
    const l2 = workload.body.teams.find((team: { team: string }) => team.team === 'activation-l2');
    expect(l2).toMatchObject({ open: 1, queued: 0, agents: [{ agentId: 'agent-z', available: null, open: 1, overdue: 0 }] });
    expect((await t.http(agentA).get('/v1/cases/workload')).status).toBe(403);
  });

  it('answers 400 naming the field, 404 for an unknown case or card, 409 for a forbidden change', async () => {
    const bad = await open({ channel: 'FAX', description: '', priority: 'SOON' });
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toMatch(PROBLEM);
    const fields = (bad.body.errors ?? bad.body.violations).map((v: { field: string }) => v.field);
    expect(fields).toEqual(expect.arrayContaining(['channel', 'description', 'priority']));

    expect((await open({ cardId: randomUUID(), description: 'x' })).body).toMatchObject({ status: 404, code: 'CARD_NOT_FOUND' });
    expect((await open({ customerId: randomUUID(), description: 'x' })).body).toMatchObject({ status: 404, code: 'CUSTOMER_NOT_FOUND' });
    const otherCustomer = await registerCustomer(t);
    expect((await open({ customerId: otherCustomer, cardId, description: 'x' })).status).toBe(400);
    expect((await t.http(agentA).get(`/v1/cases/${randomUUID()}`)).body).toMatchObject({ status: 404, code: 'CASE_NOT_FOUND' });
    expect((await t.http(agentA).post(`/v1/cases/${randomUUID()}/comments`).send({ text: 'x' })).status).toBe(404);
    expect((await t.http(agentA).get('/v1/cases/not-a-uuid')).status).toBe(400);

    const opened = (await open({ description: 'x', priority: 'LOW' })).body;
    const closed = await t.http(agentA).post(`/v1/cases/${opened.caseId}/status`).send({ status: 'CLOSED' });
    expect(closed.status).toBe(409);
    expect(closed.body).toMatchObject({ code: 'CASE_TRANSITION_NOT_ALLOWED', status: 409, currentStatus: 'OPEN', allowedActions: ['ASSIGN', 'COMMENT', 'CORRECT_CATEGORY', 'ESCALATE'] });
    expect((await t.http(agentA).post(`/v1/cases/${opened.caseId}/status`).send({ status: 'RESOLVED' })).status).toBe(400);
  });

  it('opens one case for a retried request with the same Idempotency-Key', async () => {
    const body = { cardId, description: '激活失败', channel: 'APP', priority: 'MEDIUM' };
    const a = await t.http(agentA).post('/v1/cases').set('Idempotency-Key', 'case-retry-1').send(body).expect(201);
    const b = await t.http(agentA).post('/v1/cases').set('Idempotency-Key', 'case-retry-1').send(body).expect(201);
    expect(b.body.caseId).toBe(a.body.caseId);
    expect(b.headers['idempotent-replayed']).toBe('true');
  });

  it('reports to analysts what the cases list says, case by case, with no text and no customer in it', async () => {
    const analyst = await t.token({ roles: ['analyst'], sub: 'analyst-1' });
    const head = (await t.http().get('/v1/projections').expect(200)).body.items[0].headPosition;
    const all = (await t.http(supervisor).get('/v1/cases').query({ limit: 200, minPosition: head }).expect(200)).body.items as Array<Record<string, unknown>>;
    const report = (await t.http(analyst).get('/v1/reports/cases').query({ minPosition: head }).expect(200)).body;
    expect(report.opened).toBe(all.length);
    const count = (field: string, value: unknown) => all.filter((c) => c[field] === value).length;
    expect(report.byCategory.ACTIVATION_FAILED).toBe(count('category', 'ACTIVATION_FAILED'));
    expect(report.byChannel.PHONE).toBe(count('channel', 'PHONE'));
    expect(report.byTeam.activation).toBe(count('team', 'activation'));
    expect(report.satisfaction).toEqual({ answered: 1, average: 4, distribution: { '1': 0, '2': 0, '3': 0, '4': 1, '5': 0 } });
    expect(report.firstResponse.count).toBe(all.filter((c) => c.firstRespondedAt !== null).length);
    expect(report.classification.byRule['recent-failed-activation'].corrected).toBe(1);
    expect(report.recurringProblems[0]).toMatchObject({ category: 'ACTIVATION_FAILED', previousPeriod: 0, funnelStep: { from: 'LINKED', to: 'ACTIVE' } });
    expect(JSON.stringify(report)).not.toMatch(new RegExp(`${customerId}|Moonpie|激活失败`));
    expect((await t.http(analyst).get('/v1/cases')).status).toBe(403);
    expect((await t.http(agentA).get('/v1/reports/cases')).status).toBe(403);
    const bad = await t.http(analyst).get('/v1/reports/cases').query({ from: 'yesterday' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('from');
  });

  it('keeps the texts people wrote out of every file in DATA_DIR and out of the log (encrypted under the customer\'s key)', async () => {
    const needles = [Buffer.from(SECRET_WORDS.split(' and ')[0], 'utf8'), Buffer.from('Moonpie-7731', 'utf8'), Buffer.from('Moonpie-7731', 'utf16le')];
    const found = filesUnder(t.dataDir).flatMap((file) => {
      const bytes = fs.readFileSync(file);
      return needles.filter((n) => bytes.includes(n)).map(() => path.relative(t.dataDir, file));
    });
    expect(found).toEqual([]);
  });

  it('routes new cases only to agents on duty: an agent marks themselves away, a supervisor anyone of the routing file', async () => {
    const me = await t.http(agentB).get('/v1/cases/agents/me/availability').expect(200);
    expect(me.body).toEqual({ agentId: 'agent-b', teams: ['activation'], available: true, source: 'ROUTING_FILE', changedBy: null, changedAt: null });
    const away = await t.http(agentB).post('/v1/cases/agents/me/availability').send({ available: false }).expect(200);
    expect(away.body).toMatchObject({ agentId: 'agent-b', available: false, source: 'CHANGED', changedBy: 'agent-b' });

    const whileAway = [await open({ cardId, description: '激活失败' }), await open({ cardId, description: '激活失败' })];
    expect(whileAway.map((r) => r.body.assignee)).toEqual(['agent-a', 'agent-a']);

    // An agent marks only their own; a supervisor anyone of the file; nobody an agent the file does not know.
    const notMine = await t.http(agentA).post('/v1/cases/agents/agent-away/availability').send({ available: true }).expect(403);
    expect(notMine.body.code).toBe('NOT_YOUR_AVAILABILITY');
    await t.http(supervisor).post('/v1/cases/agents/agent-away/availability').send({ available: true }).expect(200);
    await t.http(supervisor).post('/v1/cases/agents/agent-b/availability').send({ available: true }).expect(200);
    expect((await t.http(supervisor).post('/v1/cases/agents/agent-nobody/availability').send({ available: true }).expect(404)).body.code).toBe('AGENT_NOT_FOUND');
    const bad = await t.http(agentA).post('/v1/cases/agents/me/availability').send({ available: 'yes' }).expect(400);
    expect(JSON.stringify(bad.body)).toContain('available');

    const allOnDuty = [];
    for (let i = 0; i < 3; i++) allOnDuty.push((await open({ cardId, description: '激活失败' })).body.assignee);
    expect([...allOnDuty].sort()).toEqual(['agent-a', 'agent-away', 'agent-b']);

    const workload = await t.http(supervisor).get('/v1/cases/workload').expect(200);
    const team = workload.body.teams.find((w: { team: string }) => w.team === 'activation');
    expect(team.agents.map((a: { agentId: string; available: boolean }) => [a.agentId, a.available])).toEqual([
      ['agent-a', true],
      ['agent-away', true],
      ['agent-b', true],
    ]);
    // Setting what already holds records nothing.
    const before = await t.http(supervisor).get('/v1/cases/agents/agent-b/availability').expect(200);
    await t.http(agentB).post('/v1/cases/agents/me/availability').send({ available: true }).expect(200);
    expect((await t.http(supervisor).get('/v1/cases/agents/agent-b/availability').expect(200)).body).toEqual(before.body);
  });
});

