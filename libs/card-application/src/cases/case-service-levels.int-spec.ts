import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AgentAvailability } from './agent-availability';
import { caseDecider, parseCaseRouting, type CaseEvent } from '@cards/domain';
import type { EventStore } from '@cards/event-store';
import { SqliteReadStore, type ReadStore } from '@cards/read-store';
import { testContext, writeSide, type WriteSide } from '../testing/write-side';
import { caseStream } from '../shared/streams';
import { CaseCommandExecutor, CommentOnCaseCommand, CommentOnCaseHandler, OpenCaseCommand, OpenCaseHandler, ResolveCaseCommand, ResolveCaseHandler } from './case-commands';
import { CaseRouter } from './case-router';
import { CaseServiceLevelCheck } from './case-service-levels';
import { DEFAULT_CASE_SETTINGS, type CaseSettings } from './case-settings';
import { casesProjection } from './cases.projection';

const HOUR = 3_600_000;

const routing = parseCaseRouting({
  defaultTeam: 'desk',
  rules: [{ id: 'activation', categories: ['ACTIVATION_FAILED'], team: 'activation' }],
  teams: {
    desk: { strategy: 'ROUND_ROBIN', agents: [] },
    activation: { strategy: 'ROUND_ROBIN', agents: [{ id: 'agent-a', available: true }], escalateTo: 'activation-l2' },
    'activation-l2': { strategy: 'LEAST_OPEN', agents: [] },
  },
});
if (!routing.ok) throw new Error('routing');
const SETTINGS: CaseSettings = { ...DEFAULT_CASE_SETTINGS, routing: routing.routing };

/** Applies every event not yet projected to the cases read model, one commit per event, as the runner would. */
async function project(events: EventStore, readStore: ReadStore): Promise<void> {
  const checkpoint = await readStore.checkpoint(casesProjection.name);
  for (const event of await events.readAll({ ...(checkpoint?.position && { from: checkpoint.position }), maxCount: 10_000 })) {
    const ops = await casesProjection.project(event, { get: (collection, id) => readStore.get(collection, id) });
    await readStore.commit(casesProjection.name, event.position, 1, ops);
  }
}

describe('service levels of cases, with an injected clock (real SQLite stores)', () => {
  let w: WriteSide;
  let dir: string;
  let readStore: ReadStore;
  let check: CaseServiceLevelCheck;
  let open: OpenCaseHandler;
  let comment: CommentOnCaseHandler;
  let resolve: ResolveCaseHandler;
  const agent = testContext({ actor: { id: 'agent-a', role: 'agent' } });

  beforeEach(async () => {
    w = writeSide();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'case-sla-'));
    readStore = SqliteReadStore.open(path.join(dir, 'read.db'));
    await readStore.ensureCollections(casesProjection.collections);
    const executor = new CaseCommandExecutor(w.runner);
    open = new OpenCaseHandler(w.runner, executor, new CaseRouter(w.store, readStore, SETTINGS, new AgentAvailability(w.store, SETTINGS, w.clock)), SETTINGS, w.clock);
    comment = new CommentOnCaseHandler(executor);
    resolve = new ResolveCaseHandler(executor);
    check = new CaseServiceLevelCheck(executor, readStore, SETTINGS, w.clock);
  });
  afterEach(async () => {
    await readStore.close();
    await w.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const escalations = async (caseId: string) =>
    (await w.store.readStream(caseStream(caseId))).filter((e) => e.type === 'CaseEscalated').map((e) => e.data as unknown as Extract<CaseEvent, { type: 'CaseEscalated' }>['data']);
  const openHigh = () => open.execute(new OpenCaseCommand({ channel: 'PHONE', description: '激活失败', priority: 'HIGH' }, agent));

  it('escalates a case with no first response once its deadline (HIGH: PT2H) has passed, to the team\'s second level, naming the assignee; once', async () => {
    const opened = await openHigh();
    expect(opened.state).toMatchObject({ team: 'activation', assignee: 'agent-a' });
    await project(w.store, readStore);

    w.clock.advance(2 * HOUR - 60_000);
    expect((await check.checkOnce()).escalated).toEqual([]);

    w.clock.advance(2 * 60_000);
    expect((await check.checkOnce()).escalated).toEqual([{ caseId: opened.caseId, breach: 'FIRST_RESPONSE' }]);
    expect(await escalations(opened.caseId)).toEqual([
      expect.objectContaining({
        breach: 'FIRST_RESPONSE',
        dueAt: opened.state.firstResponseDueAt,
        fromTeam: 'activation',
        toTeam: 'activation-l2',
        toRole: 'supervisor',
        assignee: 'agent-a',
        reason: expect.stringMatching(/^No first response by .*HIGH priority/),
      }),
    ]);

    // The read model has not seen the escalation yet: the next check tries again, the stream refuses, nothing is written.
    expect((await check.checkOnce()).escalated).toEqual([]);
    await project(w.store, readStore);
    expect((await check.checkOnce()).escalated).toEqual([]);
    expect(await escalations(opened.caseId)).toHaveLength(1);
    expect(await readStore.get('cases', opened.caseId)).toMatchObject({ escalated: true, firstResponseBreached: true, escalatedToTeam: 'activation-l2', breaches: 1 });
  });

  it('does not escalate a case answered in time; escalates its resolution (HIGH: P1D) when that is missed', async () => {
    const opened = await openHigh();
    w.clock.advance(HOUR);
    await comment.execute(new CommentOnCaseCommand(opened.caseId, 'Called the customer', agent));
    await project(w.store, readStore);

    w.clock.advance(2 * HOUR);
    expect((await check.checkOnce()).escalated).toEqual([]);

    w.clock.advance(22 * HOUR);
    expect((await check.checkOnce()).escalated).toEqual([{ caseId: opened.caseId, breach: 'RESOLUTION' }]);
  });

  it('leaves a resolved case alone, even when its read model still says open', async () => {
    const opened = await openHigh();
    await project(w.store, readStore);
    await comment.execute(new CommentOnCaseCommand(opened.caseId, 'On it', agent));
    await w.runner.execute(caseStream(opened.caseId), caseDecider, agent, (_s, now) => ({ type: 'ChangeCaseStatus' as const, status: 'IN_PROGRESS' as const, by: 'agent-a', now }));
    await resolve.execute(new ResolveCaseCommand(opened.caseId, 'Fixed', agent));
    w.clock.advance(48 * HOUR);
    expect((await check.checkOnce()).escalated).toEqual([]);
    expect(await escalations(opened.caseId)).toEqual([]);
  });
});
